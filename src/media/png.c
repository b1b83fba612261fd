#include "media/png.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

/* The growing output buffer behind libpng's write callback. */
struct sink {
    uint8_t *buf;
    size_t len, cap;
    int err;
};

static void sink_write(png_structp png, png_bytep data, size_t n)
{
    struct sink *s = png_get_io_ptr(png);
    if (s->err)
        return;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 64 * 1024;
        while (cap < s->len + n)
            cap *= 2;
        uint8_t *b = realloc(s->buf, cap);
        if (!b) {
            s->err = -ENOMEM;
            return;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
}

static void sink_flush(png_structp png)
{
    (void)png;
}

/* libpng reports errors by longjmp; this one only leaves the encoder (nothing is printed). */
static void on_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* The part that may longjmp: no local it changes is read after a jump. */
static int encode(png_structp png, png_infop info, const uint8_t *argb, int width, int height,
                  int stride, int level)
{
    if (setjmp(png_jmpbuf(png)))
        return -ENOMEM; /* libpng fails only on allocation or our callbacks here */
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    /* One cheap filter instead of libpng's per-row search over all five: "Up" suits screens
     * (rows repeat) and costs a subtraction per byte. */
    png_set_filter(png, PNG_FILTER_TYPE_BASE,
                   level <= ANC_PNG_LEVEL_FAST ? PNG_FILTER_UP : PNG_ALL_FILTERS);
    png_write_info(png, info);
    png_set_bgr(png);                         /* B,G,R in memory */
    png_set_filler(png, 0, PNG_FILLER_AFTER); /* and the fourth byte dropped */
    for (int y = 0; y < height; y++)
        png_write_row(png, argb + (size_t)y * (size_t)stride);
    png_write_end(png, NULL);
    return 0;
}

int anc_png_encode(const uint8_t *argb, int width, int height, int stride, int level, uint8_t **out,
                   size_t *len)
{
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535 || stride < 4 * width ||
        level < 0 || level > 9)
        return -EINVAL;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    if (!png)
        return -ENOMEM;
    png_infop info = png_create_info_struct(png);
    struct sink s = {0};
    int r = -ENOMEM;
    if (info) {
        png_set_write_fn(png, &s, sink_write, sink_flush);
        r = encode(png, info, argb, width, height, stride, level);
    }
    png_destroy_write_struct(&png, info ? &info : NULL);
    if (r == 0 && s.err)
        r = s.err;
    if (r < 0) {
        free(s.buf);
        return r;
    }
    *out = s.buf;
    *len = s.len;
    return 0;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    return h << 31 | h >> 33; /* the rotation carries high bits down: multiplying only spreads up */
}

static uint64_t finish(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ h >> 33;
}

uint64_t anc_bytes_hash(const uint8_t *p, size_t len)
{
    uint64_t h = mix(0x84222325cbf29ce4ull, (uint64_t)len);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix(h, w);
    }
    uint64_t tail = 0;
    memcpy(&tail, p + i, len - i);
    return finish(mix(h, tail));
}

/* A multiply-rotate hash over 64-bit words (two pixels each, alpha masked off), then a final mix:
 * about a millisecond for a 720x1280 frame, far below the encode that a 304 skips. */
uint64_t anc_frame_hash(const uint8_t *argb, int width, int height, int stride)
{
    const uint64_t alpha = 0xff000000ff000000ull;
    uint64_t h = mix(mix(0xcbf29ce484222325ull, (uint64_t)(uint32_t)width), (uint32_t)height);
    for (int y = 0; y < height; y++) {
        const uint8_t *row = argb + (size_t)y * (size_t)stride;
        int x = 0;
        for (; x + 2 <= width; x += 2) {
            uint64_t w;
            memcpy(&w, row + 4 * x, 8);
            h = mix(h, w & ~alpha);
        }
        if (x < width) {
            uint32_t w;
            memcpy(&w, row + 4 * x, 4);
            h = mix(h, w & 0x00ffffffu);
        }
    }
    return finish(h);
}
