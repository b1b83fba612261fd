/* The daemon's composition root state, shared by the modules' loop-thread glue. Everything here
 * lives on the loop thread. */
#pragma once

#include <stdint.h>
#include <uv.h>

#include "base/config.h"

struct anc_http_server;
struct anc_manager;
struct anc_network;
struct anc_sessions;

struct anc_app {
    uv_loop_t *loop;
    struct anc_config cfg;
    const char *config_path; /* NULL: embedded defaults only */
    uint64_t started_ms;     /* uv_now() at start, for uptime */
    struct anc_http_server *http;
    struct anc_sessions *sessions; /* viewer sessions, RTC host, the UDP port */
    struct anc_manager *instances;
    struct anc_network *net; /* guest bridge; NULL: [network] disabled or its setup failed */
    uv_signal_t sig_int, sig_term, sig_hup;
    int stopping;
    bool guests_left_running; /* keep_running_on_exit left guests: the network stays too */
};
