#!/usr/bin/env bash
# tools/mkimage --from-oci and --from-rootfs keep what an Android (redroid) image depends on.
#
# Builds a tiny OCI image layout here with umoci (no download): a fake redroid tree with
# /system/build.prop, /init -> /system/bin/init, files owned by Android uids (system 1000, shell
# 2000) with setuid and odd modes, a security.capability and a user.* xattr. Converts it with
# --from-oci and the unpacked tree with --from-rootfs, then looks inside each image (through
# squashfuse, or unsquashfs when FUSE is unavailable) for the same owners, modes, link and xattrs,
# and checks that the image is recognised as android the way ancloudd does (anc_image_kind asks
# unsquashfs for system/build.prop) and that mkimage says so. A tree without /system is "linux".
# Needs root (owners, security.* xattrs). Exits 77 (skip) when it cannot run here, 1 in CI.
set -euo pipefail

src=${ANC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
mkimage=$src/tools/mkimage

skip() {
    echo "SKIP: $*"
    [ "${CI:-}" = true ] && exit 1
    exit 77
}

fail() {
    echo "FAIL: $*"
    exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (file owners and security.* xattrs)"
for t in umoci mksquashfs unsquashfs python3; do
    command -v $t >/dev/null 2>&1 || skip "$t not installed"
done

tmp=$(mktemp -d /tmp/anc-mkimage-oci.XXXXXX)
mnt=$tmp/mnt
cleanup() {
    mountpoint -q "$mnt" 2>/dev/null && { umount "$mnt" || umount -l "$mnt"; }
    rm -rf "$tmp"
}
trap cleanup EXIT

# 1. A fake redroid tree, as an OCI layout L with tag t.
layout=$tmp/layout
bundle=$tmp/bundle
umoci init --layout "$layout"
umoci new --image "$layout:t"
umoci unpack --image "$layout:t" "$bundle" >/dev/null
r=$bundle/rootfs
mkdir -p "$r/system/bin" "$r/vendor/bin" "$r/data"
printf 'ro.build.version.release=13\nro.product.device=redroid_x86_64\n' >"$r/system/build.prop"
printf '#!/system/bin/sh\n' >"$r/system/bin/init"
printf 'x' >"$r/system/bin/run-as"
printf 'x' >"$r/vendor/bin/ipconfigstore"
ln -s /system/bin/init "$r/init"
chown 0:2000 "$r/system/bin/init"
chmod 0750 "$r/system/bin/init"
chown 0:2000 "$r/system/bin/run-as"
chmod 4750 "$r/system/bin/run-as"
chown 1000:1000 "$r/data"
chmod 0771 "$r/data"
chmod 0600 "$r/system/build.prop"
# vfs_cap_data revision 2, effective, permitted CAP_NET_RAW (13): what setcap cap_net_raw+ep writes.
python3 - "$r" <<'PY'
import os, struct, sys
r = sys.argv[1]
os.setxattr(r + "/vendor/bin/ipconfigstore", "security.capability",
            struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0))
os.setxattr(r + "/system/build.prop", "user.test", b"redroid")
PY
umoci repack --image "$layout:t" "$bundle" >/dev/null
rm -rf "$bundle"

# The checks, on a mounted or extracted image at $1.
check_tree() {
    local what=$1 root=$2
    python3 - "$what" "$root" <<'PY' || fail "$what: contents differ (above)"
import os, stat, struct, sys
what, root = sys.argv[1], sys.argv[2]
bad = []
def want(path, uid, gid, mode):
    st = os.lstat(root + path)
    got = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    if got != (uid, gid, mode):
        bad.append(f"{path}: owner/mode {got[0]}:{got[1]} {got[2]:o}, want {uid}:{gid} {mode:o}")
want("/system/bin/init", 0, 2000, 0o750)
want("/system/bin/run-as", 0, 2000, 0o4750)
want("/data", 1000, 1000, 0o771)
want("/system/build.prop", 0, 0, 0o600)
if os.readlink(root + "/init") != "/system/bin/init":
    bad.append("/init is not a link to /system/bin/init")
cap = os.getxattr(root + "/vendor/bin/ipconfigstore", "security.capability")
if cap != struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0):
    bad.append(f"security.capability is {cap.hex()}")
if os.getxattr(root + "/system/build.prop", "user.test") != b"redroid":
    bad.append("user.test xattr lost")
for b in bad:
    print(f"{what}: {b}")
sys.exit(1 if bad else 0)
PY
}

# Looks inside image $1: squashfuse when FUSE works (what ancloudd mounts), else unsquashfs.
check_image() {
    local what=$1 img=$2 out=$3
    grep -qx 'mkimage: family: android' <<<"$out" || fail "$what: mkimage did not say android: $out"
    # anc_image_kind's own question (src/container/image.c has_build_prop).
    unsquashfs -l -n -d '' "$img" system/build.prop 2>/dev/null | grep -q 'system/build.prop' ||
        fail "$what: ancloudd would not see /system/build.prop"
    unsquashfs -lln "$img" | grep -E ' 0/2000 .* squashfs-root/system/bin/run-as$' | grep -q '^-rwsr-x---' ||
        fail "$what: unsquashfs -lln: run-as is not 0/2000 -rwsr-x---"
    mkdir -p "$mnt"
    if command -v squashfuse >/dev/null && [ -c /dev/fuse ] && squashfuse "$img" "$mnt" 2>/dev/null
    then
        check_tree "$what (squashfuse)" "$mnt"
        umount "$mnt"
    else
        echo "note: squashfuse unavailable; extracting with unsquashfs"
        rm -rf "$tmp/x"
        unsquashfs -q -n -d "$tmp/x" "$img" >/dev/null
        check_tree "$what (unsquashfs)" "$tmp/x"
        rm -rf "$tmp/x"
    fi
    echo "ok: $what"
}

# 2. --from-oci.
out=$("$mkimage" --from-oci "$layout:t" "$tmp/img/oci.img") || fail "mkimage --from-oci failed"
echo "$out"
check_image "--from-oci" "$tmp/img/oci.img" "$out"
[ "$(ls "$tmp/img")" = oci.img ] || fail "--from-oci left files behind: $(ls "$tmp/img")"

# 3. --from-rootfs on the same tree, unpacked again.
umoci unpack --image "$layout:t" "$bundle" >/dev/null
out=$("$mkimage" --from-rootfs "$bundle/rootfs" "$tmp/img/tree.img") ||
    fail "mkimage --from-rootfs failed"
echo "$out"
check_image "--from-rootfs" "$tmp/img/tree.img" "$out"

# 4. A tree without /system is a linux image; bad sources are refused with a reason.
mkdir -p "$tmp/plain/bin"
printf 'x' >"$tmp/plain/bin/sh"
out=$("$mkimage" --from-rootfs "$tmp/plain" "$tmp/img/plain.img") || fail "plain tree failed"
grep -qx 'mkimage: family: linux' <<<"$out" || fail "plain tree not linux: $out"
if err=$("$mkimage" --from-oci "$tmp/plain:t" "$tmp/img/bad.img" 2>&1); then
    fail "--from-oci accepted a directory that is no OCI layout"
fi
grep -q 'not an OCI image layout' <<<"$err" || fail "unexpected message: $err"
if err=$("$mkimage" --from-oci "$layout:nosuchtag" "$tmp/img/bad.img" 2>&1); then
    fail "--from-oci accepted a missing tag"
fi
grep -q 'umoci unpack' <<<"$err" || fail "unexpected message: $err"
[ ! -e "$tmp/img/bad.img" ] || fail "a failed run left an image"
echo "PASS"
