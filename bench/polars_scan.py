#!/usr/bin/env python3
"""The least a polars user would run on a long history: a plain lazy scan with a group-by per
endpoint (rows and the last total), collected on all cores. No summaries, no trends: what reading the
file costs in polars, with its projection pushdown parsing only the three columns used. A peer of
bench/large_run.sh (bench/polars_equivalent.py does the same job as `loadgate check`).

Usage: polars_scan.py PREFIX
"""
import sys

import polars as pl

prefix = sys.argv[1]
per_endpoint = (
    pl.scan_csv(f"{prefix}_stats_history.csv", null_values=["N/A"])
    .group_by(["Type", "Name"])
    .agg(pl.len().alias("rows"), pl.col("Total Request Count").max().alias("requests"))
    .collect()
)
print(f"{per_endpoint.height} scopes, {per_endpoint['rows'].sum()} history rows")
