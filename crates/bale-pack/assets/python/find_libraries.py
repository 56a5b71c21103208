# Run by `bale pack` as: python -I -c <this> NAME...
# Prints, as JSON, where this interpreter's dynamic loader finds each library NAME
# (`libssl.so.3`): the path it opened it by, or nothing for a name it cannot load. The
# libraries are loaded lazily (RTLD_LAZY) to ask, as the loader would for an extension
# module of this interpreter, in this environment.
import ctypes
import json
import os
import sys

RTLD_DI_LINKMAP = 2


class LinkMap(ctypes.Structure):
    _fields_ = [("l_addr", ctypes.c_void_p), ("l_name", ctypes.c_char_p)]


def where(name):
    try:
        library = ctypes.CDLL(name, mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    except OSError:
        return None
    found = ctypes.POINTER(LinkMap)()
    if ctypes.CDLL(None).dlinfo(ctypes.c_void_p(library._handle), RTLD_DI_LINKMAP, ctypes.byref(found)) != 0:
        return None
    return os.fsdecode(found.contents.l_name) or None


print(json.dumps({name: where(name) for name in sys.argv[1:]}))
