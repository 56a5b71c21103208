// Medians of timed starts, for the Pyodide benchmarks (bench/pyodide.mjs,
// bench/browser.mjs).

// `{ mode: [{ phase: ms, ... }, ...] }` → `{ mode: { phase: median ms, ... } }`, each
// phase's median taken on its own (so the phases need not add up to the total's).
export function medians(times) {
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  return Object.fromEntries(
    Object.entries(times).map(([mode, list]) => [mode, Object.fromEntries(Object.keys(list[0]).map((k) => [k, median(list.map((t) => t[k]))]))]),
  );
}
