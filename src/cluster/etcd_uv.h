/* An etcd v3 client on the loop, through etcd's JSON gateway over HTTP/1.1 (http/client_uv.h):
 * unary calls, one round of lease keepalive, and watches. Endpoints are tried in turn: the next
 * one on a connect error, a timeout or an unavailable member; the last good one first.
 *
 * Calls return 0 (the callback will run exactly once, on the loop) or -errno at once (no
 * callback). The structs are those of cluster/etcd.h.
 *
 * A call that timed out or lost its connection on one endpoint is sent again to the next: a put
 * or an unguarded txn may then be applied twice. Guard writes that must not repeat with a txn
 * compare (mod_revision, version). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cluster/etcd.h"

struct anc_etcd;
struct anc_tls_client;
struct anc_etcd_opts {
    uv_loop_t *loop;
    const char *const
        *endpoints; /* "http://10.0.0.1:2379", ...: tried in turn, the next on a connect
                                   * error or timeout; the last good one is tried first */
    size_t n_endpoints;
    unsigned timeout_ms; /* per unary call, default 3000 when 0 */
    /* Added: a watch that hears nothing (no event, no progress notification) for this long
     * ends with -ETIMEDOUT; 0: 2 x timeout_ms. etcd sends progress notifications only every
     * --experimental-watch-progress-notify-interval (10 min by default): run etcd with an
     * interval below this, or set it above that interval. */
    unsigned watch_idle_ms;
    /* Added: https:// endpoints' trust anchors and client certificate (http/tls_client.h). The
     * client takes it over: freed by anc_etcd_close, or by anc_etcd_new when that fails. NULL:
     * http:// endpoints only. */
    struct anc_tls_client *tls;
};
/* Copies the options (endpoints too). -EINVAL: no loop, no endpoint, a malformed one, an
 * https:// one without tls, or endpoints of both schemes. */
int anc_etcd_new(const struct anc_etcd_opts *o, struct anc_etcd **out);
/* Cancels everything pending (their callbacks are NOT called), closes handles, then done(arg)
 * (at once when nothing was open). The loop then holds nothing of the client. */
void anc_etcd_close(struct anc_etcd *c, void (*done)(void *arg), void *arg);

/* Everything in *r is valid only during the callback. */
typedef void (*anc_etcd_cb)(void *arg, const struct anc_etcd_result *r);

int anc_etcd_range(struct anc_etcd *c, const char *key, bool prefix, anc_etcd_cb cb, void *arg);
int anc_etcd_put(struct anc_etcd *c, const char *key, const uint8_t *value, size_t len,
                 int64_t lease, anc_etcd_cb cb, void *arg);
int anc_etcd_delete(struct anc_etcd *c, const char *key, bool prefix, anc_etcd_cb cb, void *arg);
int anc_etcd_txn(struct anc_etcd *c, const struct anc_etcd_cmp *cmp, size_t n_cmp,
                 const struct anc_etcd_op *then, size_t n_then, const struct anc_etcd_op *otherwise,
                 size_t n_otherwise, anc_etcd_cb cb, void *arg);

int anc_etcd_lease_grant(struct anc_etcd *c, int64_t ttl_s, anc_etcd_cb cb, void *arg);
int anc_etcd_lease_keepalive(struct anc_etcd *c, int64_t lease, anc_etcd_cb cb,
                             void *arg); /* one round */
int anc_etcd_lease_revoke(struct anc_etcd *c, int64_t lease, anc_etcd_cb cb, void *arg);

/* Events of one watch response (n may be 0 for the "created" answer: revision is then the header's).
 * err != 0: the stream ended (connection lost, all endpoints down: -ECONNRESET/-ETIMEDOUT...;
 * compacted: -ERANGE with revision = the compact revision). After err the watch is dead: the caller
 * re-reads with a range and watches again from that range's revision + 1. The watch also detects a
 * silent peer (no progress within 2 x timeout with progress notify requested) and ends it with -ETIMEDOUT.
 * After an err callback the watch is freed: do not cancel it. */
typedef void (*anc_etcd_watch_cb)(void *arg, int err, int64_t revision,
                                  const struct anc_etcd_event *ev, size_t n);
struct anc_etcd_watch;
/* Watches key (prefix: everything under it) from start_revision (0: from now). */
int anc_etcd_watch(struct anc_etcd *c, const char *key, bool prefix, int64_t start_revision,
                   anc_etcd_watch_cb cb, void *arg, struct anc_etcd_watch **out);
void anc_etcd_watch_cancel(struct anc_etcd_watch *w); /* its callback is not called after this */
