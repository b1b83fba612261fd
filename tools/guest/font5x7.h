/* A tiny built-in 5x7 bitmap font for printable ASCII: the pixels that tests look for. Other text
 * (CJK) is drawn with SDL_ttf and a font file (ttf.c), or as boxes without one. */
#pragma once

#include <stdint.h>

#define DEMO_FONT_W 5
#define DEMO_FONT_H 7

/* Returns the 7 row bitmaps of code point cp (bit 4 = leftmost column), or NULL when the font has
 * no glyph for it (anything outside 0x20..0x7e); callers draw a placeholder box then. */
const uint8_t *demo_font_glyph(uint32_t cp);
