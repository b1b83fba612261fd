#include "media/pattern.h"

#include <stdio.h>
#include <string.h>

#define GLYPH_W 5
#define GLYPH_H 7

/* 5x7 glyphs, one byte per row, bit 4 the leftmost column. */
static const struct {
    char c;
    uint8_t rows[GLYPH_H];
} font[] = {
    {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}},
    {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}},
    {'3', {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}},
    {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}},
    {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
    {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}},
    {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}},
    {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
    {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}},
    {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
    {'C', {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}},
    {'D', {0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c}},
    {'E', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}},
    {'F', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}},
    {'I', {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f}},
    {'M', {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}},
    {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
    {'P', {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10}},
    {'R', {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}},
    {'S', {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e}},
    {'T', {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
    {'X', {0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11}},
};

/* 75% colour bars, left to right: white, yellow, cyan, green, magenta, red, blue, black. */
static const uint32_t bars[8] = {0xbfbfbf, 0xbfbf00, 0x00bfbf, 0x00bf00,
                                 0xbf00bf, 0xbf0000, 0x0000bf, 0x101010};

#define BACKGROUND 0x202020
#define PANEL      0x000000
#define TEXT       0xf0f0f0
#define ACCENT     0xffc000

struct canvas {
    uint8_t *px;
    int w, h, stride;
};

static void put(const struct canvas *cv, int x, int y, uint32_t rgb)
{
    uint8_t *p = cv->px + (size_t)y * (size_t)cv->stride + 4 * (size_t)x;
    p[0] = (uint8_t)rgb;
    p[1] = (uint8_t)(rgb >> 8);
    p[2] = (uint8_t)(rgb >> 16);
    p[3] = 0xff;
}

/* Fills a rectangle clipped to the canvas: one row is drawn, then copied. */
static void fill(const struct canvas *cv, int x0, int y0, int w, int h, uint32_t rgb)
{
    int x1 = x0 + w, y1 = y0 + h;
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > cv->w ? cv->w : x1;
    y1 = y1 > cv->h ? cv->h : y1;
    if (x0 >= x1 || y0 >= y1)
        return;
    for (int x = x0; x < x1; x++)
        put(cv, x, y0, rgb);
    const uint8_t *row = cv->px + (size_t)y0 * (size_t)cv->stride + 4 * (size_t)x0;
    for (int y = y0 + 1; y < y1; y++)
        memcpy(cv->px + (size_t)y * (size_t)cv->stride + 4 * (size_t)x0, row,
               4 * (size_t)(x1 - x0));
}

static const uint8_t *glyph(char c)
{
    for (size_t i = 0; i < sizeof(font) / sizeof(font[0]); i++)
        if (font[i].c == c)
            return font[i].rows;
    return NULL; /* space and anything unknown: blank */
}

/* Width in pixels of text at a scale: 5 columns per glyph plus one of spacing. */
static int text_width(const char *s, int scale)
{
    int n = (int)strlen(s);
    return n > 0 ? (n * (GLYPH_W + 1) - 1) * scale : 0;
}

static void draw_text(const struct canvas *cv, int x, int y, int scale, const char *s, uint32_t rgb)
{
    for (; *s; s++, x += (GLYPH_W + 1) * scale) {
        const uint8_t *g = glyph(*s);
        if (!g)
            continue;
        for (int row = 0; row < GLYPH_H; row++)
            for (int col = 0; col < GLYPH_W; col++)
                if (g[row] & (0x10 >> col))
                    fill(cv, x + col * scale, y + row * scale, scale, scale, rgb);
    }
}

static void draw_text_centred(const struct canvas *cv, int y, int scale, const char *s,
                              uint32_t rgb)
{
    draw_text(cv, (cv->w - text_width(s, scale)) / 2, y, scale, s, rgb);
}

/* Colour bars scrolling left by `speed` pixels a frame, wrapping around. */
static void draw_bars(const struct canvas *cv, int y0, int h, uint64_t frame)
{
    int speed = cv->w / 180 > 0 ? cv->w / 180 : 1;
    int shift = (int)((frame * (uint64_t)speed) % (uint64_t)cv->w);
    for (int x = 0; x < cv->w; x++) {
        int bx = (x + shift) % cv->w;
        put(cv, x, y0, bars[bx * 8 / cv->w]);
    }
    const uint8_t *row = cv->px + (size_t)y0 * (size_t)cv->stride;
    for (int y = y0 + 1; y < y0 + h; y++)
        memcpy(cv->px + (size_t)y * (size_t)cv->stride, row, 4 * (size_t)cv->w);
}

static void draw_ramp(const struct canvas *cv, int y0, int h)
{
    for (int i = 0; i < 16; i++) {
        uint32_t v = (uint32_t)(i * 17);
        int x0 = i * cv->w / 16, x1 = (i + 1) * cv->w / 16;
        fill(cv, x0, y0, x1 - x0, h, v << 16 | v << 8 | v);
    }
}

static void draw_panel(const struct canvas *cv, int y0, int h, uint64_t frame, uint64_t time_ms)
{
    char line[3][32];
    uint64_t ms = time_ms % 86400000u;
    snprintf(line[0], sizeof(line[0]), "%dX%d", cv->w, cv->h);
    snprintf(line[1], sizeof(line[1]), "FRAME %06llu", (unsigned long long)(frame % 1000000u));
    snprintf(line[2], sizeof(line[2]), "%02u:%02u:%02u.%03u", (unsigned)(ms / 3600000u),
             (unsigned)(ms / 60000u % 60u), (unsigned)(ms / 1000u % 60u), (unsigned)(ms % 1000u));
    /* The widest line ("ANCLOUD TEST CARD", 17 glyphs) fits in 90% of the width. */
    int scale = cv->w * 9 / 10 / text_width("ANCLOUD TEST CARD", 1);
    int by_height = h / (4 * (GLYPH_H + 3) + 2);
    scale = scale < by_height ? scale : by_height;
    scale = scale > 0 ? scale : 1;
    int lh = (GLYPH_H + 3) * scale;
    fill(cv, 0, y0, cv->w, h, PANEL);
    int y = y0 + (h - 4 * lh) / 2;
    draw_text_centred(cv, y, scale, "ANCLOUD TEST CARD", ACCENT);
    draw_text_centred(cv, y + lh, scale, line[0], TEXT);
    draw_text_centred(cv, y + 2 * lh, scale, line[1], TEXT);
    draw_text_centred(cv, y + 3 * lh, scale, line[2], TEXT);
}

/* A box bouncing between the left and right edges, with a frame-parity dot inside so that a
 * frozen stream is visible even when the box is at a turning point. */
static void draw_box(const struct canvas *cv, int y0, int h, uint64_t frame)
{
    int size = cv->w / 5 < h * 3 / 4 ? cv->w / 5 : h * 3 / 4;
    if (size < 4)
        return;
    int travel = cv->w - size, speed = cv->w / 120 > 0 ? cv->w / 120 : 1;
    int x = 0;
    if (travel > 0) {
        int pos = (int)((frame * (uint64_t)speed) % (uint64_t)(2 * travel));
        x = pos < travel ? pos : 2 * travel - pos;
    }
    int y = y0 + (h - size) / 2;
    fill(cv, x, y, size, size, 0xf0f0f0);
    fill(cv, x + size / 4, y + size / 4, size / 2, size / 2, (frame & 1) ? 0xd02020 : 0x2020d0);
}

void anc_pattern_draw(uint8_t *argb, int width, int height, int stride, uint64_t frame,
                      uint64_t time_ms)
{
    struct canvas cv = {.px = argb, .w = width, .h = height, .stride = stride};
    if (width <= 0 || height <= 0)
        return;
    fill(&cv, 0, 0, width, height, BACKGROUND);
    if (width < 16 || height < 16)
        return;
    int bars_h = height * 40 / 100, ramp_h = height * 6 / 100, panel_h = height * 30 / 100;
    draw_bars(&cv, 0, bars_h, frame);
    draw_ramp(&cv, bars_h, ramp_h);
    draw_panel(&cv, bars_h + ramp_h, panel_h, frame, time_ms);
    int rest_y = bars_h + ramp_h + panel_h, rest_h = height - rest_y;
    int sweep_h = height / 80 > 0 ? height / 80 : 1;
    draw_box(&cv, rest_y, rest_h - sweep_h, frame);
    /* A bar sweeping across the bottom once a second: latency is visible against a local clock. */
    fill(&cv, 0, height - sweep_h, (int)((uint64_t)width * (time_ms % 1000u) / 1000u), sweep_h,
         ACCENT);
}
