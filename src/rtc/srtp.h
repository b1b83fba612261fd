/* SRTP/SRTCP (RFC 3711, RFC 7714) over libsrtp2, keyed from a DTLS-SRTP export (RFC 5764).
 * One struct anc_srtp holds two libsrtp sessions: outbound (protect RTP and RTCP with our write key)
 * and inbound (unprotect RTCP, and RTP for tests and loopback, with the peer's write key). Both
 * match any SSRC, so every media stream of a peer connection shares one object. Sans-IO and
 * single-threaded: an object is used from one thread at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DTLS-SRTP protection profile identifiers as on the wire (RFC 5764 §4.1.2, RFC 7714 §14.2). */
enum anc_srtp_profile {
    ANC_SRTP_AES128_CM_SHA1_80 = 0x0001,
    ANC_SRTP_AEAD_AES_128_GCM = 0x0007,
};

/* Longest master key followed by master salt among the supported profiles (16 + 14). */
#define ANC_SRTP_MAX_MASTER_LEN 30

/* Room that must follow a packet in its buffer for anc_srtp_protect_*: libsrtp may write up to its
 * SRTP_MAX_TRAILER_LEN (tag + MKI) after the packet, plus the 4-byte SRTCP index. The real growth is
 * at most 20 bytes (16-byte GCM tag + index). */
#define ANC_SRTP_MAX_TRAILER 148

/* Keying material for one DTLS association, as produced by anc_dtls_export_srtp(). Each side's
 * master is key followed by salt (the layout libsrtp takes). */
struct anc_srtp_keys {
    enum anc_srtp_profile profile;
    size_t key_len;                                 /* 16 for both profiles */
    size_t salt_len;                                /* 14 for AES-CM, 12 for GCM */
    uint8_t client_master[ANC_SRTP_MAX_MASTER_LEN]; /* client_write_key || client_write_salt */
    uint8_t server_master[ANC_SRTP_MAX_MASTER_LEN]; /* server_write_key || server_write_salt */
};

struct anc_srtp;

/* Initializes libsrtp once per process (thread-safe, idempotent). anc_srtp_new() calls it; callers
 * never need to. Returns 0 or -EIO. */
int anc_srtp_global_init(void);

/* Fills key_len/salt_len for a profile; returns 0 or -ENOTSUP for an unknown one. */
int anc_srtp_profile_lengths(enum anc_srtp_profile profile, size_t *key_len, size_t *salt_len);

/* Creates the sessions for one endpoint. is_dtls_server selects which master is ours: the DTLS
 * server protects with server_master and unprotects with client_master, the client the reverse.
 * Replay protection is on: inbound window 1024 packets; outbound keeps a 4096-packet history and
 * allows re-protecting a sequence number inside it (for NACK retransmission of the identical
 * packet; never re-protect different plaintext under the same SSRC and sequence number).
 * The keys are copied. On success *out is a new object the caller frees with anc_srtp_free().
 * Errors: -ENOTSUP (profile), -ENOMEM, -EINVAL, -EIO. */
int anc_srtp_new(const struct anc_srtp_keys *keys, bool is_dtls_server, struct anc_srtp **out);

/* Frees the object and wipes its sessions; accepts NULL. */
void anc_srtp_free(struct anc_srtp *s);

/* Bytes anc_srtp_protect_rtp / _rtcp add to a packet with this object's profile. */
size_t anc_srtp_rtp_overhead(const struct anc_srtp *s);
size_t anc_srtp_rtcp_overhead(const struct anc_srtp *s);

/* In-place transforms. buf holds *len bytes; protect needs cap >= *len + ANC_SRTP_MAX_TRAILER and
 * grows *len by the overhead; unprotect shrinks *len. On failure *len is unchanged but the contents
 * of buf are unspecified. Errors:
 *   -EBADMSG   authentication failed or the packet is malformed / too short
 *   -EALREADY  replayed packet (already seen, or older than the replay window)
 *   -EMSGSIZE  cap too small (protect) or packet too long
 *   -ENOENT    no stream for the SSRC (cannot happen with the any-SSRC templates)
 *   -ENOMEM, -EKEYEXPIRED (key usage limit reached), -EIO (other libsrtp failures) */
int anc_srtp_protect_rtp(struct anc_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int anc_srtp_protect_rtcp(struct anc_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int anc_srtp_unprotect_rtp(struct anc_srtp *s, uint8_t *buf, size_t *len);
int anc_srtp_unprotect_rtcp(struct anc_srtp *s, uint8_t *buf, size_t *len);
