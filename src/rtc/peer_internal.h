/* Shared between peer.c (DTLS, SCTP, queues) and peer_media.c (RTP/RTCP). Not a public header. */
#pragma once

#include "base/dgramq.h"
#include "rtc/dtls.h"
#include "rtc/h264_pack.h"
#include "rtc/peer.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/sctp.h"
#include "rtc/srtp.h"

#define TX_MAX       512 /* datagrams waiting for the glue; a keyframe is rarely over 200 */
#define EV_SLOTS     256
#define SR_PERIOD_US 1000000u
#define HISTORY_PKTS 2048 /* ≥ 1 s of video at 8 Mbit/s */

struct ev_slot {
    struct anc_peer_event ev;
    uint8_t *data; /* owned copy of a message */
    char *label;   /* owned copy */
};

/* Token buckets limiting NACK answers; see ANC_PEER_RTX_* in peer.h. */
struct rtx_budget {
    uint64_t refill_us;    /* last refill */
    double bytes, packets; /* tokens */
    uint64_t win_start_us; /* current one-second window of media sent */
    uint64_t win_bytes, win_packets;
    uint64_t rate_bytes, rate_packets; /* media per second in the last full window */
    uint64_t rtt_us;                   /* 0: unknown */
};

struct anc_peer {
    struct anc_peer_config cfg;
    char remote_fp_alg[16];
    char remote_fp[200];
    char cname[64];
    struct anc_addr remote;
    bool have_remote;
    uint64_t dtls_deadline_us; /* handshake must be done by then; 0: not started or done */

    struct anc_dtls dtls;
    bool dtls_up;
    bool end_reported; /* FAILED or CLOSED event queued */
    bool closing;      /* we closed: no event for it */
    struct anc_srtp *srtp;
    struct anc_sctp *sctp;
    bool sctp_up;
    char *labels[ANC_SCTP_MAX_STREAMS]; /* by stream id, for MESSAGE events */

    struct anc_h264_packetizer pack;
    struct anc_rtp_history *history;
    struct rtx_budget rtx;
    struct anc_rtp_clock clock;
    uint64_t next_sr_us;
    uint32_t sr_packets, sr_octets;

    /* Datagrams for the glue. The queue counts what it refused; stats.dropped_tx only what was
     * too large for poll_transmit's buffer; anc_peer_get_stats reports the sum. */
    struct anc_dgramq tx;
    struct ev_slot ev[EV_SLOTS];
    unsigned ev_head, ev_count;
    struct ev_slot ev_current; /* the event handed out last; freed on the next poll */

    struct anc_peer_stats stats;
};

/* peer.c */
void anc__peer_queue_tx(struct anc_peer *p, const uint8_t *buf, size_t len);
struct anc_peer_event *anc__peer_push_event(struct anc_peer *p, enum anc_peer_event_type type);

/* peer_media.c */
int anc__peer_media_init(struct anc_peer *p, uint64_t now_us);
void anc__peer_media_destroy(struct anc_peer *p);
void anc__peer_handle_rtcp(struct anc_peer *p, uint64_t now_us, uint8_t *buf, size_t len);
void anc__peer_send_sr(struct anc_peer *p, uint64_t now_us);
