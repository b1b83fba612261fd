#!/usr/bin/env bash
# tools/mkimage builds a squashfs guest image whose demo app runs inside it.
#
# Builds the image twice (same bytes both times), lists it with unsquashfs -l (busybox, the start
# script, the app, every library ldd names, the app's CJK font at its compiled-in path), mounts it with squashfuse (or extracts it when FUSE
# is unavailable), binds a fresh Xvfb's socket dir into it, runs /sbin/ancloud-guest under chroot
# and waits for the app's "ready" line; then clicks and types (ASCII and CJK) with xinject and
# checks the events and that the app loaded its font (nothing about placeholder boxes on stderr),
# runs ancloud-agent (the scrcpy-server stand-in) there and reads the start of its stream,
# and ends the app with SIGTERM. Needs root for chroot and mounts.
# Exits 77 (skip) when it cannot run here, 1 instead when CI=true.
set -euo pipefail

src=${ANC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${ANC_BUILD_ROOT:-$src/build}
demo=$build/tools/guest/ancloud-demo
agent=$build/tools/guest/ancloud-agent
xinject=$build/tools/guest/xinject

skip() {
    echo "SKIP: $*"
    [ "${CI:-}" = true ] && exit 1
    exit 77
}

fail() {
    echo "FAIL: $*"
    exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (chroot, mounts)"
for t in mksquashfs unsquashfs Xvfb chroot; do
    command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
[ -x /bin/busybox ] || skip "busybox-static not installed"
[ -x "$demo" ] || skip "$demo not built"
[ -x "$agent" ] || skip "$agent not built"

tmp=$(mktemp -d /tmp/anc-mkimage.XXXXXX)
root=$tmp/root
mounts=()
pids=()

cleanup() {
    local i
    for i in "${pids[@]}"; do
        kill "$i" 2>/dev/null || true
    done
    for i in "${pids[@]}"; do
        wait "$i" 2>/dev/null || true
    done
    # The start script mounts /proc inside the root; then our mounts, newest first.
    mountpoint -q "$root/proc" 2>/dev/null && umount "$root/proc"
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# 1. Build, twice: the second run must replace the image with identical bytes.
img=$tmp/x/demo.img
ANCLOUD_DEMO=$demo "$src/tools/mkimage" "$img" || fail "mkimage failed"
cp "$img" "$tmp/first.img"
ANCLOUD_DEMO=$demo "$src/tools/mkimage" "$img" >/dev/null || fail "mkimage (again) failed"
cmp -s "$img" "$tmp/first.img" || fail "mkimage is not reproducible"
rm -f "$tmp/first.img"
[ "$(ls "$tmp/x")" = demo.img ] || fail "mkimage left files behind: $(ls "$tmp/x")"

# 2. Contents.
listing=$(unsquashfs -l "$img" | sed 's|^squashfs-root||')
want=(/bin/busybox /bin/sh /sbin/ancloud-guest /usr/bin/ancloud-demo /usr/bin/ancloud-agent /etc/passwd /etc/group
      /etc/hosts /etc/resolv.conf /etc/nsswitch.conf /proc /sys /dev /tmp /run /root
      /tmp/.X11-unix /usr/share/udhcpc/default.script)
for l in "${want[@]}"; do
    grep -qx "$l" <<<"$listing" || fail "image lacks $l"
done
for applet in ip udhcpc ping nslookup mount ls cat; do
    grep -qE "^/(usr/)?s?bin/$applet\$" <<<"$listing" || fail "image lacks busybox applet $applet"
done
libs=$( (ldd "$demo"; ldd "$agent") | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
for l in $libs; do
    grep -qx "$l" <<<"$listing" || fail "image lacks $l (ldd of the app)"
done
for so in libX11.so.6 libXext.so.6 libXcursor.so.1 libXi.so.6 libXrandr.so.2 libXss.so.1 \
    libXfixes.so.3 libxkbcommon.so.0; do
    grep -q "/$so\$" <<<"$listing" || fail "image lacks $so (SDL2 X11 back-end)"
done
grep -q '/libSDL2_ttf-2\.0\.so\.0$' <<<"$listing" || fail "image lacks libSDL2_ttf"
font=$("$demo" --print-default-font) || fail "$demo --print-default-font failed"
grep -qx "$font" <<<"$listing" || fail "image lacks the app's font $font"
if grep -qE 'libGL|libLLVM|dri/' <<<"$listing"; then
    fail "image carries GL libraries it does not need"
fi
echo "ok: image lists busybox, the app, its $(wc -w <<<"$libs") libraries and its font"

# 3. Mount (squashfuse, as the daemon does) or extract, and give the guest the X socket dir.
mkdir -p "$root"
if command -v squashfuse >/dev/null 2>&1 && [ -c /dev/fuse ] && squashfuse "$img" "$root" 2>/dev/null; then
    mounts+=("$root")
else
    rmdir "$root"
    unsquashfs -q -d "$root" "$img" >/dev/null || fail "unsquashfs failed"
fi
mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix" || fail "cannot bind /tmp/.X11-unix"
mounts+=("$root/tmp/.X11-unix")

# 4. Xvfb tells its display number on a pipe once it accepts clients: no sleeps.
exec 4< <(exec Xvfb -displayfd 1 -screen 0 360x640x24 -nolisten tcp 2>/dev/null)
pids+=($!)
read -r -t 20 -u 4 dnum || fail "Xvfb did not report a display"
display=:$dnum

# 5. The app inside the image.
# stderr is kept: the app says there when it cannot load its font (and draws boxes instead).
exec 3< <(DISPLAY=$display exec chroot "$root" /sbin/ancloud-guest --width 360 --height 640 \
    2>"$tmp/app.err")
pids+=($!)
app=$!
events=""
wait_for() { # wait_for REGEX: read JSON lines until one matches
    local line
    while read -r -t 15 -u 3 line; do
        events+="$line"$'\n'
        if grep -qE "$1" <<<"$line"; then
            return 0
        fi
    done
    fail "no line matching $1; got: $events"
}
wait_for '"event":"ready","width":360,"height":640'
echo "ok: ancloud-demo started inside the image"

if [ -x "$xinject" ]; then
    "$xinject" -d "$display" click 40 500 type "ok世界" || fail "xinject failed"
    wait_for '"event":"text","text":"界"'
    grep -q '"event":"down","x":40,"y":500' <<<"$events" || fail "no down at 40,500: $events"
    text=$(sed -n 's/.*"event":"text","text":"\([^"]*\)".*/\1/p' <<<"$events" | tr -d '\n')
    [ "$text" = "ok世界" ] || fail "text inside the image: '$text'"
    echo "ok: input reaches the app inside the image (click, ASCII and CJK text)"
fi

# 6. The scrcpy-server stand-in inside the image: its stream starts as ancloudd expects.
DISPLAY=$display chroot "$root" /usr/bin/ancloud-agent 3.3.3 scid=0badcafe tunnel_forward=true \
    audio=false control=false max_fps=10 2>"$tmp/agent.err" &
agent_pid=$!
pids+=($agent_pid)
python3 - <<'PY' || fail "agent inside the image: no stream ($(cat "$tmp/agent.err"))"
import socket, struct, time
for _ in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect('\0scrcpy_0badcafe')
        break
    except OSError:
        s.close()
        time.sleep(0.1)
else:
    raise SystemExit('cannot connect')
s.settimeout(10)
buf = b''
while len(buf) < 1 + 64 + 12 + 12:
    chunk = s.recv(4096)
    if not chunk:
        raise SystemExit('stream ended')
    buf += chunk
codec, w, h = struct.unpack('>III', buf[65:77])
flags = struct.unpack('>Q', buf[77:85])[0]
assert buf[0] == 0 and codec == 0x68323634 and (w, h) == (360, 640), (buf[:77], w, h)
assert flags >> 63 == 1, 'first packet is not a config packet'
s.close()
PY
wait "$agent_pid" || fail "agent inside the image exited $? after its client left"
echo "ok: ancloud-agent runs inside the image (h264 360x640, config packet first, exits 0)"

kill -TERM "$app"
wait_for '"event":"quit"'
echo "ok: app quits on SIGTERM"
if grep -qi 'box' "$tmp/app.err"; then
    fail "the app inside the image draws boxes for non-ASCII text: $(cat "$tmp/app.err")"
fi
echo "ok: the app inside the image loaded its font (libSDL2_ttf, libfreetype, $font)"
