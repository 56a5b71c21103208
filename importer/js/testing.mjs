// For the loader's tests only (not in the npm package).

/** Python that runs rich-report's script at `script` (a path inside a bale) with
 * `--appendix rust`, as `python SCRIPT` would, and evaluates to None or the error. */
export function runReport(script) {
  return `
import sys, traceback
sys.argv = [${JSON.stringify(script)}, "--appendix", "rust"]
try:
    exec(compile(open(sys.argv[0]).read(), sys.argv[0], "exec"), {"__name__": "__main__", "__file__": sys.argv[0]})
    error = None
except SystemExit as e:
    error = None if not e.code else f"exit {e.code}"
except BaseException as e:
    error = "".join(traceback.format_exception_only(e))
error`;
}
