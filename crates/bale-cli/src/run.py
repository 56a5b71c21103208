# Started by `bale run` as: python -I -S -c <this> IMPORTER BALE KIND TARGET [ARGS...]
#
# Loads the importer extension from its file (so its site-packages never joins the
# path), installs the bale, and runs the app as `python -m` or `python SCRIPT` would.
import sys

importer, bale_path, kind, target = sys.argv[1:5]
args = sys.argv[5:]

from importlib.machinery import ExtensionFileLoader
from importlib.util import module_from_spec, spec_from_file_location

spec = spec_from_file_location("bale", importer, loader=ExtensionFileLoader("bale", importer))
bale = module_from_spec(spec)
sys.modules["bale"] = bale
spec.loader.exec_module(bale)
finder = bale.install(bale_path)

if kind == "module":
    import runpy

    sys.argv = [target, *args]
    # What `python -m` calls: runs in the real __main__, sets argv[0] to the file.
    runpy._run_module_as_main(target, alter_argv=True)
else:
    import __main__

    virtual = finder.path + "/" + target
    try:
        source = finder.get_data(virtual)
    except FileNotFoundError:
        sys.stderr.write(f"bale run: {target}: no such file in {finder.path}\n")
        raise SystemExit(2)
    sys.argv = [virtual, *args]
    namespace = __main__.__dict__
    namespace.update(__file__=virtual, __cached__=None, __loader__=finder, __spec__=None)
    code = compile(source, virtual, "exec", dont_inherit=True)
    del importer, bale_path, kind, target, args, spec, source
    exec(code, namespace)
