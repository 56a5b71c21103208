"""A Ray worker of a runtime env with a bale (`bale.ray`): installs the bale from the
node's store, then runs Ray's own worker (or the entry point another plugin set) with
the same arguments.

Ray runs this file as a script (`python .../bale/_ray_worker.py ARGS`), which puts its
folder, the `bale` package's, first on `sys.path`; that would make `bale/dask.py`
answer `import dask`, so the folder is taken off before anything else is imported.
"""

import os
import sys

if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]


def main():
    import json
    import runpy

    from bale import _node, install
    from bale.ray import WORKER_ENV, _agent_argument, _digest, _Fetch

    told = json.loads(os.environ.pop(WORKER_ENV))
    value, root = told["bale"], told["store"]
    fetch = _Fetch(_agent_argument("--gcs-address"), _agent_argument("--cluster-id"))

    def stored(part):
        # Checked again here: a copy damaged since the agent fetched it is fetched anew.
        return _node.obtain(root, _digest(part["uri"]), lambda: fetch(part), name=part["name"])

    bale = stored(value)
    rest = stored(value["rest"]) if value.get("rest") else False
    finder = install(bale, rest=rest)  # noqa: F841 (on sys.meta_path for the worker's life)

    if told["next"]:
        sys.argv[0] = told["next"]
        sys.path.insert(0, os.path.dirname(os.path.abspath(told["next"])))
        runpy.run_path(told["next"], run_name="__main__")
    else:
        from importlib.util import find_spec

        sys.argv[0] = find_spec("ray._private.workers.default_worker").origin
        sys.path.insert(0, os.path.dirname(sys.argv[0]))
        runpy.run_module("ray._private.workers.default_worker", run_name="__main__", alter_sys=True)


main()
