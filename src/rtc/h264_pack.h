/* H.264 RTP payload format (RFC 6184, packetization-mode 1): a packetizer that turns one Annex-B
 * access unit into RTP packets (single NAL unit, STAP-A, FU-A) and a depacketizer that turns RTP
 * packets back into Annex-B access units. Sans-IO; neither keeps pointers to caller data. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc/rtp.h"

/* Payload budget: 1200-byte datagrams - 12 RTP header - SRTP auth tag, with margin. */
#define ANC_H264_DEFAULT_PAYLOAD 1100
#define ANC_H264_NAL_STAP_A      24
#define ANC_H264_NAL_FU_A        28

/* Receives each finished packet (header + payload); the bytes are valid only during the call.
 * Return 0 to continue or a negative errno to stop packetizing (it is passed through). */
typedef int (*anc_h264_packet_fn)(void *opaque, const uint8_t *pkt, size_t len);

/* Embedded by the stream; holds the state that continues across access units. */
struct anc_h264_packetizer {
    uint32_t ssrc;
    uint8_t payload_type;
    uint16_t seq;       /* sequence number of the next packet */
    size_t max_payload; /* RTP payload bytes per packet */
    /* A packet is held back one step so the last one of the access unit gets the marker. */
    uint8_t held[ANC_RTP_MAX_PACKET];
    size_t held_len;
    uint8_t cur[ANC_RTP_MAX_PACKET];
};

/* max_payload 0 means ANC_H264_DEFAULT_PAYLOAD. Returns 0 or -EINVAL (budget < 16 bytes or larger
 * than ANC_RTP_MAX_PACKET - 12). */
int anc_h264_packetizer_init(struct anc_h264_packetizer *p, uint32_t ssrc, uint8_t payload_type,
                             uint16_t first_seq, size_t max_payload);

/* Packetizes one access unit (Annex-B: NAL units after 3- or 4-byte start codes) stamped with
 * rtp_ts (90 kHz, from the capture time). Packets go to fn in order; the last one carries the
 * marker bit. Returns the number of packets, -EBADMSG if the AU holds no NAL unit, or fn's error
 * (packets already handed over keep their sequence numbers). */
int anc_h264_packetize(struct anc_h264_packetizer *p, const uint8_t *au, size_t len,
                       uint32_t rtp_ts, anc_h264_packet_fn fn, void *opaque);

/* Finds the next NAL unit in an Annex-B buffer at or after *pos. Returns true with *nal and *nal_len
 * (start code and trailing zero bytes excluded) and *pos advanced past it; false when none is left. */
bool anc_h264_next_nal(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **nal,
                       size_t *nal_len);

/* Reassembles access units from RTP packets of one stream. Output NAL units get 4-byte start
 * codes. An access unit with a sequence gap or a broken FU-A is dropped whole. */
struct anc_h264_depacketizer {
    uint8_t *buf; /* owned */
    size_t len, cap, max_au;
    size_t fu_start; /* offset of the NAL being reassembled from FU-A, when in_fu */
    bool in_fu;
    bool broken; /* current AU lost a packet: drop it at its end */
    bool have_seq;
    bool in_au;
    uint16_t last_seq;
    uint32_t ts;
};

/* max_au bounds one access unit's size (0: 4 MiB). Returns 0 (nothing allocated until used). */
int anc_h264_depacketizer_init(struct anc_h264_depacketizer *d, size_t max_au);
void anc_h264_depacketizer_destroy(struct anc_h264_depacketizer *d);

/* Feeds one RTP packet. Returns 1 when it completed an access unit (marker bit), with *au and *au_len
 * pointing into the depacketizer (valid until the next call); 0 when more packets are needed or
 * the AU was dropped; -EBADMSG for a malformed packet (the current AU is then dropped);
 * -EMSGSIZE above max_au; -ENOMEM. */
int anc_h264_depacketize(struct anc_h264_depacketizer *d, const uint8_t *pkt, size_t len,
                         const uint8_t **au, size_t *au_len);
