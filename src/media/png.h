/* Still pictures of a frame: PNG encoding (Debian's libpng) and the frame's identity for
 * conditional requests. Pure functions on a caller's buffer: no I/O, no globals, any thread.
 * The frames are libyuv "ARGB" (B,G,R,A bytes per pixel), what every stream source draws. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* zlib's fastest level: a 720x1280 screen encodes in a few milliseconds, and a screen is mostly
 * flat areas that compress well even so. */
#define ANC_PNG_LEVEL_FAST 1

/* Encodes width x height pixels of argb (stride bytes per row) as an 8-bit RGB PNG (alpha is
 * dropped: every source draws opaque pixels). level: zlib's 0..9. Returns 0 with *out a new
 * buffer of *len bytes (caller frees), -EINVAL for a bad size or level, -ENOMEM. */
int anc_png_encode(const uint8_t *argb, int width, int height, int stride, int level, uint8_t **out,
                   size_t *len);

/* The same kind of hash over bytes (a PNG made elsewhere: the guest's screencap). */
uint64_t anc_bytes_hash(const uint8_t *p, size_t len);

/* A 64-bit hash of the frame's colour bytes (alpha ignored) and its size: equal pictures have
 * equal hashes; different ones collide with a chance of about 2^-64. */
uint64_t anc_frame_hash(const uint8_t *argb, int width, int height, int stride);
