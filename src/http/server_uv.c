/* libuv glue of the HTTP server, connection side: accept, read, write, timers. Everything it decides
 * about bytes comes from request.c / rest.c; this file only moves them. */
#include "http/server.h"

#include <errno.h>
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
    struct write_req *wr = calloc(1, sizeof(*wr));
    size_t hlen = 0;
    if (!wr || anc_http_response_head(res, keep_alive, http10, time(NULL), &wr->head, &hlen) < 0) {
        free(wr);
        return -ENOMEM;
    }
    uv_buf_t bufs[2] = {uv_buf_init(wr->head, (unsigned)hlen)};
    unsigned nbufs = 1;
    if (anc_http_response_sends_body(res, head_request)) {
        wr->body = res->body;
        res->body = NULL;
        bufs[nbufs++] = uv_buf_init((char *)wr->body, (unsigned)res->body_len);
    }
    wr->c = c;
    int r = uv_write(&wr->w, (uv_stream_t *)&c->tcp, bufs, nbufs, on_write);
    if (r < 0) {
        free(wr->head);
        free(wr->body);
        free(wr);
        return r;
    }
    c->writes++;
    count_request(c->srv, res->status);
    return 0;
}

/* Answers with an error and closes: parse errors, timeouts, 503. */
static void fail_conn(struct conn *c, int status)
{
    struct anc_http_response res;
    anc_http_response_init(&res);
    if (anc_http_response_error(&res, status, NULL, NULL) < 0 ||
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
    struct write_req *wr = calloc(1, sizeof(*wr));
    wr->head = wr ? strdup(line) : NULL;
    if (!wr || !wr->head) {
        free(wr);
        return;
    }
    wr->c = c;
    uv_buf_t b = uv_buf_init(wr->head, sizeof(line) - 1);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
        free(wr->head);
        free(wr);
        return;
    }
    c->writes++;
}

static void update_timer(struct conn *c)
{
    if (c->state != C_ACTIVE)
        return;
    if (c->inflight)
        set_timer(c, T_NONE, 0); /* a deferred handler decides how long it takes */
    else if (anc_http_parser_in_headers(&c->parser) ||
             (c->served == 0 && c->in_len == 0 && !anc_http_parser_in_message(&c->parser)))
        set_timer(c, T_HEADER, ANC_HTTP_HEADER_TIMEOUT_MS);
    else if (anc_http_parser_in_message(&c->parser))
        set_timer(c, T_BODY, ANC_HTTP_IDLE_TIMEOUT_MS);
    else if (c->in_len == 0)
        set_timer(c, T_IDLE, ANC_HTTP_IDLE_TIMEOUT_MS);
}

static void process(struct conn *c)
{
    struct anc_http_server *s = c->srv;
    c->in_process = true;
    while (c->state == C_ACTIVE && !c->inflight && c->in_len > 0 &&
           uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < WRITE_HIGH_WATER) {
        anc_http_parser_set_max_body(&c->parser, (size_t)s->cfg->max_body_kib * 1024);
        ssize_t n = anc_http_parser_feed(&c->parser, c->in, c->in_len);
        if (n < 0) {
            anc_debug("http: bad request: %s", strerror((int)-n));
            fail_conn(c, anc_http_parser_error_status((int)n));
            break;
        }
        consume(c, (size_t)n);
        if (c->parser.expect_continue) {
            c->parser.expect_continue = false;
            send_continue(c);
        }
        if (anc_http_parser_has_request(&c->parser))
            handle_request(c, anc_http_parser_take(&c->parser));
        else if (n == 0)
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

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    if (nread == 0 || c->state == C_CLOSING)
        return;
    if (nread < 0) {
        if (nread != UV_EOF || c->state == C_LINGER) {
            anc__http_conn_close(c);
            return;
        }
        c->eof = true;
        uv_read_stop(st);
        c->reading = false;
        process(c);
        return;
    }
    if (c->state == C_LINGER)
        return; /* discarded */
    if (buffer_input(c, buf->base, (size_t)nread) < 0) {
        anc__http_conn_close(c);
        return;
    }
    if (c->timer_kind == T_BODY)
        c->timer_kind = T_NONE; /* progress: the body timeout starts again */
    process(c);
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
    anc_debug("http: request timed out (%s)", kind == T_HEADER ? "headers" : "body");
    fail_conn(c, 408);
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

void anc__http_on_connection(uv_stream_t *server, int status)
{
    struct anc_http_server *s = server->data;
    if (status < 0 || s->closing) {
        anc_debug("http: accept: %s", uv_strerror(status));
        return;
    }
    struct conn *c = conn_new(s);
    if (!c)
        return; /* the pending connection stays in the backlog; we retry on the next one */
    c->counted = s->n_active < (size_t)s->cfg->max_connections;
    if (c->counted) {
        s->n_active++;
        anc_metric_inc(s->m_conn_total);
        anc_metric_set(s->m_conn_active, (double)s->n_active);
    } else {
        s->n_rejecting++;
        anc_metric_inc(s->m_rejected);
    }
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        anc__http_conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (!c->counted) {
        if (s->n_rejecting > MAX_REJECTING)
            anc__http_conn_close(c);
        else
            fail_conn(c, 503);
        return;
    }
    set_timer(c, T_HEADER, ANC_HTTP_HEADER_TIMEOUT_MS);
    update_reading(c);
}

/* ---- Public API ---- */
