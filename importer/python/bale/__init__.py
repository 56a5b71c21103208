"""bale: imports Python modules, resources, distribution metadata and extension modules
straight from a bale file, held in memory or memory-mapped.

    import bale
    finder = bale.install("app.bale")   # or any bytes-like object
    import rich                         # from the bale
    finder.uninstall()

Inside Pyodide, `await bale.load(url)` fetches a bale and installs it."""

from .bale import *  # noqa: F401,F403 (the extension module is the package's API)
from .bale import __version__  # noqa: F401
from ._pyodide import load  # noqa: F401
