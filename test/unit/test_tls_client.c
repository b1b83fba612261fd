/* The TLS client (http/tls_client.c) against OpenSSL servers in memory: handshake, verification
 * (wrong CA, wrong host, expired), SNI, client certificates, TLS 1.2 minimum, every record split
 * at every byte, a plain-text server; its contexts' errors; and https fetches (client_uv.c)
 * against the project's own TLS server (http/tls.c) on an ephemeral loopback port. Certificates
 * are made in-process (tls_certs.c) into a temporary directory removed at exit. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/tls_client.h"
#include "test.h"
#include "tls_certs.h"

static char dir[64];
static const char *const names[] = {"ca", "ca2", "srv_ip", "srv_dns", "expired", "cli", "cli2"};

static void cleanup(void)
{
    char p[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s.pem", dir, names[i]);
        unlink(p);
        snprintf(p, sizeof(p), "%s/%s.key", dir, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof(p), "%s/garbage.pem", dir);
    unlink(p);
    rmdir(dir);
}

/* The certificates every test uses, made once: ca signs srv_ip (127.0.0.1, ::1), srv_dns
 * (etcd.test), expired (127.0.0.1, ended yesterday) and cli; ca2 signs cli2 only. */
static const char *certs(void)
{
    if (dir[0])
        return dir;
    snprintf(dir, sizeof(dir), "/tmp/anc-etcdtls-test-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    atexit(cleanup);
    struct anc_test_cert ca, ca2, c[5];
    anc_test_cert_make(&ca, "test CA", NULL, NULL, true, -60, 86400);
    anc_test_cert_make(&ca2, "other CA", NULL, NULL, true, -60, 86400);
    anc_test_cert_make(&c[0], "etcd ip", "IP:127.0.0.1,IP:::1", &ca, false, -60, 86400);
    anc_test_cert_make(&c[1], "etcd dns", "DNS:etcd.test", &ca, false, -60, 86400);
    anc_test_cert_make(&c[2], "etcd old", "IP:127.0.0.1", &ca, false, -2 * 86400, -86400);
    anc_test_cert_make(&c[3], "node-1", NULL, &ca, false, -60, 86400);
    anc_test_cert_make(&c[4], "node-2", NULL, &ca2, false, -60, 86400);
    anc_test_cert_write(&ca, dir, "ca");
    anc_test_cert_write(&ca2, dir, "ca2");
    for (int i = 0; i < 5; i++) {
        anc_test_cert_write(&c[i], dir, names[2 + i]);
        anc_test_cert_free(&c[i]);
    }
    anc_test_cert_free(&ca);
    anc_test_cert_free(&ca2);
    return dir;
}

static const char *path(const char *name, const char *ext)
{
    static char p[8][128];
    static int i;
    i = (i + 1) % 8;
    snprintf(p[i], sizeof(p[i]), "%s/%s.%s", certs(), name, ext);
    return p[i];
}

static struct anc_tls_client *client(const char *ca, const char *cert)
{
    char err[256] = "";
    struct anc_tls_client *t =
        anc_tls_client_new(ca ? path(ca, "pem") : NULL, cert ? path(cert, "pem") : NULL,
                           cert ? path(cert, "key") : NULL, err, sizeof(err));
    if (!t)
        fprintf(stderr, "anc_tls_client_new: %s\n", err);
    CHECK(t != NULL);
    return t;
}

/* ---- an OpenSSL server in memory ---- */

struct srv {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
};

struct run {
    int cerr; /* the client's first error */
    char got[4096], req[4096];
    size_t got_len, req_len;
    bool answered;
};

#define REQUEST "GET /v3 HTTP/1.1\r\nHost: etcd\r\n\r\n"
#define ANSWER  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

/* cert: the server's certificate; client_ca: require a client certificate signed by it;
 * max: the highest version the server speaks (0: any). */
static void srv_init(struct srv *s, const char *cert, const char *client_ca, int max)
{
    s->ctx = SSL_CTX_new(TLS_server_method());
    CHECK(s->ctx != NULL);
    CHECK_EQ(SSL_CTX_use_certificate_file(s->ctx, path(cert, "pem"), SSL_FILETYPE_PEM), 1);
    CHECK_EQ(SSL_CTX_use_PrivateKey_file(s->ctx, path(cert, "key"), SSL_FILETYPE_PEM), 1);
    if (max) {
        SSL_CTX_set_min_proto_version(s->ctx, max == TLS1_1_VERSION ? TLS1_VERSION : 0);
        SSL_CTX_set_max_proto_version(s->ctx, max);
        SSL_CTX_set_security_level(s->ctx, 0); /* let the old version be offered at all */
        SSL_CTX_set_cipher_list(s->ctx, "ALL:@SECLEVEL=0");
    }
    if (client_ca) {
        CHECK_EQ(SSL_CTX_load_verify_locations(s->ctx, path(client_ca, "pem"), NULL), 1);
        SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    s->ssl = SSL_new(s->ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(s->in, -1);
    SSL_set_bio(s->ssl, s->in, s->out);
    SSL_set_accept_state(s->ssl);
}

static void srv_free(struct srv *s)
{
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
    ERR_clear_error();
}

static void client_read(struct anc_tls_session *c, struct run *r)
{
    for (;;) {
        ssize_t n = anc_tls_session_read(c, r->got + r->got_len, sizeof(r->got) - 1 - r->got_len);
        if (n > 0) {
            r->got_len += (size_t)n;
            continue;
        }
        if (n < 0 && !r->cerr)
            r->cerr = (int)n;
        return;
    }
}

static bool to_server(struct srv *s, struct anc_tls_session *c)
{
    uint8_t *out;
    size_t len;
    CHECK_EQ(anc_tls_session_take_output(c, &out, &len), 0);
    if (len)
        CHECK_EQ(BIO_write(s->in, out, (int)len), (int)len);
    free(out);
    return len > 0;
}

/* The server reads what it can and answers once the request is whole. */
static void server_step(struct srv *s, struct run *r)
{
    int n;
    while ((n = SSL_read(s->ssl, r->req + r->req_len, (int)(sizeof(r->req) - 1 - r->req_len))) > 0)
        r->req_len += (size_t)n;
    ERR_clear_error();
    if (!r->answered && memmem(r->req, r->req_len, "\r\n\r\n", 4)) {
        CHECK_EQ(SSL_write(s->ssl, ANSWER, strlen(ANSWER)), (int)strlen(ANSWER));
        r->answered = true;
    }
}

/* The server's bytes go to the client in pieces of step bytes, the client reading after each. */
static bool to_client(struct srv *s, struct anc_tls_session *c, size_t step, struct run *r)
{
    uint8_t buf[65536];
    int n;
    bool moved = false;
    while ((n = BIO_read(s->out, buf, sizeof(buf))) > 0) {
        moved = true;
        for (size_t i = 0; i < (size_t)n; i += step) {
            size_t k = (size_t)n - i < step ? (size_t)n - i : step;
            CHECK_EQ(anc_tls_session_feed(c, buf + i, k), 0);
            client_read(c, r);
        }
    }
    return moved;
}

/* One request written before the handshake, shuttled until nothing moves. */
static void run(struct anc_tls_session *c, struct srv *s, size_t step, struct run *r)
{
    memset(r, 0, sizeof(*r));
    CHECK_EQ(anc_tls_session_write(c, REQUEST, strlen(REQUEST)), 0);
    for (int i = 0; i < 1000; i++) {
        bool moved = to_server(s, c);
        server_step(s, r);
        moved |= to_client(s, c, step, r);
        if (!moved)
            return;
    }
    CHECK(false); /* a handshake does not take 1000 round trips */
}

/* A whole exchange against a server with cert; returns the client's first error. */
static int exchange(const char *ca, const char *cert_of_client, const char *host,
                    const char *srv_cert, const char *client_ca, int max, size_t step,
                    struct run *r, char *why, size_t whylen)
{
    struct anc_tls_client *t = client(ca, cert_of_client);
    struct anc_tls_session *c = anc_tls_session_new(t, host);
    CHECK(c != NULL);
    anc_tls_client_free(t); /* the session keeps what it needs */
    struct srv s;
    srv_init(&s, srv_cert, client_ca, max);
    run(c, &s, step, r);
    const char *e = anc_tls_session_error(c);
    snprintf(why, whylen, "%s", e ? e : "");
    if (r->cerr == 0) {
        CHECK(anc_tls_session_ready(c));
        CHECK(e == NULL);
    }
    anc_tls_session_free(c);
    srv_free(&s);
    return r->cerr;
}

static void expect_ok(struct run *r)
{
    CHECK_EQ(r->req_len, strlen(REQUEST));
    CHECK(memcmp(r->req, REQUEST, r->req_len) == 0);
    CHECK_EQ(r->got_len, strlen(ANSWER));
    CHECK(memcmp(r->got, ANSWER, r->got_len) == 0);
}

static void expect_why(const char *why, const char *part)
{
    if (!strstr(why, part)) {
        fprintf(stderr, "error \"%s\" does not say \"%s\"\n", why, part);
        CHECK(false);
    }
}

TEST(handshake_ip_and_request)
{
    struct run r;
    char why[256];
    CHECK_EQ(exchange("ca", NULL, "127.0.0.1", "srv_ip", NULL, 0, 65536, &r, why, sizeof(why)), 0);
    expect_ok(&r);
    CHECK_EQ(exchange("ca", NULL, "::1", "srv_ip", NULL, 0, 65536, &r, why, sizeof(why)), 0);
    expect_ok(&r);
}

TEST(handshake_name_sends_sni)
{
    struct anc_tls_client *t = client("ca", NULL);
    struct anc_tls_session *c = anc_tls_session_new(t, "etcd.test");
    struct srv s;
    srv_init(&s, "srv_dns", NULL, 0);
    struct run r;
    run(c, &s, 65536, &r);
    CHECK_EQ(r.cerr, 0);
    expect_ok(&r);
    CHECK_STREQ(SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name), "etcd.test");
    anc_tls_session_free(c);
    anc_tls_client_free(t);
    srv_free(&s);
}

TEST(tls12_works_and_is_the_minimum)
{
    struct run r;
    char why[256];
    CHECK_EQ(exchange("ca", "cli", "127.0.0.1", "srv_ip", "ca", TLS1_2_VERSION, 65536, &r, why,
                      sizeof(why)),
             0);
    expect_ok(&r);
    CHECK_EQ(exchange("ca", NULL, "127.0.0.1", "srv_ip", NULL, TLS1_1_VERSION, 65536, &r, why,
                      sizeof(why)),
             -EPROTO);
    expect_why(why, "TLS handshake failed: tlsv1 alert protocol version");
    CHECK_EQ(r.req_len, 0); /* the request never left in the clear or otherwise */
}

TEST(verify_fails_wrong_ca_host_expired)
{
    struct run r;
    char why[256];
    CHECK_EQ(exchange("ca2", NULL, "127.0.0.1", "srv_ip", NULL, 0, 65536, &r, why, sizeof(why)),
             -EKEYREJECTED);
    expect_why(why, "server certificate did not verify: unable to get local issuer certificate");
    CHECK_EQ(r.req_len, 0);
    CHECK_EQ(exchange("ca", NULL, "127.0.0.2", "srv_ip", NULL, 0, 65536, &r, why, sizeof(why)),
             -EKEYREJECTED);
    expect_why(why, "IP address mismatch");
    CHECK_EQ(exchange("ca", NULL, "other.test", "srv_dns", NULL, 0, 65536, &r, why, sizeof(why)),
             -EKEYREJECTED);
    expect_why(why, "hostname mismatch");
    /* A name certificate does not stand for an address, nor the reverse. */
    CHECK_EQ(exchange("ca", NULL, "127.0.0.1", "srv_dns", NULL, 0, 65536, &r, why, sizeof(why)),
             -EKEYREJECTED);
    CHECK_EQ(exchange("ca", NULL, "sub.etcd.test", "srv_dns", NULL, 0, 65536, &r, why, sizeof(why)),
             -EKEYREJECTED);
    CHECK_EQ(exchange("ca", NULL, "127.0.0.1", "expired", NULL, 0, 65536, &r, why, sizeof(why)),
             -EKEYREJECTED);
    expect_why(why, "certificate has expired");
    CHECK_EQ(r.req_len, 0);
}

TEST(client_certificate_required)
{
    struct run r;
    char why[256];
    CHECK_EQ(exchange("ca", "cli", "127.0.0.1", "srv_ip", "ca", 0, 65536, &r, why, sizeof(why)), 0);
    expect_ok(&r);
    /* TLS 1.3: our handshake is done before the server has judged us; its alert ends the read. */
    CHECK_EQ(exchange("ca", NULL, "127.0.0.1", "srv_ip", "ca", 0, 65536, &r, why, sizeof(why)),
             -EPROTO);
    expect_why(why, "certificate required");
    CHECK_EQ(r.req_len, 0);
    CHECK_EQ(r.got_len, 0);
    CHECK_EQ(exchange("ca", "cli2", "127.0.0.1", "srv_ip", "ca", 0, 65536, &r, why, sizeof(why)),
             -EPROTO);
    expect_why(why, "unknown ca");
    CHECK_EQ(r.req_len, 0);
    /* TLS 1.2: the server refuses during the handshake. */
    CHECK_EQ(exchange("ca", NULL, "127.0.0.1", "srv_ip", "ca", TLS1_2_VERSION, 65536, &r, why,
                      sizeof(why)),
             -EPROTO);
    expect_why(why, "TLS handshake failed: sslv3 alert handshake failure");
}

TEST(every_record_split_at_every_byte)
{
    struct run r;
    char why[256];
    CHECK_EQ(exchange("ca", "cli", "127.0.0.1", "srv_ip", "ca", 0, 1, &r, why, sizeof(why)), 0);
    expect_ok(&r);
    CHECK_EQ(
        exchange("ca", "cli", "127.0.0.1", "srv_ip", "ca", TLS1_2_VERSION, 1, &r, why, sizeof(why)),
        0);
    expect_ok(&r);
    CHECK_EQ(exchange("ca", NULL, "127.0.0.1", "expired", NULL, 0, 1, &r, why, sizeof(why)),
             -EKEYREJECTED);
}

TEST(plain_text_server)
{
    struct anc_tls_client *t = client("ca", NULL);
    struct anc_tls_session *c = anc_tls_session_new(t, "127.0.0.1");
    uint8_t *out;
    size_t len;
    CHECK_EQ(anc_tls_session_take_output(c, &out, &len), 0);
    CHECK(len > 5 && out[0] == 22); /* a ClientHello waits from the start */
    free(out);
    const char *plain = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    CHECK_EQ(anc_tls_session_feed(c, plain, strlen(plain)), 0);
    char buf[64];
    CHECK_EQ(anc_tls_session_read(c, buf, sizeof(buf)), -EPROTO);
    CHECK_STREQ(anc_tls_session_error(c),
                "the server does not speak TLS (it answered \"HTTP/1.1 400 Bad Request\")");
    CHECK_EQ(anc_tls_session_write(c, "x", 1), -EPROTO);
    anc_tls_session_free(c);
    /* A server that hangs up mid-handshake. */
    c = anc_tls_session_new(t, "127.0.0.1");
    CHECK_EQ(anc_tls_session_read(c, buf, sizeof(buf)), 0);
    CHECK_EQ(anc_tls_session_eof(c), -ECONNRESET);
    expect_why(anc_tls_session_error(c), "during the TLS handshake");
    anc_tls_session_free(c);
    anc_tls_client_free(t);
}

TEST(context_errors)
{
    char err[256];
    CHECK(anc_tls_client_new("/nonexistent/ca.pem", NULL, NULL, err, sizeof(err)) == NULL);
    CHECK_STREQ(err, "CA file /nonexistent/ca.pem: No such file or directory");
    char garbage[128];
    snprintf(garbage, sizeof(garbage), "%s/garbage.pem", certs());
    FILE *f = fopen(garbage, "w");
    fputs("not a certificate\n", f);
    fclose(f);
    CHECK(anc_tls_client_new(garbage, NULL, NULL, err, sizeof(err)) == NULL);
    expect_why(err, "CA file ");
    CHECK(anc_tls_client_new(path("ca", "pem"), path("cli", "pem"), NULL, err, sizeof(err)) ==
          NULL);
    expect_why(err, "needs its key");
    CHECK(anc_tls_client_new(path("ca", "pem"), NULL, path("cli", "key"), err, sizeof(err)) ==
          NULL);
    expect_why(err, "needs its key");
    CHECK(anc_tls_client_new(path("ca", "pem"), path("cli", "pem"), path("cli2", "key"), err,
                             sizeof(err)) == NULL);
    expect_why(err, "does not match certificate");
    CHECK(anc_tls_client_new(path("ca", "pem"), path("cli", "pem"), "/nonexistent/k", err,
                             sizeof(err)) == NULL);
    CHECK_STREQ(err, "private key /nonexistent/k: No such file or directory");
    CHECK(anc_tls_client_new(path("ca", "pem"), garbage, path("cli", "key"), err, sizeof(err)) ==
          NULL);
    expect_why(err, "certificate ");
    /* No CA file: the system store, which does not know our test CA. */
    struct anc_tls_client *t = anc_tls_client_new(NULL, NULL, NULL, err, sizeof(err));
    CHECK(t != NULL);
    struct anc_tls_session *c = anc_tls_session_new(t, "127.0.0.1");
    struct srv s;
    srv_init(&s, "srv_ip", NULL, 0);
    struct run r;
    run(c, &s, 65536, &r);
    CHECK_EQ(r.cerr, -EKEYREJECTED);
    CHECK(anc_tls_session_new(t, "") == NULL);
    anc_tls_session_free(c);
    anc_tls_client_free(t);
    srv_free(&s);
    anc_tls_client_free(NULL);
    anc_tls_session_free(NULL);
}
