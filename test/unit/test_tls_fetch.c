/* https fetches (http/client_uv.c with http/tls_client.c) against the project's own TLS server
 * code (http/tls.c) on an ephemeral 127.0.0.1 port: a whole response, a streamed one, a server
 * certificate that does not verify, a plain-HTTP server behind an https URL, and the URL rules.
 * Every test ends with the loop closing with nothing left open. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "http/client_uv.h"
#include "http/tls.h"
#include "http/tls_client.h"
#include "test.h"
#include "test_uv.h"
#include "tls_certs.h"

#define ANSWER "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
#define PLAIN  "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

static uv_loop_t loop;
static char dir[64];

static void cleanup(void)
{
    const char *files[] = {"ca.pem", "ca.key", "ca2.pem", "ca2.key", "srv.pem", "srv.key"};
    char p[128];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static const char *file(const char *name)
{
    static char p[4][128];
    static int i;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/anc-etcdtls-test-XXXXXX");
        CHECK(mkdtemp(dir) != NULL);
        atexit(cleanup);
        struct anc_test_cert ca, ca2, srv;
        anc_test_cert_make(&ca, "test CA", NULL, NULL, true, -60, 86400);
        anc_test_cert_make(&ca2, "other CA", NULL, NULL, true, -60, 86400);
        anc_test_cert_make(&srv, "server", "IP:127.0.0.1", &ca, false, -60, 86400);
        anc_test_cert_write(&ca, dir, "ca");
        anc_test_cert_write(&ca2, dir, "ca2");
        anc_test_cert_write(&srv, dir, "srv");
        anc_test_cert_free(&ca);
        anc_test_cert_free(&ca2);
        anc_test_cert_free(&srv);
    }
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
    return p[i];
}

/* ---- a server: TLS through http/tls.c, or plain text ---- */

struct server {
    uv_tcp_t listen;
    struct anc_tls_ctx *tls; /* NULL: answers PLAIN in the clear */
    int port, conns_open;
};

struct conn {
    uv_tcp_t tcp;
    struct server *s;
    struct anc_tls_conn *t;
    char req[4096];
    size_t len;
    bool answered;
};

struct out {
    uv_write_t w;
    uint8_t *buf;
};

static void conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    c->s->conns_open--;
    anc_tls_conn_free(c->t);
    free(c);
}

static void wrote(uv_write_t *w, int status)
{
    (void)status;
    struct out *o = (struct out *)w;
    free(o->buf);
    free(o);
}

static void send_bytes(struct conn *c, uint8_t *buf, size_t len)
{
    struct out *o = malloc(sizeof(*o));
    CHECK(o != NULL);
    o->buf = buf;
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
    CHECK_EQ(uv_write(&o->w, (uv_stream_t *)&c->tcp, &b, 1, wrote), 0);
}

static void flush(struct conn *c)
{
    uint8_t *buf;
    size_t len;
    CHECK_EQ(anc_tls_conn_take_output(c->t, &buf, &len), 0);
    if (buf)
        send_bytes(c, buf, len);
}

static void tls_input(struct conn *c, const char *data, size_t len)
{
    CHECK_EQ(anc_tls_conn_feed(c->t, data, len), 0);
    ssize_t n;
    while ((n = anc_tls_conn_read(c->t, c->req + c->len, sizeof(c->req) - 1 - c->len)) > 0)
        c->len += (size_t)n;
    if (!c->answered && memmem(c->req, c->len, "\r\n\r\n", 4)) {
        c->answered = true;
        CHECK_EQ(anc_tls_conn_write(c->t, ANSWER, strlen(ANSWER)), 0);
    }
    flush(c); /* handshake messages, the answer, or the alert of a failure */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = suggested;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    if (nread < 0 && !uv_is_closing((uv_handle_t *)st))
        uv_close((uv_handle_t *)st, conn_closed);
    else if (nread > 0 && c->t)
        tls_input(c, buf->base, (size_t)nread);
    else if (nread > 0 && !c->answered) {
        c->answered = true;
        send_bytes(c, (uint8_t *)strdup(PLAIN), strlen(PLAIN));
    }
    free(buf->base);
}

static void on_connection(uv_stream_t *l, int status)
{
    CHECK_EQ(status, 0);
    struct server *s = l->data;
    struct conn *c = calloc(1, sizeof(*c));
    CHECK(c != NULL);
    c->s = s;
    c->tcp.data = c;
    CHECK_EQ(uv_tcp_init(&loop, &c->tcp), 0);
    s->conns_open++;
    CHECK_EQ(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    if (s->tls)
        CHECK((c->t = anc_tls_conn_new(s->tls)) != NULL);
    CHECK_EQ(uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read), 0);
}

static void server_start(struct server *s, bool tls)
{
    memset(s, 0, sizeof(*s));
    char err[256];
    if (tls)
        CHECK_EQ(anc_tls_ctx_new(file("srv.pem"), file("srv.key"), &s->tls, err, sizeof(err)), 0);
    CHECK_EQ(uv_tcp_init(&loop, &s->listen), 0);
    s->listen.data = s;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    CHECK_EQ(uv_tcp_bind(&s->listen, (const struct sockaddr *)&a, 0), 0);
    CHECK_EQ(uv_listen((uv_stream_t *)&s->listen, 8, on_connection), 0);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    CHECK_EQ(uv_tcp_getsockname(&s->listen, (struct sockaddr *)&ss, &len), 0);
    s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Closes the listener, lets the connections end, and checks that the loop is clear. */
static void server_stop(struct server *s)
{
    uv_close((uv_handle_t *)&s->listen, NULL);
    for (int i = 0; i < 200 && s->conns_open > 0; i++)
        uv_run(&loop, UV_RUN_NOWAIT), usleep(5000);
    CHECK_EQ(s->conns_open, 0);
    anc_tls_ctx_free(s->tls);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

/* ---- the client side ---- */

struct result {
    int done, err, status, freed;
    char body[64], chunks[64], why[256];
    struct anc_http_fetch *f;
};

static void on_response(void *arg, int err, int status,
                        const struct anc_http_response_parser *headers, const uint8_t *body,
                        size_t len)
{
    (void)headers;
    struct result *r = arg;
    r->done++;
    r->err = err;
    r->status = status;
    if (body)
        snprintf(r->body, sizeof(r->body), "%.*s", (int)len, (const char *)body);
    const char *why = anc_http_fetch_error(r->f);
    snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
}

static void on_chunk(void *arg, const uint8_t *data, size_t len)
{
    struct result *r = arg;
    strncat(r->chunks, (const char *)data, len < 32 ? len : 32);
}

static void on_freed(void *arg)
{
    ((struct result *)arg)->freed++;
}

static void fetch(struct server *s, struct anc_tls_client *t, bool stream, struct result *r)
{
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/v3/kv/range", s->port);
    memset(r, 0, sizeof(*r));
    struct anc_http_fetch_opts o = {.url = url,
                                    .method = "POST",
                                    .body = "{}",
                                    .body_len = 2,
                                    .timeout_ms = 5000,
                                    .on_chunk = stream ? on_chunk : NULL,
                                    .on_response = on_response,
                                    .arg = r,
                                    .on_freed = on_freed,
                                    .freed_arg = r,
                                    .tls = t};
    CHECK_EQ(anc_http_fetch_start(&loop, &o, &r->f), 0);
    CHECK(anc_test_run_until(&loop, &r->freed, 1, 5000));
    CHECK_EQ(r->done, 1);
}

static struct anc_tls_client *trust(const char *ca)
{
    char err[256];
    struct anc_tls_client *t = anc_tls_client_new(file(ca), NULL, NULL, err, sizeof(err));
    CHECK(t != NULL);
    return t;
}

TEST(https_fetch)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    struct server s;
    server_start(&s, true);
    struct anc_tls_client *t = trust("ca.pem");
    struct result r;
    uint64_t t0 = uv_hrtime();
    fetch(&s, t, false, &r);
    fprintf(stderr, "  one https request on loopback (handshake included): %.2f ms\n",
            (double)(uv_hrtime() - t0) / 1e6);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.status, 200);
    CHECK_STREQ(r.body, "hello");
    CHECK_STREQ(r.why, "");
    fetch(&s, t, true, &r);
    CHECK_EQ(r.err, 0);
    CHECK_STREQ(r.chunks, "hello");
    anc_tls_client_free(t);
    server_stop(&s);
}

TEST(https_server_not_trusted)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    struct server s;
    server_start(&s, true);
    struct anc_tls_client *t = trust("ca2.pem");
    struct result r;
    fetch(&s, t, false, &r);
    CHECK_EQ(r.err, -EKEYREJECTED);
    CHECK_EQ(r.status, 0);
    CHECK_STREQ(r.why, "server certificate did not verify: unable to get local issuer certificate");
    anc_tls_client_free(t);
    server_stop(&s);
}

TEST(plain_http_server_behind_https)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    struct server s;
    server_start(&s, false);
    struct anc_tls_client *t = trust("ca.pem");
    struct result r;
    fetch(&s, t, false, &r);
    CHECK_EQ(r.err, -EPROTO);
    CHECK_STREQ(r.why, "the server does not speak TLS (it answered \"HTTP/1.1 400 Bad Request\")");
    anc_tls_client_free(t);
    server_stop(&s);
}

TEST(https_urls)
{
    char host[64], port[8];
    const char *path;
    CHECK_EQ(anc_http_url_split("https://etcd.test", host, sizeof(host), port, sizeof(port), &path),
             0);
    CHECK_STREQ(host, "etcd.test");
    CHECK_STREQ(port, "443");
    CHECK_STREQ(path, "/");
    CHECK_EQ(
        anc_http_url_split("https://[::1]:2379/v3", host, sizeof(host), port, sizeof(port), &path),
        0);
    CHECK_STREQ(host, "::1");
    CHECK_STREQ(port, "2379");
    CHECK_STREQ(path, "/v3");
    CHECK_EQ(anc_http_url_split("https://", host, sizeof(host), port, sizeof(port), &path),
             -EINVAL);
    CHECK_EQ(anc_http_url_split("httpx://a", host, sizeof(host), port, sizeof(port), &path),
             -EINVAL);
    /* An https URL with no trust anchors to check the server against starts nothing. */
    CHECK_EQ(uv_loop_init(&loop), 0);
    struct result r = {0};
    struct anc_http_fetch_opts o = {
        .url = "https://127.0.0.1:1/", .on_response = on_response, .arg = &r};
    CHECK_EQ(anc_http_fetch_start(&loop, &o, NULL), -EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(r.done, 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
