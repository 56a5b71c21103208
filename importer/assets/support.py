"""The parts of the bale importer that must be Python classes.

`importlib.resources` wants a `Traversable` and a `TraversableResources` reader, and
`importlib.metadata` wants `Distribution` objects: subclasses of the standard library's
own abstract classes. They sit on primitives of the Rust finder (`_entry`, `_listdir`,
`_read`, `_dist_info`), which do the work.

Each part imports its half of the standard library only when first asked for, and
it is asked for only by that half (`importlib.resources` calls `get_resource_reader`,
`importlib.metadata` calls `find_distributions`): so a bale that carries only the
standard-library modules its app used has all the importer needs.
"""

import io
import posixpath
import sys

class BaleTraversable:
    """A file or folder inside a bale, found by its path from the bale's root. A
    `Traversable` (registered as one when `importlib.resources` first asks), not a
    subclass: `importlib.metadata` hands these out too, without importlib.resources."""

    def __init__(self, finder, rel):
        self._finder = finder
        self._rel = rel

    @property
    def name(self):
        return posixpath.basename(self._rel or self._finder.path)

    @property
    def parent(self):
        return BaleTraversable(self._finder, posixpath.dirname(self._rel))

    def is_dir(self):
        entry = self._finder._entry(self._rel)
        return entry is not None and entry[0]

    def is_file(self):
        entry = self._finder._entry(self._rel)
        return entry is not None and not entry[0]

    def exists(self):
        return self._finder._entry(self._rel) is not None

    def iterdir(self):
        for name in self._finder._listdir(self._rel):
            yield BaleTraversable(self._finder, posixpath.join(self._rel, name) if self._rel else name)

    def joinpath(self, *descendants):
        parts = self._rel.split("/") if self._rel else []
        for descendant in descendants:
            for part in str(descendant).split("/"):
                if part == "..":
                    if parts:
                        parts.pop()
                elif part not in ("", "."):
                    parts.append(part)
        return BaleTraversable(self._finder, "/".join(parts))

    def __truediv__(self, child):
        return self.joinpath(child)

    def read_bytes(self):
        if self.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(self))
        return self._finder._read(self._rel)

    def read_text(self, encoding=None, errors=None):
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

    def open(self, mode="r", *args, **kwargs):
        if set(mode) - set("rbt"):
            raise ValueError(f"{self}: a bale is read-only; cannot open with mode {mode!r}")
        stream = io.BytesIO(self.read_bytes())
        if "b" in mode:
            return stream
        return io.TextIOWrapper(stream, *args, **kwargs)

    def __str__(self):
        return posixpath.join(self._finder.path, self._rel) if self._rel else self._finder.path

    def __repr__(self):
        return f"BaleTraversable({str(self)!r})"

    def __eq__(self, other):
        return isinstance(other, BaleTraversable) and (self._finder, self._rel) == (other._finder, other._rel)

    def __hash__(self):
        return hash((id(self._finder), self._rel))


_reader = None


def resource_reader(finder, rel):
    """What a bale package's loader gives `importlib.resources`: its folder."""
    global _reader
    if _reader is None:
        if sys.version_info >= (3, 11):
            from importlib.resources.abc import Traversable, TraversableResources
        else:
            from importlib.abc import Traversable, TraversableResources

        Traversable.register(BaleTraversable)

        class ResourceReader(TraversableResources):
            def __init__(self, finder, rel):
                self._finder = finder
                self._rel = rel

            def files(self):
                return BaleTraversable(self._finder, self._rel)

        _reader = ResourceReader
    return _reader(finder, rel)


def _normalize(name):
    """A distribution name as `importlib.metadata` compares them (PEP 503, with `_`)."""
    import re  # imported already by importlib.metadata, the only caller

    return re.sub(r"[-_.]+", "_", name).lower()


_distribution = None


def _distribution_class():
    from importlib.metadata import Distribution

    class BaleDistribution(Distribution):
        """A distribution whose `.dist-info` folder is in a bale."""

        def __init__(self, finder, folder):
            self._finder = finder
            self._folder = folder

        def read_text(self, filename):
            rel = posixpath.join(self._folder, filename)
            entry = self._finder._entry(rel)
            if entry is None or entry[0]:
                return None
            return self._finder._read(rel).decode("utf-8")

        read_text.__doc__ = Distribution.read_text.__doc__

        def locate_file(self, path):
            return BaleTraversable(self._finder, "").joinpath(str(path))

        @property
        def _normalized_name(self):
            return _normalize(_project(self._folder))

        def __repr__(self):
            return f"<BaleDistribution {self._folder} in {self._finder.path}>"

    return BaleDistribution


def _project(folder):
    """`rich-13.7.1.dist-info` -> `rich`; `foo.egg-info` -> `foo`."""
    stem = folder.rpartition(".")[0]
    return stem.partition("-")[0]


def find_distributions(finder, context=None):
    """The bale's distributions that match `context` (a `DistributionFinder.Context`)."""
    global _distribution
    from importlib.metadata import DistributionFinder

    if _distribution is None:
        _distribution = _distribution_class()
    if context is None:
        context = DistributionFinder.Context()
    if finder.path not in context.path:
        return iter(())
    wanted = context.name and _normalize(context.name)
    return iter(
        [
            _distribution(finder, folder)
            for folder in finder._dist_info()
            if wanted is None or _normalize(_project(folder)) == wanted
        ]
    )


def write_misses(path, misses):
    """Writes `misses` (dicts of module, path, bale) to `path` as JSON, with those it
    already holds from earlier runs, each once: `bale pack --include-from` reads it."""
    import json

    known = []
    try:
        with open(path, encoding="utf-8") as f:
            known = json.load(f).get("misses", [])
    except (OSError, ValueError, AttributeError):
        pass
    seen, merged = set(), []
    for miss in [*known, *misses]:
        key = (miss.get("module"), miss.get("path"))
        if key not in seen:
            seen.add(key)
            merged.append({"module": miss.get("module"), "path": miss.get("path"), "bale": miss.get("bale")})
    bales = sorted({m["bale"] for m in merged if m.get("bale")})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"bale": bales[0] if len(bales) == 1 else bales, "misses": merged}, f, indent=1)
        f.write("\n")
