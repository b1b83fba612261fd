/* Drawing with plain SDL_Renderer primitives (fill rects and one quad per trail segment), so the
 * software renderer is enough and a frame costs little. Non-ASCII text adds one cached glyph
 * texture per distinct character (ttf.c). */
#include "scene.h"

#include <math.h>

#include "font5x7.h"
#include "ttf.h"

#define TEXT_ROWS  6
#define MAX_RADIUS 511

static void color(SDL_Renderer *r, uint32_t rgb)
{
    SDL_SetRenderDrawColor(r, (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff, 0xff);
}

static void fill(SDL_Renderer *r, int x, int y, int w, int h)
{
    SDL_Rect rect = {x, y, w, h};
    SDL_RenderFillRect(r, &rect);
}

/* One horizontal span per row gives an exact, gap-free disc. */
static void disc(SDL_Renderer *r, int cx, int cy, int radius)
{
    SDL_Rect rows[2 * MAX_RADIUS + 1];
    int n = 0;
    if (radius > MAX_RADIUS)
        radius = MAX_RADIUS;
    for (int dy = -radius; dy <= radius; dy++) {
        int dx = (int)sqrt((double)radius * radius - (double)dy * dy);
        rows[n++] = (SDL_Rect){cx - dx, cy + dy, 2 * dx + 1, 1};
    }
    SDL_RenderFillRects(r, rows, n);
}

static void thick_segment(SDL_Renderer *r, SDL_Point a, SDL_Point b, int width, uint32_t rgb)
{
    float dx = (float)(b.x - a.x), dy = (float)(b.y - a.y);
    float len = sqrtf(dx * dx + dy * dy);
    if (len < 0.5f)
        return;
    float nx = -dy / len * (float)width / 2.0f, ny = dx / len * (float)width / 2.0f;
    SDL_Color c = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff, 0xff};
    SDL_Vertex v[4] = {
        {{a.x + nx, a.y + ny}, c, {0, 0}},
        {{a.x - nx, a.y - ny}, c, {0, 0}},
        {{b.x - nx, b.y - ny}, c, {0, 0}},
        {{b.x + nx, b.y + ny}, c, {0, 0}},
    };
    static const int idx[6] = {0, 1, 2, 0, 2, 3};
    SDL_RenderGeometry(r, NULL, v, 4, idx, 6);
}

static void trail(const struct demo_scene *s, SDL_Renderer *r)
{
    color(r, DEMO_COLOR_TRAIL);
    for (size_t i = 1; i < s->ntrail; i++)
        thick_segment(r, s->trail[i - 1], s->trail[i], s->trail_w, DEMO_COLOR_TRAIL);
    /* Round joints so that sharp turns leave no notches. */
    for (size_t i = 1; i < s->ntrail; i++)
        disc(r, s->trail[i].x, s->trail[i].y, s->trail_w / 2);
}

static void glyph(SDL_Renderer *r, int x, int y, int scale, uint32_t cp)
{
    const uint8_t *g = demo_font_glyph(cp);
    SDL_Rect px[DEMO_FONT_W * DEMO_FONT_H];
    int n = 0;

    if (!g) {
        /* No glyph (e.g. CJK without the font): an outlined box shows that a character arrived. */
        int w = DEMO_FONT_W * scale, h = DEMO_FONT_H * scale, t = scale > 1 ? scale / 2 : 1;
        fill(r, x, y, w, t);
        fill(r, x, y + h - t, w, t);
        fill(r, x, y, t, h);
        fill(r, x + w - t, y, t, h);
        return;
    }
    for (int row = 0; row < DEMO_FONT_H; row++)
        for (int col = 0; col < DEMO_FONT_W; col++)
            if (g[row] & (0x10 >> col))
                px[n++] = (SDL_Rect){x + col * scale, y + row * scale, scale, scale};
    SDL_RenderFillRects(r, px, n);
}

static void label(SDL_Renderer *r, int x, int y, int scale, const char *ascii)
{
    for (; *ascii; ascii++, x += (DEMO_FONT_W + 1) * scale)
        glyph(r, x, y, scale, (unsigned char)*ascii);
}

/* Text cells cp takes: one for ASCII and for boxes, two for the font's wide (CJK) glyphs. */
static int text_cells(const struct demo_scene *s, uint32_t cp)
{
    int n = demo_font_glyph(cp) || !s->ttf ? 1 : demo_ttf_cells(s->ttf, cp);
    return n > 0 ? n : 1;
}

/* A font glyph gets its n cells (less the gap after them) and a line height of the bitmap's 7
 * rows plus one of the 3 spare rows above and below: the em square is 9 rows tall. */
static void text_glyph(const struct demo_scene *s, SDL_Renderer *r, int x, int y, int n,
                       uint32_t cp)
{
    SDL_Rect box = {x, y - s->scale, n * (DEMO_FONT_W + 1) * s->scale - s->scale,
                    (DEMO_FONT_H + 2) * s->scale};
    if (demo_font_glyph(cp) || !s->ttf || !demo_ttf_draw(s->ttf, r, cp, &box))
        glyph(r, x, y, s->scale, cp);
}

void demo_scene_load_font(struct demo_scene *s, const char *path)
{
    demo_scene_free_font(s);
    s->ttf = demo_ttf_open(path, (DEMO_FONT_H + 2) * s->scale);
}

void demo_scene_free_font(struct demo_scene *s)
{
    demo_ttf_close(s->ttf);
    s->ttf = NULL;
}

/* Lays the text out in rows of `cols` cells and draws only the last TEXT_ROWS rows, so the newest
 * input is always visible. Called twice: once to count rows, once to draw. */
static int text_rows(const struct demo_scene *s, SDL_Renderer *r, int cols, int first, int x0,
                     int y0)
{
    int cw = (DEMO_FONT_W + 1) * s->scale, lh = (DEMO_FONT_H + 3) * s->scale;
    int row = 0, col = 0;
    for (size_t i = 0; i < s->ntext; i++) {
        int n = s->text[i] == '\n' ? 0 : text_cells(s, s->text[i]);
        if (s->text[i] == '\n' || (col > 0 && col + n > cols)) {
            row++;
            col = 0;
            if (s->text[i] == '\n')
                continue;
        }
        if (r && row >= first)
            text_glyph(s, r, x0 + col * cw, y0 + (row - first) * lh, n, s->text[i]);
        col += n;
    }
    if (r && row >= first) /* caret */
        fill(r, x0 + col * cw, y0 + (row - first) * lh, s->scale, DEMO_FONT_H * s->scale);
    return row + 1;
}

static void text_area(const struct demo_scene *s, SDL_Renderer *r, int y)
{
    int pad = 2 * s->scale, lh = (DEMO_FONT_H + 3) * s->scale;
    int cols = (s->w - 4 * pad) / ((DEMO_FONT_W + 1) * s->scale);
    color(r, DEMO_COLOR_TEXTBG);
    fill(r, pad, y, s->w - 2 * pad, TEXT_ROWS * lh + 2 * pad);
    if (cols < 1)
        return;
    int rows = text_rows(s, NULL, cols, 0, 0, 0);
    int first = rows > TEXT_ROWS ? rows - TEXT_ROWS : 0;
    color(r, DEMO_COLOR_TEXT);
    text_rows(s, r, cols, first, 2 * pad, y + pad + s->scale);
}

/* Triangle wave: 0 → range → 0 with the given speed in px per ms. */
static int bounce(uint64_t ms, double speed, int range)
{
    if (range <= 0)
        return 0;
    long long p = (long long)((double)ms * speed) % (2LL * range);
    return (int)(p < range ? p : 2LL * range - p);
}

static void animation(const struct demo_scene *s, SDL_Renderer *r)
{
    int size = s->w / 8, bw = s->w / 4, bh = 3 * s->scale;
    color(r, DEMO_COLOR_ANIM1);
    fill(r, bounce(s->anim_ms, 0.31, s->w - size), bounce(s->anim_ms, 0.23, s->h - size), size,
         size);
    color(r, DEMO_COLOR_ANIM2);
    fill(r, (int)((s->anim_ms / 2) % (uint64_t)(s->w + bw)) - bw, s->h - 10 * s->scale, bw, bh);
}

void demo_scene_draw(const struct demo_scene *s, SDL_Renderer *r)
{
    int hh = 14 * s->scale;
    color(r, DEMO_COLOR_BG);
    SDL_RenderClear(r);
    if (s->animate)
        animation(s, r);
    color(r, DEMO_COLOR_HEADER);
    fill(r, 0, 0, s->w, hh);
    color(r, DEMO_COLOR_TITLE);
    label(r, 3 * s->scale, (hh - DEMO_FONT_H * s->scale) / 2, s->scale, "ancloud demo");
    color(r, DEMO_COLOR_STATUS);
    label(r, 3 * s->scale, hh + 3 * s->scale, s->scale, s->status);
    text_area(s, r, hh + 13 * s->scale);
    trail(s, r);
    if (s->marker) {
        color(r, DEMO_COLOR_MARKER);
        disc(r, s->mx, s->my, s->radius);
    }
}
