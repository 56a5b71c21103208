"""Read-only file access to installed bales, for code that opens its data by path.

Libraries often find their data next to their modules, with
`open(os.path.join(os.path.dirname(__file__), "data", name))`, not through
`importlib.resources`. A module imported from a bale has a `__file__` under the bale's
virtual path, so `open`, `io.open`, `io.open_code` (how `runpy` reads a script),
`os.stat`, `os.lstat`, `os.listdir` and `os.scandir` (and so `os.path.exists`,
`isfile`, `isdir`, `getsize`, `os.walk`, `glob`) answer for paths under a mounted bale,
reading from it. The replacements (`files.rs`) decide which paths those are and send
every other path to the original function; the functions here serve the bale's paths,
each given `found`: the finder, the path inside the bale, and the bale's mtime. Files
are read-only; C code that opens files itself (`fopen` in an extension module) does
not see them.
"""

import errno
import io
import os
import stat as _stat
import sys


def _error(code, path):
    return OSError(code, os.strerror(code), os.fspath(path) if not isinstance(path, int) else path)


def _ask(primitive, rel, path):
    """A finder primitive's answer; a damaged bale (BaleError) as the OSError a file
    function raises, so callers such as linecache, which handle OSError, go on."""
    try:
        return primitive(rel)
    except ImportError as e:
        raise OSError(errno.EIO, str(e), os.fspath(path) if not isinstance(path, int) else path) from e


class _BaleFile(io.BytesIO):
    """The bytes of a file in a bale, readable like an open binary file."""

    def __init__(self, data, name):
        super().__init__(data)
        self.name = name
        self.mode = "rb"


def open(found, file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None):
    finder, rel, _ = found
    # What the real open reports, so audit hooks (a tracer) see the bale's files too.
    sys.audit("open", os.fspath(file), mode, os.O_RDONLY)
    if set(mode) - set("rbt"):
        raise _error(errno.EROFS, file)
    entry = _ask(finder._entry, rel, file)
    if entry is None:
        raise _error(errno.ENOENT, file)
    if entry[0]:
        raise _error(errno.EISDIR, file)
    raw = _BaleFile(_ask(finder._read, rel, file), os.fspath(file))
    if "b" in mode:
        return raw
    text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline=newline)
    text.mode = mode
    return text


def open_code(found, path):
    return open(found, path, "rb")


def _stat_result(finder, rel, mtime, path):
    entry = _ask(finder._entry, rel, path)
    if entry is None:
        raise _error(errno.ENOENT, path)
    is_dir, size = entry
    mode = _stat.S_IFDIR | 0o555 if is_dir else _stat.S_IFREG | 0o444
    inode = hash((id(finder), rel)) & 0x7FFFFFFF
    return os.stat_result((mode, inode, 0, 1, 0, 0, size, mtime, mtime, mtime))


def stat(found, path, *, dir_fd=None, follow_symlinks=True):
    return _stat_result(*found, path)


def lstat(found, path, *, dir_fd=None):
    return _stat_result(*found, path)


def listdir(found, path="."):
    finder, rel, _ = found
    entry = _ask(finder._entry, rel, path)
    if entry is None or not entry[0]:
        raise _error(errno.ENOENT if entry is None else errno.ENOTDIR, path)
    names = _ask(finder._listdir, rel, path)
    return [os.fsencode(n) for n in names] if isinstance(path, bytes) else names


class _DirEntry:
    """What `os.scandir` yields, for an entry of a bale's folder."""

    def __init__(self, folder, name, finder, rel, mtime):
        self.name = name
        self.path = os.path.join(folder, name)
        self._found = (finder, rel, mtime)

    def is_dir(self, *, follow_symlinks=True):
        entry = _ask(self._found[0]._entry, self._found[1], self.path)
        return entry is not None and entry[0]

    def is_file(self, *, follow_symlinks=True):
        entry = _ask(self._found[0]._entry, self._found[1], self.path)
        return entry is not None and not entry[0]

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


def scandir(found, path="."):
    finder, rel, mtime = found
    folder = os.fspath(path)
    entries = [
        _DirEntry(folder, name, finder, f"{rel}/{name}" if rel else name, mtime) for name in listdir(found, folder)
    ]
    return _ScandirIterator(entries)
