"""Plots bench/throttled.sh's result: time to first output per link and form, the
phases stacked (Pyodide ready; the app's files in place after that; the app's first
output after that), the ratio to the wheels above each bar, and a tick where the last
byte arrived.

  python plot_throttled.py RESULT.json OUT.png
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

result = json.load(open(sys.argv[1]))
apps = result["apps"]
fig, axes = plt.subplots(len(apps), 1, figsize=(13, 5.5 * len(apps)))
if len(apps) == 1:
    axes = [axes]
colors = {"Pyodide ready": "#9aa5b1", "files in place": "#4c78a8", "to first output": "#f58518"}
for ax, app in zip(axes, apps):
    links = list(app["links"])
    forms = list(app["links"][links[0]])
    width = 0.8 / len(forms)
    for j, form in enumerate(forms):
        xs, stacks, ticks, ratios = [], [], [], []
        for i, link in enumerate(links):
            m = app["links"][link][form]
            ready = m["pyodideReady"]
            prepared = max(m["prepared"], ready)
            first = max(m["firstOutput"], prepared)
            xs.append(i + (j - (len(forms) - 1) / 2) * width)
            stacks.append((ready, prepared - ready, first - prepared))
            ticks.append(m["lastByte"])
            ratios.append(first / app["links"][link]["wheels"]["firstOutput"])
        bottom = [0] * len(xs)
        for k, (label, color) in enumerate(colors.items()):
            heights = [s[k] / 1000 for s in stacks]
            ax.bar(xs, heights, width * 0.92, bottom=bottom, color=color, label=label if j == 0 else None,
                   edgecolor="white", linewidth=0.5)
            bottom = [b + h for b, h in zip(bottom, heights)]
        ax.scatter(xs, [t / 1000 for t in ticks], marker="_", s=120, color="black",
                   label="last byte" if j == 0 else None, zorder=3)
        for x, top, ratio in zip(xs, bottom, ratios):
            ax.text(x, top, f"{form}\n{ratio:.2f}×", ha="center", va="bottom", fontsize=6.5, rotation=90)
    ax.set_xticks(range(len(links)))
    ax.set_xticklabels(links)
    ax.set_ylabel("seconds from navigation")
    ax.set_title(f"{app['name']}: time to first output in headless Chromium (median of {result['runs']}); "
                 "ratio to the wheels above each bar")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
    ax.legend(loc="upper right", fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
