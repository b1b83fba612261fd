/* The mirror of everything under the cluster prefix: one read, then a watch from the next
 * revision, resumed after the last event seen when it breaks (cluster.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cluster/cluster_internal.h"
#include "instance/manager.h"

/* ---- The mirror ---- */

static void free_recs(struct crec *r)
{
    while (r) {
        struct crec *next = r->next;
        free(r);
        r = next;
    }
}

static void free_nodes(struct cnode *n)
{
    while (n) {
        struct cnode *next = n->next;
        free(n);
        n = next;
    }
}

static void drop_rec(struct anc_cluster *c, const char *id)
{
    for (struct crec **p = &c->recs; *p; p = &(*p)->next) {
        if (strcmp((*p)->rec.inst.id, id) == 0) {
            struct crec *gone = *p;
            *p = gone->next;
            free(gone);
            return;
        }
    }
}

static void drop_node(struct anc_cluster *c, const char *name)
{
    for (struct cnode **p = &c->nodes; *p; p = &(*p)->next) {
        if (strcmp((*p)->node.name, name) == 0) {
            struct cnode *gone = *p;
            *p = gone->next;
            free(gone);
            c->n_nodes--;
            anc_info("cluster: node %s left (its lease ended)", name);
            return;
        }
    }
}

/* The part of key after <prefix><dir>/, or NULL when key is not in dir. */
static const char *in_dir(const struct anc_cluster *c, const char *key, const char *dir)
{
    size_t pl = strlen(c->prefix), dl = strlen(dir);
    if (strncmp(key, c->prefix, pl) != 0 || strncmp(key + pl, dir, dl) != 0 || key[pl + dl] != '/')
        return NULL;
    return key + pl + dl + 1;
}

static void put_node(struct anc_cluster *c, const char *name, const struct anc_etcd_kv *kv)
{
    struct anc_node n;
    char err[160];
    if (anc_node_decode(name, (const char *)kv->value, kv->value_len, &n, err, sizeof(err)) < 0) {
        anc_warn("cluster: node record %s ignored: %s", kv->key, err);
        return;
    }
    struct cnode *e = anc_cluster_node_find(c, name);
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e)
            return;
        e->next = c->nodes;
        c->nodes = e;
        c->n_nodes++;
        if (strcmp(name, c->me.name) != 0)
            anc_info("cluster: node %s (%s) is live", name, n.url);
    }
    e->node = n;
}

static void put_rec(struct anc_cluster *c, const char *id, const struct anc_etcd_kv *kv)
{
    struct anc_crecord rec;
    char err[300];
    if (anc_crecord_decode(id, (const char *)kv->value, kv->value_len, &rec, err, sizeof(err)) <
        0) {
        anc_warn("cluster: instance record %s ignored: %s", kv->key, err);
        return;
    }
    rec.mod_revision = kv->mod_revision;
    struct crec *e = anc_cluster_rec(c, id);
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e)
            return;
        e->next = c->recs;
        c->recs = e;
    }
    e->rec = rec;
    e->moving = false;
}

static void put_status(struct anc_cluster *c, const char *id, const struct anc_etcd_kv *kv)
{
    struct crec *e = anc_cluster_rec(c, id);
    char err[160];
    if (!e)
        return; /* a status outlives its record by a moment at delete */
    if (anc_cstatus_decode((const char *)kv->value, kv->value_len, &e->st, err, sizeof(err)) < 0) {
        anc_warn("cluster: status %s ignored: %s", kv->key, err);
        e->has_status = false;
        return;
    }
    e->has_status = true;
}

static void put_secret(struct anc_cluster *c, const struct anc_etcd_kv *kv)
{
    if (kv->value_len == 32 && c->on_shared_key)
        c->on_shared_key(c->arg, kv->value);
}

/* One key written (put) or removed (!put). Statuses are applied after records in a range. */
static void apply(struct anc_cluster *c, const struct anc_etcd_kv *kv, bool put, bool statuses)
{
    const char *name;
    if ((name = in_dir(c, kv->key, "status"))) {
        struct crec *e = anc_cluster_rec(c, name);
        if (!statuses)
            return;
        if (put)
            put_status(c, name, kv);
        else if (e)
            e->has_status = false;
    } else if (statuses) {
        return;
    } else if ((name = in_dir(c, kv->key, "nodes"))) {
        if (put)
            put_node(c, name, kv);
        else
            drop_node(c, name);
    } else if ((name = in_dir(c, kv->key, "instances"))) {
        if (put)
            put_rec(c, name, kv);
        else
            drop_rec(c, name);
    } else if (in_dir(c, kv->key, "secret") && put) {
        put_secret(c, kv);
    }
}

/* ---- Watch and sync ---- */

static void on_watch(void *arg, int err, int64_t revision, const struct anc_etcd_event *ev,
                     size_t n)
{
    struct anc_cluster *c = arg;
    if (err) {
        c->watch = NULL;
        c->watching = false;
        if (err == -ERANGE) { /* compacted past what we saw: only a full read is complete */
            anc_warn("cluster: the watch fell behind a compaction (revision %lld); reading "
                     "everything again",
                     (long long)revision);
            c->need_read = true;
        } else {
            anc_warn("cluster: the watch ended (%s); resuming from revision %lld", strerror(-err),
                     (long long)c->revision + 1);
        }
        if (uv_now(c->loop) - c->watch_try_ms >= 1000)
            anc_cluster_resume_watch(
                c); /* on another member if that one is gone; else the tick retries */
        return;
    }
    (void)revision; /* a header's revision may be ahead of events still to come */
    for (size_t i = 0; i < n; i++)
        if (ev[i].kv.mod_revision > c->revision)
            c->revision = ev[i].kv.mod_revision;
    for (size_t i = 0; i < n; i++)
        apply(c, &ev[i].kv, ev[i].type == ANC_ETCD_EV_PUT, false);
    for (size_t i = 0; i < n; i++)
        apply(c, &ev[i].kv, ev[i].type == ANC_ETCD_EV_PUT, true);
    if (n > 0)
        anc_cluster_kick(c);
}

static void make_secret(struct anc_cluster *c);

/* What survives a re-read: the owner side's memory of each record. */
static void carry_over(struct crec *fresh, const struct crec *old)
{
    for (; old; old = old->next) {
        if (strcmp(old->rec.inst.id, fresh->rec.inst.id) == 0) {
            fresh->acted = old->acted;
            fresh->published = old->published;
            fresh->pub = old->pub;
            return;
        }
    }
}

static bool keep_mine(void *arg, const struct anc_instance *inst)
{
    struct anc_cluster *c = arg;
    struct crec *r = anc_cluster_rec(c, inst->id);
    return r && !r->rec.deleting && strcmp(r->rec.owner, c->me.name) == 0;
}

static void on_synced(void *arg, const struct anc_etcd_result *r)
{
    struct anc_cluster *c = arg;
    c->syncing = false;
    anc_cluster_etcd_result(c, r->err, "read", r->message);
    if (r->err)
        return;
    struct crec *old = c->recs;
    struct cnode *old_nodes = c->nodes;
    bool secret = false;
    c->recs = NULL;
    c->nodes = NULL;
    c->n_nodes = 0;
    for (size_t i = 0; i < r->n_kvs; i++) {
        apply(c, &r->kvs[i], true, false);
        secret |= in_dir(c, r->kvs[i].key, "secret") != NULL;
    }
    for (size_t i = 0; i < r->n_kvs; i++)
        apply(c, &r->kvs[i], true, true);
    for (struct crec *e = c->recs; e; e = e->next)
        carry_over(e, old);
    free_recs(old);
    free_nodes(old_nodes);
    if (!c->synced)
        anc_info("cluster: %zu node(s), %d instance record(s) at revision %lld", c->n_nodes,
                 (int)r->n_kvs, (long long)r->revision);
    if (!c->synced)
        c->synced_ms = uv_now(c->loop);
    c->synced = true;
    if (!secret)
        make_secret(c);
    c->need_read = false;
    c->revision = r->revision;
    if (c->watch)
        anc_etcd_watch_cancel(c->watch);
    c->watch = NULL;
    anc_cluster_resume_watch(c);
    if (!c->resumed) {
        c->resumed = true;
        anc_manager_resume(c->manager, keep_mine, c);
    }
    anc_cluster_kick(c);
}

static void sync_now(struct anc_cluster *c)
{
    if (c->syncing)
        return;
    c->syncing = anc_etcd_range(c->etcd, c->prefix, true, on_synced, c) == 0;
}

/* The watch again, from the revision after the last one seen (nothing missed, nothing read
 * twice), or everything read again when there is no such revision yet or it was compacted. */
void anc_cluster_resume_watch(struct anc_cluster *c)
{
    c->watch_try_ms = uv_now(c->loop);
    if (!c->synced || c->need_read) {
        sync_now(c);
        return;
    }
    int w = anc_etcd_watch(c->etcd, c->prefix, true, c->revision + 1, on_watch, c, &c->watch);
    c->watching = w == 0;
    if (w < 0)
        anc_warn("cluster: cannot watch: %s", strerror(-w));
}

/* ---- The shared viewer-token key: made once by whichever node finds none ---- */

static void on_secret_made(void *arg, const struct anc_etcd_result *r)
{
    struct anc_cluster *c = arg;
    anc_cluster_etcd_result(c, r->err, "key creation", r->message);
    /* Whoever won, the watch brings the key to every node. */
}

static void make_secret(struct anc_cluster *c)
{
    uint8_t key[32];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n = f ? fread(key, 1, sizeof(key), f) : 0;
    if (f)
        fclose(f);
    if (n != sizeof(key))
        return;
    char k[128];
    anc_cluster_key(c, "secret", "viewer_key", k, sizeof(k));
    struct anc_etcd_cmp cmp = {.key = k, .target = ANC_ETCD_CREATE, .op = ANC_ETCD_EQ};
    struct anc_etcd_op put = {.type = ANC_ETCD_OP_PUT, .key = k, .value = key, .value_len = 32};
    anc_etcd_txn(c->etcd, &cmp, 1, &put, 1, NULL, 0, on_secret_made, c);
}

void anc_cluster_free_mirror(struct anc_cluster *c)
{
    free_recs(c->recs);
    free_nodes(c->nodes);
    c->recs = NULL;
    c->nodes = NULL;
    c->n_nodes = 0;
}
