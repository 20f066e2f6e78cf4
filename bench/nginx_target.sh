# Sourced by the generator benchmarks: nginx (one worker, pinned to CPU 0) serving a 17-byte file
# from $1 on 127.0.0.1:$2, with any further `server` directives in $3. Sets URL; refuses to go on
# unless the file is answered with a 200.
start_nginx() {
  local work=$1 port=$2 extra=${3:-}
  mkdir -p "$work/www" "$work/logs"
  printf 'hello from nginx\n' > "$work/www/index.html"
  # mktemp's directory is private (0700): nginx's worker, not root, must be able to read the file,
  # or every answer is a 403 page (as in these scripts' sittings before 2026-12-02 02:55 UTC).
  chmod 755 "$work"
  cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; $extra root $work/www; }
}
CONF
  taskset -c 0 nginx -c "$work/nginx.conf" -p "$work"
  sleep 0.5
  URL="http://127.0.0.1:$port/index.html"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$URL") == 200 ]] || {
    echo "nginx does not serve $URL with 200" >&2
    exit 2
  }
}
