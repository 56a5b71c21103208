"""`await bale.load(url)`: a bale fetched and installed from Python inside Pyodide, with
no JavaScript to write: in a notebook cell (JupyterLite), a PyScript script, or after
`micropip.install` of bale's Pyodide wheel. It hands the work to the loader the wheel
carries (`_web/loader.mjs`, the npm package's `loadBale`): the download, the checks, a
framed bale decoded, the extension modules compiled, the rest bale's index fetched and
its misses served by synchronous requests, all as a page that calls `loadBale` gets."""

import sys

_loader = None


async def load(source, *, rest=None, path=None, files=True, integrity=None, cache=None):
    """Fetches the bale at `source` (a URL, relative to the page; or its bytes),
    checks it, installs it first on `sys.meta_path` and returns its finder.

    `rest`: the rest bale (`bale pack --app ... --rest`): `True` for the one beside
    the bale, or its URL; fetched by HTTP Range requests when the app first lacks
    something. `path`: the virtual path the bale is mounted at (default
    `/bale/NAME.bale`). `files`: serve `open` and `os.listdir` under that path.
    `integrity`: the bale's expected hash (`sha256-...`, as `bale pack` prints it):
    any other bale is refused. `cache`: where the bale is kept for the next visit
    (the Cache API's cache of that name; `False` for nowhere; default `"bale"` where
    the page has the Cache API), so that a later visit fetches only what changed."""
    if sys.platform != "emscripten":
        raise RuntimeError("bale.load fetches a bale inside Pyodide; here, install one with bale.install(path)")
    import js
    import pyodide_js
    from pyodide.ffi import to_js

    options = {"importer": "installed", "files": files}
    if path is not None:
        options["path"] = path
    if rest is not None and rest is not False:
        options["rest"] = rest if rest is True else str(rest)
    if integrity is not None:
        options["integrity"] = str(integrity)
    if cache is not None:
        options["cache"] = cache if isinstance(cache, bool) else str(cache)
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = to_js(bytes(source))
    loader = await _loaded()
    return await loader.loadBale(pyodide_js, source, to_js(options, dict_converter=js.Object.fromEntries))


async def _loaded():
    """The loader module the wheel carries, imported once (from a `data:` URL: its file
    is in Pyodide's file system, not on the page's server)."""
    global _loader
    if _loader is None:
        import base64
        import importlib.resources

        from pyodide.code import run_js

        text = importlib.resources.files(__package__).joinpath("_web/loader.mjs").read_bytes()
        url = "data:text/javascript;base64," + base64.b64encode(text).decode("ascii")
        _loader = await run_js(f"import({url!r})")
    return _loader
