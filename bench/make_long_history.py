#!/usr/bin/env python3
"""Writes a deterministic long Locust run with --csv-full-history: ENDPOINTS endpoints x SECONDS rows
(default 50 x 39,000: about 2 million history rows, ~360 MB), in Locust 2.x's exact format, for the
large-run benchmark. Latency follows a slow daily wave plus noise, and one endpoint leaks (its median
climbs through the run), so trends have something to find.

Usage: make_long_history.py PREFIX [ENDPOINTS] [SECONDS]
"""
import csv
import math
import random
import sys

PERCENTILES = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0]
HISTORY_HEADER = ("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
                  "99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
                  "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
                  "Total Average Content Size").split(",")
STATS_HEADER = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
                "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,"
                "80%,90%,95%,98%,99%,99.9%,99.99%,100%").split(",")


def spread(median):
    """The percentiles of a run whose median is `median` (a log-normal-ish tail)."""
    return [int(round(median * f)) for f in (1.0, 1.15, 1.3, 1.4, 1.8, 2.2, 2.9, 3.5, 6.0, 9.0, 12.0)]


def main():
    prefix = sys.argv[1]
    endpoints = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 39000
    rng = random.Random(42)
    start = 1_790_000_000
    names = [f"/api/v1/resource-{i:02d}" for i in range(endpoints)]
    base = [5 + 3 * i for i in range(endpoints)]
    rate = [2.0 + (i % 7) for i in range(endpoints)]
    totals = [[0, 0, 0.0] for _ in range(endpoints)]  # requests, failures, sum of latency
    with open(f"{prefix}_stats_history.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HISTORY_HEADER)
        for t in range(seconds):
            wave = 1.0 + 0.2 * math.sin(2 * math.pi * t / 86400)
            agg = [0, 0, 0.0]
            for i, name in enumerate(names):
                median = base[i] * wave * (1.0 + (t / seconds if i == 0 else 0.0)) * rng.uniform(0.9, 1.1)
                n = int(rate[i] + rng.random())
                fails = 1 if rng.random() < 0.002 else 0
                totals[i][0] += n
                totals[i][1] += fails
                totals[i][2] += n * median * 1.3
                agg[0] += totals[i][0]
                agg[1] += totals[i][1]
                agg[2] += totals[i][2]
                req, fl, total = totals[i]
                w.writerow([start + t, 100, "GET", name, f"{rate[i]:.6f}", f"{fails:.6f}", *spread(median), req, fl,
                            int(round(median)), total / max(req, 1), base[i] * 0.2, base[i] * 20.0, 512.0])
            w.writerow([start + t, 100, "", "Aggregated", f"{sum(rate):.6f}", "0.000000", *spread(sum(base) / endpoints),
                        agg[0], agg[1], int(sum(base) / endpoints), agg[2] / max(agg[0], 1), 1.0, 2000.0, 512.0])
    with open(f"{prefix}_stats.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(STATS_HEADER)
        all_req = sum(t[0] for t in totals)
        for i, name in enumerate(names):
            req, fl, total = totals[i]
            w.writerow(["GET", name, req, fl, base[i], total / req, base[i] * 0.2, base[i] * 20.0, 512.0,
                        req / seconds, fl / seconds, *spread(base[i])])
        w.writerow(["", "Aggregated", all_req, sum(t[1] for t in totals), 20, sum(t[2] for t in totals) / all_req,
                    1.0, 2000.0, 512.0, all_req / seconds, 0.1, *spread(20)])
    with open(f"{prefix}_failures.csv", "w", newline="") as f:
        csv.writer(f).writerow(["Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"])
    with open(f"{prefix}_exceptions.csv", "w", newline="") as f:
        csv.writer(f).writerow(["Count", "Message", "Traceback", "Nodes"])


if __name__ == "__main__":
    main()
