"""One child of fuzz_install.py: runs the cases named on its command line, each a
mutated bale in CASES_DIR, and writes `start I` before and `done I OUTCOME` after each
to PROGRESS, so the parent sees which case a crash or a hang happened in.

  python -S child.py CASES_DIR PROGRESS I [I ...]
"""

import importlib
import importlib.metadata
import sys
import traceback

import bale

MOUNT = "/fuzz/case.bale"
# Worst first: a case's outcome is the worst thing that happened in it.
RANK = ["other", "bale-error", "import-error", "content-error", "module-error", "not-found", "ok"]


def outcome_of(error):
    """What an exception says about the importer: caught damage, a consistent but
    different bale, or a failure of the importer (`other:TYPE`)."""
    if isinstance(error, bale.BaleError) or isinstance(error.__cause__, bale.BaleError):
        # File access says a damaged bale as OSError(EIO), caused by the BaleError.
        return "bale-error"
    if isinstance(error, ImportError):
        return "import-error"
    if isinstance(error, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
        return "not-found"
    # Without looking source lines up: linecache would read files of the bale, the
    # damaged one included.
    frames = traceback.StackSummary.extract(traceback.walk_tb(error.__traceback__), lookup_lines=False)
    if any(f.filename.startswith(MOUNT) for f in frames):
        return "module-error"  # raised by a module's own code (another bale's, reshuffled)
    if isinstance(error, UnicodeDecodeError) or (
        isinstance(error, (ValueError, SyntaxError)) and not any(f.filename.startswith("<bale>") for f in frames)
    ):
        # Content refused as it would be from a disk: a METADATA file that is another
        # file's bytes in a reshuffled bale is not UTF-8 (importlib.metadata reads it
        # as such from a folder too), or does not parse.
        return "content-error"
    return f"other:{type(error).__name__}"


def worst(a, b):
    rank = lambda o: RANK.index(o.split(":")[0])  # noqa: E731
    return a if rank(a) <= rank(b) else b


def modules(finder, package=""):
    for name, is_package in finder._iter_modules(package):
        full = f"{package}.{name}" if package else name
        yield full
        if is_package:
            yield from modules(finder, full)


def files(finder, folder=""):
    for name in finder._listdir(folder):
        rel = f"{folder}/{name}" if folder else name
        entry = finder._entry(rel)
        if entry is not None and entry[0]:
            yield from files(finder, rel)
        else:
            yield rel


def attempt(result, action):
    try:
        action()
        return result
    except Exception as e:  # noqa: BLE001 - every exception is classified
        return worst(result, outcome_of(e))


def run_case(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        finder = bale.install(data, path=MOUNT)
    except Exception as e:  # noqa: BLE001
        return outcome_of(e)
    result = "ok"
    try:
        names = []
        result = attempt(result, lambda: names.extend(modules(finder)))
        for name in names:
            result = attempt(result, lambda: importlib.import_module(name))
        rels = []
        result = attempt(result, lambda: rels.extend(files(finder)))
        for rel in rels:
            result = attempt(result, lambda: finder._read(rel))
            result = attempt(result, lambda: open(f"{MOUNT}/{rel}", "rb").read())

        def metadata():
            for d in importlib.metadata.distributions(path=[MOUNT]):
                d.metadata["Name"], d.version, d.requires, list(d.entry_points), d.files

        result = attempt(result, metadata)
    finally:
        try:
            finder.uninstall()
        except Exception as e:  # noqa: BLE001
            result = worst(result, outcome_of(e))
        for name in [n for n, m in sys.modules.items() if getattr(m, "__file__", None) and str(m.__file__).startswith(MOUNT)]:
            del sys.modules[name]
        for name in [n for n, m in sys.modules.items() if getattr(getattr(m, "__spec__", None), "loader", None) is finder]:
            del sys.modules[name]
    return result


def main():
    cases, progress_path = sys.argv[1], sys.argv[2]
    with open(progress_path, "a", buffering=1) as progress:
        for index in sys.argv[3:]:
            progress.write(f"start {index}\n")
            progress.flush()
            outcome = run_case(f"{cases}/{index}.bale")
            progress.write(f"done {index} {outcome}\n")
            progress.flush()


main()
