#!/usr/bin/env python3
"""The server in baselines on real runs (issue 27, step 6): a baseline saved from steady runs of the
server corpus, and every other run checked against it with `--prometheus`.

    bench/server_baseline.py CORPUS TSDB [--tag s3]

CORPUS is what `bench/server_corpus.py --out CORPUS --tsdb TSDB` made; TSDB the Prometheus data it
kept, served again here by a `prometheus` on a free 127.0.0.1 port that scrapes nothing. Two
baselines are saved (`baseline save --prometheus`): `one` from the first steady run, `rolling` from
the first five (`--keep 5`). Every other run is checked against each (`check RUN --baseline NAME
--prometheus URL --format json`, the default profile); a line per run and baseline gives the exit
code, the server figures that moved worse beyond their noise, and the server findings.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_corpus as corpus  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("tsdb")
    parser.add_argument("--tag", default="s3")
    args = parser.parse_args()
    names = sorted(os.listdir(args.corpus))
    steady = [n for n in names if n.startswith("steady-") and "-lg-" not in n]
    others = [n for n in names if n not in steady[:5]]
    work = tempfile.mkdtemp(prefix="server-baseline-")
    port = corpus.free_port()
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs: []\n")
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={args.tsdb}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1d"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w"))
    url = f"http://127.0.0.1:{port}"
    store = os.path.join(work, "store")
    try:
        corpus.wait_for(lambda: corpus.get_json(f"{url}/api/v1/status/buildinfo"), "prometheus")

        def loadgate(*argv):
            return subprocess.run([corpus.LOADGATE, *argv], capture_output=True, text=True,
                                  timeout=120)

        def run_of(name):
            return os.path.join(args.corpus, name, "locust")

        saved = loadgate("baseline", "save", run_of(steady[0]), "--name", "one", "--store", store,
                         "--prometheus", url)
        print(saved.stdout.strip())
        for name in steady[:5]:
            saved = loadgate("baseline", "save", run_of(name), "--name", "rolling", "--keep", "5",
                             "--store", store, "--prometheus", url)
            print(saved.stdout.strip().splitlines()[-1])
        for name in others:
            for baseline in ("one", "rolling"):
                done = loadgate("check", run_of(name), "--baseline", baseline, "--store", store,
                                "--prometheus", url, "--format", "json")
                report = json.loads(done.stdout)
                server = report.get("server") or {}
                compared = server.get("baseline") or {}
                worse = [f"{f['label']} {f['change_pct'] if f['change_pct'] is not None else f['change']:+.0f}"
                         f"{'%' if f['change_pct'] is not None else ''} ({f['status']}, noise "
                         f"{f['noise_source']})"
                         for f in compared.get("figures", []) if f["moved"] == "worse"]
                findings = [f["kind"] for f in server.get("findings", [])]
                print(f"{name} vs {baseline}: exit {done.returncode}, server baseline "
                      f"{compared.get('status')}, worse: {worse or 'none'}; findings "
                      f"{findings or 'none'}", flush=True)
    finally:
        corpus.stop(prom)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
