"""Read-only file access to installed bales, for code that opens its data by path.

Libraries often find their data next to their modules, with
`open(os.path.join(os.path.dirname(__file__), "data", name))`, not through
`importlib.resources`. A module imported from a bale has a `__file__` under the bale's
virtual path, so this module makes `open`, `io.open`, `io.open_code` (how `runpy`
reads a script), `os.stat`, `os.lstat`, `os.listdir` and `os.scandir` (and so
`os.path.exists`, `isfile`, `isdir`, `getsize`, `os.walk`, `glob`) answer for paths
under a mounted bale, reading from it. Any other
path goes to the original function untouched. Files are read-only; C code that opens
files itself (`fopen` in an extension module) does not see them.
"""

import builtins
import errno
import io
import os
import stat as _stat
import sys

_original = {
    "open": builtins.open,
    "open_code": io.open_code,
    "stat": os.stat,
    "lstat": os.lstat,
    "listdir": os.listdir,
    "scandir": os.scandir,
}
_mounts = []  # (finder, mtime)


def _locate(path):
    """(finder, relative path, mtime) for a path under a mounted bale, else None."""
    if not _mounts or isinstance(path, int):
        return None
    try:
        path = os.fspath(path)
    except TypeError:
        return None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path.startswith("/"):
        return None
    path = os.path.normpath(path)
    for finder, mtime in _mounts:
        rel = finder._relative(path)
        if rel is not None:
            return finder, rel, mtime
    return None


def _error(code, path):
    return OSError(code, os.strerror(code), os.fspath(path) if not isinstance(path, int) else path)


class _BaleFile(io.BytesIO):
    """The bytes of a file in a bale, readable like an open binary file."""

    def __init__(self, data, name):
        super().__init__(data)
        self.name = name
        self.mode = "rb"


def open(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None):
    found = _locate(file)
    if found is None:
        return _original["open"](file, mode, buffering, encoding, errors, newline, closefd, opener)
    finder, rel, _ = found
    # What the real open reports, so audit hooks (a tracer) see the bale's files too.
    sys.audit("open", os.fspath(file), mode, os.O_RDONLY)
    if set(mode) - set("rbt"):
        raise _error(errno.EROFS, file)
    kind = finder._kind(rel)
    if kind == 0:
        raise _error(errno.ENOENT, file)
    if kind == 2:
        raise _error(errno.EISDIR, file)
    raw = _BaleFile(finder._read(rel), os.fspath(file))
    if "b" in mode:
        return raw
    text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline=newline)
    text.mode = mode
    return text


def open_code(path):
    if _locate(path) is None:
        return _original["open_code"](path)
    return open(path, "rb")


def _stat_result(finder, rel, mtime, path):
    kind = finder._kind(rel)
    if kind == 0:
        raise _error(errno.ENOENT, path)
    if kind == 2:
        mode, size = _stat.S_IFDIR | 0o555, 0
    else:
        mode, size = _stat.S_IFREG | 0o444, finder._size(rel)
    inode = hash((id(finder), rel)) & 0x7FFFFFFF
    return os.stat_result((mode, inode, 0, 1, 0, 0, size, mtime, mtime, mtime))


def stat(path, *, dir_fd=None, follow_symlinks=True):
    found = _locate(path) if dir_fd is None else None
    if found is None:
        return _original["stat"](path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)
    return _stat_result(*found, path)


def lstat(path, *, dir_fd=None):
    found = _locate(path) if dir_fd is None else None
    if found is None:
        return _original["lstat"](path, dir_fd=dir_fd)
    return _stat_result(*found, path)


def listdir(path="."):
    found = _locate(path)
    if found is None:
        return _original["listdir"](path)
    finder, rel, _ = found
    if finder._kind(rel) != 2:
        raise _error(errno.ENOTDIR if finder._kind(rel) == 1 else errno.ENOENT, path)
    names = finder._listdir(rel)
    return [os.fsencode(n) for n in names] if isinstance(path, bytes) else names


class _DirEntry:
    """What `os.scandir` yields, for an entry of a bale's folder."""

    def __init__(self, folder, name, finder, rel, mtime):
        self.name = name
        self.path = os.path.join(folder, name)
        self._found = (finder, rel, mtime)

    def is_dir(self, *, follow_symlinks=True):
        return self._found[0]._kind(self._found[1]) == 2

    def is_file(self, *, follow_symlinks=True):
        return self._found[0]._kind(self._found[1]) == 1

    def is_symlink(self):
        return False

    def is_junction(self):
        return False

    def stat(self, *, follow_symlinks=True):
        return _stat_result(*self._found, self.path)

    def inode(self):
        return self.stat().st_ino

    def __fspath__(self):
        return self.path

    def __repr__(self):
        return f"<DirEntry {self.name!r}>"


class _ScandirIterator:
    def __init__(self, entries):
        self._entries = iter(entries)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._entries)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._entries = iter(())


def scandir(path="."):
    found = _locate(path)
    if found is None:
        return _original["scandir"](path)
    finder, rel, mtime = found
    folder = os.fspath(path)
    entries = [
        _DirEntry(folder, name, finder, f"{rel}/{name}" if rel else name, mtime) for name in listdir(folder)
    ]
    return _ScandirIterator(entries)


# The replacements are installed as staticmethod objects (callable since 3.10): a
# module that copies `os.stat` or `io.open` into a class attribute, as 3.10's pathlib
# does, would otherwise turn a plain function into a method that takes `self`.
_installed = {name: staticmethod(function) for name, function in
              (("open", open), ("open_code", open_code), ("stat", stat), ("lstat", lstat), ("listdir", listdir),
               ("scandir", scandir))}


def _accessors():
    """Classes of already imported modules that hold their own copies."""
    pathlib = sys.modules.get("pathlib")
    accessor = getattr(pathlib, "_NormalAccessor", None)  # Python 3.10
    return [accessor] if accessor is not None else []


def _replace(old, new, force):
    """Puts `new`'s functions where `old`'s are: on builtins, io and os (whatever is
    there, with `force`), on pathlib's 3.10 accessor, and as tokenize's own `open`
    (how linecache reads a file that `os.stat` says exists, so tracebacks need it)."""
    places = [(builtins, "open"), (io, "open"), (io, "open_code")]
    places += [(os, n) for n in ("stat", "lstat", "listdir", "scandir")]
    for place, name in places:
        if force or getattr(place, name) is old[name]:
            setattr(place, name, new[name])
    for accessor in _accessors():
        for name in ("open", "stat", "lstat", "listdir", "scandir"):
            if accessor.__dict__.get(name) is old[name]:
                setattr(accessor, name, new[name])
    tokenize = sys.modules.get("tokenize")
    if tokenize is not None and getattr(tokenize, "_builtin_open", None) is old["open"]:
        tokenize._builtin_open = new["open"]


def _patch():
    _replace(_original, _installed, force=True)


def _unpatch():
    _replace(_installed, _original, force=False)


def mount(finder, mtime):
    if not _mounts:
        _patch()
    _mounts.append((finder, mtime))


def unmount(finder):
    _mounts[:] = [(f, m) for f, m in _mounts if f is not finder]
    if not _mounts:
        _unpatch()
