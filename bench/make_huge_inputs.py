#!/usr/bin/env python3
"""Huge Locust inputs grown from the real 2.47.0 fixtures (issue 29, bounded memory).

  OUT/huge.html           the HTML report with ~1 GB of failures_statistics rows, one distinct message
                          per row (as a run whose errors carry request ids writes them); the endpoints'
                          counts raised so that every failure is also a request of its endpoint
  OUT/endpoints.json      Locust's JSON with 1,000,000 endpoints (~441 MB), each the fixture's first
  OUT/failures/run_*.csv  the fixture's stats, history and exceptions, and a ~392 MB _failures.csv

Usage: bench/make_huge_inputs.py OUT [HTML_BYTES]
Written as streams: the generator itself holds one row at a time.
"""
import json
import os
import shutil
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "fixtures")
MARK = "window.templateArgs = "


def huge_html(out, target):
    text = open(os.path.join(FIX, "html", "locust-2.47.0.html"), encoding="utf-8").read()
    at = text.index(MARK) + len(MARK)
    args, end = json.JSONDecoder().raw_decode(text[at:])
    head, tail = text[:at], text[at + end:]
    template = args["failures_statistics"][2]  # GET /error, a 500 with the url in its message
    row_len = len(json.dumps(template)) + 24
    rows = max(1, (target - len(text)) // row_len)
    for entry in args["requests_statistics"]:
        if entry["name"] in ("/error", "Aggregated"):
            entry["num_requests"] += rows
            entry["num_failures"] += rows
    with open(out, "w", encoding="utf-8") as f:
        f.write(head)
        f.write("{")
        first = True
        for key in args:
            if not first:
                f.write(", ")
            first = False
            f.write(json.dumps(key) + ": ")
            if key != "failures_statistics":
                f.write(json.dumps(args[key]))
                continue
            f.write("[")
            for row in args[key]:
                f.write(json.dumps(row) + ", ")
            for i in range(rows):
                row = dict(template)
                row["error"] = template["error"].replace("/error", f"/error?request={i:09d}")
                row["occurrences"] = 1
                f.write(json.dumps(row))
                if i + 1 < rows:
                    f.write(", ")
            f.write("]")
        f.write("}")
        f.write(tail)
    return rows


def many_endpoints(out, count):
    entries = json.load(open(os.path.join(FIX, "json", "locust-2.47.0.json"), encoding="utf-8"))
    template = entries[0]
    with open(out, "w", encoding="utf-8") as f:
        f.write("[\n")
        for i in range(count):
            entry = dict(template)
            entry["name"] = f"/items/{i:07d}"
            f.write(json.dumps(entry))
            f.write(",\n" if i + 1 < count else "\n")
        f.write("]\n")


def huge_failures(folder, target):
    os.makedirs(folder, exist_ok=True)
    src = os.path.join(FIX, "locust2")
    for suffix in ("stats", "stats_history", "exceptions"):
        shutil.copy(os.path.join(src, f"basic_{suffix}.csv"), os.path.join(folder, f"run_{suffix}.csv"))
    lines = open(os.path.join(src, "basic_failures.csv"), encoding="utf-8").read().splitlines()
    header, rows = lines[0], lines[1:]
    row = next(r for r in rows if "/error" in r)
    written = 0
    with open(os.path.join(folder, "run_failures.csv"), "w", encoding="utf-8") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(r + "\n")
        i = 0
        while written < target:
            line = row.replace("url: /error", f"url: /error?request={i:09d}") + "\n"
            f.write(line)
            written += len(line)
            i += 1
    return i


def main():
    out = sys.argv[1]
    html_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000_000
    os.makedirs(out, exist_ok=True)
    html = os.path.join(out, "huge.html")
    if not os.path.exists(html):
        print("huge.html failure rows:", huge_html(html, html_bytes))
    endpoints = os.path.join(out, "endpoints.json")
    if not os.path.exists(endpoints):
        many_endpoints(endpoints, 1_000_000)
    folder = os.path.join(out, "failures")
    if not os.path.exists(os.path.join(folder, "run_failures.csv")):
        print("_failures.csv rows:", huge_failures(folder, 392_000_000))


if __name__ == "__main__":
    main()
