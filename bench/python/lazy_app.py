"""Writes the app of bench/lazy.sh in its two forms, OUT/eager.py and OUT/lazy.py: a
command-line tool whose top imports a dozen standard-library modules, as such tools
do, of which `--version` uses none and `report` uses all. The forms differ only in
those import statements: `import` or PEP 810's `lazy import`."""

import sys
from pathlib import Path

IMPORTS = [
    "argparse", "asyncio", "csv", "decimal", "email.message", "http.client", "json", "logging",
    "sqlite3", "statistics", "urllib.request", "xml.dom.minidom", "zipfile",
]

BODY = '''
import sys


def report():
    parser = argparse.ArgumentParser()
    message = email.message.EmailMessage()
    message["Subject"] = "report"
    db = sqlite3.connect(":memory:")
    db.execute("create table t (x)")
    db.executemany("insert into t values (?)", [(i,) for i in range(10)])
    total = db.execute("select sum(x) from t").fetchone()[0]
    doc = xml.dom.minidom.parseString("<r><v>1</v></r>")
    print(json.dumps({
        "sum": total,
        "mean": statistics.mean([1, 2, 3]),
        "decimal": str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),
        "subject": message["Subject"],
        "xml": doc.documentElement.tagName,
        "ok": http.client.OK,
        "quote": urllib.request.quote("a b"),
        "zip": zipfile.ZIP_DEFLATED,
        "csv": csv.QUOTE_ALL,
        "loop": asyncio.Queue.__name__,
        "parser": parser.prog is not None,
        "logging": logging.getLevelName(20),
    }, sort_keys=True))


if __name__ == "__main__":
    if sys.argv[1:] == ["--version"]:
        print("tool 1.0")
    else:
        report()
'''

out = Path(sys.argv[1])
for form, prefix in (("eager", "import"), ("lazy", "lazy import")):
    (out / f"{form}.py").write_text("".join(f"{prefix} {name}\n" for name in IMPORTS) + BODY, encoding="utf-8")
