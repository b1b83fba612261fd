/* A synthetic test card for instances without a guest picture and for tests/benchmarks: scrolling
 * colour bars, a grey ramp, a title with the resolution, the frame number and a clock drawn with a
 * built-in 5x7 font, and a bouncing box. Deterministic: the same (frame, time) gives the same
 * picture. Draws into a caller-owned buffer and keeps no state. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Draws frame number `frame` into argb (libyuv "ARGB": bytes B,G,R,A per pixel), width x height
 * pixels, `stride` bytes per row (>= 4 * width). time_ms is shown as HH:MM:SS.mmm of the day it
 * falls in (pass Unix time in ms for UTC wall time, or any elapsed time). Sizes below 16x16 are
 * filled with the background only. */
void anc_pattern_draw(uint8_t *argb, int width, int height, int stride, uint64_t frame,
                      uint64_t time_ms);
