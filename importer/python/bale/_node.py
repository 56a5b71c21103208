"""A node's one copy of a bale, shared by all its workers: the store the cluster
plugins (`bale.dask`, `bale.ray`) keep bales in.

A bale is stored under its header hash (`bale.check` gives it), which names its whole
content: `ROOT/HASH.bale`. Workers of one node start together and all ask for it; the
first takes an exclusive lock (`ROOT/HASH.lock`), fetches it, checks it, writes it
under a temporary name and renames it into place; the others wait on the lock and
then find it there. So a node fetches each bale once, and no worker ever sees half a
file. Every use checks the copy first (its header, then one pass of XXH3 over the
rest: milliseconds for tens of megabytes); a damaged or truncated copy is removed and
fetched again. Each fetch is a line in `ROOT/fetches.log`, so that "once per node"
can be seen, not assumed. Workers then install the file itself (memory-mapped), so
they share its pages.
"""

import fcntl
import mmap
import os
import tempfile
import time

from .bale import BaleError, check

TARGET = slice(32, 80)  # the header's `target` field (format-spec §4)


def target_of(data):
    """The target a bale's header names, such as `cpython-3.11-x86_64-linux-gnu`."""
    return bytes(data[TARGET]).rstrip(b"\0").decode("ascii", "replace")


def rest_path(source):
    """`NAME.rest.bale` beside `NAME.bale`, as `bale pack --rest` writes it."""
    stem = source[: -len(".bale")] if source.endswith(".bale") else source
    return f"{stem}.rest.bale"


def obtain(root, digest, fetch, *, name="bale"):
    """The path of the intact bale `digest` in the node store `root`; `fetch()` gives
    its bytes when the node does not have them yet. `name` is what errors call it."""
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, f"{digest}.bale")
    if _intact(path, digest):
        return path
    with open(os.path.join(root, f"{digest}.lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
        if _intact(path, digest):  # another worker of this node fetched it meanwhile
            return path
        data = fetch()
        try:
            found = check(data)
        except BaleError as e:
            raise BaleError(f"{name}: what was fetched is {e}") from None
        if found != digest:
            raise BaleError(f"{name}: what was fetched is bale {found}, not {digest}")
        fd, temporary = tempfile.mkstemp(dir=root, prefix=f".{digest}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        with open(os.path.join(root, "fetches.log"), "a", encoding="utf-8") as log:
            log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {digest} {len(data)} bytes pid {os.getpid()} {name}\n")
    return path


def _intact(path, digest):
    """Whether `path` holds the intact bale `digest`; a damaged copy is removed."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                raise BaleError("an empty file")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if check(data) == digest:
                    return True
    except FileNotFoundError:
        return False
    except BaleError:
        pass
    # Damaged, truncated, or another bale under this name: never used, fetched anew.
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    return False
