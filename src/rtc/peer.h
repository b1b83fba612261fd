/* One WebRTC viewer connection, sans-IO: composes DTLS, SRTP, SCTP data channels, the H.264
 * packetizer with its NACK history and RTCP. ICE lives one level up (struct anc_rtc_host), since
 * one ICE agent serves every peer on the shared UDP port; the host tells the peer its remote
 * address and hands it every datagram from that address that is not STUN.
 *
 * Feed input with the current time (CLOCK_MONOTONIC µs), then drain anc_peer_poll_transmit() and
 * anc_peer_poll_event() until they return false, and call anc_peer_handle_timeout() at
 * anc_peer_next_timeout(). Loop thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

struct anc_dtls_ctx;
struct anc_peer;

#define ANC_PEER_MAX_DATAGRAM 1500

/* Retransmission budget (NACK answers, RFC 4585): per peer, token buckets of bytes and packets
 * refilled at ANC_PEER_RTX_SHARE_PCT % of the media sent in the last second, at least the
 * minimums, holding at most ANC_PEER_RTX_BURST_US worth; each sequence number is resent at most
 * once per round trip (from RTCP reports, ANC_PEER_RTX_DEFAULT_RTT_US until one is known). */
#define ANC_PEER_RTX_SHARE_PCT         10
#define ANC_PEER_RTX_MIN_BYTES_PER_S   32768
#define ANC_PEER_RTX_MIN_PACKETS_PER_S 32
#define ANC_PEER_RTX_BURST_US          500000
#define ANC_PEER_RTX_DEFAULT_RTT_US    100000
/* A peer whose DTLS handshake has not completed this long after it began (first DTLS datagram
 * or ICE selection, whichever is first) fails with -ETIMEDOUT. */
#define ANC_PEER_DTLS_DEADLINE_US 10000000

struct anc_peer_config {
    struct anc_dtls_ctx *dtls_ctx; /* must outlive the peer */
    bool dtls_server;              /* our answer said a=setup:passive */
    const char *remote_fp_alg;     /* offer's a=fingerprint, e.g. "sha-256" */
    const char *remote_fp;
    uint8_t h264_pt; /* the browser's payload type for H.264 pm=1 */
    uint32_t video_ssrc;
    const char *cname;
    bool datachannel;               /* the offer has an m=application section */
    uint16_t sctp_remote_port;      /* 0: 5000 */
    size_t max_message_size;        /* 0: 256 KiB; ours (a=max-message-size of the answer) */
    size_t remote_max_message_size; /* the offer's; 0: no limit of its own */
    size_t history_packets;         /* NACK history; 0: 2048 (≥ 1 s at 8 Mbit/s) */
    int64_t wall_offset_us;         /* Unix time minus the monotonic clock, for RTCP SR NTP times */
    int playout_delay_id;      /* 1..14: send playout-delay (0, 0) with this RTP extension id */
    uint64_t dtls_deadline_us; /* 0: ANC_PEER_DTLS_DEADLINE_US */
};

enum anc_peer_event_type {
    ANC_PEER_EV_CONNECTED = 1,  /* DTLS up and SRTP keyed: video may flow */
    ANC_PEER_EV_DATACHANNEL_UP, /* the SCTP association is established */
    ANC_PEER_EV_CHANNEL_OPEN,   /* label */
    ANC_PEER_EV_MESSAGE,        /* channel, label, is_binary, data, len */
    ANC_PEER_EV_KEYFRAME,       /* the receiver asked for a keyframe (PLI or FIR) */
    ANC_PEER_EV_BITRATE,        /* bitrate_bps: the receiver's estimate (REMB) */
    ANC_PEER_EV_FAILED,         /* error: DTLS failed (e.g. fingerprint mismatch), or
                                   -ETIMEDOUT: no handshake within the deadline */
    ANC_PEER_EV_CLOSED,         /* the browser closed DTLS (close_notify) */
};

struct anc_peer_event {
    enum anc_peer_event_type type;
    int error;
    uint64_t bitrate_bps;
    uint16_t channel;
    const char *label; /* valid until the next poll_event */
    bool is_binary;
    const uint8_t *data; /* valid until the next poll_event */
    size_t len;
};

struct anc_peer_stats {
    uint64_t rtp_packets, rtp_bytes, frames_sent, retransmits, nacks, plis, firs, rembs;
    uint64_t retransmit_bytes;   /* what the retransmits cost */
    uint64_t retransmits_denied; /* NACKed packets not resent: budget, once per RTT, queue full */
    uint64_t rtt_us;             /* from RTCP reports; 0: unknown */
    uint64_t rtcp_in, rtcp_bad, srtp_errors, dropped_tx, dc_messages_in, dc_bytes_in;
    uint64_t last_remb_bps;
};

/* Returns 0 and a new peer in *out, or -errno (-EINVAL bad fingerprint). Caller frees. */
int anc_peer_new(const struct anc_peer_config *cfg, uint64_t now_us, struct anc_peer **out);
/* Frees everything; sends nothing (call anc_peer_close first and drain). Accepts NULL. */
void anc_peer_free(struct anc_peer *p);

/* The address ICE selected (or moved to). A DTLS client starts its handshake on the first call. */
void anc_peer_set_remote(struct anc_peer *p, uint64_t now_us, const struct anc_addr *addr);

/* A datagram (not STUN) from the peer's validated address. Returns 0; bad input is counted. */
int anc_peer_handle_datagram(struct anc_peer *p, uint64_t now_us, const uint8_t *buf, size_t len);
int anc_peer_handle_timeout(struct anc_peer *p, uint64_t now_us);
/* When anc_peer_handle_timeout() is next due (DTLS derives it from now_us); UINT64_MAX: never. */
uint64_t anc_peer_next_timeout(const struct anc_peer *p, uint64_t now_us);

/* Next datagram to send to *to. */
bool anc_peer_poll_transmit(struct anc_peer *p, uint8_t *buf, size_t cap, size_t *len,
                            struct anc_addr *to);
bool anc_peer_poll_event(struct anc_peer *p, struct anc_peer_event *ev);

/* The RTP timestamp a frame captured at capture_us (monotonic µs) is sent with. */
uint32_t anc_peer_video_ts(const struct anc_peer *p, uint64_t capture_us);

/* Sends one encoded access unit (Annex-B) captured at capture_us (monotonic µs). Returns the
 * number of RTP packets, 0 when the peer is not connected yet, or -errno. */
int anc_peer_send_video(struct anc_peer *p, uint64_t now_us, const uint8_t *au, size_t len,
                        uint64_t capture_us);

/* Sends a data-channel message on channel id. */
int anc_peer_send_message(struct anc_peer *p, uint64_t now_us, uint16_t channel, bool is_binary,
                          const void *buf, size_t len);

/* Queues close_notify. */
void anc_peer_close(struct anc_peer *p, uint64_t now_us);

bool anc_peer_connected(const struct anc_peer *p);
void anc_peer_get_stats(const struct anc_peer *p, struct anc_peer_stats *out);
