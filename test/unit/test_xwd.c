#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "media/fb_capture.h"
#include "media/xwd.h"
#include "test.h"

/* A header laid out as Xvfb 21.1 writes it on x86 (LSBFirst pixels, big-endian fields): 4x3
 * pixels, stride 16, header_size 112 (the 100 bytes of fields, then the window name, zero
 * padded), two colormap entries, then the pixels. */
#define W        4
#define H        3
#define STRIDE   16
#define HDR      112
#define NCOLORS  2
#define PIX_OFF  (HDR + NCOLORS * 12)
#define FILE_LEN (PIX_OFF + STRIDE * H)

static const uint32_t fields[25] = {
    HDR,      /* header_size */
    7,        /* file_version */
    2,        /* pixmap_format: ZPixmap */
    24,       /* pixmap_depth */
    W,        /* pixmap_width */
    H,        /* pixmap_height */
    0,        /* xoffset */
    0,        /* byte_order: LSBFirst */
    32,       /* bitmap_unit */
    0,        /* bitmap_bit_order */
    32,       /* bitmap_pad */
    32,       /* bits_per_pixel */
    STRIDE,   /* bytes_per_line */
    4,        /* visual_class: TrueColor */
    0xff0000, /* red_mask */
    0xff00,   /* green_mask */
    0xff,     /* blue_mask */
    8,        /* bits_per_rgb */
    NCOLORS,  /* colormap_entries */
    NCOLORS,  /* ncolors */
    W,        /* window_width */
    H,        /* window_height */
    0,        /* window_x */
    0,        /* window_y */
    0,        /* window_bdrwidth */
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint8_t *make_file(void)
{
    uint8_t *f = calloc(1, FILE_LEN);
    CHECK(f);
    for (unsigned i = 0; i < 25; i++)
        put32(f + 4 * i, fields[i]);
    memcpy(f + 100, "Xvfb t:0.0", 11);
    return f;
}

static int parse_with(unsigned field, uint32_t value)
{
    uint8_t *f = make_file();
    put32(f + 4 * field, value);
    struct anc_xwd_info info;
    int r = anc_xwd_parse(f, FILE_LEN, &info);
    free(f);
    return r;
}

TEST(valid_lsb)
{
    uint8_t *f = make_file();
    struct anc_xwd_info info;
    CHECK_EQ(anc_xwd_parse(f, FILE_LEN, &info), 0);
    CHECK_EQ(info.width, W);
    CHECK_EQ(info.height, H);
    CHECK_EQ(info.stride, STRIDE);
    CHECK_EQ(info.pixel_offset, PIX_OFF);
    CHECK_EQ(info.pixel_bytes, STRIDE * H);
    CHECK_EQ(info.ncolors, NCOLORS);
    CHECK(info.lsb_first);
    /* Trailing bytes after the pixels are allowed (a page-rounded file). */
    uint8_t *g = calloc(1, FILE_LEN + 100);
    memcpy(g, f, FILE_LEN);
    CHECK_EQ(anc_xwd_parse(g, FILE_LEN + 100, &info), 0);
    free(g);
    free(f);
}

TEST(msb_first)
{
    uint8_t *f = make_file();
    put32(f + 4 * 7, 1);
    struct anc_xwd_info info;
    CHECK_EQ(anc_xwd_parse(f, FILE_LEN, &info), 0);
    CHECK(!info.lsb_first);
    free(f);
}

TEST(truncated_everywhere)
{
    uint8_t *f = make_file();
    struct anc_xwd_info info;
    for (size_t len = 0; len < FILE_LEN; len++) {
        /* A copy of exactly len bytes, so ASan catches any read past it. */
        uint8_t *t = malloc(len ? len : 1);
        memcpy(t, f, len);
        CHECK_EQ(anc_xwd_parse(t, len, &info), -EBADMSG);
        free(t);
    }
    CHECK_EQ(anc_xwd_parse(NULL, 0, &info), -EBADMSG);
    free(f);
}

TEST(bad_fields)
{
    CHECK_EQ(parse_with(1, 6), -EBADMSG);            /* version */
    CHECK_EQ(parse_with(2, 1), -EBADMSG);            /* XYPixmap */
    CHECK_EQ(parse_with(3, 16), -EBADMSG);           /* depth */
    CHECK_EQ(parse_with(7, 2), -EBADMSG);            /* byte order */
    CHECK_EQ(parse_with(11, 24), -EBADMSG);          /* bits per pixel */
    CHECK_EQ(parse_with(12, W * 4 - 4), -EBADMSG);   /* stride too small */
    CHECK_EQ(parse_with(12, W * 4 + 2), -EBADMSG);   /* stride not whole pixels */
    CHECK_EQ(parse_with(13, 5), -EBADMSG);           /* DirectColor */
    CHECK_EQ(parse_with(14, 0xff), -EBADMSG);        /* red mask */
    CHECK_EQ(parse_with(0, 99), -EBADMSG);           /* header_size below the fields */
    CHECK_EQ(parse_with(0, FILE_LEN + 1), -EBADMSG); /* header_size past the file */
    CHECK_EQ(parse_with(4, 0), -EBADMSG);            /* zero width */
    CHECK_EQ(parse_with(5, 0), -EBADMSG);            /* zero height */
}

TEST(pixels_beyond_file)
{
    CHECK_EQ(parse_with(5, H + 1), -EBADMSG);
    CHECK_EQ(parse_with(12, STRIDE + 4), -EBADMSG);
    CHECK_EQ(parse_with(4, 16384), -EBADMSG);       /* stride check first: 16384*4 > 16 */
    CHECK_EQ(parse_with(5, 0xffffffffu), -EBADMSG); /* absurd, overflow-prone */
    CHECK_EQ(parse_with(12, 0xfffffffcu), -EBADMSG);
    CHECK_EQ(parse_with(19, NCOLORS + 1), -EBADMSG); /* one more colour shifts the pixels out */
}

TEST(huge_ncolors)
{
    CHECK_EQ(parse_with(19, 0xffffffffu), -EBADMSG);
    CHECK_EQ(parse_with(19, 65537), -EBADMSG);
    CHECK_EQ(parse_with(19, 0x15555556u), -EBADMSG); /* * 12 wraps 32 bits */
}

/* The committed file Xvfb 21.1 wrote with -screen 0 16x16x24 -fbdir. */
TEST(real_xvfb_file)
{
    char path[4096];
    const char *root = getenv("ANC_SOURCE_ROOT");
    snprintf(path, sizeof(path), "%s/test/fuzz/corpus/xwd/xvfb_16x16", root ? root : ".");
    FILE *fp = fopen(path, "rb");
    CHECK(fp);
    uint8_t buf[8192];
    size_t len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    CHECK_EQ(len, 4256);
    struct anc_xwd_info info;
    CHECK_EQ(anc_xwd_parse(buf, len, &info), 0);
    CHECK_EQ(info.width, 16);
    CHECK_EQ(info.height, 16);
    CHECK_EQ(info.stride, 64);
    CHECK_EQ(info.ncolors, 256);
    CHECK_EQ(info.pixel_offset, 160 + 256 * 12);
    CHECK(info.lsb_first);
}

/* fb_capture over a file written here: both byte orders, cropping, black fill, remap. */
static void write_file(const char *path, uint32_t order, uint8_t seed)
{
    uint8_t *f = make_file();
    put32(f + 4 * 7, order);
    for (int i = 0; i < STRIDE * H; i++)
        f[PIX_OFF + i] = (uint8_t)(seed + i);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    CHECK(fp);
    CHECK_EQ(fwrite(f, 1, FILE_LEN, fp), FILE_LEN);
    fclose(fp);
    CHECK_EQ(rename(tmp, path), 0); /* a new inode, as a restarted Xvfb makes */
    free(f);
}

TEST(fb_copy)
{
    char dir[] = "/tmp/anc-xwd-XXXXXX", path[64];
    CHECK(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/Xvfb_screen0", dir);
    write_file(path, 0, 0);
    struct anc_fb *fb;
    CHECK_EQ(anc_fb_open(path, &fb), 0);
    int w, h;
    anc_fb_geometry(fb, &w, &h);
    CHECK_EQ(w, W);
    CHECK_EQ(h, H);

    /* A larger destination: the frame at the top left, black elsewhere, alpha opaque. */
    uint8_t dst[6 * 4 * 5];
    memset(dst, 0x55, sizeof(dst));
    CHECK_EQ(anc_fb_copy(fb, dst, 6 * 4, 6, 5), 0);
    CHECK_EQ(dst[0], 0);
    CHECK_EQ(dst[1], 1);
    CHECK_EQ(dst[2], 2);
    CHECK_EQ(dst[3], 0xff);
    CHECK_EQ(dst[6 * 4], 16); /* line 1 starts at stride 16 in the file */
    CHECK(memcmp(dst + 16, "\0\0\0\xff\0\0\0\xff", 8) == 0);
    CHECK(memcmp(dst + 4 * 24, "\0\0\0\xff", 4) == 0);

    /* Unchanged file: no remap. A replaced file in MSBFirst: remap, X,R,G,B → B,G,R,A. */
    CHECK_EQ(anc_fb_refresh(fb), 0);
    write_file(path, 1, 100);
    CHECK_EQ(anc_fb_refresh(fb), 1);
    uint8_t small[2 * 4 * 2];
    CHECK_EQ(anc_fb_copy(fb, small, 8, 2, 2), 0);
    CHECK_EQ(small[0], 103);
    CHECK_EQ(small[1], 102);
    CHECK_EQ(small[2], 101);
    CHECK_EQ(small[3], 0xff);

    /* A missing file keeps the old mapping; a broken one is refused and keeps it too. */
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(anc_fb_refresh(fb), 0);
    FILE *fp = fopen(path, "wb");
    fputs("not an xwd file at all", fp);
    fclose(fp);
    CHECK_EQ(anc_fb_refresh(fb), -EBADMSG);
    CHECK_EQ(anc_fb_copy(fb, small, 8, 2, 2), 0);
    CHECK_EQ(small[0], 103);
    anc_fb_close(fb);
    anc_fb_close(NULL);
    CHECK_EQ(anc_fb_open(path, &fb), -EBADMSG);
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(anc_fb_open(path, &fb), -ENOENT);
    CHECK_EQ(rmdir(dir), 0);
}
