/* RTP (RFC 3550) fixed header build/parse, RTP/RTCP demux (RFC 5761), the media clock mapping and a
 * history of sent packets for NACK retransmission. Sans-IO: pure functions on caller buffers;
 * times are passed in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANC_RTP_HEADER_LEN  12
#define ANC_RTP_MAX_PACKET  1500 /* largest packet the history and packetizer handle */
#define ANC_RTP_VIDEO_CLOCK 90000

struct anc_rtp_header {
    bool marker;
    bool padding;         /* parse only: padding was present (payload_len excludes it) */
    bool extension;       /* parse only: a header extension was present and skipped */
    uint8_t payload_type; /* 0..127 */
    uint8_t csrc_count;   /* 0..15 */
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    uint32_t csrc[15];
    uint16_t ext_profile; /* parse only: the extension's "defined by profile" field */
    size_t ext_len;       /* parse only: extension data bytes (after its 4-byte header) */
    size_t header_len;    /* parse only: offset of the payload */
    size_t payload_len;   /* parse only: payload bytes, padding removed */
};

/* Writes the fixed header plus CSRCs (no extension, no padding) into buf. Returns the number of
 * bytes written, -EMSGSIZE if cap is too small, -EINVAL for an out-of-range field. */
int anc_rtp_header_write(const struct anc_rtp_header *h, uint8_t *buf, size_t cap);

/* Parses an RTP packet's header into *h. Returns 0, or -EBADMSG (not version 2, truncated,
 * extension or padding beyond the packet). The payload is buf[h->header_len .. +h->payload_len]. */
int anc_rtp_header_parse(const uint8_t *buf, size_t len, struct anc_rtp_header *h);

/* RFC 5761 demux of a packet already known to be RTP or RTCP (first byte 128..191): true when the
 * second byte (marker + PT) is 192..223, i.e. an RTCP packet type. */
bool anc_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Signed distance from sequence number a to b (b - a), valid across wrap-around. */
static inline int32_t anc_rtp_seq_diff(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(b - a);
}

/* Maps a capture clock (µs, any epoch, e.g. CLOCK_MONOTONIC) to a stream's RTP clock:
 * ts(t) = base_ts + (t - base_us) * rate / 1e6, modulo 2^32. */
struct anc_rtp_clock {
    uint32_t base_ts;
    uint64_t base_us;
    uint32_t rate; /* Hz, e.g. ANC_RTP_VIDEO_CLOCK */
};

uint32_t anc_rtp_clock_ts(const struct anc_rtp_clock *c, uint64_t t_us);

/* History of sent RTP packets keyed by sequence number: a ring of `capacity` slots (rounded up to
 * a power of two) holding plaintext (pre-SRTP) copies for NACK retransmission. A slot is reused
 * by the packet whose sequence number is `capacity` later, so a lookup of a too-old number misses.
 * Size it to cover at least a second of sending (e.g. 2048 packets). */
struct anc_rtp_history;

/* Returns 0 and a new history in *out (caller frees), or -EINVAL / -ENOMEM. */
int anc_rtp_history_new(size_t capacity, struct anc_rtp_history **out);
void anc_rtp_history_free(struct anc_rtp_history *h);

/* Copies a full RTP packet (its sequence number is read from it) into the history, replacing
 * whatever its slot held. sent_us is stored for the caller's age checks. Returns 0, -EBADMSG for
 * a packet that is not RTP, or -EMSGSIZE above ANC_RTP_MAX_PACKET. */
int anc_rtp_history_put(struct anc_rtp_history *h, const uint8_t *pkt, size_t len,
                        uint64_t sent_us);

/* Looks up packet `seq`. Returns 0 with *pkt and *len pointing into the history (valid until the next
 * put) and *sent_us (may be NULL) set, or -ENOENT if it was never stored or was overwritten. */
int anc_rtp_history_get(const struct anc_rtp_history *h, uint16_t seq, const uint8_t **pkt,
                        size_t *len, uint64_t *sent_us);

/* When packet seq was last retransmitted (as recorded by mark_resent), 0 if never or if seq is
 * not in the history. A put of the slot's next packet clears it. */
uint64_t anc_rtp_history_resent_us(const struct anc_rtp_history *h, uint16_t seq);
/* Records a retransmission of seq at now_us (> 0); a no-op when seq is not in the history. */
void anc_rtp_history_mark_resent(struct anc_rtp_history *h, uint16_t seq, uint64_t now_us);
