/* ancloudd: the composition root. Config → loop → modules → run → orderly shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app.h"
#include "base/config.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "base/token.h"
#include "container/forkstart.h"
#include "container/lxc_ops.h"
#include "http/api_images.h"
#include "http/api_instances.h"
#include "http/server.h"
#include "instance/manager.h"
#include "instance/session.h"
#include "net/network.h"

#define EXIT_CONFIG 2

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ancloudd [-c FILE] [--check-config] [--print-config]\n"
            "  -c, --config FILE   read ancloud.conf from FILE (default: embedded defaults)\n"
            "      --check-config  validate the configuration and exit (0 ok, 2 invalid)\n"
            "      --print-config  print every key with its default and exit\n"
            "      --teardown-network\n"
            "                      remove what a daemon that did not exit cleanly left of the\n"
            "                      guest network (dnsmasq, firewall rules, bridge) and exit\n"
            "  -h, --help          this help\n"
            "  -V, --version       print the version\n");
}

static int load_config(struct anc_config *cfg, const char *path)
{
    char err[600];
    anc_config_defaults(cfg);
    if (!path)
        return 0;
    int r = anc_config_load(cfg, path, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "ancloudd: %s\n", err);
    return r;
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_http_closed(void *arg)
{
    struct anc_app *app = arg;
    app->http = NULL;
    uv_close((uv_handle_t *)&app->sig_int, on_handle_closed);
    uv_close((uv_handle_t *)&app->sig_term, on_handle_closed);
    uv_close((uv_handle_t *)&app->sig_hup, on_handle_closed);
}

/* Shutdown order: no new HTTP connections, then viewers (close_notify, the UDP port), then instances (streams, containers, the
 * encoder pool), then the guest network (dnsmasq, rules, bridge unless keep_on_exit), then the
 * HTTP server (stop accepting, finish or close connections, the metrics registry), then the signal
 * handles; uv_loop_close() then finds nothing open. */
static void on_network_down(void *arg)
{
    struct anc_app *app = arg;
    anc_http_server_close(app->http, on_http_closed, app);
}

static void on_instances_closed(void *arg)
{
    struct anc_app *app = arg;
    struct anc_network *net = app->net;
    app->net = NULL;
    if (!net) {
        on_network_down(app);
        return;
    }
    if (app->guests_left_running) {
        anc_info("network: left in place for the guests still running");
        anc_network_detach(net, on_network_down, app);
        return;
    }
    anc_network_teardown(net, on_network_down, app);
}

static void on_sessions_closed(void *arg)
{
    struct anc_app *app = arg;
    struct anc_manager *m = app->instances;
    app->instances = NULL;
    anc_manager_close(m, on_instances_closed, app);
}

static void app_stop(struct anc_app *app, const char *why)
{
    if (app->stopping)
        return;
    app->stopping = 1;
    anc_info("%s: shutting down", why);
    anc_http_server_stop_accepting(app->http);
    struct anc_sessions *s = app->sessions;
    app->sessions = NULL;
    anc_sessions_close(s, on_sessions_closed, app);
}

static void net_config(const struct anc_config *cfg, struct anc_net_config *nc)
{
    anc_net_config_defaults(nc);
    snprintf(nc->bridge, sizeof(nc->bridge), "%s", cfg->net_bridge);
    snprintf(nc->subnet, sizeof(nc->subnet), "%s", cfg->net_subnet);
    nc->dhcp = cfg->net_dhcp;
    nc->keep_on_exit = cfg->net_keep_on_exit;
    snprintf(nc->state_dir, sizeof(nc->state_dir), "%s", cfg->state_dir);
    snprintf(nc->run_dir, sizeof(nc->run_dir), "%s", cfg->run_dir);
}

/* The guest bridge. A host that cannot have it still runs everything but containers. */
static void start_network(struct anc_app *app)
{
    struct anc_net_config nc;
    char err[512] = "";
    if (!app->cfg.net_enabled) {
        anc_info("network: disabled ([network] enabled = false); no containers");
        return;
    }
    net_config(&app->cfg, &nc);
    int r = anc_network_setup(&nc, app->loop, &app->net, err, sizeof(err));
    if (r < 0) {
        app->net = NULL;
        if (!err[0])
            snprintf(err, sizeof(err), "network: cannot set up bridge %s: %s", nc.bridge,
                     strerror(-r));
        anc_error("%s; running without containers", err);
        return;
    }
    anc_info("network: bridge %s on %s%s", nc.bridge, nc.subnet, nc.dhcp ? " with dnsmasq" : "");
}

/* The parts behind the REST API: viewer sessions (UDP port, certificate), the guest network and
 * instances. */
static int start_services(struct anc_app *app)
{
    start_network(app);
    int r = anc_sessions_new(app, &app->sessions);
    if (r < 0) {
        anc_error("cannot start WebRTC: %s", strerror(-r));
        return r;
    }
    r = anc_manager_new(app, &app->instances);
    if (r < 0)
        return r;
    r = anc_api_instances_register(app);
    return r < 0 ? r : anc_api_images_register(app);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
    app_stop(h->data, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void on_reload_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    struct anc_app *app = h->data;
    struct anc_config next;
    char restart[512];

    if (!app->config_path) {
        anc_info("SIGHUP: running on embedded defaults, nothing to re-read");
        return;
    }
    if (load_config(&next, app->config_path) < 0) {
        anc_error("SIGHUP: %s is invalid; keeping the running configuration", app->config_path);
        return;
    }
    /* The token may have been generated at start; an empty one in the file means "keep it". */
    if (!next.token[0])
        memcpy(next.token, app->cfg.token, sizeof(next.token));
    anc_config_diff(&app->cfg, &next, restart, sizeof(restart));
    anc_log_set_level((enum anc_log_level)next.log_level);
    app->cfg.log_level = next.log_level;
    app->cfg.max_connections = next.max_connections;
    app->cfg.max_body_kib = next.max_body_kib;
    app->cfg.max_sessions = next.max_sessions;
    anc_info("SIGHUP: reloaded %s (log level %s)%s%s", app->config_path,
             anc_log_level_name((enum anc_log_level)next.log_level),
             restart[0] ? "; these changes need a restart: " : "", restart);
}

static int teardown_network(const struct anc_config *cfg)
{
    struct anc_net_config nc;
    char report[1024];
    net_config(cfg, &nc);
    int r = anc_network_teardown_host(&nc, report, sizeof(report));
    fprintf(r < 0 ? stderr : stdout, "ancloudd: %s\n", report);
    return r < 0 ? 1 : 0;
}

static int setup_signals(struct anc_app *app)
{
    uv_signal_t *hs[] = {&app->sig_int, &app->sig_term, &app->sig_hup};
    int nums[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(app->loop, hs[i]);
        hs[i]->data = app;
        int r = uv_signal_start(hs[i], i == 2 ? on_reload_signal : on_stop_signal, nums[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int prepare_state(struct anc_app *app)
{
    bool generated;
    int r = anc_mkdir_p(app->cfg.state_dir, 0700);
    if (r < 0) {
        anc_error("cannot create state_dir %s: %s", app->cfg.state_dir, strerror(-r));
        return r;
    }
    r = anc_token_ensure(app->cfg.token, sizeof(app->cfg.token), app->cfg.state_dir, &generated);
    if (r < 0) {
        anc_error("cannot read or create %s/token: %s", app->cfg.state_dir, strerror(-r));
        return r;
    }
    if (generated)
        anc_info("generated a new API token in %s/token", app->cfg.state_dir);
    return 0;
}

static int run(struct anc_app *app)
{
    int r = setup_signals(app);
    if (r < 0) {
        anc_error("signals: %s", uv_strerror(r));
        return 1;
    }
    r = anc_http_server_start(&app->http, app);
    if (r < 0) {
        anc_error("cannot listen on %s: %s", app->cfg.listen, uv_strerror(r));
        app->stopping = 1;
        on_http_closed(app);
        uv_run(app->loop, UV_RUN_DEFAULT);
        return 1;
    }
    if (start_services(app) < 0) {
        app_stop(app, "startup failed");
        uv_run(app->loop, UV_RUN_DEFAULT);
        return 1;
    }
    printf("ancloudd %s listening: open http://%s/#token=%s\n", ANC_VERSION,
           anc_http_server_address(app->http), app->cfg.token);
    fflush(stdout);
    uv_run(app->loop, UV_RUN_DEFAULT);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'C'},
        {"print-config", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"teardown-network", no_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    struct anc_app app = {0};
    bool check_only = false, teardown = false;
    int c;

    /* The short-lived, single-threaded helper that starts an LXC container (see lxc_ops.h). */
    if (argc > 1 && strcmp(argv[1], ANC_LXC_FORKSTART_ARG) == 0)
        return anc_lxc_forkstart_main(argc, argv);

    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            app.config_path = optarg;
            break;
        case 'C':
            check_only = true;
            break;
        case 'T':
            teardown = true;
            break;
        case 'P':
            anc_config_print_defaults(stdout);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("ancloudd %s\n", ANC_VERSION);
            return 0;
        default:
            usage(stderr);
            return EXIT_CONFIG;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return EXIT_CONFIG;
    }
    if (load_config(&app.cfg, app.config_path) < 0)
        return EXIT_CONFIG;
    if (check_only) {
        printf("%s: ok\n", app.config_path ? app.config_path : "(embedded defaults)");
        return 0;
    }
    if (teardown)
        return teardown_network(&app.cfg);
    anc_log_set_level((enum anc_log_level)app.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    if (prepare_state(&app) < 0)
        return 1;

    uv_loop_t loop;
    uv_loop_init(&loop);
    app.loop = &loop;
    app.started_ms = uv_now(&loop);
    int status = run(&app);

    int r = uv_loop_close(&loop);
    if (r != 0) {
        anc_error("loop did not close cleanly: %s", uv_strerror(r));
        uv_print_all_handles(&loop, stderr);
        return 1;
    }
    anc_info("loop closed cleanly");
    return status;
}
