/* libuv glue of the HTTP server, connection side: accept, read, write, timers. Everything it decides
 * about bytes comes from request.c / rest.c; this file only moves them. */
#include "http/server.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "base/addr.h"
#include "base/log.h"
#include "base/metrics.h"
#include "http/request.h"
#include "http/rest.h"

#include "http/server_internal.h"

static void process(struct conn *c);
void anc__http_conn_close(struct conn *c);

/* ---- Connection lifetime ---- */

static void on_conn_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->handles > 0)
        return;
    struct anc_http_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    anc_http_parser_destroy(&c->parser);
    anc_tls_conn_free(c->tls);
    free(c->in);
    free(c);
    anc__http_maybe_finish(s);
}

void anc__http_conn_close(struct conn *c)
{
    if (c->state == C_CLOSING)
        return;
    c->state = C_CLOSING;
    if (c->inflight) {
        struct anc_http_request *req = c->inflight;
        c->inflight = NULL;
        anc_http_request_detach(req); /* the deferred handler still owns and frees it */
    }
    struct anc_http_server *s = c->srv;
    if (c->counted) {
        s->n_active--;
        anc_metric_set(s->m_conn_active, (double)s->n_active);
    } else {
        s->n_rejecting--;
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void set_timer(struct conn *c, enum timer_kind kind, uint64_t ms);
static int flush_tls(struct conn *c);

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    (void)suggested;
    buf->base = c->srv->rbuf;
    buf->len = sizeof(c->srv->rbuf);
}

static void update_reading(struct conn *c)
{
    bool want = c->state == C_LINGER ||
                (c->state == C_ACTIVE && !c->eof && c->in_len < READ_PAUSE_BYTES &&
                 uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < WRITE_HIGH_WATER);
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read) < 0) {
            anc__http_conn_close(c);
            return;
        }
        c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* ---- Writing ---- */

static void on_write(uv_write_t *w, int status);

/* Queues head (+ body) for the socket; takes both (malloc'd). Returns 0 or a negative error. */
static int queue_write(struct conn *c, char *head, size_t hlen, uint8_t *body, size_t blen)
{
    struct write_req *wr = calloc(1, sizeof(*wr));
    if (!wr) {
        free(head);
        free(body);
        return -ENOMEM;
    }
    wr->c = c;
    wr->head = head;
    wr->body = body;
    uv_buf_t bufs[2] = {uv_buf_init(head, (unsigned)hlen),
                        uv_buf_init((char *)body, (unsigned)blen)};
    int r = uv_write(&wr->w, (uv_stream_t *)&c->tcp, bufs, blen ? 2 : 1, on_write);
    if (r < 0) {
        free(head);
        free(body);
        free(wr);
        return r;
    }
    c->writes++;
    return 0;
}

/* Sends the TLS output waiting (handshake messages, records, alerts). */
static int flush_tls(struct conn *c)
{
    uint8_t *out;
    size_t len;
    int r = anc_tls_conn_take_output(c->tls, &out, &len);
    return r < 0 || !out ? r : queue_write(c, (char *)out, len, NULL, 0);
}

/* Sends plaintext to the client, through TLS when the connection has it. Takes head and body. */
static int send_out(struct conn *c, char *head, size_t hlen, uint8_t *body, size_t blen)
{
    if (!c->tls)
        return queue_write(c, head, hlen, body, blen);
    int r = anc_tls_conn_write(c->tls, head, hlen);
    if (r == 0 && blen)
        r = anc_tls_conn_write(c->tls, body, blen);
    free(head);
    free(body);
    return r < 0 ? r : flush_tls(c);
}

static void on_shutdown(uv_shutdown_t *sr, int status)
{
    struct conn *c = sr->data;
    free(sr);
    if (c->state == C_CLOSING)
        return;
    if (status < 0 || c->eof)
        anc__http_conn_close(c);
    else
        set_timer(c, T_LINGER, LINGER_MS);
}

/* No more requests on this connection: flush, half-close, then read and discard until the
 * client's EOF (closing with unread input would reset the connection and could destroy our
 * answer before the client reads it). */
void anc__http_begin_close(struct conn *c)
{
    if (c->state != C_ACTIVE)
        return;
    c->state = C_LINGER;
    if (c->tls) {
        anc_tls_conn_shutdown(c->tls);
        flush_tls(c);
    }
    uv_shutdown_t *sr = malloc(sizeof(*sr));
    if (!sr || uv_shutdown(sr, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(sr);
        anc__http_conn_close(c);
        return;
    }
    sr->data = c;
    /* Until our output drains the client gets the idle timeout, then LINGER_MS. */
    set_timer(c, T_IDLE, ANC_HTTP_IDLE_TIMEOUT_MS);
    c->in_len = 0;
    update_reading(c);
}

static void on_write(uv_write_t *w, int status)
{
    struct write_req *wr = (struct write_req *)w;
    struct conn *c = wr->c;
    free(wr->head);
    free(wr->body);
    free(wr);
    c->writes--;
    if (c->state == C_CLOSING)
        return;
    if (status < 0) {
        anc_debug("http: write: %s", uv_strerror(status));
        anc__http_conn_close(c);
        return;
    }
    if (c->state == C_ACTIVE)
        process(c); /* output drained a little: pipelined requests may go on */
}

static void count_request(struct anc_http_server *s, int status)
{
    if (status < 100 || status > 599)
        status = 500;
    struct anc_metric **m = &s->m_requests[status - 100];
    if (!*m) {
        char labels[32];
        snprintf(labels, sizeof(labels), "code=\"%d\"", status);
        *m = anc_metrics_counter(s->metrics, "ancloud_http_requests_total", labels,
                                 "HTTP requests answered, by status code.");
    }
    anc_metric_inc(*m);
}

/* Queues head (+ body, taken from res) for writing. Returns 0 or a negative error. */
static int write_response(struct conn *c, struct anc_http_response *res, bool keep_alive,
                          bool head_request, bool http10)
{
    char *head;
    size_t hlen = 0, blen = 0;
    uint8_t *body = NULL;
    if (anc_http_response_head(res, keep_alive, http10, time(NULL), &head, &hlen) < 0)
        return -ENOMEM;
    if (anc_http_response_sends_body(res, head_request)) {
        body = res->body;
        blen = res->body_len;
        res->body = NULL;
    }
    int r = send_out(c, head, hlen, body, blen);
    if (r < 0)
        return r;
    count_request(c->srv, res->status);
    return 0;
}

/* Answers with an error and closes: parse errors, timeouts, 503. message: NULL for the default. */
static void fail_conn(struct conn *c, int status, const char *message)
{
    struct anc_http_response res;
    anc_http_response_init(&res);
    if (anc_http_response_error(&res, status, NULL, message) < 0 ||
        write_response(c, &res, false, false, false) < 0) {
        anc_http_response_destroy(&res);
        anc__http_conn_close(c);
        return;
    }
    anc_http_response_destroy(&res);
    anc__http_begin_close(c);
}

/* The request's sink: called by anc_http_respond, at once or later for deferred handlers. */
static void on_response(void *ctx, struct anc_http_request *req, struct anc_http_response *res)
{
    struct conn *c = ctx;
    c->inflight = NULL;
    c->served++;
    if (res->status == 0)
        anc_http_response_error(res, 500, NULL, NULL);
    bool keep = req->keep_alive && !res->close && !c->eof && !c->srv->closing;
    bool http10 = req->http_major == 1 && req->http_minor == 0;
    if (write_response(c, res, keep, req->head, http10) < 0) {
        anc__http_conn_close(c);
        return;
    }
    if (!keep)
        anc__http_begin_close(c);
    else if (!c->in_process)
        process(c); /* a deferred answer: go on with what was buffered meanwhile */
}

static void handle_request(struct conn *c, struct anc_http_request *req)
{
    struct anc_http_response res;
    anc_http_response_init(&res);
    req->now_ms = uv_now(c->tcp.loop);
    req->sink = on_response;
    req->sink_ctx = c;
    c->inflight = req;
    int r = anc_http_dispatch(&c->srv->site, req, &res);
    if (r == ANC_HTTP_DEFERRED) {
        anc_http_response_destroy(&res);
        return;
    }
    anc_http_respond(req, &res);
}

/* ---- Reading and the per-connection request loop ---- */

static void consume(struct conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

static void send_continue(struct conn *c)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    char *copy = strdup(line);
    if (copy)
        send_out(c, copy, sizeof(line) - 1, NULL, 0);
}

/* The request's headers are complete: decide once whether it may go on (anc_http_admit). A
 * refused one is answered (401) and the connection closed before any byte of its body is
 * parsed; no 100 Continue is sent for it. Returns whether the request goes on. */
static bool admit(struct conn *c)
{
    const struct anc_http_request *req = c->parser.req;
    struct anc_http_response res;
    anc_http_response_init(&res);
    int st = anc_http_admit(&c->srv->site, req, &res);
    if (st == 0) {
        anc_http_response_destroy(&res);
        c->admitted = true;
        return true;
    }
    bool http10 = req->http_major == 1 && req->http_minor == 0;
    if (st < 0 || write_response(c, &res, false, req->head, http10) < 0) {
        anc_http_response_destroy(&res);
        anc__http_conn_close(c);
        return false;
    }
    anc_http_response_destroy(&res);
    anc__http_begin_close(c);
    return false;
}

/* How many buffered bytes the parser may see now: until the request is admitted, no more than
 * the next line, so that the headers-complete decision comes before any body byte. */
static size_t feed_bound(const struct conn *c)
{
    if (c->parser.headers_done)
        return c->in_len;
    const char *nl = memchr(c->in, '\n', c->in_len);
    return nl ? (size_t)(nl - c->in) + 1 : c->in_len;
}

static uint64_t request_timeout_ms(const struct conn *c)
{
    return (uint64_t)c->srv->cfg->request_timeout_s * 1000;
}

static void update_timer(struct conn *c)
{
    if (c->state != C_ACTIVE)
        return;
    if (c->inflight)
        set_timer(c, T_NONE, 0); /* a deferred handler decides how long it takes */
    else if (anc_http_parser_in_message(&c->parser) || c->in_len > 0 || c->served == 0)
        set_timer(c, T_REQUEST,
                  request_timeout_ms(c)); /* kept running: progress does not extend it */
    else
        set_timer(c, T_IDLE, ANC_HTTP_IDLE_TIMEOUT_MS);
}

static void process(struct conn *c)
{
    struct anc_http_server *s = c->srv;
    c->in_process = true;
    while (c->state == C_ACTIVE && !c->inflight && c->in_len > 0 &&
           uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < WRITE_HIGH_WATER) {
        anc_http_parser_set_max_body(&c->parser, (size_t)s->cfg->max_body_kib * 1024);
        ssize_t n = anc_http_parser_feed(&c->parser, c->in, feed_bound(c));
        if (n < 0) {
            anc_debug("http: bad request: %s", strerror((int)-n));
            fail_conn(c, anc_http_parser_error_status((int)n), NULL);
            break;
        }
        consume(c, (size_t)n);
        if (c->parser.headers_done && !c->admitted && !admit(c))
            break;
        if (c->parser.expect_continue) {
            c->parser.expect_continue = false;
            send_continue(c);
        }
        if (anc_http_parser_has_request(&c->parser)) {
            c->admitted = false;
            set_timer(c, T_NONE, 0); /* the next request gets a deadline of its own */
            handle_request(c, anc_http_parser_take(&c->parser));
        } else if (n == 0)
            break;
    }
    c->in_process = false;
    if (c->state == C_ACTIVE && c->eof && !c->inflight &&
        (c->in_len == 0 || anc_http_parser_in_message(&c->parser))) {
        /* The client is done sending: answer what is complete, then close. */
        if (c->writes == 0)
            anc__http_conn_close(c);
        else
            anc__http_begin_close(c);
        return;
    }
    update_reading(c);
    update_timer(c);
}

static int buffer_input(struct conn *c, const char *data, size_t len)
{
    if (c->in_len + len > c->in_cap) {
        size_t cap = c->in_cap ? c->in_cap : 4096;
        while (cap < c->in_len + len)
            cap *= 2;
        char *p = realloc(c->in, cap);
        if (!p)
            return -ENOMEM;
        c->in = p;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, data, len);
    c->in_len += len;
    return 0;
}

/* TLS: ciphertext in, plaintext into c->in, handshake output out. Returns 0, 1 when the bytes
 * were plain HTTP (answered 400 and closing), -EPIPE at the client's close_notify, -EPROTO when
 * the handshake or a record failed, -ENOMEM. */
static int tls_input(struct conn *c, const char *data, size_t len)
{
    if (!c->tls_seen) {
        c->tls_seen = true;
        if (data[0] >= 'A' && data[0] <= 'Z') { /* a request line, not a TLS record */
            anc_tls_conn_free(c->tls);
            c->tls = NULL;
            fail_conn(c, 400, "this port speaks HTTPS");
            return 1;
        }
    }
    int r = anc_tls_conn_feed(c->tls, data, len);
    while (r == 0) {
        ssize_t n = anc_tls_conn_read(c->tls, c->srv->tbuf, sizeof(c->srv->tbuf));
        if (n <= 0) {
            r = (int)n;
            break;
        }
        r = buffer_input(c, c->srv->tbuf, (size_t)n);
    }
    int f = flush_tls(c); /* handshake messages, or the alert of a failure */
    return r < 0 ? r : f;
}

static void peer_eof(struct conn *c)
{
    c->eof = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
    process(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    if (nread == 0 || c->state == C_CLOSING)
        return;
    if (nread < 0) {
        if (nread != UV_EOF || c->state == C_LINGER)
            anc__http_conn_close(c);
        else
            peer_eof(c);
        return;
    }
    if (c->state == C_LINGER)
        return; /* discarded */
    int r =
        c->tls ? tls_input(c, buf->base, (size_t)nread) : buffer_input(c, buf->base, (size_t)nread);
    if (r == 1)
        return;
    if (r == -EPIPE) {
        peer_eof(c);
    } else if (r == -EPROTO) {
        anc_debug("http: TLS handshake or record failed");
        anc__http_begin_close(c); /* the alert goes out first */
    } else if (r < 0) {
        anc__http_conn_close(c);
    } else {
        process(c);
    }
}

/* ---- Timers ---- */

static void on_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    enum timer_kind kind = c->timer_kind;
    c->timer_kind = T_NONE;
    if (c->state != C_ACTIVE || kind == T_IDLE || !anc_http_parser_in_message(&c->parser)) {
        anc__http_conn_close(c);
        return;
    }
    anc_debug("http: request timed out (%s)", c->parser.headers_done ? "body" : "headers");
    fail_conn(c, 408, NULL);
}

static void set_timer(struct conn *c, enum timer_kind kind, uint64_t ms)
{
    if (c->timer_kind == kind)
        return;
    c->timer_kind = kind;
    if (kind == T_NONE)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- Accepting ---- */

static struct conn *conn_new(struct anc_http_server *s)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    anc_http_parser_init(&c->parser, (size_t)s->cfg->max_body_kib * 1024);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    return c;
}

/* Whether two clients count as one address: IPv4 (and IPv4-mapped) by address, IPv6 by /64. */
static bool same_client(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family != AF_INET6)
        return false;
    const struct in6_addr *x = &((const struct sockaddr_in6 *)a)->sin6_addr;
    const struct in6_addr *y = &((const struct sockaddr_in6 *)b)->sin6_addr;
    bool v4 = IN6_IS_ADDR_V4MAPPED(x) || IN6_IS_ADDR_V4MAPPED(y);
    return memcmp(x, y, v4 ? 16 : 8) == 0;
}

/* Open, counted connections from the same client as peer. */
static size_t connections_from(const struct anc_http_server *s, const struct sockaddr_storage *peer)
{
    size_t n = 0;
    for (const struct conn *o = s->conns; o; o = o->next)
        n += o->counted && o->state != C_CLOSING && same_client(&o->peer, peer);
    return n;
}

void anc__http_on_connection(uv_stream_t *server, int status)
{
    struct anc_http_server *s = server->data;
    if (status < 0 || s->closing) {
        anc_debug("http: accept: %s", uv_strerror(status));
        return;
    }
    struct conn *c = conn_new(s);
    if (!c)
        return;       /* the pending connection stays in the backlog; we retry on the next one */
    s->n_rejecting++; /* until it is admitted below */
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        anc__http_conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    int len = sizeof(c->peer);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &len) < 0)
        c->peer.ss_family = AF_UNSPEC;
    if (s->n_active >= (size_t)s->cfg->max_connections ||
        connections_from(s, &c->peer) >= (size_t)s->cfg->max_connections_per_ip) {
        anc_metric_inc(s->m_rejected);
        /* Over TLS a plain 503 would only be garbage to the client's handshake: closed. */
        if (s->n_rejecting > MAX_REJECTING || s->tls)
            anc__http_conn_close(c);
        else
            fail_conn(c, 503, NULL);
        return;
    }
    s->n_rejecting--;
    c->counted = true;
    s->n_active++;
    anc_metric_inc(s->m_conn_total);
    anc_metric_set(s->m_conn_active, (double)s->n_active);
    if (s->tls && !(c->tls = anc_tls_conn_new(s->tls))) {
        anc__http_conn_close(c);
        return;
    }
    set_timer(c, T_REQUEST, request_timeout_ms(c));
    update_reading(c);
}

/* ---- Public API ---- */
