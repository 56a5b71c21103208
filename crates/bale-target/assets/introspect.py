# Describes this interpreter, as one line of JSON on stdout: the facts its bale target
# is named from (bale_target::Target::of_interpreter applies the rule, so the packer,
# the runner's build and the importer name a Python alike) and what the packer needs.
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig

print(
    json.dumps(
        {
            "implementation": sys.implementation.name,
            "version": list(sys.version_info[:3]),
            "magic": importlib.util.MAGIC_NUMBER.hex(),
            "cache_tag": sys.implementation.cache_tag,
            "extension_suffixes": importlib.machinery.EXTENSION_SUFFIXES,
            "machine": os.uname().machine if hasattr(os, "uname") else "unknown",
            "sys_platform": sys.platform,
            "executable": sys.executable,
            "stdlib": sysconfig.get_paths()["stdlib"],
            "platstdlib": sysconfig.get_paths()["platstdlib"],
        }
    )
)
