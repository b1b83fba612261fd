#include "ttf.h"

#include <stdio.h>
#include <stdlib.h>

#include <SDL_ttf.h>

/* Direct-mapped glyph cache: a slot keeps the last code point that mapped to it, with its texture
 * made on first draw. At most a few hundred cells are visible, so a collision only costs one
 * re-render. */
#define CACHE_SLOTS 512

struct slot {
    uint32_t cp;
    int cells; /* -1: empty slot */
    SDL_Texture *tex;
    int w, h;
};

struct demo_ttf {
    TTF_Font *font;
    int em, ascent;
    bool warned;
    struct slot cache[CACHE_SLOTS];
};

struct demo_ttf *demo_ttf_open(const char *path, int em_px)
{
    struct demo_ttf *t;
    if (!TTF_WasInit() && TTF_Init() < 0) {
        fprintf(stderr, "ancloud-demo: SDL_ttf: %s; non-ASCII text is drawn as boxes\n",
                TTF_GetError());
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (t)
        t->font = TTF_OpenFont(path, em_px); /* points = pixels at SDL_ttf's default 72 dpi */
    if (!t || !t->font) {
        fprintf(stderr, "ancloud-demo: font %s: %s; non-ASCII text is drawn as boxes\n", path,
                t ? TTF_GetError() : "out of memory");
        free(t);
        TTF_Quit();
        return NULL;
    }
    t->em = em_px;
    t->ascent = TTF_FontAscent(t->font);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        t->cache[i].cells = -1;
    return t;
}

void demo_ttf_close(struct demo_ttf *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (t->cache[i].tex)
            SDL_DestroyTexture(t->cache[i].tex);
    TTF_CloseFont(t->font);
    TTF_Quit();
    free(t);
}

static struct slot *lookup(struct demo_ttf *t, uint32_t cp)
{
    struct slot *s = &t->cache[cp % CACHE_SLOTS];
    int advance;
    if (s->cells >= 0 && s->cp == cp)
        return s;
    if (s->tex)
        SDL_DestroyTexture(s->tex);
    *s = (struct slot){.cp = cp, .cells = 0};
    if (TTF_GlyphIsProvided32(t->font, cp) &&
        TTF_GlyphMetrics32(t->font, cp, NULL, NULL, NULL, NULL, &advance) == 0)
        /* Full-width glyphs advance by about one em; Latin, Greek, Cyrillic by about half. */
        s->cells = 4 * advance > 3 * t->em ? 2 : 1;
    return s;
}

int demo_ttf_cells(struct demo_ttf *t, uint32_t cp)
{
    return lookup(t, cp)->cells;
}

bool demo_ttf_draw(struct demo_ttf *t, SDL_Renderer *r, uint32_t cp, const SDL_Rect *box)
{
    struct slot *s = lookup(t, cp);
    uint8_t cr, cg, cb, ca;
    if (s->cells == 0)
        return false;
    if (!s->tex) {
        /* White glyph, tinted per draw: one texture serves every colour. */
        SDL_Surface *surf = TTF_RenderGlyph32_Blended(t->font, cp, (SDL_Color){255, 255, 255, 255});
        if (surf) {
            s->tex = SDL_CreateTextureFromSurface(r, surf);
            s->w = surf->w;
            s->h = surf->h;
            SDL_FreeSurface(surf);
        }
        if (!s->tex) {
            if (!t->warned)
                fprintf(stderr, "ancloud-demo: cannot render U+%04X: %s; drawing a box\n",
                        (unsigned)cp, SDL_GetError());
            t->warned = true;
            s->cells = 0;
            return false;
        }
    }
    SDL_GetRenderDrawColor(r, &cr, &cg, &cb, &ca);
    SDL_SetTextureColorMod(s->tex, cr, cg, cb);
    /* The surface's top is the font's ascent line. Ideographs fill the em square, which sits
     * 0.88 em above and 0.12 em below the baseline: centre that square in the box. */
    int baseline = box->y + (box->h - t->em) / 2 + t->em * 88 / 100;
    SDL_Rect dst = {box->x + (box->w - s->w) / 2, baseline - t->ascent, s->w, s->h};
    SDL_RenderCopy(r, s->tex, NULL, &dst);
    return true;
}
