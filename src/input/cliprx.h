/* A clipboard text being received from another X client, with a size cap: the pure part of the
 * X clipboard (input/xclip.c). The text arrives in one piece or in INCR chunks; what exceeds the
 * cap is dropped and the text is marked truncated. No X, no clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most of a guest's clipboard the daemon reads (a page message holds at most 64 KiB anyway:
 * more is cut again, and flagged, by the session; docs/api.md). */
#define ANC_CLIPRX_MAX (256u * 1024u)

struct anc_cliprx {
    uint8_t *buf; /* NULL until the first byte */
    size_t len, cap;
    bool truncated; /* bytes beyond cap were dropped */
};

/* cap: the largest text kept (> 0). */
void anc_cliprx_init(struct anc_cliprx *rx, size_t cap);
/* Frees the text; rx can be used again (empty). Accepts a zeroed struct. */
void anc_cliprx_destroy(struct anc_cliprx *rx);
/* Forgets the text, keeps the cap. */
void anc_cliprx_reset(struct anc_cliprx *rx);

/* Appends p[0..n). Returns 1 when the cap is reached (the rest of p and of anything appended
 * later is dropped, truncated is set), 0, or -ENOMEM (nothing appended). */
int anc_cliprx_append(struct anc_cliprx *rx, const uint8_t *p, size_t n);

/* The length to deliver: all of it, or when truncated, cut back to the last complete UTF-8
 * character (a cut never splits a multi-byte sequence). */
size_t anc_cliprx_text_len(const struct anc_cliprx *rx);
