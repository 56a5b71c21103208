"""Ray: every worker of a runtime env imports the app from one bale, which each node
fetches once.

    # where Ray runs (every `ray start`, or the driver whose `ray.init()` starts Ray):
    RAY_RUNTIME_ENV_PLUGINS='[{"class": "bale.ray.BalePlugin"}]'
    # in the driver:
    RAY_RUNTIME_ENV_HOOK=bale.ray.runtime_env_hook
    ray.init(runtime_env={"bale": "app.bale"})

The driver's hook (`runtime_env_hook`) reads and checks the bale, names it by its
header hash (`gcs://_bale_HASH.bale`) and, once the driver is connected, puts it in the
cluster's store (the GCS, where Ray keeps `working_dir` packages) unless a driver put
it there before. On each node, Ray's runtime env agent runs `BalePlugin.create` once
per bale: it fetches the bale into the node's store (`bale._node`: checked, written
atomically, one fetch however many ask together) and Ray's URI cache counts its users,
deleting it (`delete_uri`) when none is left and space is needed. Every worker of the
runtime env starts through `bale._ray_worker`, which checks the stored file, fetches it
again if it was damaged, and installs it memory-mapped before Ray's own worker code
runs; the workers of a node share its pages, and nothing is extracted but native code,
into the per-user native cache.

For one task or actor, after `ray.init()`: `runtime_env={"bale": bale.ray.upload("app.bale")}`.
A bale for another Python or platform than the node's is refused before any task runs.
"""

import os
import sys
import time

from . import _node
from .bale import BaleError, check, host_target

try:
    from ray._private.runtime_env.plugin import RuntimeEnvPlugin
except ImportError:  # the driver's hook and upload need Ray only when called
    RuntimeEnvPlugin = object

# Environment of a worker started by this plugin: the stored bale and rest bale it
# installs, and where and how to fetch them again if the stored copy is damaged.
WORKER_ENV = "BALE_RAY"
# How long a node waits for a bale the driver is still putting in the cluster's store
# (`BALE_RAY_UPLOAD_WAIT` seconds where Ray runs).
UPLOAD_WAIT = float(os.environ.get("BALE_RAY_UPLOAD_WAIT", "120"))


def runtime_env_hook(runtime_env):
    """The driver's `RAY_RUNTIME_ENV_HOOK`: a `"bale"` that names a file is described
    by its hash, and put in the cluster's store as soon as the driver is connected."""
    if not runtime_env or not _is_local(runtime_env.get("bale")):
        return runtime_env
    described, payloads = _describe(runtime_env["bale"])
    import ray._private.worker

    waiting = [payloads]

    def put_once():
        # Once: a later ray.init of this process has a hook of its own, and the bytes
        # need not stay in memory. (It stays in Ray's list, which Ray is iterating.)
        if waiting:
            _put(described, waiting.pop())

    ray._private.worker._post_init_hooks.append(put_once)
    return {**runtime_env, "bale": described}


def upload(bale, *, rest=None):
    """What to give as `runtime_env={"bale": ...}` for the bale at `bale`, which this
    call puts in the cluster's store (the driver must be connected: after
    `ray.init()`). `rest`: its rest bale, `True` for the one beside it."""
    import ray

    if not ray.is_initialized():
        raise BaleError(f"{os.fspath(bale)}: bale.ray.upload needs a connected driver: call ray.init() first")
    described, payloads = _describe({"path": os.fspath(bale), "rest": rest})
    _put(described, payloads)
    return described


class BalePlugin(RuntimeEnvPlugin):
    """The runtime env plugin, run by each node's runtime env agent."""

    name = "bale"

    @staticmethod
    def validate(runtime_env_dict):
        value = runtime_env_dict.get("bale")
        if _is_local(value):
            raise ValueError(
                f"runtime_env bale={value!r} names a file on the driver: set RAY_RUNTIME_ENV_HOOK=bale.ray.runtime_env_hook "
                "in the driver's environment, or pass bale.ray.upload(path)")
        if not isinstance(value, dict) or not _digest(value.get("uri", "")):
            raise ValueError(f"runtime_env bale={value!r} is not what bale.ray.upload gives")

    def get_uris(self, runtime_env):
        value = runtime_env.get("bale")
        return [part["uri"] for part in _parts(value)]

    async def create(self, uri, runtime_env, context, logger):
        import asyncio

        value = runtime_env["bale"]
        part = next(part for part in _parts(value) if part["uri"] == uri)
        if part is value and context.py_executable == sys.executable and value["target"] != host_target():
            raise BaleError(f"{value['name']} is a bale for {value['target']}; this node runs {host_target()}: "
                            "pack it with the workers' Python")
        fetch = _Fetch(_agent_argument("--gcs-address"), _agent_argument("--cluster-id-hex"))
        path = await asyncio.to_thread(_node.obtain, store(), _digest(uri), lambda: fetch(part), name=part["name"])
        logger.info("bale: %s is %s on this node", part["name"], path)
        return os.path.getsize(path)

    def modify_context(self, uris, runtime_env, context, logger):
        import json

        value = runtime_env["bale"]
        previous = context.override_worker_entrypoint
        context.env_vars[WORKER_ENV] = json.dumps({"bale": value, "store": store(), "next": previous})
        context.override_worker_entrypoint = os.path.join(os.path.dirname(__file__), "_ray_worker.py")

    def delete_uri(self, uri, logger):
        path = os.path.join(store(), f"{_digest(uri)}.bale")
        try:
            size = os.path.getsize(path)
            os.unlink(path)
        except FileNotFoundError:
            return 0
        logger.info("bale: %s deleted, no runtime env uses it", path)
        return size


def store():
    """This node's store: `BALE_RAY_STORE`, or `bale` in the node's runtime env folder
    (Ray's `runtime_resources`, one per node), as the agent was told it."""
    return os.environ.get("BALE_RAY_STORE") or os.path.join(
        _agent_argument("--runtime-env-dir") or os.path.join(_temporary(), "ray-runtime-resources"), "bale")


class _Fetch:
    """A bale's bytes from the cluster's store, waiting a while for a driver that is
    still putting them there."""

    def __init__(self, address, cluster_id):
        if not address:
            raise BaleError("bale.ray: no GCS address: this process was not started by Ray")
        self.address, self.cluster_id = address, cluster_id

    def __call__(self, part):
        from ray._raylet import GcsClient

        client = GcsClient(address=self.address, cluster_id=self.cluster_id)
        deadline = time.monotonic() + UPLOAD_WAIT
        while True:
            data = client.internal_kv_get(part["uri"].encode(), None)
            if data is not None:
                return data
            if time.monotonic() > deadline:
                raise BaleError(f"{part['name']} is not in the cluster's store ({part['uri']}) after "
                                f"{UPLOAD_WAIT:.0f} s: was the driver started with "
                                "RAY_RUNTIME_ENV_HOOK=bale.ray.runtime_env_hook, or the value given by bale.ray.upload?")
            time.sleep(0.2)


def _is_local(value):
    return isinstance(value, (str, os.PathLike)) or (isinstance(value, dict) and "path" in value)


def _describe(value):
    """A bale named by the driver (a path, or {"path": ..., "rest": ...}) as the
    runtime env carries it, and the bytes to put in the cluster's store by URI."""
    if not isinstance(value, dict):
        value = {"path": value}
    path = os.fspath(value["path"])
    described, data = _part(path)
    described["target"] = _node.target_of(data)
    payloads = {described["uri"]: data}
    rest = value.get("rest")
    if rest:
        rest_path = _node.rest_path(path) if rest is True else os.fspath(rest)
        described["rest"], rest_data = _part(rest_path)
        payloads[described["rest"]["uri"]] = rest_data
    return described, payloads


def _part(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BaleError(f"{path}: {e.strerror}") from None
    try:
        digest = check(data)
    except BaleError as e:
        raise BaleError(f"{path}: {e}") from None
    return {"uri": f"gcs://_bale_{digest}.bale", "name": os.path.basename(path)}, data


def _parts(value):
    """The bale and, if it has one, its rest bale, as the runtime env describes them."""
    if not isinstance(value, dict):
        return []
    return [value] + ([value["rest"]] if value.get("rest") else [])


def _put(described, payloads):
    """Puts each payload in the cluster's store unless it is there (same hash, same
    bytes: an earlier driver's upload is used as it is)."""
    from ray._private.runtime_env.packaging import upload_package_to_gcs
    from ray.experimental.internal_kv import _internal_kv_exists

    for uri, data in payloads.items():
        if not _internal_kv_exists(uri):
            upload_package_to_gcs(uri, data)


def _digest(uri):
    """The header hash a URI of `_describe` names, or None."""
    prefix, suffix = "gcs://_bale_", ".bale"
    if not (uri.startswith(prefix) and uri.endswith(suffix)):
        return None
    digest = uri[len(prefix) : -len(suffix)]
    return digest if len(digest) == 16 and all(c in "0123456789abcdef" for c in digest) else None


def _agent_argument(name):
    """An argument Ray started this process with (the runtime env agent and workers
    are given the GCS address, the cluster id and the runtime env folder)."""
    argv = sys.argv
    for i, argument in enumerate(argv):
        if argument == name and i + 1 < len(argv):
            return argv[i + 1]
        if argument.startswith(name + "="):
            return argument[len(name) + 1 :]
    return None


def _temporary():
    import tempfile

    return tempfile.gettempdir()

