#!/bin/bash
# kernel/build's image, booted by kernel/vm, passes kernel/check (Android guests supported), while
# this host's own kernel/check result is consistent with what its kernel has. The image is cached
# in ANC_BUILD_ROOT/kernel (kernel/build reuses it while its inputs are unchanged).
set -u
src=${ANC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${ANC_BUILD_ROOT:-$src/build}/kernel

for p in qemu-system-x86_64 make gcc bison flex bc; do
    command -v "$p" >/dev/null || { echo "SKIP: $p missing (tools/debian-packages.txt)"; exit 77; }
done
[ -r /usr/src/linux-source-6.1.tar.xz ] ||
    { echo "SKIP: linux-source-6.1 not installed (tools/debian-packages.txt)"; exit 77; }

t0=$(date +%s)
image=$("$src/kernel/build" "$out") || { echo "FAIL: kernel/build"; exit 1; }
t1=$(date +%s)
echo "kernel/build: $((t1 - t0)) s"

cd "$src" && ANC_KERNEL_IMAGE=$image "$src/kernel/vm" "$src/kernel/check"
rc=$?
echo "kernel/vm kernel/check: exit $rc after $(( $(date +%s) - t1 )) s"
[ "$rc" -eq 0 ] || { echo "FAIL: kernel/check inside the VM exited $rc"; exit 1; }

# The VM's result came from the VM: on a host without binder the same script still says no.
if ! grep -qw binder /proc/filesystems && ! [ -e /dev/binder ]; then
    "$src/kernel/check" > /dev/null
    rc=$?
    [ "$rc" -eq 1 ] || { echo "FAIL: kernel/check on this binder-less host exited $rc, not 1"; exit 1; }
    echo "host kernel/check: exit 1 (no binder here), as expected"
fi
echo PASS
