/* The owner's side of the cluster: each pass brings this node's instances to what their
 * records ask (anc_reconcile), publishes their actual state, and, on the lowest-named live
 * node only, places again the instances of nodes that are gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cluster/cluster_internal.h"
#include "instance/manager.h"

static bool mine(const struct anc_cluster *c, const struct crec *e)
{
    return strcmp(e->rec.owner, c->me.name) == 0;
}

/* ---- Record transactions ---- */

struct txn_ctx {
    struct cctx x;
    struct anc_cluster *c;
    char id[ANC_INSTANCE_ID_LEN + 1];
    bool forget; /* else a move */
};

static void on_txn(void *arg, const struct anc_etcd_result *r)
{
    struct txn_ctx *t = arg;
    struct anc_cluster *c = t->c;
    anc_cluster_etcd_result(c, r->err, t->forget ? "delete" : "placement", r->message);
    struct crec *e = anc_cluster_rec(c, t->id);
    if (e && (r->err || !r->succeeded)) { /* lost a race or failed: the next pass looks again */
        e->forgetting = false;
        e->moving = false;
    }
    if (r->err == 0 && r->succeeded && !t->forget)
        anc_metric_inc(c->m_moved);
    if (r->err == 0 && r->succeeded)
        anc_info("cluster: instance %s %s", t->id, t->forget ? "deleted" : "placed again");
    anc_cluster_ctx_free(t);
}

/* Deletes the record (and its name and status) if it is still at the revision we saw. */
static void forget(struct anc_cluster *c, struct crec *e)
{
    char k_inst[160], k_name[160], k_status[160];
    struct txn_ctx *t = anc_cluster_ctx_new(c, sizeof(*t), NULL);
    if (!t)
        return;
    t->c = c;
    t->forget = true;
    snprintf(t->id, sizeof(t->id), "%s", e->rec.inst.id);
    anc_cluster_key(c, "instances", e->rec.inst.id, k_inst, sizeof(k_inst));
    anc_cluster_key(c, "names", e->rec.inst.name, k_name, sizeof(k_name));
    anc_cluster_key(c, "status", e->rec.inst.id, k_status, sizeof(k_status));
    struct anc_etcd_cmp cmp = {
        .key = k_inst, .target = ANC_ETCD_MOD, .op = ANC_ETCD_EQ, .number = e->rec.mod_revision};
    struct anc_etcd_op ops[] = {{.type = ANC_ETCD_OP_DELETE, .key = k_inst},
                                {.type = ANC_ETCD_OP_DELETE, .key = k_name},
                                {.type = ANC_ETCD_OP_DELETE, .key = k_status}};
    if (anc_etcd_txn(c->etcd, &cmp, 1, ops, 3, NULL, 0, on_txn, t) < 0) {
        anc_cluster_ctx_free(t);
        return;
    }
    e->forgetting = true;
}

/* Writes e's record with a new owner if it is still at the revision we saw. */
static void move(struct anc_cluster *c, struct crec *e, const char *to)
{
    struct anc_crecord moved = e->rec;
    snprintf(moved.owner, sizeof(moved.owner), "%s", to);
    moved.placements++;
    char *v = anc_crecord_encode(&moved), key[160];
    struct txn_ctx *t = v ? anc_cluster_ctx_new(c, sizeof(*t), NULL) : NULL;
    if (!t) {
        free(v);
        return;
    }
    t->c = c;
    snprintf(t->id, sizeof(t->id), "%s", e->rec.inst.id);
    anc_cluster_key(c, "instances", e->rec.inst.id, key, sizeof(key));
    struct anc_etcd_cmp cmp = {
        .key = key, .target = ANC_ETCD_MOD, .op = ANC_ETCD_EQ, .number = e->rec.mod_revision};
    struct anc_etcd_op put = {
        .type = ANC_ETCD_OP_PUT, .key = key, .value = (const uint8_t *)v, .value_len = strlen(v)};
    if (anc_etcd_txn(c->etcd, &cmp, 1, &put, 1, NULL, 0, on_txn, t) == 0) {
        e->moving = true;
        anc_info("cluster: instance %s (%s) of lost node %s goes to %s", e->rec.inst.id,
                 e->rec.inst.name, e->rec.owner, to);
    } else {
        anc_cluster_ctx_free(t);
    }
    free(v);
}

/* Records per node, in the order of the node list (placement's owned[]). */
static int count_owned(struct anc_cluster *c, struct anc_node *nodes, int *owned, size_t cap)
{
    size_t n = 0;
    for (struct cnode *x = c->nodes; x && n < cap; x = x->next, n++) {
        nodes[n] = x->node;
        owned[n] = 0;
        for (struct crec *e = c->recs; e; e = e->next)
            owned[n] += strcmp(e->rec.owner, x->node.name) == 0;
    }
    return (int)n;
}

/* Only the lowest-named live node moves orphans (the transactions would make concurrent movers
 * safe, but not quiet), and only once it has seen the cluster for a lease's time, so that a
 * whole cluster starting again does not move what each node is about to take back. */
static bool coordinator(struct anc_cluster *c)
{
    if (!anc_cluster_node_find(c, c->me.name))
        return false;
    if (uv_now(c->loop) - c->synced_ms < (uint64_t)c->cfg->cluster_lease_s * 1000)
        return false;
    for (struct cnode *x = c->nodes; x; x = x->next)
        if (strcmp(x->node.name, c->me.name) < 0)
            return false;
    return true;
}

static void place_orphans(struct anc_cluster *c)
{
    enum { MAX_NODES = 256 };
    struct anc_node *nodes = NULL;
    int *owned = NULL, n = 0;
    for (struct crec *e = c->recs; e; e = e->next) {
        if (e->moving || e->forgetting || anc_cluster_node_find(c, e->rec.owner))
            continue;
        if (e->rec.deleting) {
            forget(c, e);
            continue;
        }
        if (!nodes) {
            nodes = calloc(MAX_NODES, sizeof(*nodes));
            owned = calloc(MAX_NODES, sizeof(*owned));
            if (!nodes || !owned)
                break;
            n = count_owned(c, nodes, owned, MAX_NODES);
        }
        int at = anc_node_place(nodes, owned, (size_t)n, e->rec.inst.kind);
        if (at < 0) {
            anc_warn("cluster: instance %s of lost node %s cannot be placed: %s", e->rec.inst.id,
                     e->rec.owner, at == -ENODEV ? "no node has the label it needs" : "no room");
            continue;
        }
        owned[at]++;
        move(c, e, nodes[at].name);
    }
    free(nodes);
    free(owned);
}

/* ---- Statuses ---- */

static void on_status_put(void *arg, const struct anc_etcd_result *r)
{
    anc_cluster_etcd_result(arg, r->err, "status update", r->message);
}

static bool same_status(const struct anc_cstatus *a, const struct anc_cstatus *b)
{
    return a->state == b->state && a->viewers == b->viewers && strcmp(a->error, b->error) == 0 &&
           strcmp(a->node, b->node) == 0;
}

static void publish(struct anc_cluster *c, struct crec *e, const struct anc_instance *inst)
{
    struct anc_cstatus st = {.state = inst->state, .viewers = inst->viewers};
    snprintf(st.error, sizeof(st.error), "%s", inst->error);
    snprintf(st.node, sizeof(st.node), "%s", c->me.name);
    if (c->lease == 0 || (e->published && same_status(&st, &e->pub)))
        return;
    char *v = anc_cstatus_encode(&st), key[160];
    if (!v)
        return;
    anc_cluster_key(c, "status", inst->id, key, sizeof(key));
    if (anc_etcd_put(c->etcd, key, (const uint8_t *)v, strlen(v), c->lease, on_status_put, c) ==
        0) {
        e->published = true;
        e->pub = st;
    }
    free(v);
}

/* ---- One pass ---- */

static void act(struct anc_cluster *c, struct crec *e, struct anc_instance *local)
{
    char err[300] = "";
    struct anc_instance *inst = local;
    enum anc_rc_op op = anc_reconcile(&e->rec, local, c->me.name, e->acted);
    int r = 0;
    switch (op) {
    case ANC_RC_NONE:
        break;
    case ANC_RC_CREATE:
        r = anc_manager_adopt(c->manager, &e->rec.inst, &inst);
        e->published = false;
        break;
    case ANC_RC_START:
        e->acted = e->rec.mod_revision;
        r = anc_manager_start(c->manager, local, err, sizeof(err));
        break;
    case ANC_RC_STOP:
        r = anc_manager_stop(c->manager, local, err, sizeof(err));
        break;
    case ANC_RC_REMOVE:
        if (!local->pending_delete)
            r = anc_manager_delete(c->manager, local);
        inst = NULL;
        break;
    case ANC_RC_FORGET:
        if (!e->forgetting)
            forget(c, e);
        break;
    }
    if (r < 0)
        anc_warn("cluster: instance %s: %s failed: %s", e->rec.inst.id, anc_rc_op_name(op),
                 err[0] ? err : strerror(-r));
    if (inst && mine(c, e) && !e->rec.deleting)
        publish(c, e, inst);
}

void anc_cluster_reconcile(struct anc_cluster *c)
{
    if (c->closing || !c->synced || !c->resumed)
        return;
    for (struct crec *e = c->recs; e; e = e->next)
        act(c, e, anc_manager_find(c->manager, e->rec.inst.id));
    /* Copies with no record at all: deleted while this node was away. Only with a live watch:
     * an empty mirror must be etcd's truth, not a read that has not happened. */
    if (c->watching) {
        struct anc_instance *i = anc_manager_first(c->manager), *next;
        for (; i; i = next) {
            next = i->next;
            if (!anc_cluster_rec(c, i->id) && !i->pending_delete) {
                anc_info("cluster: instance %s (%s) has no record any more; removed", i->id,
                         i->name);
                anc_manager_delete(c->manager, i);
            }
        }
    }
    if (anc_cluster_online(c) && c->lease != 0 && coordinator(c))
        place_orphans(c);
}
