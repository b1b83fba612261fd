/* dnsmasq as a supervised child of the daemon's loop (uv_spawn). */
#pragma once

#include <stddef.h>

#include <uv.h>

#include "net/dnsmasq.h"

struct anc_dnsmasq;
typedef void (*anc_dnsmasq_close_cb)(void *ud);

/* Writes an empty hosts file, spawns dnsmasq and keeps it running: when it dies it is started
 * again after a delay that doubles from 250 ms up to 30 s (reset once it has run 60 s). Returns
 * 0 and *out, or -errno when the first spawn fails (nothing is left open then). */
int anc_dnsmasq_start(uv_loop_t *loop, const struct anc_dnsmasq_config *c,
                      struct anc_dnsmasq **out);

/* Rewrites the hosts file atomically and sends SIGHUP so that dnsmasq reloads it. */
int anc_dnsmasq_set_hosts(struct anc_dnsmasq *d, const struct anc_dnsmasq_host *hosts, size_t n);

/* The running child's pid, 0 while it is down. */
int anc_dnsmasq_pid(const struct anc_dnsmasq *d);

/* Ends the dnsmasq a previous daemon left running for c (recorded in <dir>/dnsmasq.pid and still
 * serving c->bridge), waiting up to 1 s for it to exit. Returns its pid, or 0 when there was none.
 * anc_dnsmasq_start does this itself. */
int anc_dnsmasq_kill_leftover(const struct anc_dnsmasq_config *c);
/* How many times the child was started again after dying. */
unsigned anc_dnsmasq_restarts(const struct anc_dnsmasq *d);

/* Stops dnsmasq (SIGTERM, SIGKILL after 2 s) and frees d once all its handles are closed; cb
 * (may be NULL) runs then. Accepts NULL (then cb is not called). */
void anc_dnsmasq_close(struct anc_dnsmasq *d, anc_dnsmasq_close_cb cb, void *ud);
/* Lets go of dnsmasq without stopping it (its pid file stays: the next daemon replaces it), then
 * frees d and calls cb(ud). */
void anc_dnsmasq_detach(struct anc_dnsmasq *d, anc_dnsmasq_close_cb cb, void *ud);
