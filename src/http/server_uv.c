/* libuv glue of the HTTP server: accept, read, write, timers, shutdown. Everything it decides
 * about bytes comes from request.c / rest.c; this file only moves them. */
#include "http/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "app.h"
#include "base/addr.h"
#include "base/log.h"
#include "base/metrics.h"
#include "http/request.h"
#include "http/rest.h"

#define LINGER_MS         2000        /* after our last byte, wait this long for the client's EOF */
#define SHUTDOWN_GRACE_MS 2000        /* server close: time left to connections still writing */
#define READ_PAUSE_BYTES  (64 * 1024) /* buffered unparsed input beyond which reading pauses */
#define WRITE_HIGH_WATER  (1024 * 1024) /* queued output beyond which pipelined requests wait */
#define MAX_REJECTING     64            /* 503 answers in flight at once; beyond: plain close */

enum conn_state { C_ACTIVE, C_LINGER, C_CLOSING };
enum timer_kind { T_NONE, T_HEADER, T_BODY, T_IDLE, T_LINGER };

struct conn {
    struct conn *prev, *next;
    struct anc_http_server *srv;
    uv_tcp_t tcp;
    uv_timer_t timer;
    int handles;
    enum conn_state state;
    enum timer_kind timer_kind;
    struct anc_http_parser parser;
    char *in;
    size_t in_len, in_cap;
    struct anc_http_request *inflight; /* being answered (maybe deferred) */
    size_t writes;                     /* uv_write requests in flight */
    unsigned served;                   /* requests answered */
    bool counted;                      /* in n_active (false: a 503 connection) */
    bool reading, eof, in_process;
};

struct write_req {
    uv_write_t w;
    struct conn *c;
    char *head;
    uint8_t *body;
};

struct anc_http_server {
    struct anc_app *app;
    uv_tcp_t listener;
    uv_timer_t grace;
    bool listener_open, grace_open, closing;
    struct conn *conns;
    size_t n_active, n_rejecting;
    struct anc_http_router *router;
    struct anc_metrics *metrics;
    struct anc_http_site site;
    struct anc_metric *m_conn_total, *m_conn_active, *m_rejected;
    struct anc_metric *m_requests[500]; /* by status - 100 */
    char address[80];
    void (*done)(void *arg);
    void *done_arg;
    char rbuf[64 * 1024]; /* read buffer: each read is consumed before the next alloc */
};

static void process(struct conn *c);
static void conn_close(struct conn *c);

/* ---- Server lifetime ---- */

static void server_free(struct anc_http_server *s)
{
    anc_http_router_free(s->router);
    anc_metrics_free(s->metrics);
    free(s);
}

static void on_grace_closed(uv_handle_t *h)
{
    struct anc_http_server *s = h->data;
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    server_free(s);
    if (done)
        done(arg);
}

static void maybe_finish(struct anc_http_server *s)
{
    if (!s->closing || s->conns || s->listener_open || !s->grace_open)
        return;
    s->grace_open = false;
    uv_close((uv_handle_t *)&s->grace, on_grace_closed);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct anc_http_server *s = h->data;
    s->listener_open = false;
    if (!s->closing) /* start failed: nothing else exists */
        server_free(s);
    else
        maybe_finish(s);
}

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
    maybe_finish(s);
}

static void conn_close(struct conn *c)
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
            conn_close(c);
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
        conn_close(c);
    else
        set_timer(c, T_LINGER, LINGER_MS);
}

/* No more requests on this connection: flush, half-close, then read and discard until the
 * client's EOF (closing with unread input would reset the connection and could destroy our
 * answer before the client reads it). */
static void begin_close(struct conn *c)
{
    if (c->state != C_ACTIVE)
        return;
    c->state = C_LINGER;
    uv_shutdown_t *sr = malloc(sizeof(*sr));
    if (!sr || uv_shutdown(sr, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(sr);
        conn_close(c);
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
        conn_close(c);
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
        conn_close(c);
        return;
    }
    anc_http_response_destroy(&res);
    begin_close(c);
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
        conn_close(c);
        return;
    }
    if (!keep)
        begin_close(c);
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
        anc_http_parser_set_max_body(&c->parser, (size_t)s->app->cfg.max_body_kib * 1024);
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
            conn_close(c);
        else
            begin_close(c);
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
            conn_close(c);
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
        conn_close(c);
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
        conn_close(c);
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
    uv_tcp_init(s->app->loop, &c->tcp);
    uv_timer_init(s->app->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    anc_http_parser_init(&c->parser, (size_t)s->app->cfg.max_body_kib * 1024);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    return c;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct anc_http_server *s = server->data;
    if (status < 0 || s->closing) {
        anc_debug("http: accept: %s", uv_strerror(status));
        return;
    }
    struct conn *c = conn_new(s);
    if (!c)
        return; /* the pending connection stays in the backlog; we retry on the next one */
    c->counted = s->n_active < (size_t)s->app->cfg.max_connections;
    if (c->counted) {
        s->n_active++;
        anc_metric_inc(s->m_conn_total);
        anc_metric_set(s->m_conn_active, (double)s->n_active);
    } else {
        s->n_rejecting++;
        anc_metric_inc(s->m_rejected);
    }
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (!c->counted) {
        if (s->n_rejecting > MAX_REJECTING)
            conn_close(c);
        else
            fail_conn(c, 503);
        return;
    }
    set_timer(c, T_HEADER, ANC_HTTP_HEADER_TIMEOUT_MS);
    update_reading(c);
}

/* ---- Public API ---- */

static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
    char host[128];
    const char *colon;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return UV_EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)(close - listen - 1), listen + 1);
        colon = close + 1;
        return uv_ip6_addr(host, atoi(colon + 1), (struct sockaddr_in6 *)ss);
    }
    colon = strrchr(listen, ':');
    if (!colon)
        return UV_EINVAL;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    return uv_ip4_addr(host, atoi(colon + 1), (struct sockaddr_in *)ss);
}

static int setup_site(struct anc_http_server *s)
{
    s->router = anc_http_router_new();
    s->metrics = anc_metrics_new();
    if (!s->router || !s->metrics)
        return UV_ENOMEM;
    s->site = (struct anc_http_site){
        .router = s->router,
        .metrics = s->metrics,
        .token = s->app->cfg.token,
        .web_dir = s->app->cfg.web_dir,
        .started_ms = s->app->started_ms,
    };
    s->m_conn_total = anc_metrics_counter(s->metrics, "ancloud_http_connections_total", NULL,
                                          "HTTP connections accepted and served.");
    s->m_conn_active = anc_metrics_gauge(s->metrics, "ancloud_http_connections_active", NULL,
                                         "HTTP connections open now.");
    s->m_rejected = anc_metrics_counter(s->metrics, "ancloud_http_connections_rejected_total", NULL,
                                        "HTTP connections answered 503 (max_connections).");
    return anc_http_rest_register(&s->site) < 0 ? UV_ENOMEM : 0;
}

int anc_http_server_start(struct anc_http_server **out, struct anc_app *app)
{
    struct sockaddr_storage ss;
    struct anc_http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return UV_ENOMEM;
    s->app = app;
    int r = setup_site(s);
    if (r == 0)
        r = parse_listen(app->cfg.listen, &ss);
    if (r < 0) {
        server_free(s);
        return r;
    }
    uv_tcp_init(app->loop, &s->listener);
    s->listener.data = s;
    s->listener_open = true;
    r = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    struct anc_addr bound;
    int len = sizeof(bound.u);
    if (r == 0)
        r = uv_tcp_getsockname(&s->listener, &bound.u.sa, &len);
    if (r < 0) {
        uv_close((uv_handle_t *)&s->listener, on_listener_closed); /* frees s */
        return r;
    }
    anc_addr_format(&bound, s->address, sizeof(s->address));
    *out = s;
    return 0;
}

const char *anc_http_server_address(const struct anc_http_server *s)
{
    return s ? s->address : "";
}

static void on_grace(uv_timer_t *t)
{
    struct anc_http_server *s = t->data;
    for (struct conn *c = s->conns; c; c = c->next)
        conn_close(c);
}

void anc_http_server_close(struct anc_http_server *s, void (*done)(void *arg), void *arg)
{
    if (!s) {
        if (done)
            done(arg);
        return;
    }
    if (s->closing)
        return;
    s->closing = true;
    s->done = done;
    s->done_arg = arg;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    uv_timer_init(s->app->loop, &s->grace);
    s->grace.data = s;
    s->grace_open = true;
    uv_timer_start(&s->grace, on_grace, SHUTDOWN_GRACE_MS, 0);
    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->state != C_ACTIVE)
            continue;
        if (c->writes > 0 && !c->inflight)
            begin_close(c);
        else
            conn_close(c);
    }
}

int anc_http_route_add(struct anc_http_server *s, const char *method, const char *pattern,
                       anc_http_handler_fn fn, void *user, unsigned flags)
{
    return anc_http_router_add(s->router, method, pattern, fn, user, flags);
}

struct anc_metrics *anc_http_server_metrics(struct anc_http_server *s)
{
    return s->metrics;
}
