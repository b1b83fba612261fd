#include "rtc/dtls.h"

#include "base/bytes.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rtc/cert.h"

#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define CIPHERS                                                                                    \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:"   \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384"
#define GROUPS       "X25519:P-256:P-384"
#define EXPORT_LABEL "EXTRACTOR-dtls_srtp"
#define MIN_MTU      256
#define MAX_MTU      1500

struct anc_dtls_ctx {
    SSL_CTX *ssl_ctx;
    BIO_METHOD *bio_method;
};

/* ---- queues ---- */

/* A full queue drops the datagram (the queue counts it), as a lossy network would: DTLS
 * retransmits handshake flights and SCTP its packets. Only running out of memory is an error. */
static int enqueue(struct anc_dgramq *q, const void *data, size_t len)
{
    int r = anc_dgramq_push(q, data, len, NULL);
    return r == -ENOMEM ? r : 0;
}

/* ---- the datagram BIO: reads hand over the one datagram being fed, writes queue datagrams ---- */

static int bio_write(BIO *b, const char *data, int len)
{
    struct anc_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    return enqueue(&d->out, data, (size_t)len) < 0 ? -1 : len;
}

static int bio_read(BIO *b, char *buf, int cap)
{
    struct anc_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!d->in_buf) {
        BIO_set_retry_read(b);
        return -1;
    }
    /* A datagram longer than OpenSSL's buffer is truncated, as recv() would. */
    size_t n = d->in_len < (size_t)cap ? d->in_len : (size_t)cap;
    memcpy(buf, d->in_buf, n);
    d->in_buf = NULL;
    d->in_len = 0;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct anc_dtls *d = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return d && d->in_buf ? (long)d->in_len : 0;
    case BIO_CTRL_WPENDING:
        return 0; /* nothing is buffered: each write is already a datagram */
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 0; /* the MTU we set is the datagram payload size */
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method_new(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "anc-dtls-dgram");
    if (!m)
        return NULL;
    if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

/* ---- peer verification and timers ---- */

/* Replaces chain verification: a WebRTC peer's certificate is self-signed and trusted only
 * because its digest matches the fingerprint in the signalled SDP. */
static int verify_cert(X509_STORE_CTX *store, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct anc_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *peer = X509_STORE_CTX_get0_cert(store);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!d || !peer)
        return 0;
    if (X509_digest(peer, d->fp_md, md, &n) == 1 && n == d->fp_len &&
        CRYPTO_memcmp(md, d->fp, n) == 0)
        return 1;
    d->fp_mismatch = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}

/* OpenSSL asks for the next timer duration: 0 means a fresh flight, otherwise the expired one. */
static unsigned int timer_cb(SSL *ssl, unsigned int prev_us)
{
    struct anc_dtls *d = SSL_get_app_data(ssl);
    if (prev_us == 0)
        return d->rto_initial_us;
    uint64_t next = (uint64_t)prev_us * 2;
    return next > d->rto_max_us ? d->rto_max_us : (unsigned int)next;
}

/* ---- context ---- */

static int configure_ctx(SSL_CTX *c, const struct anc_cert *cert)
{
    if (SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(c, CIPHERS) != 1 || SSL_CTX_set1_groups_list(c, GROUPS) != 1)
        return -EIO;
    /* use_srtp returns 0 on success, unlike the rest of the API. */
    if (SSL_CTX_set_tlsext_use_srtp(c, SRTP_PROFILES) != 0)
        return -EIO;
    if (SSL_CTX_use_certificate(c, anc_cert_x509(cert)) != 1 ||
        SSL_CTX_use_PrivateKey(c, anc_cert_pkey(cert)) != 1 || SSL_CTX_check_private_key(c) != 1)
        return -EIO;
    SSL_CTX_set_options(c, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(c, verify_cert, NULL);
    return 0;
}

int anc_dtls_ctx_new(const struct anc_cert *cert, struct anc_dtls_ctx **out)
{
    struct anc_dtls_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    int r = -EIO;
    ctx->bio_method = bio_method_new();
    ctx->ssl_ctx = SSL_CTX_new(DTLS_method());
    if (!ctx->bio_method || !ctx->ssl_ctx)
        goto fail;
    r = configure_ctx(ctx->ssl_ctx, cert);
    if (r < 0)
        goto fail;
    ERR_clear_error();
    *out = ctx;
    return 0;

fail:
    anc_dtls_ctx_free(ctx);
    ERR_clear_error();
    return r;
}

void anc_dtls_ctx_free(struct anc_dtls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    BIO_meth_free(ctx->bio_method);
    free(ctx);
}

/* ---- association ---- */

static const EVP_MD *md_by_sdp_name(const char *name)
{
    static const struct {
        const char *name;
        const EVP_MD *(*fn)(void);
    } mds[] = {
        {"sha-1", EVP_sha1},     {"sha-224", EVP_sha224}, {"sha-256", EVP_sha256},
        {"sha-384", EVP_sha384}, {"sha-512", EVP_sha512},
    };
    for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
        if (strcasecmp(name, mds[i].name) == 0)
            return mds[i].fn();
    return NULL;
}

/* Parses "AB:CD:..." into exactly want bytes. */
static int parse_fingerprint(const char *hex, uint8_t *out, size_t want)
{
    size_t n = 0;
    const char *p = hex;
    for (;;) {
        int hi = anc_hex_digit(p[0]), lo = hi < 0 ? -1 : anc_hex_digit(p[1]);
        if (hi < 0 || lo < 0 || n == want)
            return -EINVAL;
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
        if (*p == '\0')
            break;
        if (*p++ != ':')
            return -EINVAL;
    }
    return n == want ? 0 : -EINVAL;
}

static int set_remote_fingerprint(struct anc_dtls *d, const char *alg, const char *hex)
{
    if (!alg || !hex)
        return -EINVAL;
    d->fp_md = md_by_sdp_name(alg);
    if (!d->fp_md)
        return -EINVAL;
    int size = EVP_MD_get_size(d->fp_md);
    if (size <= 0 || (size_t)size > sizeof(d->fp))
        return -EINVAL;
    d->fp_len = (unsigned int)size;
    return parse_fingerprint(hex, d->fp, d->fp_len);
}

int anc_dtls_init(struct anc_dtls *d, struct anc_dtls_ctx *ctx, bool is_server,
                  const char *remote_fp_alg, const char *remote_fp_hex)
{
    memset(d, 0, sizeof(*d));
    d->is_server = is_server;
    d->rto_initial_us = ANC_DTLS_DEFAULT_RTO_US;
    d->rto_max_us = ANC_DTLS_MAX_RTO_US;
    anc_dgramq_init(&d->out, ANC_DTLS_MAX_QUEUE, SIZE_MAX);
    anc_dgramq_init(&d->app, ANC_DTLS_MAX_QUEUE, SIZE_MAX);
    int r = set_remote_fingerprint(d, remote_fp_alg, remote_fp_hex);
    if (r < 0)
        return r;
    r = -ENOMEM;
    d->ssl = SSL_new(ctx->ssl_ctx);
    BIO *bio = BIO_new(ctx->bio_method);
    if (!d->ssl || !bio) {
        BIO_free(bio);
        goto fail;
    }
    BIO_set_data(bio, d);
    SSL_set_bio(d->ssl, bio, bio); /* one reference, owned by the SSL */
    SSL_set_app_data(d->ssl, d);
    DTLS_set_timer_cb(d->ssl, timer_cb);
    r = anc_dtls_set_mtu(d, ANC_DTLS_MTU);
    if (r < 0)
        goto fail;
    if (is_server)
        SSL_set_accept_state(d->ssl);
    else
        SSL_set_connect_state(d->ssl);
    return 0;

fail:
    anc_dtls_destroy(d);
    ERR_clear_error();
    return r;
}

void anc_dtls_destroy(struct anc_dtls *d)
{
    if (!d)
        return;
    SSL_free(d->ssl);
    anc_dgramq_destroy(&d->out);
    anc_dgramq_destroy(&d->app);
    memset(d, 0, sizeof(*d));
}

void anc_dtls_set_timeouts(struct anc_dtls *d, uint32_t initial_us, uint32_t max_us)
{
    if (initial_us < ANC_DTLS_MIN_RTO_US)
        initial_us = ANC_DTLS_MIN_RTO_US;
    if (max_us < initial_us)
        max_us = initial_us;
    d->rto_initial_us = initial_us;
    d->rto_max_us = max_us;
}

int anc_dtls_set_mtu(struct anc_dtls *d, size_t mtu)
{
    if (mtu < MIN_MTU || mtu > MAX_MTU)
        return -EINVAL;
    /* SSL_set_mtu returns the MTU it accepted, or 0 below OpenSSL's minimum. */
    return SSL_set_mtu(d->ssl, (long)mtu) > 0 ? 0 : -EINVAL;
}

static int fail(struct anc_dtls *d, int err)
{
    d->state = ANC_DTLS_FAILED;
    d->error = err;
    ERR_clear_error();
    return err;
}

/* Interprets a non-success return of an SSL call: waiting is fine, anything else is fatal. */
static int on_ssl_result(struct anc_dtls *d, int ret)
{
    switch (SSL_get_error(d->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        ERR_clear_error();
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        d->state = ANC_DTLS_CLOSED;
        ERR_clear_error();
        return 0;
    default:
        return fail(d, d->fp_mismatch ? -EKEYREJECTED : -EPROTO);
    }
}

/* Decrypts every record available from the datagram being fed. */
static int read_records(struct anc_dtls *d)
{
    uint8_t buf[ANC_DTLS_MAX_RECORD];
    while (d->state == ANC_DTLS_CONNECTED) {
        ERR_clear_error();
        int n = SSL_read(d->ssl, buf, sizeof(buf));
        if (n <= 0)
            return on_ssl_result(d, n);
        int r = enqueue(&d->app, buf, (size_t)n);
        if (r < 0)
            return fail(d, r);
    }
    return 0;
}

static int drive(struct anc_dtls *d)
{
    if (d->state == ANC_DTLS_HANDSHAKING) {
        ERR_clear_error();
        int ret = SSL_do_handshake(d->ssl);
        if (ret != 1)
            return on_ssl_result(d, ret);
        d->state = ANC_DTLS_CONNECTED;
    }
    /* Also after the handshake completes: the datagram may hold more records. */
    if (d->state == ANC_DTLS_CONNECTED)
        return read_records(d);
    return 0;
}

int anc_dtls_start(struct anc_dtls *d, uint64_t now_us)
{
    if (d->state != ANC_DTLS_NEW)
        return d->error;
    d->state = ANC_DTLS_HANDSHAKING;
    return drive(d);
}

int anc_dtls_handle_datagram(struct anc_dtls *d, uint64_t now_us, const uint8_t *buf, size_t len)
{
    if (len == 0 || len > INT_MAX)
        return 0; /* nothing a DTLS peer could have sent; ignore like a bad record */
    if (d->state == ANC_DTLS_NEW) {
        int r = anc_dtls_start(d, now_us);
        if (r < 0)
            return r;
    }
    if (d->state != ANC_DTLS_HANDSHAKING && d->state != ANC_DTLS_CONNECTED)
        return 0;
    d->in_buf = buf;
    d->in_len = len;
    int r = drive(d);
    d->in_buf = NULL;
    d->in_len = 0;
    return r;
}

int anc_dtls_handle_timeout(struct anc_dtls *d, uint64_t now_us)
{
    if (d->state != ANC_DTLS_HANDSHAKING)
        return 0;
    ERR_clear_error();
    if (DTLSv1_handle_timeout(d->ssl) < 0)
        return fail(d, -ETIMEDOUT);
    return 0;
}

uint64_t anc_dtls_next_timeout(const struct anc_dtls *d, uint64_t now_us)
{
    struct timeval left;
    if (d->state != ANC_DTLS_HANDSHAKING || DTLSv1_get_timeout(d->ssl, &left) != 1)
        return UINT64_MAX;
    return now_us + (uint64_t)left.tv_sec * 1000000u + (uint64_t)left.tv_usec;
}

bool anc_dtls_poll_transmit(struct anc_dtls *d, uint8_t *buf, size_t cap, size_t *len)
{
    return anc_dgramq_pop_copy(&d->out, buf, cap, len, NULL, &d->dropped_oversize);
}

int anc_dtls_read(struct anc_dtls *d, uint8_t *buf, size_t cap)
{
    struct anc_dgram *g = anc_dgramq_pop(&d->app);
    if (!g)
        return -EAGAIN;
    int r = -EMSGSIZE;
    if (g->len <= cap) {
        memcpy(buf, g->data, g->len);
        r = (int)g->len;
    }
    anc_dgram_free(g);
    return r;
}

int anc_dtls_write(struct anc_dtls *d, const uint8_t *buf, size_t len)
{
    if (d->state != ANC_DTLS_CONNECTED)
        return -ENOTCONN;
    if (len == 0 || len > ANC_DTLS_MAX_RECORD)
        return -EMSGSIZE;
    ERR_clear_error();
    int n = SSL_write(d->ssl, buf, (int)len);
    if (n == (int)len)
        return 0;
    int r = on_ssl_result(d, n);
    return r < 0 ? r : fail(d, -EIO);
}

void anc_dtls_close(struct anc_dtls *d)
{
    if (d->state == ANC_DTLS_CONNECTED) {
        ERR_clear_error();
        SSL_shutdown(d->ssl);
        ERR_clear_error();
    }
    if (d->state != ANC_DTLS_FAILED)
        d->state = ANC_DTLS_CLOSED;
}

enum anc_dtls_state anc_dtls_state(const struct anc_dtls *d)
{
    return d->state;
}

int anc_dtls_error(const struct anc_dtls *d)
{
    return d->error;
}

uint64_t anc_dtls_dropped(const struct anc_dtls *d)
{
    return anc_dgramq_drops(&d->out) + anc_dgramq_drops(&d->app) + d->dropped_oversize;
}

int anc_dtls_export_srtp(struct anc_dtls *d, struct anc_srtp_keys *out)
{
    if (d->state != ANC_DTLS_CONNECTED)
        return -ENOTCONN;
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!p)
        return -ENOTSUP;
    memset(out, 0, sizeof(*out));
    out->profile = (enum anc_srtp_profile)p->id;
    int r = anc_srtp_profile_lengths(out->profile, &out->key_len, &out->salt_len);
    if (r < 0)
        return r;
    size_t k = out->key_len, s = out->salt_len;
    uint8_t km[2 * ANC_SRTP_MAX_MASTER_LEN];
    ERR_clear_error();
    if (SSL_export_keying_material(d->ssl, km, 2 * (k + s), EXPORT_LABEL, strlen(EXPORT_LABEL),
                                   NULL, 0, 0) != 1) {
        ERR_clear_error();
        return -EIO;
    }
    /* RFC 5764 §4.2: client_write_key | server_write_key | client_salt | server_salt. */
    memcpy(out->client_master, km, k);
    memcpy(out->server_master, km + k, k);
    memcpy(out->client_master + k, km + 2 * k, s);
    memcpy(out->server_master + k, km + 2 * k + s, s);
    OPENSSL_cleanse(km, sizeof(km));
    return 0;
}
