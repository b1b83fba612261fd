#!/usr/bin/env python3
"""Draws the web app's icons (web/icons/icon-{192,512}.png) with nothing but zlib and struct.

A phone outline in the accent colour on the page background. The background fills the whole
square and the drawing stays inside the central 80 % circle, so the same picture is also a
maskable icon (https://w3c.github.io/manifest/#icon-masks): any mask the launcher applies keeps it.
Run from the repository root: python3 tools/make_icons.py
"""
import struct
import zlib

BG = (0x10, 0x14, 0x18)
ACCENT = (0x3F, 0xA7, 0xFF)
SCREEN = (0x18, 0x2A, 0x3A)
SUB = 3  # subsamples per axis, for smooth edges


def rounded_rect(x, y, cx, cy, hw, hh, r):
    """True when (x, y) is inside the rectangle centred on (cx, cy), half-sizes hw, hh, radius r."""
    dx = max(abs(x - cx) - (hw - r), 0.0)
    dy = max(abs(y - cy) - (hh - r), 0.0)
    return dx * dx + dy * dy <= r * r


def colour_at(u, v):
    """The colour at (u, v) in 0..1 coordinates of the icon."""
    if not rounded_rect(u, v, 0.5, 0.5, 0.19, 0.31, 0.06):
        return BG
    if not rounded_rect(u, v, 0.5, 0.5, 0.155, 0.275, 0.03):
        return ACCENT  # the phone's frame
    if (u - 0.5) ** 2 + (v - 0.73) ** 2 <= 0.022 ** 2:
        return ACCENT  # the home button
    if 0.27 <= v <= 0.69 and abs(u - 0.5) <= 0.125:
        # The screen, with a play triangle: the stream.
        tu, tv = (u - 0.455) / 0.1, (v - 0.48) / 0.09
        if 0 <= tu <= 1 and abs(tv) <= 1 - tu:
            return ACCENT
        return SCREEN
    return BG


def pixels(size):
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            acc = [0, 0, 0]
            for sy in range(SUB):
                for sx in range(SUB):
                    c = colour_at((x + (sx + 0.5) / SUB) / size, (y + (sy + 0.5) / SUB) / size)
                    for i in range(3):
                        acc[i] += c[i]
            row += bytes(round(a / (SUB * SUB)) for a in acc)
        rows.append(bytes(row))
    return b"".join(rows)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(size):
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(pixels(size), 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    for n in (192, 512):
        with open(f"web/icons/icon-{n}.png", "wb") as f:
            f.write(png(n))
