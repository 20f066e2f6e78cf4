#!/usr/bin/env python3
"""What `loadgate check` does on a long run, in polars, the strongest peer a user would pick: a lazy
scan of only the needed columns, a group-by per endpoint with the same summaries as
bench/pandas_equivalent.py (rows, last totals, mean P50/P95/P99, the median-latency trend as a
least-squares slope in ms per minute), collected on all cores. A peer of bench/large_run.sh.

Usage: polars_equivalent.py PREFIX
"""
import sys

import polars as pl

prefix = sys.argv[1]
stats = pl.read_csv(f"{prefix}_stats.csv", null_values=["N/A"])
summary = stats.filter(pl.col("Name") != "Aggregated").select(
    ["Type", "Name", "Request Count", "Failure Count", "50%", "95%", "99%"])
history = (
    pl.scan_csv(f"{prefix}_stats_history.csv", null_values=["N/A"])
    .select(["Timestamp", "User Count", "Type", "Name", "50%", "95%", "99%", "Total Request Count",
             "Total Failure Count", "Total Average Response Time"])
)
minutes = (pl.col("Timestamp") - pl.col("Timestamp").first()) / 60.0
p50 = pl.col("50%").cast(pl.Float64)
trends = (
    history.filter(pl.col("50%").is_not_null())
    .group_by(["Type", "Name"])
    .agg(
        pl.len().alias("rows"),
        pl.col("Total Request Count").last().alias("requests"),
        pl.col("Total Failure Count").last().alias("failures"),
        pl.col("User Count").max().alias("users"),
        p50.mean().alias("p50"),
        pl.col("95%").cast(pl.Float64).mean().alias("p95"),
        pl.col("99%").cast(pl.Float64).mean().alias("p99"),
        (pl.cov(minutes, p50) / minutes.var()).alias("slope"),
    )
    .filter(pl.col("rows") >= 10)
    .collect()
)
steepest = trends.sort("slope", descending=True).row(0, named=True)
print(f"{summary.height} endpoints, {trends['rows'].sum()} history rows, {trends.height} trends;"
      f" steepest {steepest['Name']} {steepest['slope']:.4f} ms/min")
