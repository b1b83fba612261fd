#!/bin/sh
# ancloudd --check-config: a valid file → 0 and "ok"; what the start would refuse → exit 2 with
# the reason on stderr: a syntax error, and the [cluster] checks made before etcd is reached
# (node name, advertise URL with a wildcard listen, labels, TLS files).
set -eu

bin=${ANCLOUDD:?ANCLOUDD names the built daemon}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}

# expect CODE PATTERN CONF-TEXT: --check-config exits CODE and its output matches PATTERN.
expect() {
    code=$1 pattern=$2
    printf '%s\n' "$3" >"$tmp/c.conf"
    rc=0
    "$bin" --check-config -c "$tmp/c.conf" >"$tmp/out" 2>&1 || rc=$?
    [ "$rc" = "$code" ] || fail "exit $rc, wanted $code, for: $3 ($(cat "$tmp/out"))"
    grep -q -- "$pattern" "$tmp/out" || fail "no \"$pattern\" in: $(cat "$tmp/out")"
    echo "ok - exit $code: $(head -c 160 "$tmp/out" | tr '\n' ' ')"
}

expect 0 ": ok" "[server]
listen = 127.0.0.1:8080"
expect 2 "unknown key" "[server]
listn = 1"
expect 0 ": ok" "[server]
listen = 10.0.0.5:8080
[cluster]
etcd = http://10.0.0.21:2379, http://10.0.0.22:2379
node = n-1
labels = gpu"
expect 2 "node: \"bad/name\" is not a valid node name" "[server]
listen = 10.0.0.5:8080
[cluster]
etcd = http://10.0.0.21:2379
node = bad/name"
expect 2 "advertise: must be set" "[server]
listen = 0.0.0.0:8080
[cluster]
etcd = http://10.0.0.21:2379
node = n-1"
expect 0 ": ok" "[server]
listen = 0.0.0.0:8080
[cluster]
etcd = http://10.0.0.21:2379
node = n-1
advertise = http://10.0.0.5:8080"
expect 2 "labels: a label has characters" "[server]
listen = 10.0.0.5:8080
[cluster]
etcd = http://10.0.0.21:2379
node = n-1
labels = gpu, a b"
expect 2 "TLS to etcd" "[server]
listen = 10.0.0.5:8080
[cluster]
etcd = https://10.0.0.21:2379
etcd_ca = $tmp/missing-ca.pem
node = n-1"
echo "check-config: ok"
