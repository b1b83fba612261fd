/* The peer's media half: H.264 over RTP with a NACK history, RTCP SR out, RTCP feedback in. */
#include "rtc/peer_internal.h"

#include <errno.h>
#include <openssl/rand.h>
#include <string.h>

int anc__peer_media_init(struct anc_peer *p, uint64_t now_us)
{
    uint16_t seq;
    uint32_t ts;
    if (RAND_bytes((unsigned char *)&seq, sizeof(seq)) != 1 ||
        RAND_bytes((unsigned char *)&ts, sizeof(ts)) != 1)
        return -EIO;
    /* Keep the first sequence numbers far from wrapping, as many stacks do. */
    seq &= 0x7fff;
    int r = anc_h264_packetizer_init(&p->pack, p->cfg.video_ssrc, p->cfg.h264_pt, seq, 0);
    if (r < 0)
        return r;
    p->clock =
        (struct anc_rtp_clock){.base_ts = ts, .base_us = now_us, .rate = ANC_RTP_VIDEO_CLOCK};
    p->rtx = (struct rtx_budget){.refill_us = now_us, .win_start_us = now_us};
    p->rtx.bytes = (double)ANC_PEER_RTX_MIN_BYTES_PER_S * ANC_PEER_RTX_BURST_US / 1e6;
    p->rtx.packets = (double)ANC_PEER_RTX_MIN_PACKETS_PER_S * ANC_PEER_RTX_BURST_US / 1e6;
    return anc_rtp_history_new(p->cfg.history_packets ? p->cfg.history_packets : HISTORY_PKTS,
                               &p->history);
}

void anc__peer_media_destroy(struct anc_peer *p)
{
    anc_rtp_history_free(p->history);
    p->history = NULL;
}

/* Protects a plaintext RTP packet and queues it. */
static int send_rtp(struct anc_peer *p, const uint8_t *pkt, size_t len)
{
    uint8_t buf[ANC_PEER_MAX_DATAGRAM];
    size_t n = len;
    if (len + ANC_SRTP_MAX_TRAILER > sizeof(buf))
        return -EMSGSIZE;
    memcpy(buf, pkt, len);
    int r = anc_srtp_protect_rtp(p->srtp, buf, &n, sizeof(buf));
    if (r < 0) {
        p->stats.srtp_errors++;
        return r;
    }
    anc__peer_queue_tx(p, buf, n);
    return 0;
}

/* Media sent, measured over whole one-second windows: what the retransmission budget is a share
 * of. */
static void rtx_count_media(struct rtx_budget *b, uint64_t now_us, size_t len)
{
    if (now_us >= b->win_start_us + 1000000) {
        uint64_t span = now_us - b->win_start_us;
        /* A window that ended long ago says nothing about now: the stream paused. */
        bool fresh = span < 2000000;
        b->rate_bytes = fresh ? b->win_bytes * 1000000 / span : 0;
        b->rate_packets = fresh ? b->win_packets * 1000000 / span : 0;
        b->win_start_us = now_us;
        b->win_bytes = b->win_packets = 0;
    }
    b->win_bytes += len;
    b->win_packets++;
}

static double share_or_min(uint64_t rate, uint64_t min)
{
    uint64_t share = rate * ANC_PEER_RTX_SHARE_PCT / 100;
    return (double)(share > min ? share : min);
}

/* Refills both buckets for the time since the last refill and takes one packet of len bytes
 * from them, or returns false (and takes nothing) when either is short. */
static bool rtx_take(struct rtx_budget *b, uint64_t now_us, size_t len)
{
    double bps = share_or_min(b->rate_bytes, ANC_PEER_RTX_MIN_BYTES_PER_S);
    double pps = share_or_min(b->rate_packets, ANC_PEER_RTX_MIN_PACKETS_PER_S);
    double dt = now_us > b->refill_us ? (double)(now_us - b->refill_us) / 1e6 : 0;
    double burst = ANC_PEER_RTX_BURST_US / 1e6;
    b->refill_us = now_us > b->refill_us ? now_us : b->refill_us;
    b->bytes = b->bytes + bps * dt < bps * burst ? b->bytes + bps * dt : bps * burst;
    b->packets = b->packets + pps * dt < pps * burst ? b->packets + pps * dt : pps * burst;
    if (b->bytes < (double)len || b->packets < 1)
        return false;
    b->bytes -= (double)len;
    b->packets -= 1;
    return true;
}

/* How long a retransmitted packet waits before it may be resent again: one round trip. */
static uint64_t rtx_gap_us(const struct rtx_budget *b)
{
    uint64_t rtt = b->rtt_us ? b->rtt_us : ANC_PEER_RTX_DEFAULT_RTT_US;
    return rtt < 10000 ? 10000 : rtt > 1000000 ? 1000000 : rtt;
}

struct pack_ctx {
    struct anc_peer *p;
    uint64_t now_us;
};

/* Adds the one-byte-header extension element playout-delay = (min 0, max 0) (RFC 8285), which
 * makes the browser render each frame as soon as it is decoded. */
static size_t add_playout_delay(const uint8_t *pkt, size_t len, int id, uint8_t *out)
{
    memcpy(out, pkt, ANC_RTP_HEADER_LEN);
    out[0] |= 0x10; /* X bit */
    static const uint8_t ext_hdr[4] = {0xbe, 0xde, 0x00, 0x01};
    memcpy(out + ANC_RTP_HEADER_LEN, ext_hdr, 4);
    out[ANC_RTP_HEADER_LEN + 4] = (uint8_t)(id << 4 | 2); /* 3 data bytes */
    memset(out + ANC_RTP_HEADER_LEN + 5, 0, 3);
    memcpy(out + ANC_RTP_HEADER_LEN + 8, pkt + ANC_RTP_HEADER_LEN, len - ANC_RTP_HEADER_LEN);
    return len + 8;
}

static int on_packet(void *opaque, const uint8_t *pkt, size_t len)
{
    struct pack_ctx *c = opaque;
    struct anc_peer *p = c->p;
    uint8_t ext[ANC_RTP_MAX_PACKET + 8];
    if (p->cfg.playout_delay_id > 0 && (pkt[0] & 0x1f) == 0x00 && len + 8 <= ANC_RTP_MAX_PACKET) {
        len = add_playout_delay(pkt, len, p->cfg.playout_delay_id, ext);
        pkt = ext;
    }
    anc_rtp_history_put(p->history, pkt, len, c->now_us);
    rtx_count_media(&p->rtx, c->now_us, len);
    p->stats.rtp_packets++;
    p->stats.rtp_bytes += len;
    p->sr_packets++;
    p->sr_octets += (uint32_t)(len - ANC_RTP_HEADER_LEN);
    send_rtp(p, pkt, len);
    return 0;
}

uint32_t anc_peer_video_ts(const struct anc_peer *p, uint64_t capture_us)
{
    return anc_rtp_clock_ts(&p->clock, capture_us);
}

int anc_peer_send_video(struct anc_peer *p, uint64_t now_us, const uint8_t *au, size_t len,
                        uint64_t capture_us)
{
    if (!p->dtls_up || !p->srtp || !p->have_remote)
        return 0;
    struct pack_ctx c = {p, now_us};
    uint32_t ts = anc_rtp_clock_ts(&p->clock, capture_us);
    int r = anc_h264_packetize(&p->pack, au, len, ts, on_packet, &c);
    if (r > 0)
        p->stats.frames_sent++;
    return r;
}

void anc__peer_send_sr(struct anc_peer *p, uint64_t now_us)
{
    struct anc_rtcp_sender_info si;
    uint8_t buf[ANC_PEER_MAX_DATAGRAM];
    uint64_t wall_us = (uint64_t)((int64_t)now_us + p->cfg.wall_offset_us);
    anc_rtcp_sender_info_at(&si, &p->clock, now_us, wall_us, p->sr_packets, p->sr_octets);
    int n = anc_rtcp_build_sr_sdes(buf, sizeof(buf) - ANC_SRTP_MAX_TRAILER, p->cfg.video_ssrc, &si,
                                   p->cfg.cname);
    if (n < 0)
        return;
    size_t len = (size_t)n;
    if (anc_srtp_protect_rtcp(p->srtp, buf, &len, sizeof(buf)) < 0) {
        p->stats.srtp_errors++;
        return;
    }
    anc__peer_queue_tx(p, buf, len);
}

/* Answers one NACKed sequence number, within the budget: checks are ordered cheapest first, and
 * nothing is encrypted for a packet that would not be sent. */
static void retransmit(struct anc_peer *p, uint64_t now_us, uint16_t seq)
{
    const uint8_t *pkt;
    size_t len;
    if (anc_rtp_history_get(p->history, seq, &pkt, &len, NULL) < 0)
        return;
    uint64_t last = anc_rtp_history_resent_us(p->history, seq);
    /* Retransmissions may fill at most half the queue: fresh video keeps the rest. */
    if ((last && now_us < last + rtx_gap_us(&p->rtx)) || anc_dgramq_count(&p->tx) >= TX_MAX / 2 ||
        !rtx_take(&p->rtx, now_us, len)) {
        p->stats.retransmits_denied++;
        return;
    }
    anc_rtp_history_mark_resent(p->history, seq, now_us ? now_us : 1);
    if (send_rtp(p, pkt, len) == 0) {
        p->stats.retransmits++;
        p->stats.retransmit_bytes += len;
    }
}

/* Round trip from a report block about our video stream. */
static void on_report_block(struct anc_peer *p, uint64_t now_us,
                            const struct anc_rtcp_report_block *rb)
{
    if (rb->ssrc != p->cfg.video_ssrc)
        return;
    uint64_t wall_us = (uint64_t)((int64_t)now_us + p->cfg.wall_offset_us);
    int64_t rtt = anc_rtcp_rtt_us(rb, anc_ntp_from_unix_us(wall_us));
    if (rtt >= 0) {
        p->rtx.rtt_us = rtt ? (uint64_t)rtt : 1;
        p->stats.rtt_us = p->rtx.rtt_us;
    }
}

struct rtcp_ctx {
    struct anc_peer *p;
    uint64_t now_us;
};

static int on_rtcp_item(void *opaque, const struct anc_rtcp_item *it)
{
    struct rtcp_ctx *c = opaque;
    struct anc_peer *p = c->p;
    struct anc_peer_event *ev;
    switch (it->type) {
    case ANC_RTCP_ITEM_REPORT_BLOCK:
        on_report_block(p, c->now_us, &it->u.rb);
        break;
    case ANC_RTCP_ITEM_NACK:
        p->stats.nacks++;
        for (unsigned i = 0; i < it->u.nack.n_seqs; i++)
            retransmit(p, c->now_us, it->u.nack.seqs[i]);
        break;
    case ANC_RTCP_ITEM_PLI:
    case ANC_RTCP_ITEM_FIR:
        if (it->type == ANC_RTCP_ITEM_PLI)
            p->stats.plis++;
        else
            p->stats.firs++;
        anc__peer_push_event(p, ANC_PEER_EV_KEYFRAME);
        break;
    case ANC_RTCP_ITEM_REMB:
        p->stats.rembs++;
        p->stats.last_remb_bps = it->u.remb.bitrate_bps;
        ev = anc__peer_push_event(p, ANC_PEER_EV_BITRATE);
        if (ev)
            ev->bitrate_bps = it->u.remb.bitrate_bps;
        break;
    default:
        break;
    }
    return 0;
}

void anc__peer_handle_rtcp(struct anc_peer *p, uint64_t now_us, uint8_t *buf, size_t len)
{
    struct rtcp_ctx c = {p, now_us};
    p->stats.rtcp_in++;
    if (anc_rtcp_parse(buf, len, on_rtcp_item, &c) < 0)
        p->stats.rtcp_bad++;
}
