#!/usr/bin/env bash
# Accuracy: loadgate's reported P50/P99 against a target whose service time is known. A threaded
# Python server on 127.0.0.1 answers /fixed after sleeping 10 ms and /zero at once, and measures its
# own service time (request read to response written) per request. At low load (USERS users back to
# back for SECONDS), loadgate's P50/P99 of /fixed are compared with the server's own; /zero's P50 is
# the generator's own overhead plus the loopback round trip and the server's parsing. The open model
# (`--rate`, at 40% of what USERS connections can answer) is compared on /fixed-open the same way:
# its timer wakes up to ~2 ms late, which must not be reported as the target's latency.
# Needs python3 and a release build.
# Usage: bench/accuracy.sh [USERS] [SECONDS]          (default: 4 10)
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-4}
SECONDS_PER_RUN=${2:-10}
PORT=${PORT:-18095}
LOADGATE=${LOADGATE:-target/release/loadgate}
[[ -x $LOADGATE ]] || cargo build --release --quiet
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/server.py" <<'PY'
import socket, sys, threading, time
port, log = int(sys.argv[1]), sys.argv[2]
times = {"/fixed": [], "/fixed-open": [], "/zero": []}
lock = threading.Lock()
def serve(conn):
    try:
        answer(conn)
    except ConnectionError:
        pass  # the generator closes its connections when the run ends
def answer(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        start = time.perf_counter()
        path = head.split(b" ", 2)[1].decode()
        if path.startswith("/fixed"):
            # Sleep to the deadline, then spin the last 0.2 ms: a sleep alone overshoots by its slack.
            deadline = start + 0.010
            time.sleep(0.0098)
            while time.perf_counter() < deadline:
                pass
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\nok\n")
        with lock:
            times.setdefault(path, []).append(time.perf_counter() - start)
def dump(*_):
    with open(log, "w") as f:
        for path, t in times.items():
            t = sorted(t)
            if t:
                q = lambda p: t[min(len(t) - 1, int(p * len(t)))] * 1000
                f.write(f"{path} {len(t)} {q(0.5):.3f} {q(0.99):.3f}\n")
import signal
signal.signal(signal.SIGTERM, lambda *a: (dump(), sys.exit(0)))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(128)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$work/server.py" "$PORT" "$work/server.txt" &
server_pid=$!
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for path in fixed zero; do
  "$LOADGATE" run --host "http://127.0.0.1:$PORT/$path" -u "$USERS" -t "${SECONDS_PER_RUN}s" | tee "$work/$path.txt"
done
"$LOADGATE" run --host "http://127.0.0.1:$PORT/fixed-open" -u "$USERS" --rate "$((USERS * 40))" \
  -t "${SECONDS_PER_RUN}s" | tee "$work/fixed-open.txt"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
python3 - "$work" <<'PY'
import re, sys
work = sys.argv[1]
server = {l.split()[0]: [float(x) for x in l.split()[2:]] for l in open(f"{work}/server.txt")}
def ours(path):
    text = open(f"{work}/{path}.txt").read()
    return [float(re.search(rf"{k} ([0-9.]+) ms", text).group(1)) for k in ("p50", "p99")]
f, z = ours("fixed"), ours("zero")
for path, label in (("fixed", "/fixed "), ("fixed-open", "/fixed, open model")):
    sf, f = server[f"/{path}"], ours(path)
    print(f"{label}  server's own service time P50 {sf[0]:.2f} ms  P99 {sf[1]:.2f} ms")
    print(f"{label}  loadgate reports          P50 {f[0]:.1f} ms   P99 {f[1]:.1f} ms"
          f"   (differences {f[0] - sf[0]:+.2f} ms, {f[1] - sf[1]:+.2f} ms)")
print(f"/zero   loadgate reports          P50 {z[0]:.1f} ms   P99 {z[1]:.1f} ms"
      f"   (the generator, the loopback and the server's parsing, server's own {server['/zero'][0]:.3f} ms)")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
