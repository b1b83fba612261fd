#!/bin/sh
# HTTP server benchmark: wrk against GET /api/v1/health with 1 and 64 connections, and the same
# against a small static file as a baseline in the same run; prints requests/s, p99 latency and
# the daemon's peak RSS (VmHWM) under that load.
#   tools/bench/http_bench.sh [path/to/ancloudd] [duration, default 10s]
# Without a path it takes the first of build-release/, build/, build-http/ that has a daemon.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
daemon=${1:-}
dur=${2:-10s}
if [ -z "$daemon" ]; then
    for d in build-release build build-http; do
        if [ -x "$root/$d/src/ancloudd" ]; then daemon=$root/$d/src/ancloudd; break; fi
    done
fi
[ -x "${daemon:-}" ] || { echo "no ancloudd found; pass its path" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }

tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -p "$tmp/web" "$tmp/state" "$tmp/run"
head -c 2048 /dev/zero | tr '\0' 'x' > "$tmp/web/page.html"
cat > "$tmp/a.conf" <<CONF
[server]
listen = 127.0.0.1:0
token = bench
web_dir = $tmp/web
max_connections_per_ip = 1000
[paths]
state_dir = $tmp/state
run_dir = $tmp/run
image_dir = $tmp/images
[rtc]
udp_port = 0
[network]
enabled = false
[log]
level = warn
CONF

"$daemon" -c "$tmp/a.conf" > "$tmp/out" 2> "$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's|.*open \(http://[^/]*\)/.*|\1|p' "$tmp/out")
[ -n "$url" ] || { echo "daemon did not start"; cat "$tmp/err"; exit 1; }

echo "daemon: $daemon ($(cd "$(dirname "$daemon")/.." && meson introspect --buildoptions 2>/dev/null | \
    python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"][0])' 2>/dev/null || echo '?'))"
echo "wrk -t2 -d$dur --latency; cpu: $(nproc) cores"
printf '%-34s %12s %12s\n' "case" "requests/s" "p99"
run() { # name path connections
    threads=2
    [ "$3" -lt 2 ] && threads=1
    out=$(wrk -t"$threads" -c"$3" -d"$dur" --latency "$url$2")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    printf '%-34s %12s %12s\n' "$1" "$rps" "$p99"
    eval "rps_$4=$rps"
}
run "GET /api/v1/health  -c1" /api/v1/health 1 h1
run "GET /api/v1/health  -c64" /api/v1/health 64 h64
run "GET /page.html 2KiB -c1 (base)" /page.html 1 s1
run "GET /page.html 2KiB -c64 (base)" /page.html 64 s64
echo "ratio health/static: -c1 $(echo "$rps_h1 $rps_s1" | awk '{printf "%.2f", $1/$2}')," \
     "-c64 $(echo "$rps_h64 $rps_s64" | awk '{printf "%.2f", $1/$2}')"
echo "daemon peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
