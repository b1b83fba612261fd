/* XWD (X Window Dump, file version 7) header parsing: the format Xvfb keeps its framebuffer in
 * when run with -fbdir. Pure functions on a buffer: no I/O, no allocation, any thread.
 *
 * The header is 25 big-endian CARD32 fields, then the window name (up to header_size), then
 * ncolors 12-byte colormap entries, then the pixels. Only what the capture path can use is
 * accepted: ZPixmap, depth 24, 32 bits per pixel, TrueColor with masks 0xff0000/0xff00/0xff. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANC_XWD_HEADER_SIZE 100u /* the 25 CARD32 fields */
#define ANC_XWD_COLOR_SIZE  12u  /* one XWDColor: CARD32 pixel, 3 CARD16, CARD8 flags, pad */
#define ANC_XWD_VERSION     7u
#define ANC_XWD_MAX_DIM     16384u
#define ANC_XWD_MAX_NCOLORS 65536u

struct anc_xwd_info {
    uint32_t width, height; /* pixels */
    uint32_t stride;        /* bytes per line, >= width * 4 */
    size_t pixel_offset;    /* from the start of the file */
    size_t pixel_bytes;     /* stride * height */
    uint32_t ncolors;
    bool lsb_first; /* byte_order LSBFirst: each pixel is B,G,R,X in memory (libyuv "ARGB") */
};

/* Parses the header at buf[0..len) where len is the whole file (the pixels must fit in it).
 * Returns 0 and fills *out, or -EBADMSG for a short, truncated, inconsistent or unsupported file. */
int anc_xwd_parse(const uint8_t *buf, size_t len, struct anc_xwd_info *out);
