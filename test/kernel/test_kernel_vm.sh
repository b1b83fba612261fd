#!/bin/bash
# The Android host kernel, proven under qemu: kernel/build's image (cached in
# ANC_BUILD_ROOT/kernel, reused while its inputs are unchanged) booted by kernel/vm runs, as root in
# the VM, through ancloud's own code:
#   1. kernel/check: Android guests can run (exit 0);
#   2. test-binder-vm binderfs: binderfs mounted, per-instance binder/hwbinder/vndbinder allocated
#      through binder-control, BINDER_VERSION on each, removed with the instance;
#   3. test-binder-vm containers: Android-profile LXC containers on both routes (host-allocated
#      devices bound in; the guest's own binderfs), two at once, each its own context manager, a
#      transaction and reply on each context;
#   4. the kallsyms_lookup_name export (kernel/patches) is in the running kernel.
# On this host (no binder), kernel/check exits 1 and every route is refused with the fix.
set -u
src=${ANC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${ANC_BUILD_ROOT:-$src/build}
out=$build/kernel
bin=$build/test/kernel

for p in qemu-system-x86_64 make gcc bison flex bc mksquashfs; do
    command -v "$p" >/dev/null || { echo "SKIP: $p missing (tools/debian-packages.txt)"; exit 77; }
done
[ -r /usr/src/linux-source-6.1.tar.xz ] ||
    { echo "SKIP: linux-source-6.1 not installed (tools/debian-packages.txt)"; exit 77; }
[ -x "$bin/test-binder-vm" ] && [ -x "$bin/binder-init" ] ||
    { echo "FAIL: $bin/test-binder-vm or binder-init not built"; exit 1; }

t0=$(date +%s)
image=$("$src/kernel/build" "$out") || { echo "FAIL: kernel/build"; exit 1; }
echo "kernel/build: $(( $(date +%s) - t0 )) s"

fails=0
# in_vm NAME CMD...: runs CMD in a fresh VM from the checkout, prints its output and timing.
in_vm() {
    local name=$1 t rc
    shift
    t=$(date +%s.%N)
    (cd "$src" && ANC_KERNEL_IMAGE=$image ANC_VM_TIMEOUT=600 "$src/kernel/vm" "$@")
    rc=$?
    printf 'check %s: exit %s, VM boot to result %.1f s\n' "$name" "$rc" \
        "$(echo "$(date +%s.%N) - $t" | bc)"
    [ "$rc" -eq 0 ] || { echo "FAIL: $name inside the VM exited $rc"; fails=$((fails + 1)); }
}

in_vm kernel/check "$src/kernel/check"
in_vm binderfs "$bin/test-binder-vm" binderfs
in_vm containers "$bin/test-binder-vm" containers "$bin/binder-init"
in_vm kallsyms-export sh -c 'grep -w __ksymtab_kallsyms_lookup_name /proc/kallsyms'

# The VM's results came from the VM: on a host without binder the same code still says no.
if ! grep -qw binder /proc/filesystems && ! [ -e /dev/binder ]; then
    "$src/kernel/check" > /dev/null
    rc=$?
    [ "$rc" -eq 1 ] || { echo "FAIL: kernel/check on this binder-less host exited $rc, not 1"; fails=$((fails + 1)); }
    echo "host kernel/check: exit 1 (no binder here), as expected"
    "$bin/test-binder-vm" no-binder || { echo "FAIL: test-binder-vm no-binder"; fails=$((fails + 1)); }
fi
[ "$fails" -eq 0 ] || exit 1
echo PASS
