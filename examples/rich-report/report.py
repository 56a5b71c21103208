"""A terminal report with rich: a table, Markdown, highlighted code and a tree.

    python report.py [--width N] [--section NAME ...] [--appendix LANGUAGE]

Output is plain text at a fixed width (no colour codes when not on a terminal), so
two runs print the same bytes.

`--appendix LANGUAGE` takes paths that a run without it never touches, and that no
import statement names: pygments imports the lexer module for LANGUAGE by a name it
computes, the snippet is a file chosen by LANGUAGE, and the plugins are found by
their entry points (group `rich_report.sections`, such as `report_extras.py`). A bale
packed from runs without it holds none of them; its rest bale serves them.
"""

import argparse
import inspect
import os
import sys

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.tree import Tree

RELEASES = [
    ("3.10", "2021-10-04", "structural pattern matching"),
    ("3.11", "2022-10-24", "faster CPython, exception groups"),
    ("3.12", "2023-10-02", "type parameter syntax, f-string grammar"),
    ("3.13", "2024-10-07", "free-threaded build, new REPL"),
]

NOTES = """
# Release notes

Python releases come **every October**. Each gets:

1. five years of fixes,
2. a `whatsnew` page,
3. and *many* new features.

> Read the changelog before upgrading.
"""


def table():
    t = Table(title="CPython releases")
    t.add_column("version", justify="right")
    t.add_column("date")
    t.add_column("headline")
    for row in RELEASES:
        t.add_row(*row)
    return t


def code():
    return Syntax(inspect.getsource(table), "python", line_numbers=True, theme="monokai")


def tree():
    root = Tree("rich")
    for name in ("console", "table", "markdown", "syntax", "tree"):
        root.add(f"rich.{name}").add(sys.modules[f"rich.{name}"].__name__)
    return root


SECTIONS = {"table": table, "notes": lambda: Markdown(NOTES), "code": code, "tree": tree}
LANGUAGES = {"rust": "rs", "go": "go"}


def appendix(language):
    from importlib.metadata import entry_points

    from rich.console import Group

    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "snippets")
    with open(os.path.join(folder, "hello." + LANGUAGES[language]), encoding="utf-8") as f:
        parts = [Syntax(f.read().rstrip("\n"), language, line_numbers=True, theme="monokai")]
    for plugin in sorted(entry_points(group="rich_report.sections"), key=lambda e: e.name):
        parts.append(plugin.load()())
    return Group(*parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=88)
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS))
    parser.add_argument("--appendix", choices=sorted(LANGUAGES))
    args = parser.parse_args(argv)
    console = Console(width=args.width, force_terminal=False, color_system=None, file=sys.stdout)
    for name in args.section or list(SECTIONS):
        console.print(Panel(SECTIONS[name](), title=name))
    if args.appendix:
        console.print(Panel(appendix(args.appendix), title=f"appendix: {args.appendix}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
