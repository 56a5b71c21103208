"""bale.ray.BalePlugin on a real Ray cluster: two nodes started as `ray start` starts
them, each with its own store, in a network namespace of the test's own where loopback
is the only address (Ray would otherwise reach itself through the machine's address).
Each node fetches the bale once, however many of its workers start together; every
worker imports the app from its node's copy; a damaged copy is fetched again by the
next worker; a bale the cluster does not have fails the task, naming it; a bale for
another Python is refused before any task runs. Runs where `ray` is installed
(scripts/test-importer.sh installs it for CPython 3.11)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import in_loopback_namespace, other_python, pack, readme_block, write_tree

pytest.importorskip("ray")

APP = {"taskapp/__init__.py": "import os\n\ndef work(n):\n    return __file__, os.getpid(), n * n\n"}

# Starts the nodes (a: the head, b), then runs the driver with the hook, as README says.
NODES = r"""
import os, shutil, subprocess, sys, tempfile
root, driver = sys.argv[1], sys.argv[2:]
# Ray's sockets live in its temporary folder, whose path must stay short (AF_UNIX).
temporary = tempfile.mkdtemp(prefix="bale-ray-", dir="/tmp")
ray = os.path.join(os.path.dirname(sys.executable), "ray")
plugins = {**os.environ, "RAY_RUNTIME_ENV_PLUGINS": '[{"class": "bale.ray.BalePlugin"}]', "BALE_RAY_UPLOAD_WAIT": "3"}
common = ["--node-ip-address=127.0.0.1", "--num-cpus=2", "--disable-usage-stats"]
def start(name, *args):
    subprocess.run([ray, "start", *args, *common], env={**plugins, "BALE_RAY_STORE": os.path.join(root, name)},
                   check=True, stdout=subprocess.DEVNULL)
try:
    start("a", "--head", "--port=6390", "--include-dashboard=false", f"--temp-dir={temporary}")
    start("b", "--address=127.0.0.1:6390")
    env = {**os.environ, "RAY_RUNTIME_ENV_HOOK": "bale.ray.runtime_env_hook"}
    sys.exit(subprocess.run([sys.executable, *driver], env=env).returncode)
finally:
    subprocess.run([ray, "stop", "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(temporary, ignore_errors=True)
"""

# Two tasks per node at once (two workers start together), then a damaged copy on node
# a and a fresh worker there; then a bale the cluster lacks, and another Python's.
DRIVER = r"""
import glob, json, os, sys
import ray, bale.ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

root, app, other = sys.argv[1:4]
ray.init(address="127.0.0.1:6390", runtime_env={"bale": app}, logging_level="ERROR")

@ray.remote(max_calls=1)
def work(n):
    import taskapp
    return taskapp.work(n)

ids = {("a" if "node:__internal_head__" in n["Resources"] else "b"): n["NodeID"] for n in ray.nodes() if n["Alive"]}
def on(name, n, **options):
    return work.options(scheduling_strategy=NodeAffinitySchedulingStrategy(ids[name], soft=False), **options).remote(n)
def fetches(name):
    with open(os.path.join(root, name, "fetches.log")) as log:
        return len(log.read().splitlines())
def failure(ref):
    try:
        return ray.get(ref)
    except Exception as e:
        return f"{type(e).__name__}: {e}"

seen = {"results": ray.get([on(name, n) for name in "ab" for n in range(2)])}
seen["fetches"] = {name: fetches(name) for name in "ab"}

stored = glob.glob(os.path.join(root, "a", "*.bale"))[0]
with open(stored, "r+b") as f:
    f.truncate(os.path.getsize(stored) // 2)
seen["after"] = ray.get(on("a", 5))
seen["fetches_after"] = {name: fetches(name) for name in "ab"}

missing = dict(bale.ray.upload(app), uri="gcs://_bale_0123456789abcdef.bale")
seen["missing"] = failure(on("b", 1, runtime_env={"bale": missing}))
seen["other"] = failure(on("b", 1, runtime_env={"bale": bale.ray.upload(other)}))
print(json.dumps(seen))
"""


def in_ray_namespace(command, home, env=None, **kwargs):
    """Runs `command` in loopback only and a process namespace of its own: `ray stop`
    there stops only this test's Ray, and whatever it leaves ends with it. `home` is its
    HOME: Ray keeps an authentication token in ~/.ray, which a test must neither read
    nor leave behind."""
    home.mkdir(exist_ok=True)
    env = {**(env or os.environ), "HOME": str(home)}
    return in_loopback_namespace(command, own_processes=True, env=env, **kwargs)


def test_every_worker_imports_from_one_bale_per_node(tmp_path):
    tree = write_tree(tmp_path / "src", APP)
    app = pack([tree], tmp_path / "taskapp.bale")
    other = pack([tree], tmp_path / "other.bale", python=other_python())
    nodes = tmp_path / "nodes"
    done = in_ray_namespace(
        [sys.executable, "-c", NODES, str(nodes), "-c", DRIVER, str(nodes), str(app), str(other)], tmp_path / "home")
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    # Every task imported the app from its node's one stored copy, in workers of its own.
    files = {name: [r[0] for r in seen["results"][i * 2 : i * 2 + 2]] for i, name in enumerate("ab")}
    for name, found in files.items():
        assert all(f.startswith(str(nodes / name)) and f.endswith(".bale/taskapp/__init__.py") for f in found), found
    assert len({r[1] for r in seen["results"]}) == 4, "four worker processes"
    assert [r[2] for r in seen["results"]] == [0, 1, 0, 1]
    # One fetch per node, though two workers of each started together.
    assert seen["fetches"] == {"a": 1, "b": 1}
    # Node a's truncated copy: the next worker there fetched it again and imported from it.
    assert seen["after"][0].startswith(str(nodes / "a")) and seen["after"][2] == 25
    assert seen["fetches_after"] == {"a": 2, "b": 1}
    # What the cluster does not have fails the task, naming the bale and why.
    assert "taskapp.bale is not in the cluster's store (gcs://_bale_0123456789abcdef.bale)" in seen["missing"]
    # Another Python's bale: refused by the node before the task runs, naming both.
    version = "%d.%d" % sys.version_info[:2]
    assert f"is a bale for cpython-{other_python().rsplit('python', 1)[1]}-" in seen["other"], seen["other"]
    assert f"this node runs cpython-{version}-" in seen["other"]


def test_readmes_blocks_run_as_written(tmp_path):
    # README's driver, work.py, whose ray.init() starts Ray, run by README's command
    # (with this venv's python first on PATH), app.bale beside it.
    pack([write_tree(tmp_path / "src", {"app/__init__.py": "def work(n):\n    return n * n\n"})],
         tmp_path / "app.bale")
    (tmp_path / "work.py").write_text(readme_block("ray"))
    path = f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"
    done = in_ray_namespace(["sh", "-c", readme_block("ray-run")], tmp_path / "home", cwd=tmp_path,
                                 env={**os.environ, "PATH": path})
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.splitlines()[-1] == "[0, 1, 4, 9]"
