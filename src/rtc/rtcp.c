#include "rtc/rtcp.h"

#include "base/bytes.h"

#include <errno.h>
#include <string.h>

#define NTP_UNIX_OFFSET 2208988800ull /* seconds from 1900-01-01 to 1970-01-01 */

#define RTPFB_NACK 1
#define RTPFB_TWCC 15
#define PSFB_PLI   1
#define PSFB_FIR   4
#define PSFB_AFB   15

/* One RTCP packet of a compound, padding removed. The walk runs twice: first to validate
 * (emit false), then to report items. */
struct walk {
    const uint8_t *p;
    size_t n;
    uint8_t count; /* RC / SC / FMT field */
    anc_rtcp_item_fn fn;
    void *opaque;
    bool emit;
    int items;
};

static int report(struct walk *w, const struct anc_rtcp_item *it)
{
    if (!w->emit)
        return 0;
    w->items++;
    return w->fn(w->opaque, it);
}

static int report_blocks(struct walk *w, uint32_t sender, const uint8_t *b, size_t n_blocks)
{
    for (size_t i = 0; i < n_blocks; i++, b += 24) {
        struct anc_rtcp_item it = {.type = ANC_RTCP_ITEM_REPORT_BLOCK, .sender_ssrc = sender};
        struct anc_rtcp_report_block *rb = &it.u.rb;
        rb->ssrc = anc_rd32(b);
        rb->fraction_lost = b[4];
        uint32_t lost = (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
        rb->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
        rb->highest_seq = anc_rd32(b + 8);
        rb->jitter = anc_rd32(b + 12);
        rb->lsr = anc_rd32(b + 16);
        rb->dlsr = anc_rd32(b + 20);
        int r = report(w, &it);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_sr(struct walk *w)
{
    if (w->n < 28 + 24u * w->count)
        return -EBADMSG;
    struct anc_rtcp_item it = {.type = ANC_RTCP_ITEM_SR, .sender_ssrc = anc_rd32(w->p + 4)};
    it.u.sr.ntp = (uint64_t)anc_rd32(w->p + 8) << 32 | anc_rd32(w->p + 12);
    it.u.sr.rtp_ts = anc_rd32(w->p + 16);
    it.u.sr.packet_count = anc_rd32(w->p + 20);
    it.u.sr.octet_count = anc_rd32(w->p + 24);
    int r = report(w, &it);
    return r < 0 ? r : report_blocks(w, it.sender_ssrc, w->p + 28, w->count);
}

static int parse_rr(struct walk *w)
{
    if (w->n < 8 + 24u * w->count)
        return -EBADMSG;
    return report_blocks(w, anc_rd32(w->p + 4), w->p + 8, w->count);
}

static int parse_bye(struct walk *w)
{
    if (w->n < 4 + 4u * w->count)
        return -EBADMSG;
    for (unsigned i = 0; i < w->count; i++) {
        struct anc_rtcp_item it = {.type = ANC_RTCP_ITEM_BYE,
                                   .sender_ssrc = anc_rd32(w->p + 4 + 4 * i)};
        int r = report(w, &it);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_rtpfb(struct walk *w, struct anc_rtcp_item *it)
{
    if (w->count == RTPFB_TWCC) {
        it->type = ANC_RTCP_ITEM_TWCC;
        return report(w, it);
    }
    if (w->count != RTPFB_NACK)
        return 0;
    it->type = ANC_RTCP_ITEM_NACK;
    for (size_t off = 12; off + 4 <= w->n; off += 4) {
        uint16_t pid = anc_rd16(w->p + off), blp = anc_rd16(w->p + off + 2);
        it->u.nack.n_seqs = 0;
        it->u.nack.seqs[it->u.nack.n_seqs++] = pid;
        for (unsigned b = 0; b < 16; b++)
            if (blp & (1u << b))
                it->u.nack.seqs[it->u.nack.n_seqs++] = (uint16_t)(pid + b + 1);
        int r = report(w, it);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_remb(struct walk *w, struct anc_rtcp_item *it)
{
    if (w->n < 20)
        return -EBADMSG;
    uint8_t n = w->p[16];
    if (w->n < 20 + 4u * n)
        return -EBADMSG;
    unsigned exp = w->p[17] >> 2;
    uint64_t mantissa = (uint64_t)(w->p[17] & 3) << 16 | anc_rd16(w->p + 18);
    it->type = ANC_RTCP_ITEM_REMB;
    it->u.remb.bitrate_bps = mantissa > (UINT64_MAX >> exp) ? UINT64_MAX : mantissa << exp;
    it->u.remb.n_ssrcs = n;
    for (unsigned i = 0; i < n && i < ANC_RTCP_MAX_REMB_SSRCS; i++)
        it->u.remb.ssrcs[i] = anc_rd32(w->p + 20 + 4 * i);
    return report(w, it);
}

static int parse_psfb(struct walk *w, struct anc_rtcp_item *it)
{
    if (w->count == PSFB_PLI) {
        it->type = ANC_RTCP_ITEM_PLI;
        return report(w, it);
    }
    if (w->count == PSFB_FIR) {
        it->type = ANC_RTCP_ITEM_FIR;
        for (size_t off = 12; off + 8 <= w->n; off += 8) {
            it->media_ssrc = anc_rd32(w->p + off);
            it->u.fir.seq_nr = w->p[off + 4];
            int r = report(w, it);
            if (r < 0)
                return r;
        }
        return 0;
    }
    if (w->count == PSFB_AFB && w->n >= 16 && memcmp(w->p + 12, "REMB", 4) == 0)
        return parse_remb(w, it);
    return 0;
}

static int parse_one(struct walk *w, uint8_t pt)
{
    struct anc_rtcp_item it = {0};
    switch (pt) {
    case ANC_RTCP_SR:
        return parse_sr(w);
    case ANC_RTCP_RR:
        return parse_rr(w);
    case ANC_RTCP_BYE:
        return parse_bye(w);
    case ANC_RTCP_RTPFB:
    case ANC_RTCP_PSFB:
        if (w->n < 12)
            return -EBADMSG;
        it.sender_ssrc = anc_rd32(w->p + 4);
        it.media_ssrc = anc_rd32(w->p + 8);
        return pt == ANC_RTCP_RTPFB ? parse_rtpfb(w, &it) : parse_psfb(w, &it);
    default:
        return 0; /* SDES, APP, XR, unknown: skipped */
    }
}

static int walk_compound(const uint8_t *buf, size_t len, struct walk *w)
{
    size_t off = 0;
    if (len < 4)
        return -EBADMSG;
    while (off < len) {
        if (len - off < 4 || (buf[off] >> 6) != 2)
            return -EBADMSG;
        size_t plen = 4 * ((size_t)anc_rd16(buf + off + 2) + 1);
        if (plen > len - off)
            return -EBADMSG;
        size_t body = plen;
        if (buf[off] & 0x20) {
            uint8_t pad = buf[off + plen - 1];
            if (off + plen != len || pad == 0 || pad > plen - 4)
                return -EBADMSG; /* padding only on the last packet of a compound */
            body -= pad;
        }
        w->p = buf + off;
        w->n = body;
        w->count = buf[off] & 0x1f;
        int r = parse_one(w, buf[off + 1]);
        if (r < 0)
            return r;
        off += plen;
    }
    return 0;
}

int anc_rtcp_parse(const uint8_t *buf, size_t len, anc_rtcp_item_fn fn, void *opaque)
{
    struct walk w = {.fn = fn, .opaque = opaque, .emit = false};
    int r = walk_compound(buf, len, &w);
    if (r < 0)
        return r;
    w.emit = true;
    r = walk_compound(buf, len, &w);
    return r < 0 ? r : w.items;
}

uint64_t anc_ntp_from_unix_us(uint64_t unix_us)
{
    uint64_t sec = unix_us / 1000000u + NTP_UNIX_OFFSET;
    uint64_t frac = ((unix_us % 1000000u) << 32) / 1000000u;
    return sec << 32 | frac;
}

int64_t anc_rtcp_rtt_us(const struct anc_rtcp_report_block *rb, uint64_t now_ntp)
{
    if (rb->lsr == 0)
        return -1;
    /* RFC 3550 §6.4.1: A - LSR - DLSR, all in 1/65536 s, modulo 2^32. */
    uint32_t rtt = anc_ntp_mid32(now_ntp) - rb->lsr - rb->dlsr;
    if (rtt >= 60u * 65536u) /* a negative or absurd result: clocks or report are off */
        return -1;
    return (int64_t)(((uint64_t)rtt * 1000000u) >> 16);
}

uint64_t anc_ntp_to_unix_us(uint64_t ntp)
{
    uint64_t sec = (ntp >> 32) - NTP_UNIX_OFFSET;
    uint64_t us = ((ntp & 0xffffffffu) * 1000000u) >> 32;
    return sec * 1000000u + us;
}

void anc_rtcp_sender_info_at(struct anc_rtcp_sender_info *si, const struct anc_rtp_clock *clock,
                             uint64_t now_us, uint64_t wall_us, uint32_t packets, uint32_t octets)
{
    si->ntp = anc_ntp_from_unix_us(wall_us);
    si->rtp_ts = anc_rtp_clock_ts(clock, now_us);
    si->packet_count = packets;
    si->octet_count = octets;
}

/* Writes a common header; len_bytes must be a multiple of 4. */
static void put_header(uint8_t *p, uint8_t count, uint8_t pt, size_t len_bytes)
{
    p[0] = (uint8_t)(0x80 | count);
    p[1] = pt;
    anc_wr16(p + 2, (uint16_t)(len_bytes / 4 - 1));
}

int anc_rtcp_build_sr_sdes(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const struct anc_rtcp_sender_info *si, const char *cname)
{
    size_t cn = cname ? strlen(cname) : 0;
    if (cn == 0 || cn > 255)
        return -EINVAL;
    /* SDES chunk: SSRC, CNAME item (type, length, text), then a zero item-type ending the list,
     * padded to a 32-bit boundary. */
    size_t chunk = (4 + 2 + cn + 1 + 3) & ~(size_t)3;
    size_t total = 28 + 4 + chunk;
    if (cap < total)
        return -EMSGSIZE;
    put_header(buf, 0, ANC_RTCP_SR, 28);
    anc_wr32(buf + 4, ssrc);
    anc_wr32(buf + 8, (uint32_t)(si->ntp >> 32));
    anc_wr32(buf + 12, (uint32_t)si->ntp);
    anc_wr32(buf + 16, si->rtp_ts);
    anc_wr32(buf + 20, si->packet_count);
    anc_wr32(buf + 24, si->octet_count);
    uint8_t *s = buf + 28;
    put_header(s, 1, ANC_RTCP_SDES, 4 + chunk);
    memset(s + 4, 0, chunk);
    anc_wr32(s + 4, ssrc);
    s[8] = 1; /* CNAME */
    s[9] = (uint8_t)cn;
    memcpy(s + 10, cname, cn);
    return (int)total;
}

int anc_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                      const struct anc_rtcp_report_block *blocks, size_t n)
{
    if (n > 31)
        return -EINVAL;
    size_t total = 8 + 24 * n;
    if (cap < total)
        return -EMSGSIZE;
    put_header(buf, (uint8_t)n, ANC_RTCP_RR, total);
    anc_wr32(buf + 4, ssrc);
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = buf + 8 + 24 * i;
        const struct anc_rtcp_report_block *rb = &blocks[i];
        uint32_t lost = (uint32_t)rb->cumulative_lost & 0xffffff;
        anc_wr32(b, rb->ssrc);
        anc_wr32(b + 4, (uint32_t)rb->fraction_lost << 24 | lost);
        anc_wr32(b + 8, rb->highest_seq);
        anc_wr32(b + 12, rb->jitter);
        anc_wr32(b + 16, rb->lsr);
        anc_wr32(b + 20, rb->dlsr);
    }
    return (int)total;
}

static int build_fb(uint8_t *buf, size_t cap, uint8_t fmt, uint8_t pt, uint32_t sender,
                    uint32_t media, size_t fci_len)
{
    size_t total = 12 + fci_len;
    if (cap < total)
        return -EMSGSIZE;
    put_header(buf, fmt, pt, total);
    anc_wr32(buf + 4, sender);
    anc_wr32(buf + 8, media);
    return (int)total;
}

/* Number of PID+BLP entries needed for seqs, grouped greedily in the given order. */
static size_t nack_entries(const uint16_t *seqs, size_t n, uint8_t *out)
{
    size_t entries = 0, i = 0;
    while (i < n) {
        uint16_t pid = seqs[i++], blp = 0;
        while (i < n) {
            int32_t d = anc_rtp_seq_diff(pid, seqs[i]);
            if (d < 0 || d > 16)
                break;
            if (d > 0)
                blp |= (uint16_t)(1u << (d - 1));
            i++;
        }
        if (out) {
            anc_wr16(out + 4 * entries, pid);
            anc_wr16(out + 4 * entries + 2, blp);
        }
        entries++;
    }
    return entries;
}

int anc_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *seqs, size_t n)
{
    if (n == 0)
        return -EINVAL;
    size_t entries = nack_entries(seqs, n, NULL);
    if (entries > 16000)
        return -EINVAL;
    int r = build_fb(buf, cap, RTPFB_NACK, ANC_RTCP_RTPFB, sender_ssrc, media_ssrc, 4 * entries);
    if (r < 0)
        return r;
    nack_entries(seqs, n, buf + 12);
    return r;
}

int anc_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    return build_fb(buf, cap, PSFB_PLI, ANC_RTCP_PSFB, sender_ssrc, media_ssrc, 0);
}

int anc_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr)
{
    /* RFC 5104: the header's media SSRC is unused (0); the FCI names the target. */
    int r = build_fb(buf, cap, PSFB_FIR, ANC_RTCP_PSFB, sender_ssrc, 0, 8);
    if (r < 0)
        return r;
    anc_wr32(buf + 12, media_ssrc);
    anc_wr32(buf + 16, (uint32_t)seq_nr << 24);
    return r;
}

int anc_rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                        const uint32_t *ssrcs, size_t n)
{
    if (n > 255)
        return -EINVAL;
    unsigned exp = 0;
    uint64_t mantissa = bitrate_bps;
    while (mantissa > 0x3ffff) {
        mantissa >>= 1;
        exp++;
    }
    int r = build_fb(buf, cap, PSFB_AFB, ANC_RTCP_PSFB, sender_ssrc, 0, 8 + 4 * n);
    if (r < 0)
        return r;
    memcpy(buf + 12, "REMB", 4);
    buf[16] = (uint8_t)n;
    buf[17] = (uint8_t)(exp << 2 | (unsigned)(mantissa >> 16));
    anc_wr16(buf + 18, (uint16_t)mantissa);
    for (size_t i = 0; i < n; i++)
        anc_wr32(buf + 20 + 4 * i, ssrcs[i]);
    return r;
}
