#!/usr/bin/env python3
"""Demo guest app on a real Xvfb: XTest input in, JSON lines and framebuffer pixels out.

Starts Xvfb (-displayfd picks the display, -fbdir exposes the framebuffer as an XWD file), runs
$ANC_BUILD_ROOT/tools/guest/ancloud-demo on it, waits for its "ready" line, then drives it with
the xinject helper: a click, typed ASCII and CJK text, Backspace, a drag and a wheel step. Checks
the JSON events, reads the marker colour at the clicked point from the framebuffer, checks that
--animate changes frames, and that SIGTERM ends the app with a "quit" line and exit code 0.
Then types "ok世" with the app's CJK font and with that font missing (--font, $ANCLOUD_DEMO_FONT):
"ok" is the same 5x7 bitmap both times; "世" is a wide font glyph, or the one-cell placeholder
box plus one line on stderr when the font is missing.
Exits 77 (skip; 1 when CI=true) when Xvfb, the binaries or the font are missing."""
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
TEXT = (0xE8, 0xEE, 0xF2)
# Text layout at W = 720 (scene.c, scene_draw.c): 4 px per font pixel, 6-unit cells, 10-unit
# lines; row 0 of the text area starts at (16, 120).
SCALE = max(2, W // 180)
CELL, LINE = 6 * SCALE, 10 * SCALE
TEXT_X, TEXT_Y = 4 * SCALE, 30 * SCALE
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
    def __init__(self, display, *args, env=None, stderr=None):
        env = dict(env or os.environ, DISPLAY=display)
        self.p = subprocess.Popen([DEMO, "--width", str(W), "--height", str(H)] + list(args),
                                  env=env, stdout=subprocess.PIPE, stderr=stderr)
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


def typed_cells(display, fb, tmp, name, *args, env=None):
    """Runs the app, types "ok世" and Return; returns (ink of the cells 0-1 ("ok") as a tuple of
    pixels, set of (x, y) with exactly the text colour in cells 2-3 (where "世" goes, with the
    line gap above and below), stderr)."""
    err_path = os.path.join(tmp, name + ".err")
    with open(err_path, "wb") as err:
        demo = Demo(display, *args, env=env, stderr=err)
        demo.read_until(lambda ev: any(e["event"] == "ready" for e in ev), what="ready")
        inject(display, "type", "ok世", "key", "Return")
        demo.read_until(lambda ev: any(e["event"] == "key" and e["key"] == "Return" for e in ev),
                        what="Return")
        text = "".join(e["text"] for e in demo.of("text"))
        check(text == "ok世", "%s: text events spell %r" % (name, text))
        # The caret moved to row 1: the frame with all of row 0 is on screen.
        pixel = wait_pixel(fb, TEXT_X + 1, TEXT_Y + LINE + 1, TEXT)
        ok = tuple(pixel(x, y) for y in range(TEXT_Y, TEXT_Y + 7 * SCALE)
                   for x in range(TEXT_X, TEXT_X + 2 * CELL))
        x0 = TEXT_X + 2 * CELL
        ink = {(x - x0, y - TEXT_Y) for y in range(TEXT_Y - 3 * SCALE, TEXT_Y + 10 * SCALE)
               for x in range(x0, x0 + 2 * CELL) if pixel(x, y) == TEXT}
        demo.p.send_signal(signal.SIGTERM)
        check(demo.p.wait(timeout=5) == 0, "%s: exit code 0 on SIGTERM" % name)
    with open(err_path, encoding="utf-8", errors="replace") as f:
        return ok, ink, f.read()


def test_cjk(display, fb, tmp, font):
    env = {k: v for k, v in os.environ.items() if k != "ANCLOUD_DEMO_FONT"}
    ok, ink, err = typed_cells(display, fb, tmp, "font", env=env)
    check("box" not in err, "the default font %s loads: %r" % (font, err))
    missing = os.path.join(tmp, "no-such-font.ttf")
    ok_box, box, err_box = typed_cells(display, fb, tmp, "nofont",
                                       env=dict(env, ANCLOUD_DEMO_FONT=missing))
    lines = [l for l in err_box.splitlines() if l.strip()]
    check(len(lines) == 1 and missing in lines[0] and "boxes" in lines[0],
          "one fallback line on stderr: %r" % err_box)
    # Without the font "世" is the placeholder: a 5x7-unit outline, half a unit thick, in cell 2.
    t, bw, bh = SCALE // 2, 5 * SCALE, 7 * SCALE
    outline = {(x, y) for x in range(bw) for y in range(bh)
               if x < t or y < t or x >= bw - t or y >= bh - t}
    check(box == outline, "placeholder box without the font (%d pixels, want %d)"
          % (len(box), len(outline)))
    # ASCII is the bitmap font, the same pixels with or without the CJK font.
    check(TEXT in ok and ok == ok_box, "ASCII 'ok' drawn the same with and without the font")
    # With the font: a real glyph, full width (it spans both cells), not the outline.
    xs = [x for x, _ in ink]
    check(len(ink) >= 40 and ink != outline, "glyph for 世 (%d text pixels)" % len(ink))
    check(max(xs) - min(xs) > CELL, "世 is a wide glyph: x %d..%d" % (min(xs), max(xs)))
    # --font wins over $ANCLOUD_DEMO_FONT and gives the same pixels (deterministic rendering).
    _, ink2, err2 = typed_cells(display, fb, tmp, "flag", "--font", font,
                                env=dict(env, ANCLOUD_DEMO_FONT=missing))
    check("box" not in err2 and ink2 == ink, "--font %s draws the same glyph: %r" % (font, err2))


def main():
    if not shutil.which("Xvfb"):
        skip("Xvfb not installed")
    for exe in (DEMO, XINJECT):
        if not os.access(exe, os.X_OK):
            skip("%s not built" % exe)
    font = subprocess.run([DEMO, "--print-default-font"], check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    if not os.path.isfile(font):
        skip("%s missing (Debian package fonts-droid-fallback)" % font)
    tmp = tempfile.mkdtemp(prefix="anc-demo-")
    try:
        _, display = start_xvfb(tmp)
        fb = os.path.join(tmp, "Xvfb_screen0")
        test_input(display, fb)
        test_animate(display, tmp)
        test_cjk(display, fb, tmp, font)
        print("ok: demo app answers click, text, drag, wheel; marker on screen; animate; SIGTERM;"
              " CJK text drawn with the font, boxes without it")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
