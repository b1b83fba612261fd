#include "rtc/tcpframe.h"

#include <errno.h>
#include <string.h>

void anc_tcpframe_init(struct anc_tcpframe *f, size_t max_frame)
{
    f->max_frame = max_frame < ANC_TCPFRAME_MAX ? max_frame : ANC_TCPFRAME_MAX;
    f->have = 0;
    f->broken = false;
}

static size_t announced(const struct anc_tcpframe *f)
{
    return (size_t)f->buf[0] << 8 | f->buf[1];
}

ssize_t anc_tcpframe_feed(struct anc_tcpframe *f, const uint8_t *in, size_t len,
                          const uint8_t **pkt, size_t *pkt_len)
{
    size_t used = 0;
    *pkt = NULL;
    *pkt_len = 0;
    if (f->broken)
        return -EMSGSIZE;
    while (used < len) {
        if (f->have < 2) {
            f->buf[f->have++] = in[used++];
            if (f->have < 2)
                continue;
            if (announced(f) > f->max_frame) {
                f->broken = true; /* a broken stream stays broken */
                return -EMSGSIZE;
            }
            if (announced(f) == 0) {
                f->have = 0;
                continue;
            }
        }
        size_t want = 2 + announced(f) - f->have;
        size_t n = len - used < want ? len - used : want;
        memcpy(f->buf + f->have, in + used, n);
        f->have += n;
        used += n;
        if (f->have == 2 + announced(f)) {
            *pkt = f->buf + 2;
            *pkt_len = announced(f);
            f->have = 0;
            return (ssize_t)used;
        }
    }
    return (ssize_t)used;
}

ssize_t anc_tcpframe_encode(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap)
{
    if (len == 0 || len > 65535 || cap < len + 2)
        return -EMSGSIZE;
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
    memcpy(out + 2, pkt, len);
    return (ssize_t)(len + 2);
}
