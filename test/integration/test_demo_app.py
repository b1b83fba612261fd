#!/usr/bin/env python3
"""Demo guest app on a real Xvfb: XTest input in, JSON lines and framebuffer pixels out.

Starts Xvfb (-displayfd picks the display, -fbdir exposes the framebuffer as an XWD file), runs
$ANC_BUILD_ROOT/tools/guest/ancloud-demo on it, waits for its "ready" line, then drives it with
the xinject helper: a click, typed ASCII and CJK text, Backspace, a drag and a wheel step. Checks
the JSON events, reads the marker colour at the clicked point from the framebuffer, checks that
--animate changes frames, and that SIGTERM ends the app with a "quit" line and exit code 0.
Exits 77 (skip; 1 when CI=true) when Xvfb or the binaries are missing."""
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("ANC_BUILD_ROOT", "build")
DEMO = os.path.join(BUILD, "tools", "guest", "ancloud-demo")
XINJECT = os.path.join(BUILD, "tools", "guest", "xinject")
W, H = 720, 1280
MARKER = (0xFF, 0xD4, 0x00)
BG = (0x20, 0x30, 0x3C)
procs = []


def skip(reason):
    print("SKIP: " + reason, flush=True)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def start_xvfb(fbdir):
    """Returns (process, ":N"); -displayfd writes N once the server accepts clients."""
    rfd, wfd = os.pipe()
    p = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "%dx%dx24" % (W, H),
                          "-fbdir", fbdir, "-nolisten", "tcp"],
                         pass_fds=(wfd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    os.close(wfd)
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(rfd, 64)
        if not chunk:
            fail("Xvfb exited before reporting its display")
        data += chunk
    os.close(rfd)
    return p, ":" + data.decode().strip()


class Demo:
    def __init__(self, display, *args):
        env = dict(os.environ, DISPLAY=display)
        self.p = subprocess.Popen([DEMO, "--width", str(W), "--height", str(H)] + list(args),
                                  env=env, stdout=subprocess.PIPE)
        procs.append(self.p)
        self.buf = b""
        self.events = []

    def read_until(self, pred, timeout=10.0, what="event"):
        """Reads JSON lines until pred(events) holds; returns the matching event list."""
        deadline = time.monotonic() + timeout
        while not pred(self.events):
            left = deadline - time.monotonic()
            if left <= 0:
                fail("timed out waiting for %s; got %s" % (what, self.events[-10:]))
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                fail("demo exited (%s) while waiting for %s" % (self.p.wait(), what))
            self.buf += chunk
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self.events.append(json.loads(line.decode("utf-8")))
        return self.events

    def of(self, kind):
        return [e for e in self.events if e["event"] == kind]


def inject(display, *args):
    subprocess.run([XINJECT, "-d", display] + [str(a) for a in args], check=True, timeout=30)


def read_xwd(path):
    """Returns (width, height, pixel(x, y) -> (r, g, b)) for Xvfb's 32 bpp XWD framebuffer."""
    with open(path, "rb") as f:
        data = f.read()
    hdr = struct.unpack(">25I", data[:100])
    (header_size, version, _fmt, _depth, width, height, _xoff, byte_order, _unit, _bit_order,
     _pad, bpp, bpl) = hdr[:13]
    ncolors = hdr[19]
    check(version == 7 and bpp == 32, "unexpected XWD header %s" % (hdr[:13],))
    base = header_size + 12 * ncolors

    def pixel(x, y):
        off = base + y * bpl + 4 * x
        b0, b1, b2, b3 = data[off:off + 4]
        return (b2, b1, b0) if byte_order == 0 else (b1, b2, b3)

    return width, height, pixel


def wait_pixel(fb, x, y, want, timeout=5.0):
    """The app draws after it logs the event; poll the framebuffer until the frame lands."""
    deadline = time.monotonic() + timeout
    while True:
        _, _, pixel = read_xwd(fb)
        got = pixel(x, y)
        if got == want:
            return pixel
        if time.monotonic() > deadline:
            fail("pixel (%d,%d) is %s, want %s" % (x, y, got, want))
        time.sleep(0.02)


def test_input(display, fb):
    demo = Demo(display)
    ready = demo.read_until(lambda ev: any(e["event"] == "ready" for e in ev), what="ready")
    r = [e for e in ready if e["event"] == "ready"][0]
    check(r["width"] == W and r["height"] == H, "ready %s" % r)
    wait_pixel(fb, 600, 1200, BG)

    inject(display, "click", 180, 640)
    demo.read_until(lambda ev: any(e["event"] == "up" for e in ev), what="click")
    down = demo.of("down")
    check(len(down) == 1, "one down event: %s" % down)
    check(abs(down[0]["x"] - 180) <= 1 and abs(down[0]["y"] - 640) <= 1, "down at %s" % down[0])
    pixel = wait_pixel(fb, 180, 640, MARKER)
    radius = max(24, W // 30)
    for dx, dy in ((radius - 2, 0), (0, -(radius - 2)), (-(radius - 2), 0)):
        check(pixel(180 + dx, 640 + dy) == MARKER, "marker radius >= %d at +%d,%d" % (radius, dx, dy))
    check(pixel(180 + radius + 3, 640) == BG, "marker is a disc, not a blob")

    inject(display, "type", "hello")
    demo.read_until(lambda ev: "".join(e["text"] for e in ev if e["event"] == "text") == "hello",
                    what="text hello")
    keys = [e["key"] for e in demo.of("key")]
    check(keys[:2] == ["h", "e"], "key events %s" % keys)

    inject(display, "type", "世界", "key", "BackSpace")
    demo.read_until(lambda ev: any(e["event"] == "key" and e["key"] == "Backspace" for e in ev),
                    what="Backspace")
    text = "".join(e["text"] for e in demo.of("text"))
    check(text == "hello世界", "text events spell %r" % text)

    inject(display, "drag", 100, 900, 400, 1000, 6, "wheel", "down")
    demo.read_until(lambda ev: any(e["event"] == "wheel" for e in ev), what="wheel")
    moves = [e for e in demo.of("move") if e["pressed"]]
    check(len(moves) >= 3 and moves[-1]["x"] == 400 and moves[-1]["y"] == 1000, "moves %s" % moves)
    check(demo.of("wheel")[-1]["dy"] == -1, "wheel down is dy -1")
    wait_pixel(fb, 250, 950, (0x00, 0xE0, 0xFF))  # trail between 100,900 and 400,1000
    pixel = wait_pixel(fb, 100, 900, MARKER)  # the marker moved to the new touch-down
    check(pixel(180, 640) != MARKER, "old marker erased")

    demo.p.send_signal(signal.SIGTERM)
    demo.read_until(lambda ev: ev[-1]["event"] == "quit", what="quit")
    check(demo.p.wait(timeout=5) == 0, "exit code 0 on SIGTERM")


def test_animate(display, fb):
    demo = Demo(display, "--animate", "--fps", "30")
    demo.read_until(lambda ev: any(e["event"] == "ready" for e in ev), what="ready")
    first = open(os.path.join(fb, "Xvfb_screen0"), "rb").read()
    deadline = time.monotonic() + 5
    while open(os.path.join(fb, "Xvfb_screen0"), "rb").read() == first:
        check(time.monotonic() < deadline, "--animate frames change")
        time.sleep(0.05)
    demo.p.send_signal(signal.SIGTERM)
    check(demo.p.wait(timeout=5) == 0, "exit code 0 on SIGTERM (animate)")


def main():
    if not shutil.which("Xvfb"):
        skip("Xvfb not installed")
    for exe in (DEMO, XINJECT):
        if not os.access(exe, os.X_OK):
            skip("%s not built" % exe)
    tmp = tempfile.mkdtemp(prefix="anc-demo-")
    try:
        _, display = start_xvfb(tmp)
        fb = os.path.join(tmp, "Xvfb_screen0")
        test_input(display, fb)
        test_animate(display, tmp)
        print("ok: demo app answers click, text, drag, wheel; marker on screen; animate; SIGTERM")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
