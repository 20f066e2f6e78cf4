#!/usr/bin/env python3
"""What `loadgate check` does on a long run, in pandas: read the run, summarise per endpoint, and fit
each endpoint's median-latency trend, with pandas' fastest reader (engine="pyarrow", usecols): a peer of
bench/large_run.sh.

Usage: pandas_equivalent.py PREFIX
"""
import sys

import numpy as np
import pandas as pd

prefix = sys.argv[1]
stats = pd.read_csv(f"{prefix}_stats.csv", engine="pyarrow")
history = pd.read_csv(
    f"{prefix}_stats_history.csv",
    usecols=["Timestamp", "User Count", "Type", "Name", "50%", "95%", "99%", "Total Request Count",
             "Total Failure Count", "Total Average Response Time"],
    na_values=["N/A"],
    engine="pyarrow",
)
summary = stats[stats["Name"] != "Aggregated"][["Type", "Name", "Request Count", "Failure Count", "50%", "95%", "99%"]]
trends = []
for (method, name), group in history.groupby(["Type", "Name"], dropna=False):
    g = group.dropna(subset=["50%"])
    if len(g) < 10:
        continue
    minutes = (g["Timestamp"] - g["Timestamp"].iloc[0]) / 60.0
    slope, intercept = np.polyfit(minutes, g["50%"], 1)
    trends.append((method, name, slope, len(g)))
print(f"{len(summary)} endpoints, {len(history)} history rows, {len(trends)} trends;"
      f" steepest {max(trends, key=lambda t: t[2])[1]} {max(t[2] for t in trends):.4f} ms/min")
