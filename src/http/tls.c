#include "http/tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TLS 1.2: ECDHE + AEAD only (forward secrecy, no CBC, no RSA key exchange). TLS 1.3 suites are
 * all AEAD; OpenSSL's defaults stay. */
#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct anc_tls_ctx {
    SSL_CTX *ssl;
};

struct anc_tls_conn {
    SSL *ssl;
    BIO *in, *out; /* memory BIOs: ciphertext from and to the peer */
    bool failed, shut;
};

static int ssl_error(char *err, size_t errlen, const char *what, const char *file)
{
    unsigned long e = ERR_get_error();
    char reason[256] = "unknown error";
    if (e)
        ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    snprintf(err, errlen, "%s %s: %s", what, file, reason);
    return -EINVAL;
}

static int load(const char *cert_file, const char *key_file, SSL_CTX **out, char *err,
                size_t errlen)
{
    int r = 0;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1)
        r = ssl_error(err, errlen, "cipher list", "");
    else if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
        r = ssl_error(err, errlen, "certificate", cert_file);
    else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
        r = ssl_error(err, errlen, "private key", key_file);
    else if (SSL_CTX_check_private_key(ctx) != 1)
        r = ssl_error(err, errlen, "key does not match certificate", cert_file);
    if (r < 0) {
        SSL_CTX_free(ctx);
        return r;
    }
    *out = ctx;
    return 0;
}

int anc_tls_ctx_new(const char *cert_file, const char *key_file, struct anc_tls_ctx **out,
                    char *err, size_t errlen)
{
    struct anc_tls_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int r = load(cert_file, key_file, &ctx->ssl, err, errlen);
    if (r < 0) {
        free(ctx);
        return r;
    }
    *out = ctx;
    return 0;
}

int anc_tls_ctx_reload(struct anc_tls_ctx *ctx, const char *cert_file, const char *key_file,
                       char *err, size_t errlen)
{
    SSL_CTX *next;
    int r = load(cert_file, key_file, &next, err, errlen);
    if (r < 0)
        return r;
    SSL_CTX_free(ctx->ssl); /* connections made from it hold their own reference */
    ctx->ssl = next;
    return 0;
}

void anc_tls_ctx_free(struct anc_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

struct anc_tls_conn *anc_tls_conn_new(struct anc_tls_ctx *ctx)
{
    struct anc_tls_conn *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ssl = SSL_new(ctx->ssl);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->in || !t->out) {
        SSL_free(t->ssl);
        BIO_free(t->in);
        BIO_free(t->out);
        free(t);
        return NULL;
    }
    /* An empty input BIO means "no data yet", not EOF. */
    BIO_set_mem_eof_return(t->in, -1);
    SSL_set_bio(t->ssl, t->in, t->out); /* the SSL owns both BIOs now */
    SSL_set_accept_state(t->ssl);
    return t;
}

void anc_tls_conn_free(struct anc_tls_conn *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    free(t);
}

int anc_tls_conn_feed(struct anc_tls_conn *t, const void *data, size_t len)
{
    while (len > 0) {
        int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
        int n = BIO_write(t->in, data, chunk);
        if (n <= 0)
            return -ENOMEM;
        data = (const uint8_t *)data + n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t anc_tls_conn_read(struct anc_tls_conn *t, void *buf, size_t cap)
{
    if (t->failed)
        return -EPROTO;
    ERR_clear_error();
    int n = SSL_read(t->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
    if (n > 0)
        return n;
    switch (SSL_get_error(t->ssl, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        return -EPIPE;
    default:
        ERR_clear_error();
        t->failed = true;
        return -EPROTO;
    }
}

int anc_tls_conn_write(struct anc_tls_conn *t, const void *data, size_t len)
{
    if (t->failed || t->shut || !SSL_is_init_finished(t->ssl))
        return -EPROTO;
    while (len > 0) {
        ERR_clear_error();
        int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
        int n = SSL_write(t->ssl, data, chunk);
        if (n <= 0) {
            ERR_clear_error();
            t->failed = true;
            return -EPROTO;
        }
        data = (const uint8_t *)data + n;
        len -= (size_t)n;
    }
    return 0;
}

void anc_tls_conn_shutdown(struct anc_tls_conn *t)
{
    if (t->failed || t->shut || !SSL_is_init_finished(t->ssl))
        return;
    t->shut = true;
    ERR_clear_error();
    SSL_shutdown(t->ssl);
    ERR_clear_error();
}

int anc_tls_conn_take_output(struct anc_tls_conn *t, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t pending = BIO_ctrl_pending(t->out);
    if (pending == 0)
        return 0;
    uint8_t *buf = malloc(pending);
    if (!buf)
        return -ENOMEM;
    int n = BIO_read(t->out, buf, (int)pending);
    if (n <= 0) {
        free(buf);
        return 0;
    }
    *out = buf;
    *len = (size_t)n;
    return 0;
}
