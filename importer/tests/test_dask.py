"""bale.dask.BalePlugin on a real Dask cluster of worker processes, on loopback:
"nodes" are workers that share a local directory, as the workers of one machine do.
Each node fetches the bale once, however many of its workers start together; every
worker, the scheduler and a worker that joins later import the app from it; a damaged
copy in a node's store is fetched again; a bale for another Python is refused before
any task runs. Runs where `distributed` is installed (scripts/test-importer.sh
installs it for CPython 3.11)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import other_python, pack, readme_block, write_tree

pytest.importorskip("distributed")

APP = {
    "taskapp/__init__.py": (
        "class Square:\n"
        "    def __init__(self, n):\n"
        "        self.n, self.value = n, n * n\n"
        "\n"
        "def work(n):\n"
        "    return Square(n)\n"
    ),
}

# The driver: a scheduler, and two nodes of two worker processes each (a and b); the
# plugin registered, tasks run; then a third node (c) joins, node a's stored copy is
# damaged and a new worker of a starts; last, a bale for another Python. Prints what
# it saw as JSON.
DRIVER = r"""
import glob, json, os, subprocess, sys, time
from distributed import Client
import bale
from bale.dask import BalePlugin

root, app, other = sys.argv[1:4]
where = "__import__('taskapp').__file__"
scheduler_file = os.path.join(root, "scheduler.json")
started = []

def start(*args):
    # Each part of the cluster in a process of its own, started as a user starts it.
    process = subprocess.Popen([sys.executable, "-m", *args, "--scheduler-file", scheduler_file, "--host", "127.0.0.1",
                                "--no-dashboard"], stderr=subprocess.DEVNULL)
    started.append(process)

def node(name, workers):
    start("distributed.cli.dask_worker", "--nworkers", str(workers), "--nthreads", "1",
          "--local-directory", os.path.join(root, name))

def fetches(name):
    logs = glob.glob(os.path.join(root, name, "**", "fetches.log"), recursive=True)
    return sum(len(open(log).read().splitlines()) for log in logs)

seen = {}
os.makedirs(root)
start("distributed.cli.dask_scheduler")
while not os.path.exists(scheduler_file):
    time.sleep(0.1)
node("a", 2)
node("b", 2)
client = Client(scheduler_file=scheduler_file)
client.wait_for_workers(4, timeout=120)
client.register_plugin(BalePlugin(app))
seen["files"] = sorted(client.run(eval, where).values())
seen["scheduler"] = client.run_on_scheduler(eval, where)
bale.install(app)  # the driver too: it sends taskapp.work by reference
import taskapp
squares = client.gather(client.map(taskapp.work, range(6)))
seen["squares"] = [(type(s).__module__, s.value) for s in squares]
seen["fetches"] = {"a": fetches("a"), "b": fetches("b")}

# A node joins later; then node a's stored copy is damaged (a new file in its place,
# as a bad disk or an interrupted copy leaves it: the running workers keep theirs) and
# another worker of a starts.
node("c", 1)
client.wait_for_workers(5, timeout=120)
stored = glob.glob(os.path.join(root, "a", "**", "*.bale"), recursive=True)[0]
with open(stored, "rb") as f:
    half = f.read()[: os.path.getsize(stored) // 2]
with open(stored + ".tmp", "wb") as f:
    f.write(half)
os.replace(stored + ".tmp", stored)
node("a", 1)
client.wait_for_workers(6, timeout=120)
seen["later"] = sorted(client.run(eval, where).values())
seen["fetches_after"] = {"a": fetches("a"), "b": fetches("b"), "c": fetches("c")}
seen["squares_after"] = sorted(s.value for s in client.gather(client.map(taskapp.work, range(12))))
try:
    client.register_plugin(BalePlugin(other))
    seen["other"] = "registered"
except Exception as e:
    seen["other"] = f"{type(e).__name__}: {e}"
client.close()
for process in reversed(started):
    process.terminate()
    process.wait()
print(json.dumps(seen))
"""

def test_every_worker_imports_from_one_bale_per_node(tmp_path):
    tree = write_tree(tmp_path / "src", APP)
    app = pack([tree], tmp_path / "taskapp.bale")
    other = pack([tree], tmp_path / "other.bale", python=other_python())
    done = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path / "nodes"), str(app), str(other)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    nodes = tmp_path / "nodes"
    # Every worker imported the app from its node's one stored copy.
    assert len(seen["files"]) == 4
    for name, files in (("a", seen["files"][:2]), ("b", seen["files"][2:])):
        assert all(f.startswith(str(nodes / name)) and f.endswith(".bale/taskapp/__init__.py") for f in files), files
    assert len({f.rsplit("/", 3)[0] for f in seen["files"]}) == 2, "one stored bale per node"
    assert seen["scheduler"] == "/bale/taskapp.bale/taskapp/__init__.py"
    assert seen["squares"] == [["taskapp", n * n] for n in range(6)]
    # One fetch per node, though its two workers started together.
    assert seen["fetches"] == {"a": 1, "b": 1}
    # The worker that joined later got it; node a's truncated copy was fetched again.
    assert len(seen["later"]) == 6 and any(f.startswith(str(nodes / "c")) for f in seen["later"])
    assert seen["fetches_after"] == {"a": 2, "b": 1, "c": 1}
    assert seen["squares_after"] == [n * n for n in range(12)]
    # Another Python's bale: refused by the workers, naming both targets.
    assert seen["other"].startswith("BaleError: "), seen["other"]
    assert "could not be installed in 6 worker(s)" in seen["other"]
    assert f"is a bale for cpython-{Path(other_python()).name.removeprefix('python')}-" in seen["other"]
    assert "this worker runs cpython-%d.%d" % sys.version_info[:2] in seen["other"]
    assert "BaleError(" not in seen["other"], "the worker's message, not its exception's repr"


def test_readmes_block_runs_as_written(tmp_path):
    # A cluster as README says it is started, and app.bale beside it; then the block.
    app = pack([write_tree(tmp_path / "src", {"app/__init__.py": "def work(n):\n    return n * n\n"})],
               tmp_path / "app.bale")
    assert app.parent == tmp_path
    started = []
    try:
        for command in (["dask_scheduler"], ["dask_worker", "--nworkers", "2", "--local-directory", "node"]):
            started.append(subprocess.Popen(
                [sys.executable, "-m", f"distributed.cli.{command[0]}", *command[1:], "--scheduler-file",
                 "scheduler.json", "--host", "127.0.0.1", "--no-dashboard"], cwd=tmp_path, stderr=subprocess.DEVNULL))
            while not (tmp_path / "scheduler.json").exists():
                time.sleep(0.1)
        done = subprocess.run([sys.executable, "-c", readme_block("dask")], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait()
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout == "[0, 1, 4, 9]\n"
    assert len((tmp_path / "node/dask-scratch-space/bale/fetches.log").read_text().splitlines()) == 1
