/* The etcd client's I/O: each call a POST to the gateway through http/client_uv.c, failing over
 * between endpoints; watches as streamed responses with an idle timer. */
#include "cluster/etcd_uv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/client_uv.h"
#include "http/tls_client.h"

#define DEFAULT_TIMEOUT_MS 3000
#define URL_MAX            512

struct call {
    struct call *prev, *next;
    struct anc_etcd *c;
    enum anc_etcd_call kind;
    char *body;
    size_t ep, tries;
    struct anc_http_fetch *f;
    anc_etcd_cb cb;
    void *arg;
};

struct anc_etcd_watch {
    struct anc_etcd_watch *prev, *next;
    struct anc_etcd *c;
    char *body;
    size_t ep, tries;
    struct anc_http_fetch *f;
    uv_timer_t idle;
    struct anc_etcd_watch_parser parser;
    anc_etcd_watch_cb cb;
    void *arg;
    bool heard; /* a message came on this stream: no failover after that */
    bool dead;
};

struct anc_etcd {
    uv_loop_t *loop;
    char **ep;
    size_t n_ep, good;
    unsigned timeout_ms, idle_ms;
    struct anc_tls_client *tls; /* owned; NULL: http */
    struct call *calls;
    struct anc_etcd_watch *watches;
    size_t live; /* fetches not yet freed, watch timers not yet closed */
    bool closing;
    void (*done)(void *arg);
    void *done_arg;
};

static const struct anc_http_client_header json_header[] = {
    {"Content-Type", "application/json"},
};

/* Errors that say "this endpoint, not the request": the next endpoint may do better. */
static bool failover_err(int err)
{
    return err == -ECONNREFUSED || err == -ETIMEDOUT || err == -EHOSTUNREACH ||
           err == -ENETUNREACH || err == -ECONNRESET || err == -EAGAIN || err == -EPIPE ||
           err == -ECONNABORTED || err == -EADDRNOTAVAIL;
}

/* The HTTP parser's verdicts on an answer: to the caller, an unparsable answer. */
static bool unparsable(int err)
{
    return err == -EBADMSG || err == -EMSGSIZE || err == -EFBIG;
}

static void free_client(struct anc_etcd *c)
{
    for (size_t i = 0; i < c->n_ep; i++)
        free(c->ep[i]);
    free(c->ep);
    anc_tls_client_free(c->tls);
    free(c);
}

static void maybe_done(struct anc_etcd *c)
{
    if (!c->closing || c->live > 0)
        return;
    void (*done)(void *) = c->done;
    void *arg = c->done_arg;
    free_client(c);
    if (done)
        done(arg);
}

static void fetch_freed(void *arg)
{
    struct anc_etcd *c = arg;
    c->live--;
    maybe_done(c);
}

/* Starts a POST of body to path on endpoint ep; streamed when on_chunk is set. */
static int post(struct anc_etcd *c, size_t ep, const char *path, const char *body,
                anc_http_chunk_cb on_chunk, anc_http_response_cb on_response, void *arg,
                struct anc_http_fetch **f)
{
    char url[URL_MAX];
    if ((size_t)snprintf(url, sizeof(url), "%s%s", c->ep[ep], path) >= sizeof(url))
        return -EINVAL;
    struct anc_http_fetch_opts o = {
        .url = url,
        .method = "POST",
        .headers = json_header,
        .n_headers = 1,
        .body = body,
        .body_len = strlen(body),
        .timeout_ms = c->timeout_ms,
        .body_max = ANC_HTTP_FETCH_BODY_MAX * 4,
        .on_chunk = on_chunk,
        .on_response = on_response,
        .arg = arg,
        .on_freed = fetch_freed,
        .freed_arg = c,
        .tls = c->tls,
    };
    int r = anc_http_fetch_start(c->loop, &o, f);
    if (r == 0)
        c->live++;
    return r;
}

/* ---- unary calls ---- */

static void call_unlink(struct call *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        k->c->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
}

static void call_deliver(struct call *k, struct anc_etcd_reply *rep)
{
    call_unlink(k);
    k->cb(k->arg, &rep->r);
    anc_etcd_reply_destroy(rep);
    free(k->body);
    free(k);
}

static void call_response(void *arg, int err, int status,
                          const struct anc_http_response_parser *headers, const uint8_t *body,
                          size_t len);

static int call_try(struct call *k)
{
    return post(k->c, k->ep, anc_etcd_call_path(k->kind), k->body, NULL, call_response, k, &k->f);
}

/* The next endpoint after a failure of this one; false when every one was tried. */
static bool call_failover(struct call *k, int err, struct anc_etcd_reply *rep)
{
    if (!failover_err(err) || ++k->tries >= k->c->n_ep)
        return false;
    k->ep = (k->ep + 1) % k->c->n_ep;
    int r = call_try(k);
    if (r == 0)
        return true;
    anc_etcd_reply_error(rep, r, "etcd: cannot start a request");
    call_deliver(k, rep);
    return true;
}

static void call_response(void *arg, int err, int status,
                          const struct anc_http_response_parser *headers, const uint8_t *body,
                          size_t len)
{
    (void)headers;
    struct call *k = arg;
    struct anc_etcd_reply rep = {0};
    if (err) {
        char m[URL_MAX + 300];
        const char *why = anc_http_fetch_error(k->f);
        snprintf(m, sizeof(m), "etcd %s: %s", k->c->ep[k->ep], why ? why : strerror(-err));
        anc_etcd_reply_error(&rep, unparsable(err) ? -EPROTO : err, m);
    } else {
        anc_etcd_reply_parse(k->kind, status, body, len, &rep);
    }
    k->f = NULL; /* gone after this callback */
    if (call_failover(k, rep.r.err, &rep)) {
        anc_etcd_reply_destroy(&rep);
        return;
    }
    if (!failover_err(rep.r.err))
        k->c->good = k->ep; /* it answered: try it first next time */
    call_deliver(k, &rep);
}

static int start_call(struct anc_etcd *c, enum anc_etcd_call kind, int built, char *body,
                      anc_etcd_cb cb, void *arg)
{
    if (built < 0)
        return built;
    struct call *k = calloc(1, sizeof(*k));
    if (!k || c->closing || !cb) {
        free(body);
        free(k);
        return !k ? -ENOMEM : c->closing ? -ESHUTDOWN : -EINVAL;
    }
    *k = (struct call){.c = c, .kind = kind, .body = body, .ep = c->good, .cb = cb, .arg = arg};
    int r = call_try(k);
    if (r < 0) {
        free(body);
        free(k);
        return r;
    }
    k->next = c->calls;
    if (c->calls)
        c->calls->prev = k;
    c->calls = k;
    return 0;
}

int anc_etcd_range(struct anc_etcd *c, const char *key, bool prefix, anc_etcd_cb cb, void *arg)
{
    char *body = NULL;
    int r = anc_etcd_body_range(key, prefix, &body);
    return start_call(c, ANC_ETCD_CALL_RANGE, r, body, cb, arg);
}

int anc_etcd_put(struct anc_etcd *c, const char *key, const uint8_t *value, size_t len,
                 int64_t lease, anc_etcd_cb cb, void *arg)
{
    char *body = NULL;
    int r = anc_etcd_body_put(key, value, len, lease, &body);
    return start_call(c, ANC_ETCD_CALL_PUT, r, body, cb, arg);
}

int anc_etcd_delete(struct anc_etcd *c, const char *key, bool prefix, anc_etcd_cb cb, void *arg)
{
    char *body = NULL;
    int r = anc_etcd_body_delete(key, prefix, &body);
    return start_call(c, ANC_ETCD_CALL_DELETE, r, body, cb, arg);
}

int anc_etcd_txn(struct anc_etcd *c, const struct anc_etcd_cmp *cmp, size_t n_cmp,
                 const struct anc_etcd_op *then, size_t n_then, const struct anc_etcd_op *otherwise,
                 size_t n_otherwise, anc_etcd_cb cb, void *arg)
{
    char *body = NULL;
    int r = anc_etcd_body_txn(cmp, n_cmp, then, n_then, otherwise, n_otherwise, &body);
    return start_call(c, ANC_ETCD_CALL_TXN, r, body, cb, arg);
}

int anc_etcd_lease_grant(struct anc_etcd *c, int64_t ttl_s, anc_etcd_cb cb, void *arg)
{
    char *body = NULL;
    int r = anc_etcd_body_lease_grant(ttl_s, &body);
    return start_call(c, ANC_ETCD_CALL_LEASE_GRANT, r, body, cb, arg);
}

int anc_etcd_lease_keepalive(struct anc_etcd *c, int64_t lease, anc_etcd_cb cb, void *arg)
{
    char *body = NULL;
    int r = anc_etcd_body_lease_id(lease, &body);
    return start_call(c, ANC_ETCD_CALL_LEASE_KEEPALIVE, r, body, cb, arg);
}

int anc_etcd_lease_revoke(struct anc_etcd *c, int64_t lease, anc_etcd_cb cb, void *arg)
{
    char *body = NULL;
    int r = anc_etcd_body_lease_id(lease, &body);
    return start_call(c, ANC_ETCD_CALL_LEASE_REVOKE, r, body, cb, arg);
}

/* ---- watches ---- */

static void watch_closed(uv_handle_t *h)
{
    struct anc_etcd_watch *w = h->data;
    struct anc_etcd *c = w->c;
    anc_etcd_watch_parser_destroy(&w->parser);
    free(w->body);
    free(w);
    c->live--;
    maybe_done(c);
}

/* Ends the watch quietly: the stream, the timer, then (in the close callback) the struct. */
static void watch_stop(struct anc_etcd_watch *w)
{
    w->dead = true;
    anc_http_fetch_cancel(w->f);
    w->f = NULL;
    if (w->prev)
        w->prev->next = w->next;
    else if (w->c->watches == w)
        w->c->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    uv_timer_stop(&w->idle);
    uv_close((uv_handle_t *)&w->idle, watch_closed);
}

static void watch_fail(struct anc_etcd_watch *w, int err, int64_t revision)
{
    if (w->dead)
        return;
    watch_stop(w);
    w->cb(w->arg, err, revision, NULL, 0);
}

void anc_etcd_watch_cancel(struct anc_etcd_watch *w)
{
    if (w && !w->dead)
        watch_stop(w);
}

static void watch_idle(uv_timer_t *t)
{
    watch_fail(t->data, -ETIMEDOUT, 0);
}

static int watch_msg(void *arg, const struct anc_etcd_watch_msg *m)
{
    struct anc_etcd_watch *w = arg;
    if (m->err) {
        watch_fail(w, m->err, m->revision);
        return 1;
    }
    w->heard = true;
    w->c->good = w->ep;
    if (m->created || m->n)
        w->cb(w->arg, 0, m->revision, m->ev, m->n);
    return w->dead; /* progress notifications only fed the idle timer */
}

static void watch_chunk(void *arg, const uint8_t *data, size_t len)
{
    struct anc_etcd_watch *w = arg;
    uv_timer_again(&w->idle);
    int r = anc_etcd_watch_parser_feed(&w->parser, data, len, watch_msg, w);
    if (r < 0)
        watch_fail(w, r == -ENOMEM ? r : -EPROTO, 0);
}

static void watch_response(void *arg, int err, int status,
                           const struct anc_http_response_parser *headers, const uint8_t *body,
                           size_t len);

static int watch_connect(struct anc_etcd_watch *w)
{
    anc_etcd_watch_parser_destroy(&w->parser);
    anc_etcd_watch_parser_init(&w->parser, 0);
    return post(w->c, w->ep, anc_etcd_call_path(ANC_ETCD_CALL_WATCH), w->body, watch_chunk,
                watch_response, w, &w->f);
}

/* The stream ended. Before any message, the next endpoint is tried; after one, the caller
 * resumes from what it has seen (only it knows the revision to go on from). */
static void watch_response(void *arg, int err, int status,
                           const struct anc_http_response_parser *headers, const uint8_t *body,
                           size_t len)
{
    (void)status, (void)headers, (void)body, (void)len;
    struct anc_etcd_watch *w = arg;
    w->f = NULL;
    if (err == 0)
        err = -ECONNRESET; /* a watch stream does not end by itself */
    else if (unparsable(err))
        err = -EPROTO;
    if (!w->heard && failover_err(err) && ++w->tries < w->c->n_ep) {
        w->ep = (w->ep + 1) % w->c->n_ep;
        int r = watch_connect(w);
        if (r == 0)
            return;
        err = r;
    }
    watch_fail(w, err, 0);
}

int anc_etcd_watch(struct anc_etcd *c, const char *key, bool prefix, int64_t start_revision,
                   anc_etcd_watch_cb cb, void *arg, struct anc_etcd_watch **out)
{
    if (c->closing)
        return -ESHUTDOWN;
    if (!cb || !out)
        return -EINVAL;
    struct anc_etcd_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    int r = anc_etcd_body_watch(key, prefix, start_revision, &w->body);
    if (r < 0) {
        free(w);
        return r;
    }
    *w = (struct anc_etcd_watch){.c = c, .body = w->body, .ep = c->good, .cb = cb, .arg = arg};
    uv_timer_init(c->loop, &w->idle);
    w->idle.data = w;
    c->live++;
    r = watch_connect(w);
    if (r < 0) {
        watch_stop(w);
        return r;
    }
    uv_timer_start(&w->idle, watch_idle, c->idle_ms, c->idle_ms);
    w->next = c->watches;
    if (c->watches)
        c->watches->prev = w;
    c->watches = w;
    *out = w;
    return 0;
}

/* ---- the client ---- */

static int add_endpoint(struct anc_etcd *c, const char *url)
{
    char host[256], port[8];
    const char *path;
    if (!url || anc_http_url_split(url, host, sizeof(host), port, sizeof(port), &path) < 0 ||
        strcmp(path, "/") != 0 || strlen(url) > URL_MAX - 64)
        return -EINVAL;
    /* One scheme for all: https only with trust anchors, and never https with an http fallback
     * an attacker on the path could force by blocking the https members. */
    bool https = strncmp(url, "https://", 8) == 0;
    if (https != (c->tls != NULL))
        return -EINVAL;
    char *e = strdup(url);
    if (!e)
        return -ENOMEM;
    size_t n = strlen(e);
    if (n > 0 && e[n - 1] == '/')
        e[n - 1] = 0; /* paths are appended */
    c->ep[c->n_ep++] = e;
    return 0;
}

int anc_etcd_new(const struct anc_etcd_opts *o, struct anc_etcd **out)
{
    if (!o->loop || !o->endpoints || o->n_endpoints == 0) {
        anc_tls_client_free(o->tls);
        return -EINVAL;
    }
    struct anc_etcd *c = calloc(1, sizeof(*c));
    if (!c || !(c->ep = calloc(o->n_endpoints, sizeof(*c->ep)))) {
        anc_tls_client_free(o->tls);
        free(c);
        return -ENOMEM;
    }
    c->tls = o->tls;
    c->loop = o->loop;
    c->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->idle_ms = o->watch_idle_ms ? o->watch_idle_ms : 2 * c->timeout_ms;
    for (size_t i = 0; i < o->n_endpoints; i++) {
        int r = add_endpoint(c, o->endpoints[i]);
        if (r < 0) {
            free_client(c);
            return r;
        }
    }
    *out = c;
    return 0;
}

void anc_etcd_close(struct anc_etcd *c, void (*done)(void *arg), void *arg)
{
    c->closing = true;
    c->done = done;
    c->done_arg = arg;
    while (c->calls) {
        struct call *k = c->calls;
        call_unlink(k);
        anc_http_fetch_cancel(k->f);
        free(k->body);
        free(k);
    }
    while (c->watches)
        watch_stop(c->watches);
    maybe_done(c);
}
