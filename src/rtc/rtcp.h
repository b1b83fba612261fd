/* RTCP (RFC 3550, 4585, 5104, draft-alvestrand-rmcat-remb): a bounds-checked parser of compound
 * packets that reports typed items through a callback, builders for the packets we send, and
 * NTP time helpers. Sans-IO: the caller passes wall-clock and capture times in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc/rtp.h"

#define ANC_RTCP_SR    200
#define ANC_RTCP_RR    201
#define ANC_RTCP_SDES  202
#define ANC_RTCP_BYE   203
#define ANC_RTCP_APP   204
#define ANC_RTCP_RTPFB 205
#define ANC_RTCP_PSFB  206

#define ANC_RTCP_MAX_REMB_SSRCS 16

enum anc_rtcp_item_type {
    ANC_RTCP_ITEM_SR,           /* sender info of an SR */
    ANC_RTCP_ITEM_REPORT_BLOCK, /* one report block of an SR or RR */
    ANC_RTCP_ITEM_BYE,          /* one SSRC leaving */
    ANC_RTCP_ITEM_NACK,         /* one generic NACK FCI (PID + BLP), expanded */
    ANC_RTCP_ITEM_PLI,
    ANC_RTCP_ITEM_FIR, /* one FIR FCI entry; media_ssrc is the entry's SSRC */
    ANC_RTCP_ITEM_REMB,
    ANC_RTCP_ITEM_TWCC, /* transport-wide CC feedback: recognised, contents not decoded */
};

struct anc_rtcp_report_block {
    uint32_t ssrc;           /* source this block reports on */
    uint8_t fraction_lost;   /* /256 */
    int32_t cumulative_lost; /* 24-bit signed */
    uint32_t highest_seq;    /* extended highest sequence number received */
    uint32_t jitter;         /* RTP timestamp units */
    uint32_t lsr;            /* middle 32 bits of the last SR's NTP time */
    uint32_t dlsr;           /* 1/65536 s */
};

struct anc_rtcp_sender_info {
    uint64_t ntp; /* NTP 32.32 */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
};

struct anc_rtcp_item {
    enum anc_rtcp_item_type type;
    uint32_t sender_ssrc; /* SSRC of the packet's sender (BYE: the leaving SSRC) */
    uint32_t media_ssrc;  /* feedback: the media source it concerns */
    union {
        struct anc_rtcp_sender_info sr;
        struct anc_rtcp_report_block rb;
        struct {
            uint16_t seqs[17];
            uint8_t n_seqs;
        } nack;
        struct {
            uint8_t seq_nr;
        } fir;
        struct {
            uint64_t bitrate_bps;
            uint8_t n_ssrcs; /* as sent; at most ANC_RTCP_MAX_REMB_SSRCS are stored */
            uint32_t ssrcs[ANC_RTCP_MAX_REMB_SSRCS];
        } remb;
    } u;
};

/* Receives one item; the pointer is valid only during the call. Return 0 to continue, negative
 * to stop (passed through). */
typedef int (*anc_rtcp_item_fn)(void *opaque, const struct anc_rtcp_item *item);

/* Checks a whole compound packet first (version 2, every length field inside the buffer, padding
 * only in the last packet, fixed parts of known types present) and returns -EBADMSG without any
 * callback if it is malformed. Then reports its items in order; SDES, APP and unknown types or
 * formats are skipped. Returns the number of items or fn's error. */
int anc_rtcp_parse(const uint8_t *buf, size_t len, anc_rtcp_item_fn fn, void *opaque);

/* Unix time in µs → NTP 32.32 (seconds since 1900 . fraction). */
uint64_t anc_ntp_from_unix_us(uint64_t unix_us);
/* NTP 32.32 → Unix µs (rounded down). */
uint64_t anc_ntp_to_unix_us(uint64_t ntp);
/* The middle 32 bits, as carried in LSR. */
static inline uint32_t anc_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

/* Round-trip time from a report block about one of our streams (RFC 3550 §6.4.1) received at
 * now_ntp (our wall clock as NTP 32.32): µs, or -1 when the block has no LSR (no SR of ours reached
 * the receiver yet) or the result is negative or above a minute. */
int64_t anc_rtcp_rtt_us(const struct anc_rtcp_report_block *rb, uint64_t now_ntp);

/* Sender info for an SR sent at one instant, seen on two clocks: now_us on the capture clock the
 * stream's RTP clock maps from, wall_us on the Unix wall clock. */
void anc_rtcp_sender_info_at(struct anc_rtcp_sender_info *si, const struct anc_rtp_clock *clock,
                             uint64_t now_us, uint64_t wall_us, uint32_t packets, uint32_t octets);

/* Builders write into buf and return the bytes written, or -EMSGSIZE if cap is too small,
 * -EINVAL for bad arguments. */

/* SR without report blocks + SDES with one CNAME chunk (cname: 1..255 bytes). */
int anc_rtcp_build_sr_sdes(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const struct anc_rtcp_sender_info *si, const char *cname);
/* RR with the given report blocks (0..31). */
int anc_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                      const struct anc_rtcp_report_block *blocks, size_t n);
/* Generic NACK for the given lost sequence numbers in ascending (wrap-aware) order; each
 * number starts a PID+BLP entry unless it lies within 16 after the current PID. */
int anc_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *seqs, size_t n);
int anc_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
int anc_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr);
/* REMB; the bitrate is encoded as mantissa (18 bits) << exponent, rounded down. */
int anc_rtcp_build_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                        const uint32_t *ssrcs, size_t n);
