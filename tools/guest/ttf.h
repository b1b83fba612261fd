/* Glyphs beyond the built-in 5x7 ASCII font (CJK above all), drawn with SDL2_ttf from one font
 * file. ASCII never comes here: it keeps the bitmap font, pixel for pixel. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

struct demo_ttf;

/* Opens the font at `path` with an em of em_px pixels; call after SDL_Init. Returns NULL after
 * saying once on stderr why (no SDL_ttf, no such font): callers draw placeholder boxes then. */
struct demo_ttf *demo_ttf_open(const char *path, int em_px);
/* Frees the cached glyph textures; call before destroying the renderer. NULL is fine. */
void demo_ttf_close(struct demo_ttf *t);

/* Text cells the glyph of cp takes: 2 for wide (full-width, e.g. CJK) glyphs, 1 for the others,
 * 0 when the font has none for it. */
int demo_ttf_cells(struct demo_ttf *t, uint32_t cp);

/* Draws cp in the renderer's draw colour with its em square centred in `box`. False when the
 * glyph cannot be drawn (the caller draws a box instead). */
bool demo_ttf_draw(struct demo_ttf *t, SDL_Renderer *r, uint32_t cp, const SDL_Rect *box);
