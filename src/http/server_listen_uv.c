/* libuv glue of the HTTP server, listener side: bind and listen, the server's lifetime, orderly
 * close (stop accepting, let connections finish for a grace period, then close them). */
#include "http/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/addr.h"
#include "base/metrics.h"
#include "http/server_internal.h"

/* ---- Server lifetime ---- */

static void server_free(struct anc_http_server *s)
{
    anc_http_router_free(s->router);
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

void anc__http_maybe_finish(struct anc_http_server *s)
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
    if (s->closing)
        anc__http_maybe_finish(s);
    else if (!s->stopped_accepting) /* start failed: nothing else exists */
        server_free(s);
}

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
    if (!s->router)
        return UV_ENOMEM;
    s->site = (struct anc_http_site){
        .router = s->router,
        .metrics = s->metrics,
        .token = s->cfg->token,
        .web_dir = s->cfg->web_dir,
        .started_ms = uv_now(s->loop),
    };
    s->m_conn_total = anc_metrics_counter(s->metrics, "ancloud_http_connections_total", NULL,
                                          "HTTP connections accepted and served.");
    s->m_conn_active = anc_metrics_gauge(s->metrics, "ancloud_http_connections_active", NULL,
                                         "HTTP connections open now.");
    s->m_rejected =
        anc_metrics_counter(s->metrics, "ancloud_http_connections_rejected_total", NULL,
                            "HTTP connections refused (max_connections, max_connections_per_ip).");
    return anc_http_rest_register(&s->site) < 0 ? UV_ENOMEM : 0;
}

int anc_http_server_start(uv_loop_t *loop, const struct anc_config *cfg,
                          struct anc_metrics *metrics, struct anc_tls_ctx *tls,
                          struct anc_http_server **out)
{
    struct sockaddr_storage ss;
    struct anc_http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return UV_ENOMEM;
    s->loop = loop;
    s->cfg = cfg;
    s->metrics = metrics;
    s->tls = tls;
    int r = setup_site(s);
    if (r == 0)
        r = parse_listen(cfg->listen, &ss);
    if (r < 0) {
        server_free(s);
        return r;
    }
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->listener_open = true;
    r = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&s->listener, 1024, anc__http_on_connection);
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
        anc__http_conn_close(c);
}

void anc_http_server_stop_accepting(struct anc_http_server *s)
{
    if (!s || s->closing || s->stopped_accepting)
        return;
    s->stopped_accepting = true;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
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
    if (!s->stopped_accepting)
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    uv_timer_init(s->loop, &s->grace);
    s->grace.data = s;
    s->grace_open = true;
    uv_timer_start(&s->grace, on_grace, SHUTDOWN_GRACE_MS, 0);
    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->state != C_ACTIVE)
            continue;
        if (c->writes > 0 && !c->inflight)
            anc__http_begin_close(c);
        else
            anc__http_conn_close(c);
    }
    anc__http_maybe_finish(s); /* when the listener closed earlier and no connection is left */
}

int anc_http_route_add(struct anc_http_server *s, const char *method, const char *pattern,
                       anc_http_handler_fn fn, void *user, unsigned flags)
{
    return anc_http_router_add(s->router, method, pattern, fn, user, flags);
}

void anc_http_server_set_forward(struct anc_http_server *s,
                                 int (*forward)(void *arg, struct anc_http_request *req), void *arg)
{
    s->site.forward = forward;
    s->site.forward_arg = arg;
}

void anc_http_server_set_viewer_tokens(struct anc_http_server *s, struct anc_vtokens *v)
{
    s->site.viewer_tokens = v;
}

void anc_http_server_set_owner_lookup(struct anc_http_server *s,
                                      const struct anc_owner_lookup *owner)
{
    s->site.owner = owner ? *owner : (struct anc_owner_lookup){0};
}
