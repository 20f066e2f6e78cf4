#!/usr/bin/env python3
"""Paired rounds of two generators: the median of the per-round ratios and its distribution-free
95% interval (order statistics of the ratios, binomial coverage), which on a machine whose speed
drifts by ±20% between minutes says more than the ratio of the two medians.

Usage: paired.py A_FILE B_FILE [LABEL]   (one value per line, line i of both from round i)
Prints: medians, their ratio, and the paired ratio B/A with its interval.
"""
import math
import statistics
import sys


def interval_ranks(n):
    """1-based ranks (lo, hi) of the widest order statistics covering the median with >= 95%."""
    k = 0
    while k + 1 <= n and sum(math.comb(n, i) for i in range(k + 1)) / 2**n <= 0.025:
        k += 1
    return (k, n - k + 1) if k >= 1 else (None, None)


def main():
    a = [float(x) for x in open(sys.argv[1]).read().split()]
    b = [float(x) for x in open(sys.argv[2]).read().split()]
    label = sys.argv[3] if len(sys.argv) > 3 else "B/A"
    n = min(len(a), len(b))
    ratios = sorted(y / x for x, y in zip(a[:n], b[:n]) if x > 0)
    lo, hi = interval_ranks(len(ratios))
    median = statistics.median(ratios)
    wins = sum(r >= 1.0 for r in ratios)
    spread = (
        f"95% interval {ratios[lo - 1]:.2f}-{ratios[hi - 1]:.2f}"
        if lo
        else "too few rounds for a 95% interval"
    )
    print(
        f"{label} paired: median {median:.3f}x over {len(ratios)} rounds ({spread}); "
        f"B ahead in {wins} of {len(ratios)}"
    )


if __name__ == "__main__":
    main()
