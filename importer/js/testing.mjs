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

/**
 * What an update from the bale of parts file `from` to that of `to` (both parts files'
 * bytes, format-spec §15) needs at least: the header and head of `to`, and the parts
 * of `to`'s payloads that `from`'s bale lacks (by hash and stored size), each counted
 * once. The goal a returning visit is measured against.
 */
export async function updateNeeds(from, to) {
  const { inflateSync } = await import("node:zlib");
  const read = (parts) => {
    const view = new DataView(parts.buffer, parts.byteOffset, parts.byteLength);
    const count = view.getUint32(12, true);
    const indexEnd = Number(view.getBigUint64(32, true));
    const headEnd = 64 + view.getUint32(40, true);
    const head = inflateSync(parts.subarray(64, headEnd));
    const index = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const records = Number(index.getBigUint64(96, true));
    const payloads = [];
    for (let i = 0; i < count; i++) {
      const r = records + i * 40;
      const e = indexEnd + i * 16;
      payloads.push({
        key: `${index.getBigUint64(r + 24, true)}:${index.getBigUint64(r + 8, true)}`,
        part: Number(index.getBigUint64(e, true)),
        size: index.getUint32(e + 8, true),
      });
    }
    return { headEnd, payloads };
  };
  const old = new Set(read(from).payloads.map((p) => p.key));
  const next = read(to);
  const changed = new Map();
  for (const p of next.payloads) if (!old.has(p.key)) changed.set(p.part, p.size);
  return { head: next.headEnd, changed: [...changed.values()].reduce((a, b) => a + b, 0), parts: changed.size };
}
