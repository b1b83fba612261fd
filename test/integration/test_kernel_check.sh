#!/bin/sh
# kernel/check on this machine and on fake /proc, /dev, /sys trees.
#
# On the real host: with no binder (this build machine) the full check exits 1 and names binder as
# MISSING with a fix; on a host with binder it must exit 0. --linux exits 0 where overlay, FUSE,
# veth and the bridge are present, which they are on every host this project runs on.
# Fake trees (ANC_CHECK_ROOT + ANC_CHECK_KCONFIG) then exercise both verdicts independently of the
# host: binderfs present → 0; legacy /dev/binder nodes → 0; nothing → 1; no PSI → 1.
set -eu

src=${ANC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
check=$src/kernel/check
out=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$out" "$tmp"' EXIT

fail() {
    echo "FAIL: $*"
    cat "$out"
    exit 1
}

# --- the real host ---
rc=0
"$check" >"$out" 2>&1 || rc=$?
if grep -q '^nodev[[:space:]]*binder$' /proc/filesystems || [ -e /dev/binder ]; then
    [ "$rc" -eq 0 ] || [ ! -r /proc/pressure/memory ] || fail "host has binder but check exited $rc"
else
    [ "$rc" -eq 1 ] || fail "no binder here, expected exit 1, got $rc"
    grep -q 'MISSING  binder' "$out" || fail "binder not reported MISSING"
    grep -q 'fix: .*CONFIG_ANDROID_BINDERFS=y' "$out" || fail "no fix printed for binder"
    grep -q 'Android guests: NOT supported' "$out" || fail "no Android verdict"
fi

rc=0
"$check" --linux >"$out" 2>&1 || rc=$?
if grep -qw overlay /proc/filesystems && grep -qw fuse /proc/filesystems && [ -e /dev/fuse ]; then
    [ "$rc" -eq 0 ] || fail "--linux: expected exit 0 here, got $rc"
    grep -q 'Linux guests: supported' "$out" || fail "--linux: no verdict"
    if grep -q binder "$out"; then fail "--linux mentions binder"; fi
fi

rc=0
"$check" --bogus >"$out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "bad option: expected exit 2, got $rc"

# --- fake trees ---
root=$tmp/root
kconfig=$tmp/config
mkdir -p "$root/proc/pressure" "$root/dev" "$root/sys/fs/cgroup" "$root/sys/module"
touch "$root/sys/fs/cgroup/cgroup.controllers" "$root/dev/fuse" "$root/proc/pressure/memory"
for o in NAMESPACES UTS_NS IPC_NS PID_NS NET_NS USER_NS CGROUPS OVERLAY_FS FUSE_FS VETH \
    BRIDGE NETFILTER_XT_TARGET_MASQUERADE NETFILTER_XT_TARGET_CHECKSUM \
    NETFILTER_XT_MATCH_COMMENT IP_NF_NAT IP_NF_MANGLE PSI MEMFD_CREATE MODULES; do
    echo "CONFIG_$o=y"
done >"$kconfig"
printf 'nodev\tproc\nnodev\toverlay\nnodev\tfuse\n' >"$root/proc/filesystems"
printf 'Character devices:\n  1 mem\n 10 misc\n' >"$root/proc/devices"

run_fake() {
    rc=0
    ANC_CHECK_ROOT=$root ANC_CHECK_KCONFIG=$kconfig "$check" "$@" >"$out" 2>&1 || rc=$?
}

run_fake
[ "$rc" -eq 1 ] || fail "fake, no binder: expected 1, got $rc"
grep -q 'fix: modprobe binder_linux devices=binder1,binder2,binder3' "$out" ||
    fail "fake, no binder: modprobe fix missing"

mkdir -p "$root/sys/module/binder_linux"
run_fake
grep -q 'modprobe -r binder_linux' "$out" || fail "fake, module without devices: no reload fix"

touch "$root/dev/binder" "$root/dev/hwbinder" "$root/dev/vndbinder"
run_fake
[ "$rc" -eq 0 ] || fail "fake, legacy binder: expected 0, got $rc"
grep -q '1 Android instance(s) at a time' "$out" || fail "fake, legacy binder: no note"

rm -f "$root/dev/binder" "$root/dev/hwbinder" "$root/dev/vndbinder"
# Named devices from the module's devices= parameter, as the daemon reads them: three each.
mkdir -p "$root/sys/module/binder_linux/parameters"
echo 'binder1,binder2,binder3,binder4,binder5,binder6' >"$root/sys/module/binder_linux/parameters/devices"
touch "$root/dev/binder1" "$root/dev/binder2" "$root/dev/binder3" "$root/dev/binder4" \
    "$root/dev/binder5" "$root/dev/binder6"
run_fake
[ "$rc" -eq 0 ] || fail "fake, named binder devices: expected 0, got $rc"
grep -q '6 named devices' "$out" && grep -q '2 Android instance(s) at a time' "$out" ||
    fail "fake, named binder devices: not counted"
rm -f "$root"/dev/binder[1-6]
rm -rf "$root/sys/module/binder_linux"
printf 'nodev\tproc\nnodev\toverlay\nnodev\tfuse\nnodev\tbinder\n' >"$root/proc/filesystems"
printf 'Character devices:\n  1 mem\n 10 misc\n508 binder\n' >"$root/proc/devices"
echo 'CONFIG_ANDROID_BINDER_IPC=y' >>"$kconfig"
echo 'CONFIG_ANDROID_BINDERFS=y' >>"$kconfig"
run_fake
[ "$rc" -eq 0 ] || fail "fake, binderfs: expected 0, got $rc"
grep -q 'char major 508' "$out" || fail "fake, binderfs: major not shown"
grep -q 'Android guests: supported' "$out" || fail "fake, binderfs: no verdict"

rm "$root/proc/pressure/memory"
run_fake
[ "$rc" -eq 1 ] || fail "fake, PSI off: expected 1, got $rc"
grep -q 'psi=1' "$out" || fail "fake, PSI off: no psi=1 fix"
run_fake --linux
[ "$rc" -eq 0 ] || fail "fake --linux ignores PSI: expected 0, got $rc"

ANC_CHECK_ROOT=$root ANC_CHECK_KCONFIG=none "$check" --linux >"$out" 2>&1 || true
grep -q 'unknown: no kernel config' "$out" || fail "no config: unknowns not reported"

echo "ok"
