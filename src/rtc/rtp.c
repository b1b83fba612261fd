#include "rtc/rtp.h"

#include "base/bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int anc_rtp_header_write(const struct anc_rtp_header *h, uint8_t *buf, size_t cap)
{
    if (h->payload_type > 127 || h->csrc_count > 15)
        return -EINVAL;
    size_t need = ANC_RTP_HEADER_LEN + 4u * h->csrc_count;
    if (cap < need)
        return -EMSGSIZE;
    buf[0] = (uint8_t)(0x80 | h->csrc_count);
    buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->payload_type);
    anc_wr16(buf + 2, h->seq);
    anc_wr32(buf + 4, h->timestamp);
    anc_wr32(buf + 8, h->ssrc);
    for (unsigned i = 0; i < h->csrc_count; i++)
        anc_wr32(buf + 12 + 4 * i, h->csrc[i]);
    return (int)need;
}

int anc_rtp_header_parse(const uint8_t *buf, size_t len, struct anc_rtp_header *h)
{
    memset(h, 0, sizeof(*h));
    if (len < ANC_RTP_HEADER_LEN || (buf[0] >> 6) != 2)
        return -EBADMSG;
    h->padding = buf[0] & 0x20;
    h->extension = buf[0] & 0x10;
    h->csrc_count = buf[0] & 0x0f;
    h->marker = buf[1] & 0x80;
    h->payload_type = buf[1] & 0x7f;
    h->seq = anc_rd16(buf + 2);
    h->timestamp = anc_rd32(buf + 4);
    h->ssrc = anc_rd32(buf + 8);
    size_t off = ANC_RTP_HEADER_LEN + 4u * h->csrc_count;
    if (len < off)
        return -EBADMSG;
    for (unsigned i = 0; i < h->csrc_count; i++)
        h->csrc[i] = anc_rd32(buf + 12 + 4 * i);
    if (h->extension) {
        if (len < off + 4)
            return -EBADMSG;
        h->ext_profile = anc_rd16(buf + off);
        h->ext_len = 4u * anc_rd16(buf + off + 2);
        off += 4;
        if (len - off < h->ext_len)
            return -EBADMSG;
        off += h->ext_len;
    }
    size_t end = len;
    if (h->padding) {
        uint8_t pad = buf[len - 1];
        if (pad == 0 || pad > len - off)
            return -EBADMSG;
        end -= pad;
    }
    h->header_len = off;
    h->payload_len = end - off;
    return 0;
}

bool anc_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

uint32_t anc_rtp_clock_ts(const struct anc_rtp_clock *c, uint64_t t_us)
{
    /* Signed so that an instant slightly before the base still maps correctly; rounded to the
     * nearest tick so that frame times truncated to µs still step by whole frame intervals. */
    int64_t d_us = (int64_t)(t_us - c->base_us);
    int64_t ticks;
    if (d_us >= 0)
        ticks = (int64_t)(((uint64_t)d_us * c->rate + 500000u) / 1000000u);
    else
        ticks = -(int64_t)(((uint64_t)-d_us * c->rate + 500000u) / 1000000u);
    return c->base_ts + (uint32_t)ticks;
}

struct history_slot {
    uint64_t sent_us;
    uint64_t resent_us; /* last retransmission, 0: none */
    uint16_t seq;
    uint16_t len; /* 0: empty */
    uint8_t data[ANC_RTP_MAX_PACKET];
};

struct anc_rtp_history {
    size_t mask;
    struct history_slot *slots;
};

int anc_rtp_history_new(size_t capacity, struct anc_rtp_history **out)
{
    *out = NULL;
    if (capacity == 0 || capacity > 32768)
        return -EINVAL;
    size_t n = 1;
    while (n < capacity)
        n <<= 1;
    struct anc_rtp_history *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->slots = calloc(n, sizeof(*h->slots));
    if (!h->slots) {
        free(h);
        return -ENOMEM;
    }
    h->mask = n - 1;
    *out = h;
    return 0;
}

void anc_rtp_history_free(struct anc_rtp_history *h)
{
    if (!h)
        return;
    free(h->slots);
    free(h);
}

int anc_rtp_history_put(struct anc_rtp_history *h, const uint8_t *pkt, size_t len, uint64_t sent_us)
{
    if (len < ANC_RTP_HEADER_LEN || (pkt[0] >> 6) != 2)
        return -EBADMSG;
    if (len > ANC_RTP_MAX_PACKET)
        return -EMSGSIZE;
    uint16_t seq = anc_rd16(pkt + 2);
    struct history_slot *s = &h->slots[seq & h->mask];
    s->seq = seq;
    s->len = (uint16_t)len;
    s->sent_us = sent_us;
    s->resent_us = 0;
    memcpy(s->data, pkt, len);
    return 0;
}

uint64_t anc_rtp_history_resent_us(const struct anc_rtp_history *h, uint16_t seq)
{
    const struct history_slot *s = &h->slots[seq & h->mask];
    return s->len && s->seq == seq ? s->resent_us : 0;
}

void anc_rtp_history_mark_resent(struct anc_rtp_history *h, uint16_t seq, uint64_t now_us)
{
    struct history_slot *s = &h->slots[seq & h->mask];
    if (s->len && s->seq == seq)
        s->resent_us = now_us;
}

int anc_rtp_history_get(const struct anc_rtp_history *h, uint16_t seq, const uint8_t **pkt,
                        size_t *len, uint64_t *sent_us)
{
    const struct history_slot *s = &h->slots[seq & h->mask];
    if (s->len == 0 || s->seq != seq)
        return -ENOENT;
    *pkt = s->data;
    *len = s->len;
    if (sent_us)
        *sent_us = s->sent_us;
    return 0;
}
