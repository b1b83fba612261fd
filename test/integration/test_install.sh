#!/bin/sh
# `meson install` into a scratch DESTDIR: the daemon, the web client, the documented ancloud.conf,
# the docs and the systemd unit land where they should; the installed daemon accepts the installed
# configuration; the unit keeps KillMode=process (guests and their displays are the daemon's to
# stop) and passes `systemd-analyze verify`.
set -eu
build=${ANC_BUILD_ROOT:?ANC_BUILD_ROOT names the build dir}
daemon=${ANCLOUDD:?ANCLOUDD names the daemon}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
one() { find "$tmp/dest" -path "$1" | head -n 1; }

meson install -C "$build" --destdir "$tmp/dest" --no-rebuild >"$tmp/log" 2>&1 ||
    { cat "$tmp/log"; fail "meson install"; }
bin=$(one '*/bin/ancloudd')
conf=$(one '*/etc/ancloud/ancloud.conf')
web=$(one '*/share/ancloud/web/index.html')
unit=$(one '*/lib/systemd/system/ancloudd.service')
doc=$(one '*/share/doc/ancloud/operations.md')
for f in "$bin" "$conf" "$web" "$unit" "$doc"; do [ -n "$f" ] || fail "missing from the install: $(ls -R "$tmp/dest")"; done
echo "ok - installed: daemon, web client, ancloud.conf, docs, systemd unit"

"$bin" --check-config -c "$conf" >/dev/null || fail "the installed daemon refuses the installed ancloud.conf"
echo "ok - the installed daemon accepts the installed ancloud.conf"
[ "$(stat -c %a "$conf")" = 600 ] || fail "ancloud.conf may hold the token: mode $(stat -c %a "$conf"), not 600"
echo "ok - the installed ancloud.conf is mode 0600"

grep -q '^KillMode=process$' "$unit" || fail "the unit must not kill the guests' processes (KillMode=process)"
grep -q '^ExecStart=/.*/bin/ancloudd -c /.*/etc/ancloud/ancloud.conf$' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
if command -v systemd-analyze >/dev/null; then
    # verify wants the ExecStart binary to exist: point it at the built daemon.
    sed "s|^ExecStart=[^ ]*|ExecStart=$daemon|" "$unit" >"$tmp/ancloudd.service"
    out=$(systemd-analyze verify "$tmp/ancloudd.service" 2>&1) || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify: $out"
    echo "ok - the unit passes systemd-analyze verify"
elif [ "${CI:-}" = true ]; then
    fail "systemd-analyze is missing (Debian package systemd)"
fi
