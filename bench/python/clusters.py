"""bench/clusters.sh's measurements: examples/numbers/fits.py on Ray, Dask and Spark,
from a bale and by each engine's own method, on one machine (run in a network
namespace whose only address is loopback).

For each engine and method, on a fresh cluster (nothing cached on its nodes):
- cold: seconds from the driver's start (connect, ship the environment) to the first
  task's result;
- warm: the same for a second driver on the same cluster (its nodes keep what they
  fetched);
- 100 tasks: seconds for 100 short tasks once warm (worker reuse);
- shipped: the bytes the method sends to each node (the bale; the engine's zip or
  archive of the same environment), and the disk each node then holds for it;
- PSS of 8 workers, each having imported numpy and pandas (summed from
  /proc/PID/smaps_rollup by the driver while they live).

    python clusters.py OUT RESULT.json ENGINE...
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile

OUT, RESULT, ENGINES = sys.argv[1], sys.argv[2], sys.argv[3:]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NUMBERS = os.path.join(ROOT, "examples", "numbers")
BALE = os.path.join(OUT, "numbers.bale")
PROGRAM = os.path.join(OUT, "pyapp")
PROGRAM_COMPRESSED = os.path.join(OUT, "pyapp-compressed")  # `bale exe --keep-compression`
PEX = os.path.join(OUT, "app.pex")  # the app and its requirements, for Spark's PEX way
DASK_CLEAN = os.path.join(OUT, "dask-clean")  # Dask alone: what Dask's PipInstall installs into
APP_SITE = next(os.path.join(OUT, "app", "lib", d, "site-packages") for d in os.listdir(os.path.join(OUT, "app", "lib")))
# What fits.py imports beyond the standard library, as the app's site-packages has it.
PACKAGES = [p for p in ("numpy", "numpy.libs", "pandas", "dateutil", "pytz", "tzdata", "six.py")
            if os.path.exists(os.path.join(APP_SITE, p))]
WHEELS = os.path.join(OUT, "wheels")
BIN = os.path.dirname(sys.executable)


def du(path):
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            full = os.path.join(folder, name)
            if not os.path.islink(full):
                total += os.stat(full).st_blocks * 512
    return total


def zipped(folder):
    """The size of a deflated zip of `folder`, as an engine's own upload makes it."""
    with tempfile.TemporaryFile() as out:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for parent, _, files in os.walk(folder):
                for f in files:
                    z.write(os.path.join(parent, f), os.path.relpath(os.path.join(parent, f), folder))
        return out.tell()


def site_copy(name):
    """A folder holding fits.py, its data and what it imports from the app's
    site-packages."""
    target = os.path.join(OUT, name)
    if not os.path.exists(target):
        os.makedirs(target + ".part")
        for p in PACKAGES:
            copy = shutil.copytree if os.path.isdir(os.path.join(APP_SITE, p)) else shutil.copy2
            copy(os.path.join(APP_SITE, p), os.path.join(target + ".part", p))
        shutil.copy2(os.path.join(NUMBERS, "fits.py"), target + ".part")
        shutil.copytree(os.path.join(NUMBERS, "data"), os.path.join(target + ".part", "data"))
        os.replace(target + ".part", target)
    return target


def driver(code, *args, env=None, python=sys.executable):
    """Runs a driver script; gives what it printed last, as JSON."""
    done = subprocess.run([python, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"driver failed:\n{done.stderr[-6000:]}")
    return json.loads(done.stdout.splitlines()[-1])


# The measured part of every driver: the first task, 100 tasks, then 8 tasks at once
# (on one node where the engine lets a task choose) whose workers the driver then
# reads the PSS of, while they live. `submit(f, *args)` and `gather(futures)` are the
# engine's.
MEASURE = """
def pss(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
    return total

def measure(submit, gather, started, fit, hold):
    first = gather([submit(fit, "Oslo")])[0]
    seen = {"first_task": time.perf_counter() - started, "result": first}
    t = time.perf_counter()
    gather([submit(fit, s) for s in (["Oslo", "Lisbon", "Cairo"] * 34)[:100]])
    seen["hundred_tasks"] = time.perf_counter() - t
    seen["pids"] = sorted(set(gather([submit(hold, 3) for _ in range(8)])))
    seen["pss"] = pss(seen["pids"])
    return seen
"""

RAY = """
import json, os, sys, time
started = time.perf_counter()
import ray
method, bale_path, numbers, wheels = sys.argv[1:5]
if method == "bale":
    env = {"bale": bale_path}
else:
    requirements = open(os.path.join(numbers, "requirements.txt")).read().split()
    env = {"pip": requirements, "working_dir": numbers}
ray.init(address="127.0.0.1:6390", runtime_env=env, logging_level="ERROR")
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
head = next(n["NodeID"] for n in ray.nodes() if n["Alive"] and "node:__internal_head__" in n["Resources"])

@ray.remote
def fit(station):
    import fits
    return fits.fit(station)

@ray.remote(scheduling_strategy=NodeAffinitySchedulingStrategy(head, soft=False))
def hold(n):
    import fits, pandas, os, time
    time.sleep(n)
    return os.getpid()
""" + MEASURE + """
seen = measure(lambda f, *a: f.remote(*a), ray.get, started, fit, hold)
print(json.dumps(seen))
"""


def ray_engine(method):
    root = tempfile.mkdtemp(prefix="bale-ray-", dir="/tmp")
    ray = os.path.join(BIN, "ray")
    # Ray's pip installs the app's requirements into a virtualenv per node: from the
    # wheels here, as a cluster with a wheelhouse does (the measurements run with no
    # network). (Its py_modules with local wheels fails in Ray 2.60: the downloaded
    # wheel loses its name, and pip refuses it.)
    plugins = {"RAY_RUNTIME_ENV_PLUGINS": '[{"class": "bale.ray.BalePlugin"}]', "HOME": root,
               "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELS}
    common = ["--node-ip-address=127.0.0.1", "--disable-usage-stats"]

    def start(name, cpus, *args):
        env = {**os.environ, **plugins, "BALE_RAY_STORE": os.path.join(root, "store-" + name)}
        subprocess.run([ray, "start", *args, f"--num-cpus={cpus}", *common], env=env, check=True,
                       stdout=subprocess.DEVNULL)

    try:
        # One node: nodes started on one machine share Ray's session folder, where two
        # agents would build the same pip environment at once and fail.
        start("a", 8, "--head", "--port=6390", "--include-dashboard=false", f"--temp-dir={root}/t")
        args = [method, BALE, NUMBERS, WHEELS]
        env = {"RAY_RUNTIME_ENV_HOOK": "bale.ray.runtime_env_hook", "HOME": root}
        seen = {"cold": driver(RAY, *args, env=env)}
        seen["warm"] = driver(RAY, *args, env=env)
        if method == "bale":
            seen["disk_per_node"] = du(os.path.join(root, "store-a"))
            seen["shipped_per_node"] = os.path.getsize(BALE)
        else:
            sessions = [os.path.join(root, "t", s) for s in os.listdir(os.path.join(root, "t")) if s.startswith("session_2")]
            seen["disk_per_node"] = du(os.path.join(sessions[0], "runtime_resources"))
            # What pip installs from: the wheels (from PyPI, or a wheelhouse), and working_dir.
            seen["shipped_per_node"] = sum(os.path.getsize(os.path.join(WHEELS, w)) for w in os.listdir(WHEELS))
            seen["shipped_per_node"] += zipped(NUMBERS)
        return seen
    finally:
        subprocess.run([ray, "stop", "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


DASK = """
import json, os, sys, time
started = time.perf_counter()
from distributed import Client
method, bale_path, numbers, site, scheduler_file = sys.argv[1:6]
client = Client(scheduler_file=scheduler_file)
if method == "bale":
    import bale
    from bale.dask import BalePlugin
    client.register_plugin(BalePlugin(bale_path))
    bale.install(bale_path)
elif method == "PipInstall":
    from distributed.diagnostics.plugin import PipInstall, UploadDirectory
    # The requirements installed by pip in every worker's environment (from the wheels
    # here, as a cluster with a wheelhouse does), then the app's folder.
    requirements = open(os.path.join(numbers, "requirements.txt")).read().split()
    wheels = os.environ["BENCH_WHEELS"]
    client.register_plugin(PipInstall(requirements, pip_options=["--no-index", "--find-links", wheels], restart_workers=True))
    client.register_plugin(UploadDirectory(numbers, restart=True, update_path=True))
else:
    from distributed.diagnostics.plugin import UploadDirectory
    # The app and what it imports, one folder: workers restart to have it on sys.path.
    client.register_plugin(UploadDirectory(site, restart=True, update_path=True))
node_a = [w for w, info in client.scheduler_info()["workers"].items() if "/node-a/" in info["local_directory"]]

# Defined here, so sent by value: the scheduler, which deserialises tasks, has no
# numpy (with UploadDirectory it has not the app either; the bale it has).
def fit(station):
    import fits
    return fits.fit(station)

def hold(n):
    import os, time, pandas
    time.sleep(n)
    return os.getpid()
""" + MEASURE + """
def submit(f, *a):
    return client.submit(f, *a, pure=False, workers=node_a if f is hold else None)
seen = measure(submit, client.gather, started, fit, hold)
print(json.dumps(seen))
"""


def dask_engine(method):
    root = tempfile.mkdtemp(prefix="bale-dask-")
    scheduler_file = os.path.join(root, "scheduler.json")
    started = []
    # PipInstall installs into the workers' own environment: a copy of a clean one
    # (Dask alone), so that nothing it installs outlives the run.
    python = sys.executable
    if method == "PipInstall":
        shutil.copytree(DASK_CLEAN, os.path.join(root, "env"), symlinks=True)
        python = os.path.join(root, "env", "bin", "python")

    def start(*args):
        started.append(subprocess.Popen([python, "-m", *args, "--scheduler-file", scheduler_file, "--host",
                                         "127.0.0.1", "--no-dashboard"], stderr=subprocess.DEVNULL))

    try:
        start("distributed.cli.dask_scheduler")
        while not os.path.exists(scheduler_file):
            time.sleep(0.1)
        for name, workers in (("a", 8), ("b", 2)):
            start("distributed.cli.dask_worker", "--nworkers", str(workers), "--nthreads", "1", "--local-directory",
                  os.path.join(root, f"node-{name}"))
        subprocess.run([python, "-c", "import sys; from distributed import Client; "
                        "Client(scheduler_file=sys.argv[1]).wait_for_workers(10, timeout=300)", scheduler_file],
                       check=True)
        site = site_copy("dask-site")
        args = [method, BALE, NUMBERS, site, scheduler_file]
        env = {"BENCH_WHEELS": WHEELS}
        seen = {"cold": driver(DASK, *args, env=env, python=python)}
        seen["warm"] = driver(DASK, *args, env=env, python=python)
        seen["disk_per_node"] = du(os.path.join(root, "node-b"))
        # UploadDirectory sends its zip to every worker's nanny: node b has 2.
        seen["shipped_per_node"] = os.path.getsize(BALE) if method == "bale" else 2 * zipped(site)
        if method == "PipInstall":
            # What pip installs from, and the app's folder to each nanny; on disk, what
            # pip installed into the environment (one per node on a real cluster).
            seen["shipped_per_node"] = sum(os.path.getsize(os.path.join(WHEELS, w)) for w in os.listdir(WHEELS))
            seen["shipped_per_node"] += 2 * zipped(NUMBERS)
            seen["disk_per_node"] += du(os.path.join(root, "env")) - du(DASK_CLEAN)
        return seen
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


SPARK = """
import json, os, sys, time
started = time.perf_counter()
from pyspark.sql import SparkSession
method, program, archive, numbers = sys.argv[1:5]
builder = SparkSession.builder.master("local-cluster[2,8,2048]").config("spark.ui.enabled", "false")
if method.startswith("bale"):
    os.environ["PYSPARK_PYTHON"] = "./" + os.path.basename(program)
    builder = builder.config("spark.files", program)
elif method == "pex":
    # Spark's guide: the PEX through spark.files, run as the workers' Python. Its
    # requirements unpack into PEX_ROOT on first use; pyspark's zips come on PYTHONPATH,
    # which a PEX ignores unless told (PEX_INHERIT_PATH). PEX_ROOT named, as a cluster
    # whose home folders are not writable needs it (pex#905).
    os.environ["PYSPARK_PYTHON"] = "./" + os.path.basename(program)
    builder = (builder.config("spark.files", program).config("spark.executorEnv.PEX_INHERIT_PATH", "prefer")
               .config("spark.executorEnv.PEX_ROOT", os.environ["BENCH_PEX_ROOT"]))
else:
    os.environ["PYSPARK_PYTHON"] = "./env/bin/python"
    builder = builder.config("spark.archives", archive + "#env")
spark = builder.getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext

def fit(station):
    return __import__("fits").fit(station)

def hold(n):
    import os, time, pandas, fits
    time.sleep(n)
    return os.getpid()
""" + MEASURE + """
seen = measure(lambda f, *a: (f, a), lambda calls: sc.parallelize(calls, len(calls)).map(lambda c: c[0](*c[1])).collect(),
               started, fit, hold)
seen["application"] = sc.applicationId
spark.stop()
print(json.dumps(seen))
"""


def spark_engine(method):
    root = tempfile.mkdtemp(prefix="bale-spark-")
    archive = os.path.join(OUT, "app-env.tar.gz")
    if method != "bale" and not os.path.exists(archive):
        # The app goes into its environment, as venv-pack users install theirs.
        shutil.copy2(os.path.join(NUMBERS, "fits.py"), APP_SITE)
        shutil.copytree(os.path.join(NUMBERS, "data"), os.path.join(APP_SITE, "data"), dirs_exist_ok=True)
        subprocess.run([os.path.join(BIN, "venv-pack"), "-p", os.path.join(OUT, "app"), "-o", archive], check=True,
                       stdout=subprocess.DEVNULL)
    env = {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_DIRS": os.path.join(root, "scratch"), "HOME": root,
           "BENCH_PEX_ROOT": os.path.join(root, ".pex")}
    # A local cluster's executors work in pyspark's own folder, one per application.
    import pyspark

    work = os.path.join(os.path.dirname(pyspark.__file__), "work")
    seen = {}
    program = {"bale compressed": PROGRAM_COMPRESSED, "pex": PEX}.get(method, PROGRAM)
    # The executors' PEX_ROOT: where a PEX unpacks, kept between drivers.
    pex_root = env["BENCH_PEX_ROOT"]
    try:
        seen["cold"] = driver(SPARK, method, program, archive, NUMBERS, env=env)
        seen["warm"] = driver(SPARK, method, program, archive, NUMBERS, env=env)
        seen["shipped_per_node"] = os.path.getsize(archive if method == "venv-pack archive" else program)
        seen["disk_per_node"] = du(os.path.join(work, seen["cold"]["application"], "0"))
        if method == "pex":
            # Both executors share one PEX_ROOT here, as the processes of one node do.
            seen["disk_per_node"] += du(pex_root)
        return seen
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for run in ("cold", "warm"):
            if run in seen:
                shutil.rmtree(os.path.join(work, seen[run]["application"]), ignore_errors=True)


ENGINE = {"ray": (ray_engine, ["bale", "pip"]), "dask": (dask_engine, ["bale", "UploadDirectory", "PipInstall"]),
          "spark": (spark_engine, ["bale", "bale compressed", "venv-pack archive", "pex"])}
# What each argument measures: an engine (every method) or ENGINE:METHOD.
wanted = [(e.split(":")[0], [e.split(":", 1)[1]] if ":" in e else ENGINE[e][1]) for e in ENGINES]
# What was measured before is kept: `bench/clusters.sh spark` measures Spark again alone.
results = {}
if os.path.exists(RESULT):
    with open(RESULT) as f:
        measuring = {f"{engine} {method}" for engine, methods in wanted for method in methods}
        results = {k: v for k, v in json.load(f).items() if k not in measuring}
for engine, methods in wanted:
    run = ENGINE[engine][0]
    for method in methods:
        print(f"{engine}: {method}", file=sys.stderr)
        results[f"{engine} {method}"] = run(method)
with open(RESULT, "w") as f:
    json.dump(results, f, indent=1)
mib = 1 << 20
print(f"{'':28} {'cold 1st':>9} {'warm 1st':>9} {'100 tasks':>9} {'shipped/node':>13} {'disk/node':>10} {'PSS 8 workers':>14}")
for name, seen in results.items():
    pss_text = f"{seen['cold']['pss'] / mib:.0f} MiB"
    disk = f"{seen['disk_per_node'] / mib:.1f} MiB" if seen.get("disk_per_node") is not None else "-"
    print(f"{name:28} {seen['cold']['first_task']:8.1f}s {seen['warm']['first_task']:8.1f}s "
          f"{seen['warm']['hundred_tasks']:8.2f}s {seen['shipped_per_node'] / mib:10.1f} MiB {disk:>10} {pss_text:>14}")
