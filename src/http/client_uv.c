#include "http/client_uv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http/tls_client.h"

#define READ_BUF 65536

enum tcp_state { SOCK_NONE, SOCK_OPEN, SOCK_CLOSING };

struct anc_http_fetch {
    uv_loop_t *loop;
    struct anc_http_fetch_opts o; /* callbacks and limits; the pointers in it are not kept */
    uv_getaddrinfo_t gai;
    uv_connect_t connect;
    uv_write_t write;
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct addrinfo *ai, *next_ai;
    int open; /* handles and requests still owed a callback: freed at 0 */
    enum tcp_state tcp_state;
    bool finished, cancelled, gai_pending;
    int last_err;
    char *req;
    size_t req_len;
    struct anc_http_response_parser parser;
    struct anc_tls_client *tls_ctx; /* https: borrowed until the session exists */
    struct anc_tls_session *tls;    /* https: one per connection */
    char host[256];                 /* what the server's certificate must name */
    char rbuf[READ_BUF]; /* https: ciphertext, then (once fed to the session) plaintext */
};

/* One write of TLS output: its buffer lives until libuv is done with it. */
struct tls_write {
    uv_write_t w;
    uint8_t *buf;
};

static void finish(struct anc_http_fetch *f, int err);

static bool port_ok(const char *s, size_t n)
{
    if (n == 0 || n > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v > 0 && v <= 65535;
}

static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap || memchr(s, '\0', n))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '@' || s[i] == '[' || s[i] == ']')
            return -EINVAL;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* The length of "http://" or "https://" at the start of url, else 0. */
static size_t scheme_len(const char *url)
{
    return strncmp(url, "http://", 7) == 0 ? 7 : strncmp(url, "https://", 8) == 0 ? 8 : 0;
}

int anc_http_url_split(const char *url, char *host, size_t host_cap, char *port, size_t port_cap,
                       const char **path)
{
    size_t sl = scheme_len(url);
    if (!sl)
        return -EINVAL;
    const char *a = url + sl, *slash = strchr(a, '/');
    const char *end = slash ? slash : a + strlen(a), *h = a, *he, *colon = NULL;
    if (*a == '[') {
        h = a + 1;
        he = memchr(h, ']', (size_t)(end - h));
        if (!he || (he + 1 != end && he[1] != ':'))
            return -EINVAL;
        colon = he + 1 != end ? he + 1 : NULL;
    } else {
        colon = memchr(a, ':', (size_t)(end - a));
        he = colon ? colon : end;
    }
    if (copy_part(host, host_cap, h, (size_t)(he - h)) < 0)
        return -EINVAL;
    const char *p = colon ? colon + 1 : sl == 8 ? "443" : "80";
    size_t pn = colon ? (size_t)(end - p) : strlen(p);
    if (!port_ok(p, pn) || pn >= port_cap)
        return -EINVAL;
    memcpy(port, p, pn);
    port[pn] = 0;
    *path = slash ? slash : "/";
    return strpbrk(*path, " \r\n") ? -EINVAL : 0;
}

static void maybe_free(struct anc_http_fetch *f)
{
    if (f->open > 0)
        return;
    if (f->ai)
        uv_freeaddrinfo(f->ai);
    anc_http_response_parser_destroy(&f->parser);
    anc_tls_session_free(f->tls);
    free(f->req);
    void (*freed)(void *) = f->o.on_freed;
    void *arg = f->o.freed_arg;
    free(f);
    if (freed)
        freed(arg);
}

static void on_closed(uv_handle_t *h)
{
    struct anc_http_fetch *f = h->data;
    f->open--;
    maybe_free(f);
}

static void connect_next(struct anc_http_fetch *f);

/* A failed address's socket is closed before the next one is tried. */
static void on_retry_closed(uv_handle_t *h)
{
    struct anc_http_fetch *f = h->data;
    f->open--;
    f->tcp_state = SOCK_NONE;
    if (f->finished)
        maybe_free(f);
    else
        connect_next(f);
}

static void close_tcp(struct anc_http_fetch *f, uv_close_cb cb)
{
    if (f->tcp_state != SOCK_OPEN)
        return;
    f->tcp_state = SOCK_CLOSING;
    uv_close((uv_handle_t *)&f->tcp, cb);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct anc_http_fetch *f = h->data;
    *buf = uv_buf_init(f->rbuf, sizeof(f->rbuf));
}

static void got_bytes(struct anc_http_fetch *f, const uint8_t *data, size_t len)
{
    ssize_t r = anc_http_response_parser_feed(&f->parser, data, len);
    if (f->finished)
        return;
    if (r < 0)
        finish(f, (int)r);
    else if (f->parser.complete)
        finish(f, 0);
    else if (f->parser.headers_done && f->o.on_chunk)
        uv_timer_stop(&f->timer); /* the stream is up: its idle policy is the caller's */
}

static void on_write(uv_write_t *w, int status)
{
    struct anc_http_fetch *f = w->data;
    if (!f->finished && status < 0)
        finish(f, status);
}

static void on_tls_write(uv_write_t *w, int status)
{
    struct tls_write *tw = (struct tls_write *)w;
    /* The handle's close runs after every write callback: f is still there. */
    struct anc_http_fetch *f = w->handle->data;
    free(tw->buf);
    free(tw);
    if (!f->finished && status < 0)
        finish(f, status);
}

/* Sends the TLS output waiting (handshake messages, the request's records, an alert). */
static int flush_tls(struct anc_http_fetch *f)
{
    struct tls_write *tw = malloc(sizeof(*tw));
    size_t len;
    int r = tw ? anc_tls_session_take_output(f->tls, &tw->buf, &len) : -ENOMEM;
    if (r < 0 || !tw->buf) {
        free(tw);
        return r;
    }
    uv_buf_t b = uv_buf_init((char *)tw->buf, (unsigned)len);
    r = uv_write(&tw->w, (uv_stream_t *)&f->tcp, &b, 1, on_tls_write);
    if (r < 0) {
        free(tw->buf);
        free(tw);
    }
    return r;
}

/* Ciphertext in: plaintext to the parser until it is complete or something fails. */
static void got_tls_bytes(struct anc_http_fetch *f, const uint8_t *data, size_t len)
{
    ssize_t n = anc_tls_session_feed(f->tls, data, len); /* copied: rbuf is free again */
    while (n == 0 && !f->finished) {
        n = anc_tls_session_read(f->tls, f->rbuf, sizeof(f->rbuf));
        if (n > 0)
            got_bytes(f, (const uint8_t *)f->rbuf, (size_t)n);
        n = n > 0 ? 0 : n == 0 ? 1 : n;
    }
    int r = f->finished ? 0 : flush_tls(f);
    if (f->finished)
        return;
    if (n == -EPIPE) /* close_notify: the end of a body delimited by the close */
        finish(f, anc_http_response_parser_eof(&f->parser));
    else if (n < 0)
        finish(f, (int)n);
    else if (r < 0)
        finish(f, r);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct anc_http_fetch *f = s->data;
    (void)buf;
    if (f->finished || nread == 0)
        return;
    if (nread > 0 && f->tls)
        got_tls_bytes(f, (const uint8_t *)f->rbuf, (size_t)nread);
    else if (nread > 0)
        got_bytes(f, (const uint8_t *)f->rbuf, (size_t)nread);
    else if (nread == UV_EOF) {
        int r = f->tls ? anc_tls_session_eof(f->tls) : 0;
        finish(f, r < 0 ? r : anc_http_response_parser_eof(&f->parser));
    } else {
        if (f->tls) /* a reset during the handshake: the reason says so */
            anc_tls_session_eof(f->tls);
        finish(f, (int)nread);
    }
}

/* https: the request waits in the session until the handshake is done. */
static int send_request_tls(struct anc_http_fetch *f)
{
    f->tls = anc_tls_session_new(f->tls_ctx, f->host);
    f->tls_ctx = NULL; /* the session holds its own reference to what it needs */
    if (!f->tls)
        return -ENOMEM;
    int r = anc_tls_session_write(f->tls, f->req, f->req_len);
    return r < 0 ? r : flush_tls(f);
}

static void on_connect(uv_connect_t *c, int status)
{
    struct anc_http_fetch *f = c->data;
    if (f->finished)
        return;
    if (status < 0) {
        f->last_err = status;
        close_tcp(f, on_retry_closed);
        return;
    }
    uv_buf_t b = uv_buf_init(f->req, (unsigned)f->req_len);
    int r = f->tls_ctx ? send_request_tls(f)
                       : uv_write(&f->write, (uv_stream_t *)&f->tcp, &b, 1, on_write);
    if (r == 0)
        r = uv_read_start((uv_stream_t *)&f->tcp, on_alloc, on_read);
    if (r < 0)
        finish(f, r);
}

static void connect_next(struct anc_http_fetch *f)
{
    struct addrinfo *ai = f->next_ai;
    if (!ai) {
        finish(f, f->last_err ? f->last_err : -EHOSTUNREACH);
        return;
    }
    f->next_ai = ai->ai_next;
    int r = uv_tcp_init(f->loop, &f->tcp);
    if (r < 0) {
        finish(f, r);
        return;
    }
    f->open++;
    f->tcp_state = SOCK_OPEN;
    f->tcp.data = f;
    f->connect.data = f;
    f->write.data = f;
    r = uv_tcp_connect(&f->connect, &f->tcp, ai->ai_addr, on_connect);
    if (r < 0) {
        f->last_err = r;
        close_tcp(f, on_retry_closed);
    }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct anc_http_fetch *f = req->data;
    f->open--;
    f->gai_pending = false;
    f->ai = res;
    if (f->finished) {
        maybe_free(f);
        return;
    }
    if (status < 0) {
        /* libuv's UV_EAI_* codes are not errno values: a name that does not resolve is a host
         * we cannot reach, for the caller's failover. */
        finish(f, -EHOSTUNREACH);
        return;
    }
    f->next_ai = res;
    connect_next(f);
}

static void on_timeout(uv_timer_t *t)
{
    finish(t->data, -ETIMEDOUT);
}

static void teardown(struct anc_http_fetch *f)
{
    uv_timer_stop(&f->timer);
    uv_close((uv_handle_t *)&f->timer, on_closed);
    close_tcp(f, on_closed);
    if (f->gai_pending)
        uv_cancel((uv_req_t *)&f->gai); /* fails harmlessly once it is running */
}

static void finish(struct anc_http_fetch *f, int err)
{
    if (f->finished)
        return;
    f->finished = true;
    teardown(f);
    if (f->cancelled)
        return;
    const struct anc_http_response_parser *p = &f->parser;
    bool keep = !f->o.on_chunk && err == 0;
    f->o.on_response(f->o.arg, err, p->headers_done ? p->status : 0, p->headers_done ? p : NULL,
                     keep ? (p->body ? p->body : (const uint8_t *)"") : NULL,
                     keep ? p->body_len : 0);
}

const char *anc_http_fetch_error(const struct anc_http_fetch *f)
{
    return f && f->tls ? anc_tls_session_error(f->tls) : NULL;
}

void anc_http_fetch_cancel(struct anc_http_fetch *f)
{
    if (!f || f->cancelled)
        return;
    f->cancelled = true;
    finish(f, -ECANCELED);
}

static int chunk_adapter(void *arg, const uint8_t *data, size_t len)
{
    struct anc_http_fetch *f = arg;
    if (f->finished)
        return 1;
    f->o.on_chunk(f->o.arg, data, len);
    return f->finished;
}

/* Validates and serializes everything before any handle exists: a failed start leaves nothing. */
static int prepare(struct anc_http_fetch *f, const struct anc_http_fetch_opts *o, char *host,
                   size_t host_cap, char *port)
{
    const char *path;
    int r = anc_http_url_split(o->url, host, host_cap, port, 8, &path);
    if (r < 0)
        return r;
    bool https = scheme_len(o->url) == 8;
    if (https && !o->tls)
        return -EINVAL; /* no trust anchors: nothing to verify the server against */
    f->tls_ctx = https ? o->tls : NULL;
    snprintf(f->host, sizeof(f->host), "%s", host);
    /* The Host header is the URL's authority as written (brackets and port kept). */
    const char *auth = o->url + scheme_len(o->url), *slash = strchr(auth, '/');
    char hosthdr[300];
    size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
    if (alen >= sizeof(hosthdr))
        return -EINVAL;
    memcpy(hosthdr, auth, alen);
    hosthdr[alen] = 0;
    struct anc_http_client_request req = {
        .method = o->method ? o->method : "GET",
        .host = hosthdr,
        .path = path,
        .headers = o->headers,
        .n_headers = o->n_headers,
        .body = o->body,
        .body_len = o->body_len,
    };
    r = anc_http_client_serialize(&req, &f->req, &f->req_len);
    if (r < 0)
        return r;
    f->o = *o;
    /* Serialized above: the caller's buffers are not ours to keep. */
    f->o.url = f->o.method = NULL;
    f->o.headers = NULL;
    f->o.body = NULL;
    f->o.tls = NULL;
    anc_http_response_parser_init(&f->parser, o->body_max ? o->body_max : ANC_HTTP_FETCH_BODY_MAX,
                                  o->on_chunk ? chunk_adapter : NULL, f);
    f->parser.head = strcmp(req.method, "HEAD") == 0;
    return 0;
}

int anc_http_fetch_start(uv_loop_t *loop, const struct anc_http_fetch_opts *o,
                         struct anc_http_fetch **out)
{
    if (!o->url || !o->on_response)
        return -EINVAL;
    struct anc_http_fetch *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    char host[256], port[8];
    int r = prepare(f, o, host, sizeof(host), port);
    if (r < 0) {
        free(f->req);
        free(f);
        return r;
    }
    f->loop = loop;
    uv_timer_init(loop, &f->timer);
    f->timer.data = f;
    f->gai.data = f;
    f->open = 1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    r = uv_getaddrinfo(loop, &f->gai, on_resolved, host, port, &hints);
    if (r < 0) {
        f->cancelled = true; /* nothing runs: the handle closes and frees quietly */
        f->o.on_freed = NULL;
        finish(f, r);
        return r;
    }
    f->open++;
    f->gai_pending = true;
    if (o->timeout_ms)
        uv_timer_start(&f->timer, on_timeout, o->timeout_ms, 0);
    if (out)
        *out = f;
    return 0;
}

int anc_http_fetch(uv_loop_t *loop, const char *url, const char *method,
                   const struct anc_http_client_header *headers, size_t n_headers, const void *body,
                   size_t len, unsigned timeout_ms, anc_http_response_cb on_response, void *arg)
{
    return anc_http_stream(loop, url, method, headers, n_headers, body, len, timeout_ms, NULL,
                           on_response, arg, NULL);
}

int anc_http_stream(uv_loop_t *loop, const char *url, const char *method,
                    const struct anc_http_client_header *headers, size_t n_headers,
                    const void *body, size_t len, unsigned timeout_ms, anc_http_chunk_cb on_chunk,
                    anc_http_response_cb on_response, void *arg, struct anc_http_fetch **out)
{
    struct anc_http_fetch_opts o = {.url = url,
                                    .method = method,
                                    .headers = headers,
                                    .n_headers = n_headers,
                                    .body = body,
                                    .body_len = len,
                                    .timeout_ms = timeout_ms,
                                    .on_chunk = on_chunk,
                                    .on_response = on_response,
                                    .arg = arg};
    return anc_http_fetch_start(loop, &o, out);
}
