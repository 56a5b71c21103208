"""Numbers with numpy and pandas: reads the measurements next to this script, fits a
line per station with least squares (numpy's bundled OpenBLAS), and prints a summary.

    python analyse.py [--station NAME]
"""

import argparse
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--station")
    args = parser.parse_args(argv)
    frame = pd.read_csv(os.path.join(HERE, "data", "measurements.csv"), parse_dates=["day"])
    if args.station:
        frame = frame[frame.station == args.station]
    summary = frame.groupby("station")["celsius"].agg(["count", "mean", "min", "max"]).round(2)
    print(summary.to_string())
    for station, rows in frame.groupby("station"):
        days = (rows.day - rows.day.min()).dt.days.to_numpy(dtype=float)
        design = np.column_stack([days, np.ones_like(days)])
        (slope, intercept), *_ = np.linalg.lstsq(design, rows.celsius.to_numpy(), rcond=None)
        print(f"{station}: {slope * 30:+.3f} °C per 30 days from {intercept:.2f} °C")
    monthly = frame.set_index("day").groupby("station")["celsius"].resample("MS").mean().unstack(0).round(1)
    print(monthly.to_string())


if __name__ == "__main__":
    main()
