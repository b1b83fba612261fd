#include "media/xwd.h"

#include <errno.h>

/* Field indexes in the header (each a big-endian CARD32). */
enum {
    F_HEADER_SIZE,
    F_FILE_VERSION,
    F_PIXMAP_FORMAT,
    F_PIXMAP_DEPTH,
    F_PIXMAP_WIDTH,
    F_PIXMAP_HEIGHT,
    F_XOFFSET,
    F_BYTE_ORDER,
    F_BITMAP_UNIT,
    F_BITMAP_BIT_ORDER,
    F_BITMAP_PAD,
    F_BITS_PER_PIXEL,
    F_BYTES_PER_LINE,
    F_VISUAL_CLASS,
    F_RED_MASK,
    F_GREEN_MASK,
    F_BLUE_MASK,
    F_BITS_PER_RGB,
    F_COLORMAP_ENTRIES,
    F_NCOLORS,
};

#define ZPIXMAP   2u
#define LSB_FIRST 0u
#define MSB_FIRST 1u
#define TRUECOLOR 4u

static uint32_t field(const uint8_t *buf, unsigned i)
{
    const uint8_t *p = buf + 4u * i;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool format_ok(const uint8_t *buf)
{
    return field(buf, F_FILE_VERSION) == ANC_XWD_VERSION &&
           field(buf, F_PIXMAP_FORMAT) == ZPIXMAP && field(buf, F_PIXMAP_DEPTH) == 24 &&
           field(buf, F_BITS_PER_PIXEL) == 32 && field(buf, F_XOFFSET) == 0 &&
           (field(buf, F_BYTE_ORDER) == LSB_FIRST || field(buf, F_BYTE_ORDER) == MSB_FIRST) &&
           field(buf, F_VISUAL_CLASS) == TRUECOLOR && field(buf, F_RED_MASK) == 0xff0000u &&
           field(buf, F_GREEN_MASK) == 0xff00u && field(buf, F_BLUE_MASK) == 0xffu;
}

int anc_xwd_parse(const uint8_t *buf, size_t len, struct anc_xwd_info *out)
{
    if (!buf || len < ANC_XWD_HEADER_SIZE || !format_ok(buf))
        return -EBADMSG;
    uint64_t header_size = field(buf, F_HEADER_SIZE);
    uint64_t width = field(buf, F_PIXMAP_WIDTH), height = field(buf, F_PIXMAP_HEIGHT);
    uint64_t stride = field(buf, F_BYTES_PER_LINE), ncolors = field(buf, F_NCOLORS);
    if (header_size < ANC_XWD_HEADER_SIZE || header_size > len)
        return -EBADMSG;
    if (width == 0 || height == 0 || width > ANC_XWD_MAX_DIM || height > ANC_XWD_MAX_DIM)
        return -EBADMSG;
    if (stride < width * 4u || stride % 4u != 0 || ncolors > ANC_XWD_MAX_NCOLORS)
        return -EBADMSG;
    /* All sizes are below 2^32 each, so these 64-bit sums cannot overflow. */
    uint64_t offset = header_size + ncolors * ANC_XWD_COLOR_SIZE;
    uint64_t pixel_bytes = stride * height;
    if (offset > len || pixel_bytes > len - offset)
        return -EBADMSG;
    out->width = (uint32_t)width;
    out->height = (uint32_t)height;
    out->stride = (uint32_t)stride;
    out->pixel_offset = (size_t)offset;
    out->pixel_bytes = (size_t)pixel_bytes;
    out->ncolors = (uint32_t)ncolors;
    out->lsb_first = field(buf, F_BYTE_ORDER) == LSB_FIRST;
    return 0;
}
