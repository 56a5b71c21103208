"""Types of the `bale` package: import modules, resources, metadata and extension
modules straight from a `.bale` file."""

import os
from collections.abc import Callable, Iterator
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
from typing import Any, Literal, Protocol, TypedDict

__version__: str

class _Buffer(Protocol):
    def __buffer__(self, flags: int, /) -> memoryview: ...

_Source = str | os.PathLike[str] | bytes | bytearray | memoryview | _Buffer
_Native = Literal["cache", "memory"]

class BaleError(ImportError):
    """A bale cannot be read: damaged, truncated, of an unknown format version, or
    built for another Python. The message names the bale and the entry."""

_Rest = bool | str | os.PathLike[str] | bytes | bytearray | memoryview | _Buffer | BaseException | None

class MissWarning(UserWarning):
    """A module or file the bale lacked was fetched from its rest bale (shown with
    `BALE_WARN_MISSES=1`)."""

class _Miss(TypedDict):
    module: str | None
    path: str
    bale: str

class BaleFinder:
    """The meta-path finder and loader of one bale."""

    def __init__(
        self,
        source: _Source,
        *,
        path: str | None = None,
        prepared: bool = False,
        native: _Native | None = None,
        rest: _Rest = None,
        rest_fetch: Callable[[int, int], _Source] | None = None,
        rest_name: str | None = None,
        rest_via: str | None = None,
    ) -> None: ...
    @property
    def rest(self) -> RestFinder | None:
        """The rest bale's finder (last on `sys.meta_path` once installed), or None."""
    def misses(self) -> list[_Miss]:
        """What the bale lacked and its rest bale served, each once."""
    @property
    def path(self) -> str:
        """The virtual path the bale is mounted at (`__file__` of its modules start with it)."""
    @property
    def target(self) -> str:
        """What the bale was built for, such as `cpython-3.11-x86_64-linux-gnu`, or `any`."""
    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> ModuleSpec | None: ...
    def invalidate_caches(self) -> None: ...
    def create_module(self, spec: ModuleSpec) -> ModuleType | None: ...
    def exec_module(self, module: ModuleType) -> None: ...
    def get_code(self, fullname: str) -> CodeType | None: ...
    def get_source(self, fullname: str) -> str | None: ...
    def is_package(self, fullname: str) -> bool: ...
    def get_filename(self, fullname: str) -> str: ...
    def get_data(self, path: str) -> bytes: ...
    def get_resource_reader(self, fullname: str) -> Any: ...
    def find_distributions(self, context: Any = None) -> Iterator[Any]: ...
    def install(self, *, files: bool = True) -> None:
        """Puts this finder first on `sys.meta_path`, as `bale.install` does."""
    def uninstall(self) -> None:
        """Undoes `install`; modules already imported stay imported."""

class BalePathFinder:
    """The path-entry finder of one folder of an installed bale."""

    @property
    def path(self) -> str: ...
    def find_spec(self, fullname: str, target: ModuleType | None = None) -> ModuleSpec | None: ...
    def iter_modules(self, prefix: str = "") -> list[tuple[str, bool]]: ...
    def invalidate_caches(self) -> None: ...

class RestFinder:
    """The meta-path finder of a bale's rest bale: last on `sys.meta_path`."""

    @property
    def path(self) -> str:
        """The rest bale's path or URL."""
    @property
    def via(self) -> str:
        """How its payloads are read: `file`, `memory`, or the Pyodide loader's way."""
    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> ModuleSpec | None: ...
    def invalidate_caches(self) -> None: ...
    def misses(self) -> list[_Miss]: ...

def misses() -> list[_Miss]:
    """What the installed bales lacked and their rest bales served, each once, in the
    order first needed. `BALE_MISSES=FILE` writes them to FILE at exit."""

def install(
    source: _Source,
    *,
    path: str | None = None,
    files: bool = True,
    prepared: bool = False,
    native: _Native | None = None,
    rest: _Rest = None,
    rest_fetch: Callable[[int, int], _Source] | None = None,
    rest_name: str | None = None,
    rest_via: str | None = None,
) -> BaleFinder:
    """Installs a bale: its finder first on `sys.meta_path`, its virtual path first on
    `sys.path`. `source` is a path (memory-mapped) or a bytes-like object. With `files`,
    `open`, `os.stat`, `os.listdir` and `os.scandir` read the bale's files under its path.
    `native`: where extension modules load from, `"cache"` (a per-user cache whose pages
    processes share; the default) or `"memory"` (a private copy per process, nothing on
    disk); `BALE_NATIVE` sets the default. `rest`: the rest bale, looked in last for
    what the bale lacks: by default the one the bale names, beside it; `False` for none;
    a path or bytes."""

def unframe(data: _Source) -> bytes:
    """The bale inside a framed bale (one zstd frame)."""

def check(data: _Buffer) -> str:
    """Checks a whole bale (header, then every byte after it) and gives its header hash
    as 16 hex digits, the name of its content; raises BaleError if it is damaged or
    truncated."""

def host_target() -> str:
    """This interpreter as a bale target, such as `cpython-3.11-x86_64-linux-gnu`."""

def path_hook(path: str) -> BalePathFinder: ...
