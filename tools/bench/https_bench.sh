#!/bin/sh
# HTTPS against plain HTTP in the same run: two daemons (one with [server] tls_cert/tls_key, a
# P-256 certificate made here), wrk on GET /api/v1/health over keep-alive connections (-c1, -c64),
# each case three times alternating plain/TLS, the median printed; then a new connection per
# request (wrk with "Connection: close") and the TLS handshake latency.
#   tools/bench/https_bench.sh [path/to/ancloudd] [duration per run, default 5s]
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
daemon=${1:-}
dur=${2:-5s}
if [ -z "$daemon" ]; then
    for d in build-release build; do
        if [ -x "$root/$d/src/ancloudd" ]; then daemon=$root/$d/src/ancloudd; break; fi
    done
fi
[ -x "${daemon:-}" ] || { echo "no ancloudd found; pass its path" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }

tmp=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

start() { # name extra-server-lines → sets url_<name>
    mkdir -p "$tmp/$1/state" "$tmp/$1/run" "$tmp/$1/web"
    cat > "$tmp/$1/a.conf" <<CONF
[server]
listen = 127.0.0.1:0
token = bench
web_dir = $tmp/$1/web
max_connections_per_ip = 1000
$2
[paths]
state_dir = $tmp/$1/state
run_dir = $tmp/$1/run
image_dir = $tmp/$1/images
[rtc]
udp_port = 0
[network]
enabled = false
[log]
level = warn
CONF
    "$daemon" -c "$tmp/$1/a.conf" > "$tmp/$1/out" 2> "$tmp/$1/err" &
    pids="$pids $!"
    for _ in $(seq 100); do grep -q listening "$tmp/$1/out" 2>/dev/null && break; sleep 0.05; done
    u=$(sed -n 's|.*open \(https\{0,1\}://[^/]*\)/.*|\1|p' "$tmp/$1/out")
    [ -n "$u" ] || { echo "daemon $1 did not start"; cat "$tmp/$1/err"; exit 1; }
    eval "url_$1=$u"
}
start plain ""
start tls "tls_cert = $tmp/cert.pem
tls_key = $tmp/key.pem"

rps() { # url connections [extra wrk args]
    u=$1 c=$2
    shift 2
    t=2
    [ "$c" -lt 2 ] && t=1
    wrk -t"$t" -c"$c" -d"$dur" "$@" "$u/api/v1/health" | awk '/Requests\/sec/ {print $2}'
}
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

echo "daemon: $daemon; wrk -d$dur, median of 3 runs alternating plain/TLS; cpu: $(nproc) cores"
printf '%-44s %12s %12s %8s\n' "case" "plain r/s" "TLS r/s" "TLS/plain"
bench() { # name connections [wrk args]
    name=$1 c=$2
    shift 2
    p1=$(rps "$url_plain" "$c" "$@"); s1=$(rps "$url_tls" "$c" "$@")
    p2=$(rps "$url_plain" "$c" "$@"); s2=$(rps "$url_tls" "$c" "$@")
    p3=$(rps "$url_plain" "$c" "$@"); s3=$(rps "$url_tls" "$c" "$@")
    p=$(median3 "$p1" "$p2" "$p3"); s=$(median3 "$s1" "$s2" "$s3")
    printf '%-44s %12s %12s %8s\n' "$name" "$p" "$s" "$(echo "$s $p" | awk '{printf "%.2f", $1/$2}')"
}
bench "GET /api/v1/health keep-alive -c1" 1
bench "GET /api/v1/health keep-alive -c64" 64
bench "GET /api/v1/health new connection each -c8" 8 -H "Connection: close"

# Handshake latency: 300 sequential full handshakes (no resumption) from one Python client,
# TCP connect to the handshake's end; the median and p99 (client and server CPU on one host).
port=${url_tls##*:}
python3 - "$port" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    ctx.minimum_version = ctx.maximum_version = version
    t = []
    for _ in range(300):
        t0 = time.perf_counter()
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
        t.append((time.perf_counter() - t0) * 1000)
        cipher = s.cipher()[0]
        s.close()
    t.sort()
    print("TLS handshake %s (%s, ECDSA P-256): median %.2f ms, p99 %.2f ms"
          % (version.name, cipher, t[len(t) // 2], t[int(len(t) * 0.99)]))
PY
echo "daemon peak RSS: plain $(awk '/VmHWM/ {print $2, $3}' /proc/"$(echo $pids | cut -d' ' -f1)"/status)," \
     "TLS $(awk '/VmHWM/ {print $2, $3}' /proc/"$(echo $pids | cut -d' ' -f2)"/status)"
