/* A tiny built-in 5x7 bitmap font for printable ASCII, so the demo needs no SDL_ttf or font files
 * inside the guest image. */
#pragma once

#include <stdint.h>

#define DEMO_FONT_W 5
#define DEMO_FONT_H 7

/* Returns the 7 row bitmaps of code point cp (bit 4 = leftmost column), or NULL when the font has
 * no glyph for it (anything outside 0x20..0x7e); callers draw a placeholder box then. */
const uint8_t *demo_font_glyph(uint32_t cp);
