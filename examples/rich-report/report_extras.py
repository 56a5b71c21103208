"""A plugin of report.py: a section it finds by its entry point (group
`rich_report.sections`, in `report_extras-1.0.dist-info/entry_points.txt`), never by
an import statement."""

from rich.text import Text


def section():
    return Text("This section comes from the report_extras plugin, found by its entry point.")
