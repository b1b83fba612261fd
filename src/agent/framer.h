/* Internal to src/agent: the reassembly buffer that the three incremental parsers of proto.h
 * share, and 64-bit big-endian helpers. A framer cuts a byte stream into messages whose total
 * length a callback can tell from a prefix; a message wholly inside the caller's chunk is
 * returned in place, any other is copied into a buffer the framer owns. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/bytes.h"

/* Total length of the message that starts at p[0..n): > 0 when known, 0 when more bytes are
 * needed to know, negative errno when the prefix is malformed or announces too much. */
typedef ssize_t (*anc__agent_len_fn)(const void *ctx, const uint8_t *p, size_t n);

struct anc__agent_framer {
    uint8_t *buf; /* owned; holds a partial message, or the last one returned */
    size_t have;  /* bytes of the partial message in buf */
    size_t cap;
    int error; /* sticky: once negative, every feed returns it */
};

void anc__agent_framer_init(struct anc__agent_framer *f);
void anc__agent_framer_destroy(struct anc__agent_framer *f);

/* Consumes bytes of in[0..len) up to the end of at most one message. Returns the bytes
 * consumed (> 0 when len > 0) and sets *msg and *msg_len to a complete message (in place or in the
 * framer's buffer, valid until the next feed or destroy) or *msg to NULL; or a negative errno,
 * which is then sticky. */
ssize_t anc__agent_framer_feed(struct anc__agent_framer *f, const uint8_t *in, size_t len,
                               anc__agent_len_fn len_fn, const void *ctx, const uint8_t **msg,
                               size_t *msg_len);

static inline uint64_t anc__agent_rd64(const uint8_t *p)
{
    return (uint64_t)anc_rd32(p) << 32 | anc_rd32(p + 4);
}

static inline void anc__agent_wr64(uint8_t *p, uint64_t v)
{
    anc_wr32(p, (uint32_t)(v >> 32));
    anc_wr32(p + 4, (uint32_t)v);
}
