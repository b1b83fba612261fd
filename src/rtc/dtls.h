/* DTLS 1.2 with the use_srtp extension (RFC 6347, RFC 5764) for WebRTC, over OpenSSL, sans-IO: the
 * caller feeds received datagrams and drains datagrams to send; nothing here touches a socket.
 *
 * Time: the API takes now_us and returns deadlines in the caller's clock, but OpenSSL 3.0 keeps its
 * DTLS retransmission timer on the wall clock (gettimeofday) and offers no way to inject time.
 * anc_dtls_next_timeout() therefore returns now_us + the time OpenSSL says is left, and
 * anc_dtls_handle_timeout() retransmits only once OpenSSL's own timer has expired in real time.
 * Our DTLS_set_timer_cb sets the back-off (initial and maximum, see anc_dtls_set_timeouts), so tests
 * use a short initial timeout and a short real sleep. Everything else is driven purely by calls.
 *
 * Datagrams: every received datagram is handed to OpenSSL as one unit (a custom BIO, not a byte
 * stream, so fragmented handshake messages such as Chrome's ClientHello reassemble correctly), and
 * every write OpenSSL makes is one outgoing datagram. During the handshake OpenSSL packs a flight's
 * records into datagrams of at most the MTU (1200 by default), flushing between them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "base/dgramq.h"
#include "rtc/srtp.h"

struct anc_cert;

#define ANC_DTLS_MTU            1200
#define ANC_DTLS_MAX_RECORD     16384 /* largest plaintext anc_dtls_write accepts / read returns */
#define ANC_DTLS_MAX_QUEUE      1024  /* datagrams or records held per direction before dropping */
#define ANC_DTLS_DEFAULT_RTO_US 400000
#define ANC_DTLS_MAX_RTO_US     8000000
#define ANC_DTLS_MIN_RTO_US     20000 /* OpenSSL treats < 15 ms left as expired */

enum anc_dtls_state {
    ANC_DTLS_NEW, /* initialized, not started */
    ANC_DTLS_HANDSHAKING,
    ANC_DTLS_CONNECTED,
    ANC_DTLS_FAILED, /* fatal error; anc_dtls_error() says which */
    ANC_DTLS_CLOSED, /* close_notify sent or received */
};

/* One SSL_CTX per daemon, built from its certificate: DTLS 1.2 only, ECDHE (X25519, P-256, P-384)
 * with AES-GCM / ChaCha20 suites, use_srtp offering AEAD_AES_128_GCM then AES128_CM_SHA1_80, peer
 * certificates required on both sides and checked only against the SDP fingerprint. */
struct anc_dtls_ctx;

/* Creates the context; the certificate is referenced, not borrowed (cert may be freed after).
 * *out is freed with anc_dtls_ctx_free(), which must happen after every anc_dtls using it is
 * destroyed. Errors: -ENOMEM, -EIO. */
int anc_dtls_ctx_new(const struct anc_cert *cert, struct anc_dtls_ctx **out);
void anc_dtls_ctx_free(struct anc_dtls_ctx *ctx); /* accepts NULL */

/* One DTLS association, embedded in its owner. It must not move between init and destroy (OpenSSL
 * callbacks hold its address). All fields are private; use the functions below. */
struct anc_dtls {
    SSL *ssl;
    enum anc_dtls_state state;
    bool is_server;
    bool fp_mismatch;
    int error;
    const EVP_MD *fp_md;
    unsigned int fp_len;
    uint8_t fp[64];
    const uint8_t *in_buf; /* datagram being fed, borrowed for one call */
    size_t in_len;
    struct anc_dgramq out; /* datagrams to send */
    struct anc_dgramq app; /* decrypted records for anc_dtls_read */
    uint32_t rto_initial_us, rto_max_us;
    uint64_t dropped_oversize; /* datagrams larger than poll_transmit's buffer */
};

/* Initializes d. is_server: the DTLS server role (we are the answerer with a=setup:passive, or the
 * offer said a=setup:active). remote_fp_alg is the SDP hash name ("sha-256", also "sha-1",
 * "sha-224", "sha-384", "sha-512", any case) and remote_fp_hex its "AB:CD:..." value; the peer's
 * certificate must hash to it or the handshake fails (state FAILED, error -EKEYREJECTED). Both
 * strings are parsed, not kept. ctx must outlive d. Errors: -EINVAL (fingerprint), -ENOMEM, -EIO. */
int anc_dtls_init(struct anc_dtls *d, struct anc_dtls_ctx *ctx, bool is_server,
                  const char *remote_fp_alg, const char *remote_fp_hex);

/* Frees everything d owns and leaves it zeroed; accepts NULL and a d whose init failed or was never
 * called on zeroed memory. Sends nothing (call anc_dtls_close first for a close_notify). */
void anc_dtls_destroy(struct anc_dtls *d);

/* Optional tuning before start: retransmission back-off (initial doubles up to max) and MTU
 * (largest datagram, 256..1500). Values are clamped; initial >= ANC_DTLS_MIN_RTO_US. */
void anc_dtls_set_timeouts(struct anc_dtls *d, uint32_t initial_us, uint32_t max_us);
int anc_dtls_set_mtu(struct anc_dtls *d, size_t mtu);

/* Starts the handshake: a client queues its ClientHello, a server just waits. Called implicitly
 * by the first anc_dtls_handle_datagram. Returns 0 or a negative errno (state FAILED). */
int anc_dtls_start(struct anc_dtls *d, uint64_t now_us);

/* Feeds one received datagram (one or more DTLS records; demultiplexed by the caller, first byte
 * 20..63). Drives the handshake, then decrypts application records into the read queue. Returns 0,
 * or the negative errno that moved d to FAILED (-EKEYREJECTED fingerprint mismatch, -EPROTO other
 * handshake or alert failure). Datagrams after FAILED/CLOSED are ignored (0). Invalid records are
 * dropped silently, as DTLS requires. buf is only read during the call. */
int anc_dtls_handle_datagram(struct anc_dtls *d, uint64_t now_us, const uint8_t *buf, size_t len);

/* Retransmits the current flight if OpenSSL's timer expired. Returns 0, or -ETIMEDOUT (state
 * FAILED) after OpenSSL's retransmission limit. */
int anc_dtls_handle_timeout(struct anc_dtls *d, uint64_t now_us);

/* Deadline for anc_dtls_handle_timeout in the caller's clock (see the top comment), UINT64_MAX when
 * no retransmission is pending (not handshaking, or no flight outstanding). */
uint64_t anc_dtls_next_timeout(const struct anc_dtls *d, uint64_t now_us);

/* Copies the next datagram to send into buf and sets *len; false when none is queued. A datagram
 * larger than cap is dropped (use cap >= ANC_DTLS_MTU, or ANC_DTLS_MAX_RECORD + 64 when sending
 * large application records). */
bool anc_dtls_poll_transmit(struct anc_dtls *d, uint8_t *buf, size_t cap, size_t *len);

/* Pops one decrypted application record (one SCTP packet) into buf; returns its length, -EAGAIN
 * when none is queued, or -EMSGSIZE when it was larger than cap (the record is dropped). */
int anc_dtls_read(struct anc_dtls *d, uint8_t *buf, size_t cap);

/* Encrypts len bytes as one record and queues it for transmit. Returns 0, -ENOTCONN (not
 * connected), -EMSGSIZE (len 0 or > ANC_DTLS_MAX_RECORD), or a fatal errno (state FAILED). */
int anc_dtls_write(struct anc_dtls *d, const uint8_t *buf, size_t len);

/* Queues a close_notify alert when connected; the state becomes CLOSED either way. */
void anc_dtls_close(struct anc_dtls *d);

enum anc_dtls_state anc_dtls_state(const struct anc_dtls *d);
int anc_dtls_error(const struct anc_dtls *d); /* negative errno once FAILED, else 0 */
/* Datagrams and records dropped: a queue was full (or out of memory), or a datagram was larger
 * than poll_transmit's buffer. */
uint64_t anc_dtls_dropped(const struct anc_dtls *d);

/* Derives the SRTP masters after the handshake (RFC 5764 §4.2: exporter label
 * "EXTRACTOR-dtls_srtp", split client key, server key, client salt, server salt) and the negotiated
 * profile. Errors: -ENOTCONN, -ENOTSUP (peer did not negotiate use_srtp), -EIO. */
int anc_dtls_export_srtp(struct anc_dtls *d, struct anc_srtp_keys *out);
