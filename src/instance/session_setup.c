/* Creating and closing the session layer: certificate, DTLS context, RTC host, UDP port. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/log.h"
#include "http/server.h"
#include "instance/session_internal.h"
#include "rtc/cert.h"
#include "rtc/dtls.h"

/* Splits cfg.listen into its host part. */
static void listen_host(const char *listen, char *out, size_t cap)
{
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        snprintf(out, cap, "%.*s", end ? (int)(end - listen - 1) : 0, listen + 1);
    } else {
        const char *colon = strrchr(listen, ':');
        snprintf(out, cap, "%.*s", colon ? (int)(colon - listen) : (int)strlen(listen), listen);
    }
}

static bool unspecified(const char *ip)
{
    return strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* Candidates: [rtc] public_ip; else the listen address; else every non-loopback address. */
static void pick_candidates(struct anc_sessions *s, const char *host)
{
    const struct anc_config *c = &s->app->cfg;
    for (int i = 0; i < c->n_public_ip && s->n_candidates < MAX_CANDIDATES; i++)
        snprintf(s->candidates[s->n_candidates++], 64, "%s", c->public_ip[i]);
    if (s->n_candidates)
        return;
    if (!unspecified(host)) {
        snprintf(s->candidates[s->n_candidates++], 64, "%.63s", host);
        return;
    }
    uv_interface_address_t *ifs;
    int n;
    if (uv_interface_addresses(&ifs, &n) != 0)
        return;
    for (int i = 0; i < n && s->n_candidates < MAX_CANDIDATES; i++) {
        char ip[64];
        if (ifs[i].is_internal)
            continue;
        if (ifs[i].address.address4.sin_family == AF_INET) {
            uv_ip4_name(&ifs[i].address.address4, ip, sizeof(ip));
        } else {
            if (IN6_IS_ADDR_LINKLOCAL(&ifs[i].address.address6.sin6_addr))
                continue;
            uv_ip6_name(&ifs[i].address.address6, ip, sizeof(ip));
        }
        snprintf(s->candidates[s->n_candidates++], 64, "%s", ip);
    }
    uv_free_interface_addresses(ifs, n);
}

static void register_metrics(struct anc_sessions *s)
{
    struct anc_metrics *m = anc_http_server_metrics(s->app->http);
    s->m_sessions =
        anc_metrics_gauge(m, "ancloud_rtc_sessions", NULL, "WebRTC viewer sessions that exist now");
    s->m_sessions_total = anc_metrics_counter(m, "ancloud_rtc_sessions_total", NULL,
                                              "WebRTC viewer sessions created");
    s->m_input = anc_metrics_counter(m, "ancloud_input_messages_total", NULL,
                                     "messages received on input data channels");
    s->m_input_bad = anc_metrics_counter(m, "ancloud_input_dropped_total", NULL,
                                         "malformed input messages dropped");
}

int anc_sessions_new(struct anc_app *app, struct anc_sessions **out)
{
    struct anc_sessions *s = calloc(1, sizeof(*s));
    char host[128];
    int r;
    if (!s)
        return -ENOMEM;
    s->app = app;
    r = anc_cert_load_or_create(app->cfg.state_dir, &s->cert);
    if (r == 0)
        r = anc_dtls_ctx_new(s->cert, &s->dtls);
    if (r == 0)
        r = anc_rtc_host_new((size_t)app->cfg.max_sessions + 8, &s->host);
    if (r < 0)
        goto fail;
    listen_host(app->cfg.listen, host, sizeof(host));
    pick_candidates(s, host);
    /* With configured public addresses the port must be reachable on every interface. */
    const char *bind_ip = app->cfg.n_public_ip ? (strchr(host, ':') ? "::" : "0.0.0.0") : host;
    r = anc_rtc_udp_start(app->loop, bind_ip, app->cfg.udp_port, s->host,
                          anc__sessions_on_host_event, s, &s->udp);
    if (r < 0) {
        anc_error("cannot bind UDP %s:%d for WebRTC: %s", bind_ip, app->cfg.udp_port,
                  uv_strerror(r));
        r = -EADDRINUSE;
        goto fail;
    }
    register_metrics(s);
    anc_info("WebRTC on UDP port %d, advertising %d candidate(s)%s%s", anc_rtc_udp_port(s->udp),
             s->n_candidates, s->n_candidates ? ", first " : "",
             s->n_candidates ? s->candidates[0] : "");
    *out = s;
    return 0;
fail:
    anc_rtc_host_free(s->host);
    anc_dtls_ctx_free(s->dtls);
    anc_cert_free(s->cert);
    free(s);
    return r;
}

static void on_udp_closed(void *arg)
{
    struct anc_sessions *s = arg;
    void (*done)(void *) = s->done;
    void *done_arg = s->done_arg;
    anc_rtc_host_free(s->host);
    anc_dtls_ctx_free(s->dtls);
    anc_cert_free(s->cert);
    free(s);
    if (done)
        done(done_arg);
}

void anc_sessions_close(struct anc_sessions *s, void (*done)(void *arg), void *arg)
{
    if (!s) {
        done(arg);
        return;
    }
    while (s->list)
        anc_sessions_delete(s, s->list->sid);
    s->done = done;
    s->done_arg = arg;
    anc_rtc_udp_close(s->udp, on_udp_closed, s);
}
