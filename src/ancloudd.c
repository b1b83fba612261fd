/* ancloudd: the composition root. Config → loop → modules → run → orderly shutdown. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "base/config.h"
#include "cli.h"
#include "rtc/candidates.h"
#include "cluster/cluster.h"
#include "cluster/cluster_api.h"
#include "container/profile_android.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/token.h"
#include "container/forkstart.h"
#include "net/port_hook.h"
#include "container/lxc_ops.h"
#include "http/api_images.h"
#include "http/api_instances.h"
#include "http/rest.h"
#include "http/viewer_tokens.h"
#include "http/server.h"
#include "http/tls.h"
#include "instance/manager.h"
#include "instance/store_files.h"
#include "instance/session.h"
#include "net/network.h"
#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/host.h"
#include "rtc/tcp_uv.h"
#include "rtc/udp_uv.h"

/* The composition root's state: the only place that sees every module. Loop thread only. */
struct daemon {
    uv_loop_t *loop;
    struct anc_config cfg;
    const char *config_path;     /* NULL: embedded defaults only */
    struct anc_metrics *metrics; /* rendered by /metrics; freed after the HTTP server */
    struct anc_http_server *http;
    struct anc_tls_ctx *tls; /* [server] tls_cert/tls_key; NULL: plain HTTP */
    bool token_generated;    /* this start made the token: the only time it is printed */
    bool token_configured;   /* [server] token is set in the file */
    /* Viewer sessions and their transport: certificate, DTLS context, RTC host, UDP port. */
    struct anc_cert *cert;
    struct anc_dtls_ctx *dtls;
    struct anc_rtc_host *rtc_host;
    struct anc_rtc_udp *udp;
    struct anc_rtc_tcp *tcp; /* ICE-TCP on [rtc] tcp_port; NULL: off */
    struct anc_sessions *sessions;
    struct anc_manager *instances;
    struct anc_cluster *cluster; /* [cluster] with etcd URLs; NULL: one host */
    struct anc_store *store;     /* instance records, borrowed by the manager */
    struct anc_network *net;     /* guest bridge; NULL: [network] disabled or its setup failed */
    /* Viewer tokens: the HTTP server reads them, so they are freed after it. */
    struct anc_vtokens *vtokens;
    struct anc_api_instances_deps api_instances;
    struct anc_api_images_deps api_images;
    uv_signal_t sig_int, sig_term, sig_hup;
    int stopping;
};

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_http_closed(void *arg)
{
    struct daemon *d = arg;
    d->http = NULL;
    anc_metrics_free(d->metrics);
    d->metrics = NULL;
    anc_vtokens_free(d->vtokens);
    d->vtokens = NULL;
    uv_close((uv_handle_t *)&d->sig_int, on_handle_closed);
    uv_close((uv_handle_t *)&d->sig_term, on_handle_closed);
    uv_close((uv_handle_t *)&d->sig_hup, on_handle_closed);
}

/* Shutdown order: no new HTTP connections, then viewers (close_notify, the UDP port), then instances (streams, containers, the
 * encoder pool), then the guest network (dnsmasq, rules, bridge unless keep_on_exit), then the
 * HTTP server (stop accepting, finish or close connections), the metrics registry, then the
 * signal handles; uv_loop_close() then finds nothing open. */
static void on_network_down(void *arg)
{
    struct daemon *d = arg;
    anc_http_server_close(d->http, on_http_closed, d);
}

static void on_instances_closed(void *arg, bool guests_left_running)
{
    struct daemon *d = arg;
    anc_store_close(d->store);
    d->store = NULL;
    struct anc_network *net = d->net;
    d->net = NULL;
    if (!net) {
        on_network_down(d);
        return;
    }
    if (guests_left_running) {
        anc_info("network: left in place for the guests still running");
        anc_network_detach(net, on_network_down, d);
        return;
    }
    anc_network_teardown(net, on_network_down, d);
}

static void free_rtc(struct daemon *d)
{
    anc_rtc_host_free(d->rtc_host);
    anc_dtls_ctx_free(d->dtls);
    anc_cert_free(d->cert);
    d->rtc_host = NULL;
    d->dtls = NULL;
    d->cert = NULL;
}

static void on_cluster_closed(void *arg)
{
    struct daemon *d = arg;
    struct anc_manager *m = d->instances;
    d->instances = NULL;
    d->api_instances.manager = NULL;
    anc_manager_close(m, on_instances_closed, d);
}

/* The cluster goes before the instances it drives. */
static void on_udp_closed(void *arg)
{
    struct daemon *d = arg;
    struct anc_cluster *c = d->cluster;
    d->udp = NULL;
    free_rtc(d);
    d->cluster = NULL;
    d->api_instances.cluster = NULL;
    anc_http_server_set_forward(d->http, NULL, NULL);
    anc_http_server_set_owner_lookup(d->http, NULL);
    anc_cluster_close(c, on_cluster_closed, d);
}

/* The sessions queued close_notify for every viewer: closing the port sends it. Viewers on
 * ICE-TCP see their connection close instead. */
static void on_tcp_closed(void *arg)
{
    struct daemon *d = arg;
    d->tcp = NULL;
    anc_rtc_udp_close(d->udp, on_udp_closed, d);
}

static void on_sessions_closed(void *arg)
{
    struct daemon *d = arg;
    anc_rtc_tcp_close(d->tcp, on_tcp_closed, d);
}

static void daemon_stop(struct daemon *d, const char *why)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    anc_info("%s: shutting down", why);
    anc_http_server_stop_accepting(d->http);
    struct anc_sessions *s = d->sessions;
    d->sessions = NULL;
    d->api_instances.sessions = NULL;
    anc_sessions_close(s, on_sessions_closed, d);
}

/* The guest bridge. A host that cannot have it still runs everything but containers. */
static void start_network(struct daemon *d)
{
    struct anc_net_config nc;
    char err[512] = "";
    if (!d->cfg.net_enabled) {
        anc_info("network: disabled ([network] enabled = false); no containers");
        return;
    }
    anc_net_config_from(&d->cfg, &nc);
    int r = anc_network_setup(&nc, d->loop, &d->net, err, sizeof(err));
    if (r < 0) {
        d->net = NULL;
        if (!err[0])
            snprintf(err, sizeof(err), "network: cannot set up bridge %s: %s", nc.bridge,
                     strerror(-r));
        anc_error("%s; running without containers", err);
        return;
    }
    anc_info("network: bridge %s on %s%s", nc.bridge, nc.subnet, nc.dhcp ? " with dnsmasq" : "");
}

/* The sessions' view of the UDP port (struct anc_sessions_io). */
static uint64_t rtc_now_us(void *arg)
{
    struct daemon *d = arg;
    return anc_rtc_now_us(d->udp);
}

static void rtc_flush(void *arg)
{
    struct daemon *d = arg;
    if (d->udp)
        anc_rtc_udp_flush(d->udp);
}

static int rtc_port(void *arg)
{
    struct daemon *d = arg;
    return d->udp ? anc_rtc_udp_port(d->udp) : 0;
}

static int new_sessions(struct daemon *d, char cands[ANC_SESSION_CANDIDATES][64], int n_cands)
{
    const char *ptrs[ANC_SESSION_CANDIDATES];
    for (int i = 0; i < n_cands; i++)
        ptrs[i] = cands[i];
    struct anc_sessions_deps deps = {
        .cfg = &d->cfg,
        .metrics = d->metrics,
        .host = d->rtc_host,
        .dtls = d->dtls,
        .cert = d->cert,
        .candidates = ptrs,
        .n_candidates = n_cands,
        .io = {rtc_now_us, rtc_flush, rtc_port, d},
    };
    return anc_sessions_new(&deps, &d->sessions);
}

/* Viewer sessions and their transport: the certificate in state_dir, the DTLS context, the RTC
 * host, and [rtc] udp_port. */
static int start_rtc(struct daemon *d)
{
    const struct anc_config *c = &d->cfg;
    char host[128], cands[ANC_SESSION_CANDIDATES][64];
    int r = anc_cert_load_or_create(c->state_dir, &d->cert);
    if (r == 0)
        r = anc_dtls_ctx_new(d->cert, &d->dtls);
    if (r == 0)
        r = anc_rtc_host_new((size_t)c->max_sessions + 8, &d->rtc_host);
    anc_rtc_listen_host(c->listen, host, sizeof(host));
    int n_cands = anc_rtc_pick_candidates(c, host, cands, ANC_SESSION_CANDIDATES);
    if (r == 0)
        r = new_sessions(d, cands, n_cands);
    if (r < 0)
        goto fail;
    /* With configured public addresses the port must be reachable on every interface. */
    const char *bind_ip = c->n_public_ip ? (strchr(host, ':') ? "::" : "0.0.0.0") : host;
    r = anc_rtc_udp_start(d->loop, bind_ip, c->udp_port, d->rtc_host, anc_sessions_on_host_event,
                          d->sessions, &d->udp);
    if (r < 0) {
        anc_error("cannot bind UDP %s:%d for WebRTC: %s", bind_ip, c->udp_port, uv_strerror(r));
        r = -EADDRINUSE;
        goto fail;
    }
    anc_info("WebRTC on UDP port %d, advertising %d candidate(s)%s%s", anc_rtc_udp_port(d->udp),
             n_cands, n_cands ? ", first " : "", n_cands ? cands[0] : "");
    if (c->tcp_port) {
        /* Two connections per session leave room for a browser's retries; the rest wait. */
        size_t max_conns = 2 * ((size_t)c->max_sessions + 8);
        r = anc_rtc_tcp_start(d->loop, bind_ip, c->tcp_port, max_conns, d->rtc_host, d->udp,
                              &d->tcp);
        if (r < 0) {
            anc_error("cannot listen on TCP %s:%d for ICE-TCP: %s", bind_ip, c->tcp_port,
                      uv_strerror(r));
            d->tcp = NULL;
            anc_rtc_udp_close(d->udp, NULL, NULL);
            r = -EADDRINUSE;
            goto fail;
        }
        anc_info("ICE-TCP on TCP port %d", c->tcp_port);
    }
    return 0;
fail:
    anc_sessions_close(d->sessions, NULL, NULL);
    d->sessions = NULL;
    d->udp = NULL;
    free_rtc(d);
    return r;
}

static void on_instance_ended(void *arg, struct anc_instance *inst)
{
    struct daemon *d = arg;
    anc_sessions_end_instance(d->sessions, inst);
}

static void on_instance_clipboard(void *arg, struct anc_instance *inst, const char *utf8,
                                  size_t len)
{
    struct daemon *d = arg;
    anc_sessions_clipboard(d->sessions, inst, utf8, len);
}

/* The cluster's viewer-token key: a token one node issued verifies on every node. */
static void on_shared_key(void *arg, const uint8_t key[32])
{
    struct daemon *d = arg;
    anc_vtokens_set_key(d->vtokens, key);
}

/* rest.h's ownership hook, answered from the cluster's mirror: WHEP offers of instances other
 * nodes run are redirected there. */
static int cluster_owner_url(void *arg, const char *instance_id, char *url, size_t len)
{
    return anc_cluster_owner_url(arg, instance_id, url, len);
}

/* [cluster]: this node joins through etcd (asynchronously: it keeps trying while etcd is out
 * of reach); owner-only routes are forwarded to the owner. */
static int start_cluster(struct daemon *d)
{
    char why[512];
    if (d->cfg.n_cluster_etcd == 0)
        return 0;
    struct anc_cluster_deps deps = {.loop = d->loop,
                                    .cfg = &d->cfg,
                                    .manager = d->instances,
                                    .metrics = d->metrics,
                                    .has_binder = anc_android_check_host(why, sizeof(why)) == 0,
                                    .on_shared_key = on_shared_key,
                                    .arg = d};
    int r = anc_cluster_new(&deps, &d->cluster, why, sizeof(why));
    if (r < 0) {
        anc_error("%s", why);
        return r;
    }
    anc_http_server_set_forward(d->http, anc_cluster_forward, d->cluster);
    anc_http_server_set_owner_lookup(d->http,
                                     &(struct anc_owner_lookup){cluster_owner_url, d->cluster});
    return 0;
}

/* The parts behind the REST API: viewer sessions (UDP port, certificate), the guest network and
 * instances. */
static int start_services(struct daemon *d)
{
    start_network(d);
    int r = start_rtc(d);
    if (r < 0) {
        anc_error("cannot start WebRTC: %s", strerror(-r));
        return r;
    }
    r = anc_store_files_open(d->cfg.state_dir, &d->store);
    if (r < 0) {
        anc_error("cannot open the instance store in %s/instances: %s", d->cfg.state_dir,
                  strerror(-r));
        return r;
    }
    struct anc_manager_deps deps = {
        .loop = d->loop,
        .cfg = &d->cfg,
        .metrics = d->metrics,
        .net = d->net,
        .store = d->store,
        .defer_resume = d->cfg.n_cluster_etcd > 0,
        .events = {.instance_ended = on_instance_ended,
                   .instance_clipboard = on_instance_clipboard,
                   .arg = d},
    };
    r = anc_manager_new(&deps, &d->instances);
    if (r < 0)
        return r;
    r = anc_vtokens_open(d->cfg.state_dir, (int64_t)time(NULL), &d->vtokens);
    if (r < 0) {
        anc_error("cannot open the viewer tokens (%s/viewer.key, viewer-tokens.json): %s",
                  d->cfg.state_dir, strerror(-r));
        return r;
    }
    anc_http_server_set_viewer_tokens(d->http, d->vtokens);
    r = start_cluster(d);
    if (r < 0)
        return r;
    d->api_instances =
        (struct anc_api_instances_deps){&d->cfg, d->instances, d->sessions, d->vtokens, d->cluster};
    d->api_images = (struct anc_api_images_deps){d->loop, &d->cfg};
    r = anc_api_instances_register(d->http, &d->api_instances);
    if (r == 0)
        r = anc_api_tokens_register(d->http, &d->api_instances);
    return r < 0 ? r : anc_api_images_register(d->http, &d->api_images);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    daemon_stop(h->data, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* SIGHUP: the certificate files are read again (renewed certificates); on error the running
 * certificate stays. New connections get the new one. */
static void reload_tls(struct daemon *d)
{
    char err[512];
    if (!d->tls)
        return;
    if (anc_tls_ctx_reload(d->tls, d->cfg.tls_cert, d->cfg.tls_key, err, sizeof(err)) < 0)
        anc_error("SIGHUP: TLS: %s; keeping the running certificate", err);
    else
        anc_info("SIGHUP: TLS certificate reloaded from %s", d->cfg.tls_cert);
}

static void on_reload_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    struct daemon *d = h->data;
    struct anc_config next;
    char restart[512];

    if (!d->config_path) {
        anc_info("SIGHUP: running on embedded defaults, nothing to re-read");
        return;
    }
    if (anc_cli_load_config(&next, d->config_path) < 0) {
        anc_error("SIGHUP: %s is invalid; keeping the running configuration", d->config_path);
        return;
    }
    /* The token may have been generated at start; an empty one in the file means "keep it". */
    if (!next.token[0])
        memcpy(next.token, d->cfg.token, sizeof(next.token));
    reload_tls(d);
    anc_config_diff(&d->cfg, &next, restart, sizeof(restart));
    anc_log_set_level((enum anc_log_level)next.log_level);
    d->cfg.log_level = next.log_level;
    d->cfg.max_connections = next.max_connections;
    d->cfg.max_body_kib = next.max_body_kib;
    d->cfg.max_connections_per_ip = next.max_connections_per_ip;
    d->cfg.request_timeout_s = next.request_timeout_s;
    d->cfg.max_sessions = next.max_sessions;
    memcpy(d->cfg.turn_secret, next.turn_secret, sizeof(d->cfg.turn_secret));
    d->cfg.turn_ttl_s = next.turn_ttl_s;
    anc_info("SIGHUP: reloaded %s (log level %s)%s%s", d->config_path,
             anc_log_level_name((enum anc_log_level)next.log_level),
             restart[0] ? "; these changes need a restart: " : "", restart);
}

static int teardown_network(const struct anc_config *cfg)
{
    struct anc_net_config nc;
    char report[1024];
    anc_net_config_from(cfg, &nc);
    int r = anc_network_teardown_host(&nc, report, sizeof(report));
    fprintf(r < 0 ? stderr : stdout, "ancloudd: %s\n", report);
    return r < 0 ? 1 : 0;
}

static int setup_signals(struct daemon *d)
{
    uv_signal_t *hs[] = {&d->sig_int, &d->sig_term, &d->sig_hup};
    int nums[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(d->loop, hs[i]);
        hs[i]->data = d;
        int r = uv_signal_start(hs[i], i == 2 ? on_reload_signal : on_stop_signal, nums[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int prepare_state(struct daemon *d)
{
    bool generated;
    int r = anc_mkdir_p(d->cfg.state_dir, 0700);
    if (r < 0) {
        anc_error("cannot create state_dir %s: %s", d->cfg.state_dir, strerror(-r));
        return r;
    }
    d->token_configured = d->cfg.token[0] != '\0';
    r = anc_token_ensure(d->cfg.token, sizeof(d->cfg.token), d->cfg.state_dir, &generated);
    if (r < 0) {
        anc_error("cannot read or create %s/token: %s", d->cfg.state_dir, strerror(-r));
        return r;
    }
    if (generated)
        anc_info("generated a new API token in %s/token", d->cfg.state_dir);
    d->token_generated = generated;
    if (d->cfg.tls_cert[0]) {
        char err[512];
        r = anc_tls_ctx_new(d->cfg.tls_cert, d->cfg.tls_key, &d->tls, err, sizeof(err));
        if (r < 0) {
            anc_error("TLS: %s", err);
            return r;
        }
    }
    return 0;
}

/* The start line. The token goes into it (and so into the journal) only on the start that
 * generated it; later starts say where it is kept. */
static void print_start_url(const struct daemon *d)
{
    const char *scheme = d->tls ? "https" : "http";
    const char *addr = anc_http_server_address(d->http);
    if (d->token_generated)
        printf("ancloudd %s listening: open %s://%s/#token=%s\n", ANC_VERSION, scheme, addr,
               d->cfg.token);
    else if (d->token_configured)
        printf("ancloudd %s listening: open %s://%s/ (token: [server] token in %s)\n", ANC_VERSION,
               scheme, addr, d->config_path);
    else
        printf("ancloudd %s listening: open %s://%s/ (token in %s/token)\n", ANC_VERSION, scheme,
               addr, d->cfg.state_dir);
    fflush(stdout);
}

static int run(struct daemon *d)
{
    d->metrics = anc_metrics_new();
    if (!d->metrics) {
        anc_error("cannot allocate the metrics registry");
        return 1;
    }
    int r = setup_signals(d);
    if (r < 0) {
        anc_error("signals: %s", uv_strerror(r));
        return 1;
    }
    r = anc_http_server_start(d->loop, &d->cfg, d->metrics, d->tls, &d->http);
    if (r < 0) {
        anc_error("cannot listen on %s: %s", d->cfg.listen, uv_strerror(r));
        d->stopping = 1;
        on_http_closed(d);
        uv_run(d->loop, UV_RUN_DEFAULT);
        return 1;
    }
    if (start_services(d) < 0) {
        daemon_stop(d, "startup failed");
        uv_run(d->loop, UV_RUN_DEFAULT);
        return 1;
    }
    print_start_url(d);
    uv_run(d->loop, UV_RUN_DEFAULT);
    return 0;
}

/* The daemon proper: one loop, run until shutdown, then checked to be empty. */
static int serve(struct daemon *d)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    d->loop = &loop;
    int status = run(d);
    anc_tls_ctx_free(d->tls); /* every connection, each holding a reference, is closed */
    d->tls = NULL;

    int r = uv_loop_close(&loop);
    if (r != 0) {
        anc_error("loop did not close cleanly: %s", uv_strerror(r));
        uv_print_all_handles(&loop, stderr);
        return 1;
    }
    anc_info("loop closed cleanly");
    return status;
}

/* --check-config: the file parsed (done by now), then what the start would refuse beyond the
 * file's syntax: the cluster section (node name, advertise URL, TLS files). */
static int check_only(const struct daemon *d)
{
    char why[600];
    const char *name = d->config_path ? d->config_path : "(embedded defaults)";
    if (anc_cluster_check_config(&d->cfg, why, sizeof(why)) < 0) {
        fprintf(stderr, "ancloudd: %s: %s\n", name, why);
        return ANC_EXIT_CONFIG;
    }
    printf("%s: ok\n", name);
    return 0;
}

int main(int argc, char **argv)
{
    struct daemon d = {0};
    struct anc_cmdline cl = {0};

    /* The short-lived, single-threaded helper that starts an LXC container (see lxc_ops.h). */
    if (argc > 1 && strcmp(argv[1], ANC_LXC_FORKSTART_ARG) == 0)
        return anc_lxc_forkstart_main(argc, argv);
    /* LXC's lxc.net.0.script.up for a guest's bridge port (see net/port_hook.h). */
    if (argc > 1 && strcmp(argv[1], ANC_NET_PORT_HOOK_ARG) == 0)
        return anc_net_port_hook_main(argc, argv);
    int r = anc_cli_parse(argc, argv, &cl);
    if (r >= 0)
        return r;
    d.config_path = cl.config_path;
    if (anc_cli_load_config(&d.cfg, d.config_path) < 0)
        return ANC_EXIT_CONFIG;
    if (cl.check_only)
        return check_only(&d);
    if (cl.teardown)
        return teardown_network(&d.cfg);
    anc_log_set_level((enum anc_log_level)d.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    if (prepare_state(&d) < 0)
        return 1;
    return serve(&d);
}
