/* Shared by cluster.c (membership, mirror, reconcile) and cluster_api.c (the REST side). */
#pragma once

#include "cluster/cluster.h"
#include "cluster/etcd_uv.h"
#include "cluster/node.h"
#include "cluster/record.h"

/* One instance as mirrored from etcd: its record and, when the owner published one, status. */
struct crec {
    struct anc_crecord rec;
    bool has_status;
    struct anc_cstatus st;
    /* Owner side: the record revision a start was last made from, and what was last published
     * as this instance's status (so that only changes are written). */
    int64_t acted;
    bool published;
    struct anc_cstatus pub;
    bool forgetting, moving; /* a transaction on it is under way */
    struct crec *next;
};

/* The context of a call under way (an etcd call, a forwarded request): listed so that a close
 * with calls pending frees them (the etcd client drops their callbacks) and answers the
 * requests waiting on them. Embedded first in each context. */
struct cctx {
    struct cctx *next, **pprev;
    void (*cancel)(struct cctx *x); /* at close: answer whoever waits; NULL: nothing to do */
};

struct cnode {
    struct anc_node node;
    struct cnode *next;
};

struct anc_cluster {
    uv_loop_t *loop;
    const struct anc_config *cfg;
    struct anc_manager *manager;
    struct anc_etcd *etcd;
    void (*on_shared_key)(void *arg, const uint8_t key[32]);
    void *arg;
    struct anc_node me; /* what this node publishes */
    char prefix[64];

    int64_t lease; /* 0: none yet (or lost) */
    bool granting; /* a lease grant is under way */
    bool synced;   /* the mirror was read at least once */
    bool syncing;  /* a range of the prefix is under way */
    bool watching; /* the watch runs */
    bool resumed;  /* the manager was told what is still ours */
    int fails;     /* etcd calls failed in a row */
    uint64_t last_ok_ms;
    uint64_t kept_ms;      /* last lease keepalive sent */
    uint64_t watch_try_ms; /* last attempt to watch (or read everything) */
    int64_t revision;      /* the last etcd revision seen: a broken watch resumes after it */
    bool need_read;        /* read everything before watching (compaction, first time) */
    uint64_t synced_ms;    /* when the mirror was first complete (orphans wait lease_s) */
    struct anc_etcd_watch *watch;
    struct cctx *ctxs;
    struct crec *recs;
    struct cnode *nodes;
    size_t n_nodes;

    struct anc_metrics *metrics;
    struct anc_metric *m_nodes, *m_in_sync, *m_instances, *m_owned, *m_etcd_errors, *m_moved,
        *m_forwarded;

    uv_timer_t tick;  /* lease keepalive, node refresh, reconcile, retries */
    uv_timer_t soon;  /* a reconcile pass on the next turn after a change */
    int open_handles; /* closing: timers still to close */
    bool closing;
    void (*done)(void *arg);
    void *done_arg;
};

struct crec *anc_cluster_rec(struct anc_cluster *c, const char *id);
struct cnode *anc_cluster_node_find(struct anc_cluster *c, const char *name);
/* A reconcile pass on the next loop turn. */
void anc_cluster_kick(struct anc_cluster *c);
/* Key of a kind of object: <prefix><dir>/<name>. */
void anc_cluster_key(const struct anc_cluster *c, const char *dir, const char *name, char *out,
                     size_t len);
/* A zeroed context of size bytes (struct cctx first), listed in c; NULL when out of memory. */
void *anc_cluster_ctx_new(struct anc_cluster *c, size_t size, void (*cancel)(struct cctx *x));
/* Unlists and frees it. */
void anc_cluster_ctx_free(void *ctx);

/* cluster_mirror.c: the watch again after the last revision seen (or everything read again
 * first, when nothing was read yet or after a compaction); the mirror freed. */
void anc_cluster_resume_watch(struct anc_cluster *c);
void anc_cluster_free_mirror(struct anc_cluster *c);

/* cluster_reconcile.c: one pass (the tick's and the kick's). */
void anc_cluster_reconcile(struct anc_cluster *c);
/* An etcd call failed / succeeded: the node's view of whether etcd is reachable. */
void anc_cluster_etcd_result(struct anc_cluster *c, int err, const char *what, const char *msg);
