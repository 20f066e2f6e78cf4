#!/usr/bin/env python3
"""Mutated real inputs through `loadgate check` (issue 29): truncations, byte flips, duplicated
rows, huge numbers, NaN and infinities, hostile names, spliced junk. Six kinds, each a real
fixture changed one way at a time:

  html      fixtures/html/locust-2.47.0.html              check FILE
  json      fixtures/json/locust-2.47.0.json              check FILE
  history   fixtures/locust2/basic_stats_history.csv      check DIR/run (the run's other files as they are)
  failures  fixtures/locust2/basic_failures.csv           check DIR/run
  baseline  a baseline saved from fixtures/compare/same-1  check fixtures/compare/slow-2x --baseline FILE
  profile   thresholds/default.toml                       check fixtures/locust2/basic --profile FILE

Each case runs under an address-space limit (LIMIT_MB, default 2048) and a timeout (20 s). Counted:
exits by code, panics (exit 101 or "panicked" on stderr), hangs (the timeout), aborts (a signal),
peak memory, and "read as pass": exit 0 where the unchanged input gives 1 (listed, to be judged: a
profile's changed threshold may pass a run rightly, a damaged run file never should).

Usage: bench/mutation_corpus.py [CASES_PER_KIND] [SECONDS_PER_KIND] [KIND...]
  Runs CASES_PER_KIND cases of each kind (default 300), and keeps drawing until SECONDS_PER_KIND
  have passed if that is longer (default 0). LOADGATE names the binary (default target/release).
"""
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(ROOT, "fixtures")
LOADGATE = os.environ.get("LOADGATE", os.path.join(ROOT, "target", "release", "loadgate"))
LIMIT = int(os.environ.get("LIMIT_MB", "2048")) << 20
TIMEOUT = 20

HOSTILE = [
    "/a\n::error::x", "/b\r::warning::y", "##[add-mask]z", "\x1b]0;t\x07", "\u202eexe", "\0",
    "![i](http://e)", "<img src=x>", "a" * 70000, "é" * 40000, "\"", "\\", "\ufeff",
]
NUMBERS = [
    "NaN", "nan", "inf", "-Infinity", "1e308", "-1", "-0", "9007199254740993", "1e400",
    "18446744073709551616", "0.0000001", "1e-320", "99999999999999999999999", "", "N/A",
]


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def run(args):
    """(exit code or -signal, stderr, peak KB, seconds, hung)."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [LOADGATE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=limit, env={**os.environ, "NO_COLOR": "1", "GITHUB_ACTIONS": ""},
    )
    hung = False
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        hung = True
    # The child's own peak: wait4 was done by communicate; read the children's maximum instead.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc.returncode, err.decode("utf-8", "replace"), peak, time.monotonic() - start, hung


def mutate_text(rng, data, kind):
    """One mutation of `data` (bytes); returns (label, bytes)."""
    text = data
    choice = rng.randrange(9)
    if choice == 0:
        cut = rng.randrange(len(text))
        return "truncate", text[:cut]
    if choice == 1:
        out = bytearray(text)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        return "flip", bytes(out)
    if choice == 2:
        lines = text.split(b"\n")
        if len(lines) > 2:
            i = rng.randrange(1, len(lines))
            lines.insert(i, lines[i] if rng.random() < 0.5 else lines[rng.randrange(1, len(lines))])
        return "duplicate-line", b"\n".join(lines)
    if choice in (3, 4):
        # A number replaced by a huge, negative, NaN or empty one.
        digits = [i for i in range(len(text)) if 48 <= text[i] <= 57]
        if not digits:
            return "none", text
        i = rng.choice(digits)
        j = i
        while j < len(text) and (48 <= text[j] <= 57 or text[j] == 46):
            j += 1
        while i > 0 and (48 <= text[i - 1] <= 57 or text[i - 1] == 46):
            i -= 1
        return "number", text[:i] + rng.choice(NUMBERS).encode() + text[j:]
    if choice == 5:
        # A name or message replaced by a hostile one (quoted for the format).
        name = rng.choice(HOSTILE)
        marks = [b"/error", b"/limited", b"/refused", b"Aggregated", b"GET", b"/login", b"/"]
        mark = rng.choice(marks)
        at = text.find(mark)
        if at < 0:
            return "none", text
        if kind in ("html", "json", "baseline"):
            enc = json.dumps(name)[1:-1].encode()
        elif kind == "profile":
            enc = name.encode().replace(b"\n", b" ")
        else:
            enc = name.replace('"', '""').encode()
        return "hostile-name", text[:at] + enc + text[at + len(mark):]
    if choice == 6:
        i = rng.randrange(len(text))
        junk = bytes(rng.choice(b"{}[]\",:0123456789-.eE \n\rnulltrue") for _ in range(rng.randint(1, 24)))
        return "splice", text[:i] + junk + text[i + rng.randint(0, 32):]
    if choice == 7:
        # A block repeated: many rows, a long file.
        i = rng.randrange(len(text))
        j = min(len(text), i + rng.randint(1, 400))
        return "repeat-block", text[:j] + text[i:j] * rng.randint(2, 2000) + text[j:]
    lines = text.split(b"\n")
    if len(lines) > 2:
        del lines[rng.randrange(1, len(lines))]
    return "drop-line", b"\n".join(lines)


def setup(kind, work):
    """(path to write the mutated bytes to, original bytes, check arguments)."""
    if kind == "html":
        src = os.path.join(FIX, "html", "locust-2.47.0.html")
        path = os.path.join(work, "r.html")
        return path, open(src, "rb").read(), ["check", path]
    if kind == "json":
        src = os.path.join(FIX, "json", "locust-2.47.0.json")
        path = os.path.join(work, "r.json")
        return path, open(src, "rb").read(), ["check", path]
    if kind in ("history", "failures"):
        for suffix in ("stats", "stats_history", "failures", "exceptions"):
            shutil.copy(os.path.join(FIX, "locust2", f"basic_{suffix}.csv"), os.path.join(work, f"run_{suffix}.csv"))
        suffix = "stats_history" if kind == "history" else "failures"
        path = os.path.join(work, f"run_{suffix}.csv")
        return path, open(path, "rb").read(), ["check", os.path.join(work, "run")]
    if kind == "baseline":
        store = os.path.join(work, "store")
        subprocess.run([LOADGATE, "baseline", "save", "--name", "main", os.path.join(FIX, "compare", "same-1"), "--store", store],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        saved = [os.path.join(store, f) for f in os.listdir(store) if f.endswith(".json")]
        path = os.path.join(work, "base.json")
        return path, open(saved[0], "rb").read(), ["check", os.path.join(FIX, "compare", "slow-2x"), "--baseline", path]
    if kind == "profile":
        path = os.path.join(work, "p.toml")
        src = os.path.join(ROOT, "thresholds", "default.toml")
        return path, open(src, "rb").read(), ["check", os.path.join(FIX, "locust2", "basic"), "--profile", path]
    raise SystemExit(f"unknown kind {kind}")


def main():
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    kinds = sys.argv[3:] or ["html", "json", "history", "failures", "baseline", "profile"]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, {LOADGATE}, limit {LIMIT >> 20} MB")
    total_bad = 0
    for kind in kinds:
        rng = random.Random(f"{kind}-29")
        with tempfile.TemporaryDirectory() as work:
            path, original, args = setup(kind, work)
            open(path, "wb").write(original)
            base, base_err, _, _, _ = run(args)
            exits, labels, passes, panics, hung, aborted = {}, {}, [], [], 0, 0
            peak, slowest, n = 0, 0.0, 0
            start = time.monotonic()
            while n < cases or time.monotonic() - start < seconds:
                label, data = mutate_text(rng, original, kind)
                open(path, "wb").write(data)
                code, err, _, took, was_hung = run(args)
                # ru_maxrss of children is the largest so far: a running maximum is what we report.
                peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
                slowest = max(slowest, took)
                n += 1
                exits[code] = exits.get(code, 0) + 1
                labels[label] = labels.get(label, 0) + 1
                hung += was_hung
                if code is not None and code < 0:
                    aborted += 1
                if code == 101 or "panicked" in err:
                    panics.append((label, err[-300:]))
                if took > 2:
                    keep = os.path.join(tempfile.gettempdir(), f"lg-mutation-slow-{kind}-{n}")
                    open(keep, "wb").write(data)
                    print(f"  slow ({label}, {took:.1f} s): {keep}")
                if code == 0 and base == 1:
                    keep = os.path.join(tempfile.gettempdir(), f"lg-mutation-{kind}-{n}")
                    open(keep, "wb").write(data)
                    passes.append((label, keep))
            bad = len(panics) + hung + aborted
            total_bad += bad
            print(f"{kind}: {n} cases in {time.monotonic() - start:.0f} s (original exits {base}); "
                  f"exits {dict(sorted(exits.items(), key=lambda kv: str(kv[0])))}; panics {len(panics)}; "
                  f"hangs {hung}; aborts {aborted}; slowest {slowest:.2f} s; peak of all {peak // 1024} MB; "
                  f"exit 0 where the original fails: {len(passes)}; mutations {labels}")
            for label, err in panics[:5]:
                print(f"  panic ({label}): {err}")
            for label, keep in passes[:20]:
                print(f"  read as pass ({label}): {keep}")
    sys.exit(1 if total_bad else 0)


if __name__ == "__main__":
    main()
