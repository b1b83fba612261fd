#include "rtc/h264_pack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AGGREGATE 64

/* NAL units waiting to go out together in one STAP-A (or alone, when only one). */
struct aggregate {
    const uint8_t *nal[MAX_AGGREGATE];
    size_t len[MAX_AGGREGATE];
    size_t n;
    size_t size; /* STAP-A payload size if sent as one */
};

struct pack_ctx {
    struct anc_h264_packetizer *p;
    uint32_t ts;
    anc_h264_packet_fn fn;
    void *opaque;
    int count;
};

int anc_h264_packetizer_init(struct anc_h264_packetizer *p, uint32_t ssrc, uint8_t payload_type,
                             uint16_t first_seq, size_t max_payload)
{
    if (max_payload == 0)
        max_payload = ANC_H264_DEFAULT_PAYLOAD;
    if (max_payload < 16 || max_payload > ANC_RTP_MAX_PACKET - ANC_RTP_HEADER_LEN ||
        payload_type > 127)
        return -EINVAL;
    memset(p, 0, sizeof(*p));
    p->ssrc = ssrc;
    p->payload_type = payload_type;
    p->seq = first_seq;
    p->max_payload = max_payload;
    return 0;
}

bool anc_h264_next_nal(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
                       size_t *nal_len)
{
    size_t i = *pos;
    /* Skip to just past the next start code (00 00 01; a 4-byte one is a zero byte before it). */
    for (;;) {
        if (i + 3 > len) {
            *pos = len;
            return false;
        }
        if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1)
            break;
        i++;
    }
    size_t start = i + 3, end = start;
    while (end + 3 <= len && !(buf[end] == 0 && buf[end + 1] == 0 && buf[end + 2] == 1))
        end++;
    if (end + 3 > len)
        end = len;
    *pos = end;
    /* Zero bytes before the next start code are trailing_zero_8bits, not part of the NAL. */
    while (end > start && buf[end - 1] == 0)
        end--;
    *nal = buf + start;
    *nal_len = end - start;
    return true;
}

/* Queues the packet whose payload was built in p->cur; sends the one held before it. */
static int push(struct pack_ctx *c, size_t payload_len)
{
    struct anc_h264_packetizer *p = c->p;
    if (p->held_len) {
        int r = c->fn(c->opaque, p->held, p->held_len);
        p->held_len = 0;
        if (r < 0)
            return r;
        c->count++;
    }
    struct anc_rtp_header h = {
        .payload_type = p->payload_type, .seq = p->seq++, .timestamp = c->ts, .ssrc = p->ssrc};
    anc_rtp_header_write(&h, p->held, sizeof(p->held));
    memcpy(p->held + ANC_RTP_HEADER_LEN, p->cur + ANC_RTP_HEADER_LEN, payload_len);
    p->held_len = ANC_RTP_HEADER_LEN + payload_len;
    return 0;
}

static int flush_aggregate(struct pack_ctx *c, struct aggregate *a)
{
    uint8_t *out = c->p->cur + ANC_RTP_HEADER_LEN;
    size_t n = a->n, off;
    a->n = 0;
    if (n == 0)
        return 0;
    if (n == 1) {
        memcpy(out, a->nal[0], a->len[0]);
        return push(c, a->len[0]);
    }
    /* STAP-A header: F is the OR of the units' F bits, NRI their maximum. */
    uint8_t f = 0, nri = 0;
    for (size_t i = 0; i < n; i++) {
        f |= a->nal[i][0] & 0x80;
        if ((a->nal[i][0] & 0x60) > nri)
            nri = a->nal[i][0] & 0x60;
    }
    out[0] = (uint8_t)(f | nri | ANC_H264_NAL_STAP_A);
    off = 1;
    for (size_t i = 0; i < n; i++) {
        out[off] = (uint8_t)(a->len[i] >> 8);
        out[off + 1] = (uint8_t)a->len[i];
        memcpy(out + off + 2, a->nal[i], a->len[i]);
        off += 2 + a->len[i];
    }
    return push(c, off);
}

static int send_fu_a(struct pack_ctx *c, const uint8_t *nal, size_t len)
{
    uint8_t *out = c->p->cur + ANC_RTP_HEADER_LEN;
    size_t chunk = c->p->max_payload - 2;
    uint8_t hdr = nal[0];
    size_t off = 1; /* the NAL header travels in the FU indicator and header */
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        out[0] = (uint8_t)((hdr & 0xe0) | ANC_H264_NAL_FU_A);
        out[1] = (uint8_t)(hdr & 0x1f);
        if (off == 1)
            out[1] |= 0x80;
        if (off + n == len)
            out[1] |= 0x40;
        memcpy(out + 2, nal + off, n);
        int r = push(c, 2 + n);
        if (r < 0)
            return r;
        off += n;
    }
    return 0;
}

static int add_nal(struct pack_ctx *c, struct aggregate *a, const uint8_t *nal, size_t len)
{
    size_t max = c->p->max_payload;
    int r;
    if (len > max) {
        r = flush_aggregate(c, a);
        if (r < 0)
            return r;
        return send_fu_a(c, nal, len);
    }
    if (a->n > 0 && (a->n == MAX_AGGREGATE || a->size + 2 + len > max)) {
        r = flush_aggregate(c, a);
        if (r < 0)
            return r;
    }
    if (a->n == 0)
        a->size = 1;
    a->nal[a->n] = nal;
    a->len[a->n] = len;
    a->n++;
    a->size += 2 + len;
    return 0;
}

int anc_h264_packetize(struct anc_h264_packetizer *p, const uint8_t *au, size_t len,
                       uint32_t rtp_ts, anc_h264_packet_fn fn, void *opaque)
{
    struct pack_ctx c = {.p = p, .ts = rtp_ts, .fn = fn, .opaque = opaque};
    struct aggregate a = {.n = 0};
    const uint8_t *nal;
    size_t pos = 0, nal_len;
    int r;

    p->held_len = 0;
    while (anc_h264_next_nal(au, len, &pos, &nal, &nal_len)) {
        if (nal_len == 0)
            continue;
        r = add_nal(&c, &a, nal, nal_len);
        if (r < 0)
            goto fail;
    }
    r = flush_aggregate(&c, &a);
    if (r < 0)
        goto fail;
    if (!p->held_len)
        return -EBADMSG;
    p->held[1] |= 0x80; /* marker: last packet of the access unit */
    r = fn(opaque, p->held, p->held_len);
    p->held_len = 0;
    if (r < 0)
        return r;
    return c.count + 1;
fail:
    p->held_len = 0;
    return r;
}

int anc_h264_depacketizer_init(struct anc_h264_depacketizer *d, size_t max_au)
{
    memset(d, 0, sizeof(*d));
    d->max_au = max_au ? max_au : 4u << 20;
    return 0;
}

void anc_h264_depacketizer_destroy(struct anc_h264_depacketizer *d)
{
    if (!d)
        return;
    free(d->buf);
    d->buf = NULL;
    d->len = d->cap = 0;
}

static int append(struct anc_h264_depacketizer *d, const uint8_t *data, size_t n)
{
    if (n > d->max_au - d->len)
        return -EMSGSIZE;
    if (d->len + n > d->cap) {
        size_t cap = d->cap ? d->cap : 65536;
        while (cap < d->len + n)
            cap *= 2;
        if (cap > d->max_au)
            cap = d->max_au;
        uint8_t *nb = realloc(d->buf, cap);
        if (!nb)
            return -ENOMEM;
        d->buf = nb;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, data, n);
    d->len += n;
    return 0;
}

static int append_nal(struct anc_h264_depacketizer *d, const uint8_t *nal, size_t n)
{
    static const uint8_t start_code[4] = {0, 0, 0, 1};
    int r = append(d, start_code, sizeof(start_code));
    return r < 0 ? r : append(d, nal, n);
}

static int depack_stap_a(struct anc_h264_depacketizer *d, const uint8_t *pl, size_t n)
{
    size_t off = 1;
    if (n < 4)
        return -EBADMSG;
    while (off < n) {
        if (n - off < 2)
            return -EBADMSG;
        size_t sz = (size_t)pl[off] << 8 | pl[off + 1];
        off += 2;
        if (sz == 0 || sz > n - off)
            return -EBADMSG;
        int r = append_nal(d, pl + off, sz);
        if (r < 0)
            return r;
        off += sz;
    }
    return 0;
}

static int depack_fu_a(struct anc_h264_depacketizer *d, const uint8_t *pl, size_t n)
{
    if (n < 3)
        return -EBADMSG;
    bool start = pl[1] & 0x80, end = pl[1] & 0x40;
    int r;
    if (start && end)
        return -EBADMSG;
    if (start) {
        if (d->in_fu)
            return -EBADMSG;
        uint8_t hdr = (uint8_t)((pl[0] & 0xe0) | (pl[1] & 0x1f));
        r = append_nal(d, &hdr, 1);
        if (r < 0)
            return r;
        d->in_fu = true;
    } else if (!d->in_fu) {
        return -EBADMSG;
    }
    r = append(d, pl + 2, n - 2);
    if (r < 0)
        return r;
    if (end)
        d->in_fu = false;
    return 0;
}

static int depack_payload(struct anc_h264_depacketizer *d, const uint8_t *pl, size_t n)
{
    if (n == 0)
        return 0; /* padding-only packet */
    unsigned type = pl[0] & 0x1f;
    if (type == ANC_H264_NAL_FU_A)
        return depack_fu_a(d, pl, n);
    if (d->in_fu)
        return -EBADMSG; /* a fragmented NAL unit was interrupted */
    if (type >= 1 && type <= 23)
        return append_nal(d, pl, n);
    if (type == ANC_H264_NAL_STAP_A)
        return depack_stap_a(d, pl, n);
    return -EBADMSG; /* STAP-B, MTAP, FU-B: not in packetization-mode 1 */
}

static void begin_au(struct anc_h264_depacketizer *d, uint32_t ts)
{
    d->len = 0;
    d->in_fu = false;
    d->broken = false;
    d->in_au = true;
    d->ts = ts;
}

int anc_h264_depacketize(struct anc_h264_depacketizer *d, const uint8_t *pkt, size_t len,
                         const uint8_t **au, size_t *au_len)
{
    struct anc_rtp_header h;
    int r = anc_rtp_header_parse(pkt, len, &h);
    if (r < 0) {
        d->broken = true;
        return r;
    }
    bool gap = d->have_seq && h.seq != (uint16_t)(d->last_seq + 1);
    d->have_seq = true;
    d->last_seq = h.seq;
    if (!d->in_au || h.timestamp != d->ts)
        begin_au(d, h.timestamp); /* a previous AU without its marker packet is dropped */
    if (gap)
        d->broken = true;
    r = 0;
    if (!d->broken) {
        r = depack_payload(d, pkt + h.header_len, h.payload_len);
        if (r < 0)
            d->broken = true;
    }
    if (!h.marker)
        return r;
    d->in_au = false;
    if (r < 0)
        return r;
    if (d->broken || d->in_fu || d->len == 0)
        return 0;
    *au = d->buf;
    *au_len = d->len;
    return 1;
}
