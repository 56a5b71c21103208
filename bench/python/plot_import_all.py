"""Draws bench/import-all.png from target/import-all.json (written by the `import_all`
benchmark): the median time to import the module list, per finder and CPython.

    python plot_import_all.py target/import-all.json bench/import-all.png

Needs matplotlib (bench/import-bench.sh installs it in the tools' environment).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = json.load(open(sys.argv[1]))
versions = sorted({r["python"] for r in rows})
finders = list(dict.fromkeys(r["finder"] for r in rows))
width = 0.8 / len(versions)
fig, ax = plt.subplots(figsize=(9, 4.5), dpi=120)
for i, version in enumerate(versions):
    values = [next((r["median_ms"] for r in rows if r["python"] == version and r["finder"] == f), 0) for f in finders]
    bars = ax.bar([x + i * width for x in range(len(finders))], values, width, label=f"CPython {version}")
    ax.bar_label(bars, fmt="%.0f", fontsize=8)
ax.set_xticks([x + width * (len(versions) - 1) / 2 for x in range(len(finders))], finders, fontsize=9)
ax.set_ylabel("median ms, import all (lower is better)")
modules = "the module list of bench/python/stdlib.py"
ax.set_title(f"Importing {modules}, fresh interpreter per iteration", fontsize=10)
ax.legend()
ax.spines[["top", "right"]].set_visible(False)
fig.tight_layout()
fig.savefig(sys.argv[2])
