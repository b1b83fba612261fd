/* RFC 4571 framing for ICE-TCP (RFC 6544): on a TCP connection every STUN, DTLS, SRTP and SRTCP
 * packet is preceded by its length as 2 bytes in network order. Sans-IO: bytes of the stream go
 * in, whole packets come out; a packet goes in, its frame comes out. No allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest frame payload any connection may announce: a UDP datagram of ours or a browser's
 * (1500) with room to spare. */
#define ANC_TCPFRAME_MAX 2048

struct anc_tcpframe {
    size_t max_frame; /* a frame announcing more is garbage */
    size_t have;      /* bytes in buf: the 2-byte header, then payload */
    bool broken;      /* an oversized frame was announced */
    uint8_t buf[2 + ANC_TCPFRAME_MAX];
};

/* max_frame is clamped to ANC_TCPFRAME_MAX. */
void anc_tcpframe_init(struct anc_tcpframe *f, size_t max_frame);

/* Consumes bytes of the stream from in[0..len) until a packet is complete or in is used up, and
 * returns how many it consumed. When a packet is complete, *pkt points at it (inside f, valid
 * until the next call) and *pkt_len is its length; else *pkt is NULL. Zero-length frames are
 * skipped. Returns -EMSGSIZE when a frame announces more than max_frame bytes: the stream is not
 * ours and the connection should be closed (further calls keep failing). */
ssize_t anc_tcpframe_feed(struct anc_tcpframe *f, const uint8_t *in, size_t len,
                          const uint8_t **pkt, size_t *pkt_len);

/* Writes the frame of one packet (header + payload) into out. Returns its size, or -EMSGSIZE when
 * the packet is empty, longer than 65535 bytes or does not fit in cap. */
ssize_t anc_tcpframe_encode(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap);
