"""Conformance: real PyPI packages packed from this environment's site-packages, used
from the bale with site-packages hidden, and the tests numpy and pandas ship run from
the bale with the same results as from site-packages."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import pytest
from conftest import pack

SITE = sysconfig.get_paths()["purelib"]

# Test modules shipped in the wheels, run from site-packages and from the bale.
SHIPPED_TESTS = [
    "numpy.linalg.tests.test_linalg",
    "numpy.lib.tests.test_function_base",
    "numpy.random.tests.test_generator_mt19937",
    "pandas.tests.frame.methods.test_sort_values",
    "pandas.tests.groupby.test_reductions",
    "pandas.tests.io.json.test_pandas",
]


@pytest.fixture(scope="module")
def site_bale(tmp_path_factory):
    """Everything installed here but the tools (and the importer itself)."""
    out = tmp_path_factory.mktemp("site") / "site.bale"
    return pack(
        [SITE],
        out,
        "--exclude", "bale", "--exclude", "bale-*.dist-info",
        "--exclude", "pip", "--exclude", "pip-*.dist-info",
        "--exclude", "setuptools", "--exclude", "setuptools-*.dist-info", "--exclude", "_distutils_hack",
        "--exclude", "distutils-precedence.pth",
    )


def test_real_work_with_each_package(python, site_bale, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = python.out(
        f"""
        import io, json, ssl, sys
        import bale
        bale.install({str(site_bale)!r})

        import rich, pygments, jinja2, markupsafe, certifi, click, numpy, pandas
        from rich.console import Console
        from rich.syntax import Syntax
        from rich.table import Table
        console = Console(file=io.StringIO(), width=80, color_system="truecolor", force_terminal=True)
        table = Table("package", "version")
        for name in ("rich", "numpy", "pandas"):
            table.add_row(name, __import__("importlib.metadata").metadata.version(name))
        console.print(table)
        console.print(Syntax("def f(x):\\n    return x + 1\\n", "python", theme="monokai"))
        rendered = console.file.getvalue()

        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        html = highlight("SELECT 1;", get_lexer_by_name("sql"), HtmlFormatter())

        env = jinja2.Environment(loader=jinja2.DictLoader({{"t": "<p>{{{{ x }}}}</p>"}}), autoescape=True)
        page = env.get_template("t").render(x="<script>")

        context = ssl.create_default_context(cafile=certifi.where())

        @click.command()
        @click.option("--n", type=int)
        def cli(n):
            click.echo(n * 2)
        from click.testing import CliRunner
        clicked = CliRunner().invoke(cli, ["--n", "21"]).output

        a = numpy.random.default_rng(1).normal(size=(50, 50))
        inverse_ok = bool(numpy.allclose(a @ numpy.linalg.inv(a), numpy.eye(50)))
        spectrum = float(numpy.abs(numpy.fft.rfft(numpy.sin(numpy.arange(64)))).max())

        frame = pandas.read_csv(io.StringIO("g,v\\na,1\\nb,2\\na,3\\n"))
        grouped = frame.groupby("g")["v"].sum().to_dict()
        as_json = json.loads(frame.to_json(orient="records"))

        loaded = {{name: mod.__file__ for name, mod in sys.modules.items()
                  if name.split(".")[0] in ("rich", "pygments", "jinja2", "markupsafe", "certifi", "click", "numpy", "pandas")
                  and getattr(mod, "__file__", None)}}
        print(json.dumps({{
            "table": "pandas" in rendered and "\\x1b[" in rendered,
            "html": '<span class="k">SELECT</span>' in html,
            "page": page,
            "speedups": markupsafe._escape_inner.__module__,
            "certs": context.cert_store_stats()["x509_ca"] > 100,
            "certifi_where_is_real_file": __import__("os").path.isfile(certifi.where()),
            "click": clicked,
            "numpy": [inverse_ok, round(spectrum, 3)],
            "pandas": [grouped, as_json],
            "all_from_bale": all(f.startswith({str(site_bale)!r}) for f in loaded.values()),
            "modules": len(loaded),
            "site_on_path": [p for p in sys.path if "site-packages" in p],
        }}))
        """,
        env={"TMPDIR": str(scratch)},
    )
    got = __import__("json").loads(out)
    assert got["table"] and got["html"]
    assert got["page"] == "<p>&lt;script&gt;</p>"
    assert got["speedups"] == "markupsafe._speedups"
    assert got["certs"] and got["certifi_where_is_real_file"]
    assert got["click"] == "42\n"
    assert got["numpy"][0] is True and got["numpy"][1] > 0
    assert got["pandas"] == [{"a": 4, "b": 2}, [{"g": "a", "v": 1}, {"g": "b", "v": 2}, {"g": "a", "v": 3}]]
    assert got["all_from_bale"], "every module of these packages comes from the bale"
    assert got["modules"] > 300
    assert got["site_on_path"] == []


OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed", "errors", "error", "warnings", "deselected")


def outcome_counts(output):
    """{'passed': N, ...} from pytest's last summary line."""
    last = [line for line in output.splitlines() if re.search(r"\b(passed|failed|error)\b", line)][-1]
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", last) if kind in OUTCOMES}
    counts.pop("warnings", None)
    if "error" in counts:
        counts["errors"] = counts.pop("error")
    return counts


def run_shipped_tests(modules, stubs, env, bale_path=None):
    """Runs pytest on `modules` through the by-name plugin; returns outcome counts."""
    code = textwrap.dedent(
        f"""
        import sys
        if {str(bale_path) if bale_path else None!r}:
            import bale
            bale.install({str(bale_path)!r})
        import pytest
        sys.exit(pytest.main(["-q", "-p", "pytest_modules", "-p", "no:cacheprovider", "--assert=plain",
                              "-W", "ignore", "-o", "addopts=", {str(stubs)!r}]))
        """
    )
    command = [sys.executable, *(["-S"] if bale_path else []), "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, cwd=stubs.parent, env=env, timeout=1800)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return outcome_counts(done.stdout), done.stdout


@pytest.mark.skipif(
    os.environ.get("BALE_SHIPPED_TESTS", "3.11") not in ("all", "%d.%d" % sys.version_info[:2]),
    reason="the shipped test suites run under one Python version unless BALE_SHIPPED_TESTS=all",
)
def test_the_tests_numpy_and_pandas_ship_pass_the_same_from_the_bale(site_bale, importer_path, tmp_path):
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for module in SHIPPED_TESTS:
        (stubs / f"test_{module.replace('.', '_')}.py").write_text(module + "\n")
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    shutil.copy(os.path.join(os.path.dirname(__file__), "pytest_modules.py"), plugin_dir)
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    base.update(PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1", HYPOTHESIS_NO_PLUGINS="1")

    from_site, site_output = run_shipped_tests(SHIPPED_TESTS, stubs, {**base, "PYTHONPATH": str(plugin_dir)})
    from_bale, bale_output = run_shipped_tests(
        SHIPPED_TESTS, stubs, {**base, "PYTHONPATH": f"{importer_path}:{plugin_dir}"}, bale_path=site_bale
    )
    print("site-packages:", from_site)
    print("bale:         ", from_bale)
    assert from_site.get("passed", 0) > 1000, site_output[-2000:]
    assert from_bale == from_site, bale_output[-4000:]
