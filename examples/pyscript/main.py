# PyScript's `src` for index.html and worker.html: rich-report (examples/rich-report),
# imported from the bale the page names, what it prints put on the page. Its arguments
# come from the page's query: ?args=--appendix+rust.
import contextlib
import io
from urllib.parse import parse_qs

from pyscript import document, window

import report  # from the bale

args = parse_qs(window.location.search.removeprefix("?")).get("args", [""])[0].split()
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    report.main(args)
document.getElementById("output").textContent = printed.getvalue()
