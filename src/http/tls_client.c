#include "http/tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The same TLS 1.2 suites the server offers (tls.c): ECDHE + AEAD. TLS 1.3's are all AEAD. */
#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct anc_tls_client {
    SSL_CTX *ssl;
};

struct anc_tls_session {
    SSL *ssl;
    BIO *in, *out;  /* memory BIOs: ciphertext from and to the server */
    uint8_t *early; /* plaintext written before the handshake was done */
    size_t early_len;
    bool seen_input; /* the first byte from the server was looked at */
    int err;         /* sticky */
    char why[256];
};

/* OpenSSL's reason for the last failure, then its queue emptied. */
static const char *ssl_reason(char *buf, size_t cap, const char *fallback)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, cap, "%s", r ? r : fallback);
    ERR_clear_error();
    return buf;
}

/* OpenSSL's file errors say little ("system lib"): an unreadable file is named with errno. */
static int readable(const char *what, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return -errno;
    }
    fclose(f);
    return 0;
}

static int load_ca(SSL_CTX *ctx, const char *ca, char *err, size_t errlen)
{
    char reason[160];
    if (!ca || !*ca) {
        if (SSL_CTX_set_default_verify_paths(ctx) == 1)
            return 0;
        snprintf(err, errlen, "system CA store: %s", ssl_reason(reason, sizeof(reason), "?"));
        return -EINVAL;
    }
    int r = readable("CA file", ca, err, errlen);
    if (r < 0)
        return r;
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) == 1)
        return 0;
    snprintf(err, errlen, "CA file %s: %s", ca,
             ssl_reason(reason, sizeof(reason), "no PEM certificate"));
    return -EINVAL;
}

static int load_cert(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t errlen)
{
    char reason[160];
    int r = readable("certificate", cert, err, errlen);
    if (r == 0)
        r = readable("private key", key, err, errlen);
    if (r < 0)
        return r;
    /* The key first: a certificate loaded after a key that does not match drops the key, and
     * the check below can then say so in our words. */
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        snprintf(err, errlen, "private key %s: %s", key,
                 ssl_reason(reason, sizeof(reason), "no PEM key"));
        return -EINVAL;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, errlen, "certificate %s: %s", cert,
                 ssl_reason(reason, sizeof(reason), "no PEM certificate"));
        return -EINVAL;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "private key %s does not match certificate %s", key, cert);
        return -EINVAL;
    }
    return 0;
}

struct anc_tls_client *anc_tls_client_new(const char *ca, const char *cert, const char *key,
                                          char *err, size_t errlen)
{
    bool has_cert = cert && *cert, has_key = key && *key;
    if (has_cert != has_key) {
        snprintf(err, errlen, "a client certificate needs its key, and a key its certificate");
        return NULL;
    }
    struct anc_tls_client *t = calloc(1, sizeof(*t));
    ERR_clear_error();
    if (!t || !(t->ssl = SSL_CTX_new(TLS_client_method()))) {
        snprintf(err, errlen, "out of memory");
        free(t);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(t->ssl, TLS1_2_VERSION);
    SSL_CTX_set_options(t->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
    int r = SSL_CTX_set_cipher_list(t->ssl, TLS12_CIPHERS) == 1 ? 0 : -EINVAL;
    if (r < 0)
        snprintf(err, errlen, "cipher list refused");
    if (r == 0)
        r = load_ca(t->ssl, ca, err, errlen);
    if (r == 0 && has_cert)
        r = load_cert(t->ssl, cert, key, err, errlen);
    if (r < 0) {
        anc_tls_client_free(t);
        return NULL;
    }
    return t;
}

void anc_tls_client_free(struct anc_tls_client *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ssl);
    free(t);
}

/* The name the certificate must carry: an IP literal is matched against its IP addresses (and
 * sent without SNI, which takes names only), anything else as a DNS name. */
static int expect_host(SSL *ssl, const char *host)
{
    uint8_t a[16];
    X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
    if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(p, host) == 1 ? 0 : -EINVAL;
    X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, host) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1)
        return -EINVAL;
    return 0;
}

static int fail(struct anc_tls_session *s, int err, const char *why)
{
    if (s->err)
        return s->err;
    s->err = err;
    snprintf(s->why, sizeof(s->why), "%s", why);
    return err;
}

/* Maps a failed SSL_do_handshake/SSL_read to our errors; 0 for "more input needed". */
static int ssl_failed(struct anc_tls_session *s, int ret)
{
    char reason[160], m[256];
    switch (SSL_get_error(s->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return -EPIPE;
    default:
        break;
    }
    long v = SSL_get_verify_result(s->ssl);
    if (!SSL_is_init_finished(s->ssl) && v != X509_V_OK) {
        ERR_clear_error();
        snprintf(m, sizeof(m), "server certificate did not verify: %s",
                 X509_verify_cert_error_string(v));
        return fail(s, -EKEYREJECTED, m);
    }
    snprintf(m, sizeof(m), "TLS %s failed: %s",
             SSL_is_init_finished(s->ssl) ? "connection" : "handshake",
             ssl_reason(reason, sizeof(reason), "protocol error"));
    return fail(s, -EPROTO, m);
}

struct anc_tls_session *anc_tls_session_new(struct anc_tls_client *t, const char *host)
{
    if (!host || !*host)
        return NULL;
    struct anc_tls_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    ERR_clear_error();
    s->ssl = SSL_new(t->ssl);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    if (!s->ssl || !s->in || !s->out) {
        SSL_free(s->ssl);
        BIO_free(s->in);
        BIO_free(s->out);
        free(s);
        return NULL;
    }
    BIO_set_mem_eof_return(s->in, -1); /* empty means "no data yet", not EOF */
    SSL_set_bio(s->ssl, s->in, s->out);
    SSL_set_connect_state(s->ssl);
    if (expect_host(s->ssl, host) < 0 || ssl_failed(s, SSL_do_handshake(s->ssl)) < 0) {
        anc_tls_session_free(s);
        return NULL;
    }
    return s;
}

void anc_tls_session_free(struct anc_tls_session *s)
{
    if (!s)
        return;
    SSL_free(s->ssl);
    free(s->early);
    free(s);
    ERR_clear_error();
}

/* Every TLS record starts with its content type, 20 to 23; an HTTP server's answer with a
 * letter. Said plainly: OpenSSL would call it a "wrong version number". */
static void check_first_byte(struct anc_tls_session *s, const uint8_t *data, size_t len)
{
    s->seen_input = true;
    if (data[0] >= 20 && data[0] <= 23)
        return;
    char line[48], m[128];
    size_t n = 0;
    for (; n < len && n < sizeof(line) - 1 && data[n] >= ' ' && data[n] < 127; n++)
        line[n] = (char)data[n];
    line[n] = 0;
    snprintf(m, sizeof(m), "the server does not speak TLS (it answered \"%s\")", line);
    fail(s, -EPROTO, m);
}

int anc_tls_session_feed(struct anc_tls_session *s, const void *data, size_t len)
{
    if (len > 0 && !s->seen_input)
        check_first_byte(s, data, len);
    while (len > 0 && !s->err) {
        int n = BIO_write(s->in, data, len > (1u << 30) ? (1 << 30) : (int)len);
        if (n <= 0)
            return -ENOMEM;
        data = (const uint8_t *)data + n;
        len -= (size_t)n;
    }
    return 0;
}

static int seal(struct anc_tls_session *s, const void *data, size_t len)
{
    while (len > 0) {
        ERR_clear_error();
        int n = SSL_write(s->ssl, data, len > (1u << 30) ? (1 << 30) : (int)len);
        if (n <= 0) {
            int r = ssl_failed(s, n);
            return r < 0 ? r : fail(s, -EPROTO, "TLS write failed");
        }
        data = (const uint8_t *)data + n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t anc_tls_session_read(struct anc_tls_session *s, void *buf, size_t cap)
{
    if (s->err)
        return s->err;
    ERR_clear_error();
    if (!SSL_is_init_finished(s->ssl)) {
        int r = SSL_do_handshake(s->ssl);
        if (r != 1)
            return ssl_failed(s, r);
        r = seal(s, s->early, s->early_len);
        free(s->early);
        s->early = NULL;
        s->early_len = 0;
        if (r < 0)
            return r;
    }
    int n = SSL_read(s->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
    return n > 0 ? n : ssl_failed(s, n);
}

int anc_tls_session_write(struct anc_tls_session *s, const void *data, size_t len)
{
    if (s->err)
        return -EPROTO;
    if (SSL_is_init_finished(s->ssl))
        return seal(s, data, len);
    uint8_t *e = realloc(s->early, s->early_len + len);
    if (!e)
        return -ENOMEM;
    memcpy(e + s->early_len, data, len);
    s->early = e;
    s->early_len += len;
    return 0;
}

int anc_tls_session_eof(struct anc_tls_session *s)
{
    if (s->err)
        return s->err;
    if (SSL_is_init_finished(s->ssl))
        return 0;
    return fail(s, -ECONNRESET,
                "the server closed the connection during the TLS handshake (not a TLS port?)");
}

int anc_tls_session_take_output(struct anc_tls_session *s, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t pending = BIO_ctrl_pending(s->out);
    if (pending == 0)
        return 0;
    uint8_t *buf = malloc(pending);
    if (!buf)
        return -ENOMEM;
    int n = BIO_read(s->out, buf, (int)pending);
    if (n <= 0) {
        free(buf);
        return 0;
    }
    *out = buf;
    *len = (size_t)n;
    return 0;
}

bool anc_tls_session_ready(const struct anc_tls_session *s)
{
    return !s->err && SSL_is_init_finished(s->ssl);
}

const char *anc_tls_session_error(const struct anc_tls_session *s)
{
    return s->err ? s->why : NULL;
}
