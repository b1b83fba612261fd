/* media/png.c: what anc_png_encode writes decodes back (with libpng itself) to the very pixels it
 * was given, for odd sizes and padded strides too; the frame hash tells pictures apart. */
#include <errno.h>
#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/pattern.h"
#include "media/png.h"
#include "test.h"

struct decoded {
    int width, height, color_type, bit_depth;
    uint8_t *rgb; /* width * height * 3 */
};

/* Decodes a whole PNG from memory into 8-bit RGB rows, with libpng's simplified API. */
static void decode(const uint8_t *buf, size_t len, struct decoded *d)
{
    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    CHECK(png_image_begin_read_from_memory(&img, buf, len));
    d->width = (int)img.width;
    d->height = (int)img.height;
    d->color_type = (int)img.format;
    img.format = PNG_FORMAT_RGB;
    d->rgb = malloc(PNG_IMAGE_SIZE(img));
    CHECK(d->rgb);
    CHECK(png_image_finish_read(&img, NULL, d->rgb, 0, NULL));
    /* The header says what was written: 8-bit RGB without alpha, not interlaced. */
    CHECK_EQ(buf[24], 8);                  /* bit depth */
    CHECK_EQ(buf[25], PNG_COLOR_TYPE_RGB); /* colour type */
    CHECK_EQ(buf[28], 0);                  /* interlace */
}

/* Every pixel of the decoded picture equals the source's B,G,R bytes. */
static void check_same(const uint8_t *argb, int stride, const struct decoded *d)
{
    for (int y = 0; y < d->height; y++)
        for (int x = 0; x < d->width; x++) {
            const uint8_t *s = argb + (size_t)y * (size_t)stride + 4 * (size_t)x;
            const uint8_t *p = d->rgb + ((size_t)y * (size_t)d->width + (size_t)x) * 3;
            if (p[0] != s[2] || p[1] != s[1] || p[2] != s[0]) {
                fprintf(stderr, "pixel %d,%d: %02x%02x%02x != %02x%02x%02x\n", x, y, p[0], p[1],
                        p[2], s[2], s[1], s[0]);
                CHECK(0);
            }
        }
}

static void roundtrip(const uint8_t *argb, int w, int h, int stride, int level)
{
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK_EQ(anc_png_encode(argb, w, h, stride, level, &png, &len), 0);
    CHECK(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    struct decoded d;
    decode(png, len, &d);
    CHECK_EQ(d.width, w);
    CHECK_EQ(d.height, h);
    check_same(argb, stride, &d);
    free(d.rgb);
    free(png);
}

TEST(pattern_roundtrip)
{
    int w = 720, h = 1280, stride = w * 4;
    uint8_t *argb = malloc((size_t)stride * (size_t)h);
    CHECK(argb);
    anc_pattern_draw(argb, w, h, stride, 42, 12345678);
    roundtrip(argb, w, h, stride, ANC_PNG_LEVEL_FAST);
    roundtrip(argb, w, h, stride, 9);
    free(argb);
}

/* Odd width (the hash's last single pixel), a stride with padding, random bytes (alpha too:
 * it is dropped, never mixed into the colour). */
TEST(odd_size_padded_stride)
{
    int w = 37, h = 5, stride = w * 4 + 12;
    uint8_t *argb = malloc((size_t)stride * (size_t)h);
    CHECK(argb);
    srand(7);
    for (int i = 0; i < stride * h; i++)
        argb[i] = (uint8_t)rand();
    roundtrip(argb, w, h, stride, ANC_PNG_LEVEL_FAST);
    roundtrip(argb, 1, 1, stride, 0);
    free(argb);
}

TEST(bad_arguments)
{
    uint8_t px[16] = {0}, *out = NULL;
    size_t len = 0;
    CHECK_EQ(anc_png_encode(px, 0, 1, 4, 1, &out, &len), -EINVAL);
    CHECK_EQ(anc_png_encode(px, 2, 0, 8, 1, &out, &len), -EINVAL);
    CHECK_EQ(anc_png_encode(px, 2, 2, 4, 1, &out, &len), -EINVAL); /* stride < 4 * width */
    CHECK_EQ(anc_png_encode(px, 2, 2, 8, 10, &out, &len), -EINVAL);
    CHECK_EQ(anc_png_encode(px, 2, 2, 8, -1, &out, &len), -EINVAL);
    CHECK(out == NULL);
}

TEST(hash)
{
    int w = 33, h = 9, stride = w * 4 + 4;
    uint8_t *a = calloc((size_t)stride, (size_t)h), *b = calloc((size_t)stride, (size_t)h);
    CHECK(a && b);
    uint64_t h0 = anc_frame_hash(a, w, h, stride);
    CHECK(h0 == anc_frame_hash(b, w, h, stride));
    /* Alpha and the stride's padding are not part of the picture. */
    b[3] = 0xff;
    b[4 * w + 1] = 0x55;
    CHECK(h0 == anc_frame_hash(b, w, h, stride));
    /* Any colour byte is, in any pixel: the first, a high byte of a word, the odd last one. */
    const size_t at[] = {0, 2, 6, (size_t)4 * (w - 1), (size_t)stride * (h - 1) + 4 * (w - 1) + 2};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        memcpy(b, a, (size_t)stride * (size_t)h);
        b[at[i]] ^= 0x01;
        CHECK(anc_frame_hash(b, w, h, stride) != h0);
    }
    /* Two changes that cancel for a plain xor of words do not cancel here. */
    memcpy(b, a, (size_t)stride * (size_t)h);
    b[6] = 0x80;
    b[14] = 0x80;
    CHECK(anc_frame_hash(b, w, h, stride) != h0);
    /* The same bytes seen as another size are another picture. */
    CHECK(anc_frame_hash(a, w - 1, h, stride) != h0);
    free(a);
    free(b);
}

static double ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* The figures behind ANC_PNG_LEVEL_FAST, printed for the report (no bound: shared machines). */
TEST(timing)
{
    int w = 720, h = 1280, stride = w * 4;
    uint8_t *argb = malloc((size_t)stride * (size_t)h), *png = NULL;
    CHECK(argb);
    anc_pattern_draw(argb, w, h, stride, 7, 1000);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    uint64_t hv = anc_frame_hash(argb, w, h, stride);
    double hash_ms = ms_since(&t);
    size_t len = 0;
    clock_gettime(CLOCK_MONOTONIC, &t);
    CHECK_EQ(anc_png_encode(argb, w, h, stride, ANC_PNG_LEVEL_FAST, &png, &len), 0);
    double enc_ms = ms_since(&t);
    printf("720x1280 test card: hash %.2f ms (%016llx), PNG level %d %.2f ms, %zu bytes\n", hash_ms,
           (unsigned long long)hv, ANC_PNG_LEVEL_FAST, enc_ms, len);
    free(png);
    free(argb);
}
