#!/bin/sh
# ancloudd --teardown-network after a daemon that did not exit cleanly (kill -9), inside a network
# namespace of the test's own (nothing here touches the machine's namespace): the daemon sets up
# the bridge, the firewall rules and dnsmasq; it is killed; the bridge, every rule (read back with
# iptables-legacy-save: libiptc writes the legacy tables) and dnsmasq are still there; the command
# removes them all, says what it did, and run again changes nothing and still exits 0.
set -eu

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; [ "${CI:-}" = true ] && exit 1; exit 77; }
daemon=${ANCLOUDD:?ANCLOUDD names the daemon}
ns=anc-td-$$
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    pkill -9 -f "dnsmasq.*$tmp" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    [ -f "$tmp/out" ] && cat "$tmp/out"
    exit 1
}
in_ns() { ip netns exec "$ns" "$@"; }
rules() { in_ns iptables-legacy-save 2>/dev/null | grep -c -- '--comment ancloud' || true; }
dnsmasq_running() { pgrep -f "dnsmasq.*--addn-hosts=$tmp/" >/dev/null; }

ip netns add "$ns"
ip -n "$ns" link set lo up
cat >"$tmp/a.conf" <<CONF
[server]
listen = 127.0.0.1:0
[paths]
state_dir = $tmp/state
run_dir = $tmp/run
image_dir = $tmp/images
[rtc]
udp_port = 0
[network]
enabled = true
CONF

# `ip netns exec` runs the command as its child: the daemon writes its own pid first.
in_ns sh -c 'echo $$ >"$0/pid"; exec "$@"' "$tmp" "$daemon" -c "$tmp/a.conf" >"$tmp/out" 2>&1 &
for _ in $(seq 50); do [ -s "$tmp/pid" ] && break; sleep 0.1; done
pid=$(cat "$tmp/pid")
for _ in $(seq 100); do
    grep -q 'listening' "$tmp/out" && break
    sleep 0.1
done
grep -q 'network: bridge ancloud on 192.168.240.0/24' "$tmp/out" || fail "no guest network"
in_ns ip -o addr show dev ancloud | grep -q '192.168.240.1/24' || fail "no gateway address"
n=$(rules)
[ "$n" -eq 12 ] || fail "expected 12 ancloud rules, found $n"
for _ in $(seq 50); do dnsmasq_running && break; sleep 0.1; done
dnsmasq_running || fail "no dnsmasq"

kill -9 "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "the daemon survived kill -9"; fi
pid=
in_ns ip link show ancloud >/dev/null 2>&1 || fail "the bridge went with the daemon?"
echo "ok - after kill -9: bridge, $(rules) rules and dnsmasq left behind"

in_ns "$daemon" -c "$tmp/a.conf" --teardown-network >"$tmp/td" 2>&1 || { cat "$tmp/td"; fail "teardown exited $?"; }
cat "$tmp/td"
grep -q 'ended dnsmasq' "$tmp/td" || fail "teardown did not report dnsmasq"
grep -q 'deleted bridge ancloud' "$tmp/td" || fail "teardown did not report the bridge"
if in_ns ip link show ancloud >/dev/null 2>&1; then fail "bridge still there"; fi
[ "$(rules)" -eq 0 ] || fail "$(rules) ancloud rules left"
if dnsmasq_running; then fail "dnsmasq still running"; fi
echo "ok - --teardown-network removed dnsmasq, every rule and the bridge"

in_ns "$daemon" -c "$tmp/a.conf" --teardown-network >"$tmp/td2" 2>&1 || fail "second teardown failed: $(cat "$tmp/td2")"
grep -q 'no link ancloud' "$tmp/td2" || fail "second teardown: $(cat "$tmp/td2")"
echo "ok - a second --teardown-network changes nothing and exits 0"

# A link of that name that is not a bridge is never deleted.
in_ns ip link add ancloud type veth peer name anc-td-peer
in_ns "$daemon" -c "$tmp/a.conf" --teardown-network >"$tmp/td3" 2>&1 || fail "teardown with a veth named ancloud: $(cat "$tmp/td3")"
in_ns ip link show ancloud >/dev/null 2>&1 || fail "a non-bridge link named ancloud was deleted"
grep -q 'not a bridge' "$tmp/td3" || fail "teardown did not say why it left the link: $(cat "$tmp/td3")"
echo "ok - a non-bridge link of that name is left alone"
