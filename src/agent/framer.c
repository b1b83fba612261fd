/* The agent protocol's reassembly buffer (see framer.h). */
#include "agent/framer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void anc__agent_framer_init(struct anc__agent_framer *f)
{
    memset(f, 0, sizeof(*f));
}

void anc__agent_framer_destroy(struct anc__agent_framer *f)
{
    if (!f)
        return;
    free(f->buf);
    f->buf = NULL;
    f->have = f->cap = 0;
}

static int reserve(struct anc__agent_framer *f, size_t n)
{
    if (n <= f->cap)
        return 0;
    size_t cap = f->cap ? f->cap : 64;
    while (cap < n)
        cap = cap > SIZE_MAX / 2 ? n : cap * 2;
    uint8_t *p = realloc(f->buf, cap);
    if (!p)
        return -ENOMEM;
    f->buf = p;
    f->cap = cap;
    return 0;
}

static ssize_t fail(struct anc__agent_framer *f, ssize_t r)
{
    f->error = (int)r;
    return r;
}

ssize_t anc__agent_framer_feed(struct anc__agent_framer *f, const uint8_t *in, size_t len,
                               anc__agent_len_fn len_fn, const void *ctx, const uint8_t **msg,
                               size_t *msg_len)
{
    size_t used = 0;
    ssize_t need;

    *msg = NULL;
    *msg_len = 0;
    if (f->error)
        return f->error;
    if (f->have == 0 && len > 0) {
        need = len_fn(ctx, in, len);
        if (need < 0)
            return fail(f, need);
        if (need > 0 && (size_t)need <= len) {
            *msg = in;
            *msg_len = (size_t)need;
            return need;
        }
    }
    /* Reassemble: the header a byte at a time until its length is known (headers are a few
     * bytes), then the rest in one copy. */
    for (;;) {
        need = len_fn(ctx, f->buf, f->have);
        if (need < 0)
            return fail(f, need);
        if (need > 0 && f->have == (size_t)need) {
            *msg = f->buf;
            *msg_len = f->have;
            f->have = 0;
            return (ssize_t)used;
        }
        if (used == len)
            break;
        size_t want = need > 0 ? (size_t)need - f->have : 1;
        size_t take = want < len - used ? want : len - used;
        if (reserve(f, f->have + take) < 0)
            return fail(f, -ENOMEM);
        memcpy(f->buf + f->have, in + used, take);
        f->have += take;
        used += take;
    }
    return (ssize_t)used;
}
