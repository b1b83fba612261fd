#include "input/cliprx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void anc_cliprx_init(struct anc_cliprx *rx, size_t cap)
{
    *rx = (struct anc_cliprx){.cap = cap};
}

void anc_cliprx_destroy(struct anc_cliprx *rx)
{
    free(rx->buf);
    rx->buf = NULL;
    rx->len = 0;
    rx->truncated = false;
}

void anc_cliprx_reset(struct anc_cliprx *rx)
{
    anc_cliprx_destroy(rx);
}

int anc_cliprx_append(struct anc_cliprx *rx, const uint8_t *p, size_t n)
{
    if (rx->truncated)
        return 1;
    size_t room = rx->cap - rx->len, take = n < room ? n : room;
    if (take > 0) {
        /* One allocation of the cap would be simpler, but most clipboards are a few bytes. */
        uint8_t *b = realloc(rx->buf, rx->len + take);
        if (!b)
            return -ENOMEM;
        memcpy(b + rx->len, p, take);
        rx->buf = b;
        rx->len += take;
    }
    if (take < n)
        rx->truncated = true;
    return rx->truncated ? 1 : 0;
}

size_t anc_cliprx_text_len(const struct anc_cliprx *rx)
{
    size_t n = rx->len;
    if (!rx->truncated || n == 0)
        return n;
    /* Step back over continuation bytes to the lead byte of the last sequence, and drop that
     * sequence when it is shorter than its lead byte says. */
    size_t lead = n - 1, back = 0;
    while (lead > 0 && back < 3 && (rx->buf[lead] & 0xc0) == 0x80) {
        lead--;
        back++;
    }
    uint8_t b = rx->buf[lead];
    size_t need = b < 0x80             ? 1
                  : (b & 0xe0) == 0xc0 ? 2
                  : (b & 0xf0) == 0xe0 ? 3
                  : (b & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (need == 0 || (b & 0xc0) == 0x80)
        return n; /* not UTF-8 at the end: left to the page encoder's check */
    return lead + need <= n ? n : lead;
}
