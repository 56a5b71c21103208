"""analyse.py's fit per station, as tasks for a cluster: `fit(station)` is one task,
reading the measurements beside this file (inside the bale, when it comes from one).

    python fits.py        # every station's fit, one after the other
"""

import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def frame():
    return pd.read_csv(os.path.join(HERE, "data", "measurements.csv"), parse_dates=["day"])


def stations():
    return sorted(frame().station.unique())


def fit(station):
    """The station's trend in °C per 30 days and its start, by least squares."""
    rows = frame()
    rows = rows[rows.station == station]
    days = (rows.day - rows.day.min()).dt.days.to_numpy(dtype=float)
    design = np.column_stack([days, np.ones_like(days)])
    (slope, intercept), *_ = np.linalg.lstsq(design, rows.celsius.to_numpy(), rcond=None)
    return station, round(float(slope) * 30, 3), round(float(intercept), 2)


if __name__ == "__main__":
    for station in stations():
        print(*fit(station))
