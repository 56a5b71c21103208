"""PySpark executors that need no Python installed: `bale exe --interpreter` makes a
program that is a Python interpreter with the app's bale in it, shipped with
`spark.files` and named by `spark.pyspark.python`. On a local cluster of two executor
processes (`local-cluster[2,1,1024]`), each executor fetches the program into its
working folder and runs its Python workers with it, which import the app from the
bale; and README's blocks run as written. Spark talks over loopback only
(`SPARK_LOCAL_IP`), in a network namespace of the test's own. Runs where `pyspark` is
installed (scripts/test-importer.sh installs it for CPython 3.11) with the runner
for this Python in `BALE_RUNNERS`."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import BALE, in_loopback_namespace, readme_block, write_tree

pyspark = pytest.importorskip("pyspark")

APP = {
    "taskapp/__init__.py": "import os, sys\n\ndef work(n):\n    return __file__, sys.executable, os.getcwd(), n * n\n",
    "main.py": "import taskapp\nprint(taskapp.work(3)[3])\n",
}

# Two executors, each with one core; eight tasks in four partitions, so both run some.
# A driver started as `python` (not spark-submit) names the workers' Python by
# PYSPARK_PYTHON: spark.pyspark.python is read by spark-submit only.
DRIVER = r"""
import json, os, sys
from pyspark.sql import SparkSession

program = sys.argv[1]
os.environ["PYSPARK_PYTHON"] = "./" + os.path.basename(program)
spark = (SparkSession.builder.master("local-cluster[2,1,1024]")
         .config("spark.files", program)
         .config("spark.ui.enabled", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
results = spark.sparkContext.parallelize(range(8), 4).map(lambda n: __import__("taskapp").work(n)).collect()
application = spark.sparkContext.applicationId
spark.stop()
print(json.dumps({"results": results, "application": application}))
"""


def spark_env(tmp_path):
    """Loopback only, Java found, and Spark's scratch space under the test's folder."""
    if not shutil.which("java"):
        pytest.fail("the Spark tests need Java (17 or later)")
    scratch = tmp_path / "spark-scratch"
    scratch.mkdir(exist_ok=True)
    return {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_DIRS": str(scratch), "HOME": str(tmp_path)}


def interpreter_program(tmp_path, name="pyapp"):
    """The app packed with the whole standard library, made an interpreter program."""
    app = write_tree(tmp_path / "app", APP)
    bale = tmp_path / "app.bale"
    subprocess.run([BALE, "pack", "--quiet", "--app", str(app / "main.py"), "--stdlib", "all", "--python",
                    sys.executable, "-o", str(bale)], check=True, capture_output=True)
    if not os.environ.get("BALE_RUNNERS"):
        pytest.fail("BALE_RUNNERS names no folder of runners (scripts/test.sh builds them)")
    program = tmp_path / name
    done = subprocess.run([BALE, "exe", str(bale), "--interpreter", "-o", str(program)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return program


def test_executors_run_their_python_workers_with_the_program(tmp_path):
    program = interpreter_program(tmp_path)
    done = in_loopback_namespace([sys.executable, "-c", DRIVER, str(program)], cwd=tmp_path, env=spark_env(tmp_path))
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    # A local cluster's executors work in pyspark's own folder, whatever SPARK_WORKER_DIR
    # says: removed, so that runs do not pile up copies of the program there.
    shutil.rmtree(os.path.join(os.path.dirname(pyspark.__file__), "work", seen["application"]), ignore_errors=True)
    results = seen["results"]
    assert [r[3] for r in results] == [n * n for n in range(8)]
    # Each worker was the program, fetched into its executor's working folder (not the
    # driver's), and imported the app from the bale inside it.
    folders = {r[2] for r in results}
    assert len(folders) == 2, f"two executors: {folders}"
    for file, executable, folder, _ in results:
        assert executable == os.path.join(folder, "pyapp"), (executable, folder)
        assert file == os.path.join(folder, "pyapp", "taskapp", "__init__.py"), file
        assert folder != str(tmp_path)


def test_readmes_blocks_run_as_written(tmp_path):
    # README's program (block spark-exe), then its driver (work.py) run by its command,
    # in the app's folder: spark-submit of this venv first on PATH.
    app = write_tree(tmp_path, {"app/__init__.py": "def work(n):\n    return n * n\n",
                                "main.py": "import app\nprint(app.work(2))\n"})
    subprocess.run([BALE, "pack", "--quiet", "--app", str(app / "main.py"), "--stdlib", "all", "--python",
                    sys.executable, "-o", str(tmp_path / "app.bale")], check=True, capture_output=True)
    env = {**spark_env(tmp_path), "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    if BALE:
        env["PATH"] = f"{os.path.dirname(BALE)}:{env['PATH']}"
    made = subprocess.run(["sh", "-c", readme_block("spark-exe")], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    (tmp_path / "work.py").write_text(readme_block("spark"))
    done = in_loopback_namespace(["sh", "-c", readme_block("spark-run")], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.splitlines()[-1] == "[0, 1, 4, 9]"
