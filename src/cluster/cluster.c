#include "cluster/cluster_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "http/tls_client.h"
#include "instance/manager.h"

#define TICK_MS 500

void anc_cluster_key(const struct anc_cluster *c, const char *dir, const char *name, char *out,
                     size_t len)
{
    snprintf(out, len, "%s%s/%s", c->prefix, dir, name);
}

struct crec *anc_cluster_rec(struct anc_cluster *c, const char *id)
{
    for (struct crec *r = c->recs; r; r = r->next)
        if (strcmp(r->rec.inst.id, id) == 0)
            return r;
    return NULL;
}

struct cnode *anc_cluster_node_find(struct anc_cluster *c, const char *name)
{
    for (struct cnode *n = c->nodes; n; n = n->next)
        if (strcmp(n->node.name, name) == 0)
            return n;
    return NULL;
}

const char *anc_cluster_node(const struct anc_cluster *c)
{
    return c->me.name;
}

bool anc_cluster_online(const struct anc_cluster *c)
{
    return c->synced && c->watching && c->fails == 0;
}

bool anc_cluster_writable(const struct anc_cluster *c)
{
    /* Not the watch: one that broke with its member is resumed on another within a moment, and
     * every write is a transaction guarded by revisions anyway. Not one failed call either: it
     * may have been the member that just went away. Two in a row: etcd is out of reach, and a
     * change is refused at once rather than after every endpoint's timeout. */
    return c->synced && c->fails < 2;
}

const char *anc_cluster_owner_of(struct anc_cluster *c, const char *id)
{
    struct crec *r = anc_cluster_rec(c, id);
    return r ? r->rec.owner : NULL;
}

int anc_cluster_owner_url(struct anc_cluster *c, const char *id, char *url, size_t len)
{
    struct crec *r = anc_cluster_rec(c, id);
    if (!r || strcmp(r->rec.owner, c->me.name) == 0)
        return -ENOENT;
    struct cnode *n = anc_cluster_node_find(c, r->rec.owner);
    if (!n)
        return -ENOENT;
    snprintf(url, len, "%s", n->node.url);
    return 0;
}

void anc_cluster_etcd_result(struct anc_cluster *c, int err, const char *what, const char *msg)
{
    if (err == 0) {
        if (c->fails > 0)
            anc_info("cluster: etcd answers again");
        c->fails = 0;
        c->last_ok_ms = uv_now(c->loop);
        return;
    }
    anc_metric_inc(c->m_etcd_errors);
    if (c->watch) { /* read everything again once etcd answers: the watch may be on a dead member */
        anc_etcd_watch_cancel(c->watch);
        c->watch = NULL;
        c->watching = false;
    }
    if (c->fails++ == 0)
        anc_warn("cluster: etcd %s failed: %s (running instances go on; changes are refused "
                 "until etcd answers)",
                 what, msg ? msg : strerror(-err));
}

static void on_soon(uv_timer_t *t);

void anc_cluster_kick(struct anc_cluster *c)
{
    if (!c->closing && !uv_is_active((uv_handle_t *)&c->soon))
        uv_timer_start(&c->soon, on_soon, 10, 0);
}

void *anc_cluster_ctx_new(struct anc_cluster *c, size_t size, void (*cancel)(struct cctx *x))
{
    struct cctx *x = calloc(1, size);
    if (!x)
        return NULL;
    x->cancel = cancel;
    x->next = c->ctxs;
    if (c->ctxs)
        c->ctxs->pprev = &x->next;
    x->pprev = &c->ctxs;
    c->ctxs = x;
    return x;
}

void anc_cluster_ctx_free(void *ctx)
{
    struct cctx *x = ctx;
    if (!x)
        return;
    *x->pprev = x->next;
    if (x->next)
        x->next->pprev = x->pprev;
    free(x);
}

/* ---- Lease and node record ---- */

static void refresh_me(struct anc_cluster *c)
{
    double avg[3];
    uv_loadavg(avg);
    c->me.load1 = avg[0];
    int running = 0;
    for (struct anc_instance *i = anc_manager_first(c->manager); i; i = i->next)
        running += i->state == ANC_STATE_RUNNING;
    c->me.running = running;
}

static void on_node_put(void *arg, const struct anc_etcd_result *r)
{
    anc_cluster_etcd_result(arg, r->err, "node update", r->message);
}

static void publish_me(struct anc_cluster *c)
{
    char key[160];
    refresh_me(c);
    char *v = anc_node_encode(&c->me);
    if (!v)
        return;
    anc_cluster_key(c, "nodes", c->me.name, key, sizeof(key));
    anc_etcd_put(c->etcd, key, (const uint8_t *)v, strlen(v), c->lease, on_node_put, c);
    free(v);
}

static void on_granted(void *arg, const struct anc_etcd_result *r)
{
    struct anc_cluster *c = arg;
    c->granting = false;
    anc_cluster_etcd_result(c, r->err, "lease grant", r->message);
    if (r->err)
        return;
    c->lease = r->lease_id;
    anc_info("cluster: node %s joined with lease %llx (%d s)", c->me.name,
             (unsigned long long)c->lease, c->cfg->cluster_lease_s);
    for (struct crec *e = c->recs; e; e = e->next)
        e->published = false; /* statuses went with the old lease */
    publish_me(c);
}

static void on_kept_alive(void *arg, const struct anc_etcd_result *r)
{
    struct anc_cluster *c = arg;
    if (r->err == -ENOENT || (r->err == 0 && r->ttl <= 0)) {
        anc_warn("cluster: lease %llx expired (etcd was out of reach longer than lease_s); "
                 "joining again",
                 (unsigned long long)c->lease);
        c->lease = 0;
        anc_cluster_etcd_result(c, 0, "keepalive", NULL);
        return;
    }
    anc_cluster_etcd_result(c, r->err, "lease keepalive", r->message);
    if (r->err == 0)
        publish_me(c);
}

static void on_tick(uv_timer_t *t)
{
    struct anc_cluster *c = t->data;
    uint64_t now = uv_now(c->loop);
    if (c->lease == 0 && !c->granting) {
        c->granting = anc_etcd_lease_grant(c->etcd, c->cfg->cluster_lease_s, on_granted, c) == 0;
    } else if (c->lease != 0 && now - c->kept_ms >= (uint64_t)c->cfg->cluster_lease_s * 1000 / 3) {
        c->kept_ms = now;
        anc_etcd_lease_keepalive(c->etcd, c->lease, on_kept_alive, c);
    }
    if (!c->watching && !c->syncing && now - c->watch_try_ms >= 1000)
        anc_cluster_resume_watch(c);
    anc_cluster_reconcile(c);
}

static void on_soon(uv_timer_t *t)
{
    anc_cluster_reconcile(t->data);
}

/* ---- Life ---- */

static void collect(void *arg)
{
    struct anc_cluster *c = arg;
    int n = 0, owned = 0;
    for (struct crec *e = c->recs; e; e = e->next) {
        n++;
        owned += strcmp(e->rec.owner, c->me.name) == 0;
    }
    anc_metric_set(c->m_nodes, (double)c->n_nodes);
    anc_metric_set(c->m_in_sync, anc_cluster_online(c));
    anc_metric_set(c->m_instances, n);
    anc_metric_set(c->m_owned, owned);
}

static void register_metrics(struct anc_cluster *c)
{
    struct anc_metrics *m = c->metrics;
    if (!m)
        return;
    c->m_nodes = anc_metrics_gauge(m, "ancloud_cluster_nodes", NULL, "live nodes of the cluster");
    c->m_in_sync = anc_metrics_gauge(m, "ancloud_cluster_in_sync", NULL,
                                     "1 while etcd answers and this node's mirror follows it");
    c->m_instances =
        anc_metrics_gauge(m, "ancloud_cluster_instances", NULL, "instance records in the cluster");
    c->m_owned = anc_metrics_gauge(m, "ancloud_cluster_owned_instances", NULL,
                                   "instance records placed on this node");
    c->m_etcd_errors = anc_metrics_counter(m, "ancloud_cluster_etcd_errors_total", NULL,
                                           "etcd calls that failed (all members tried)");
    c->m_moved = anc_metrics_counter(m, "ancloud_cluster_placed_again_total", NULL,
                                     "instances of lost nodes this node placed again");
    c->m_forwarded = anc_metrics_counter(m, "ancloud_cluster_forwarded_total", NULL,
                                         "API requests forwarded to the owner node");
    anc_metrics_add_collector(m, collect, c);
}

/* [cluster] advertise, or http:// + [server] listen when that is a specific address. */
static int advertise_url(const struct anc_config *cfg, char *out, size_t len, char *why,
                         size_t whylen)
{
    if (cfg->cluster_advertise[0]) {
        if (strncmp(cfg->cluster_advertise, "http://", 7) != 0 &&
            strncmp(cfg->cluster_advertise, "https://", 8) != 0) {
            snprintf(why, whylen, "[cluster] advertise: expected an http:// or https:// URL");
            return -EINVAL;
        }
        snprintf(out, len, "%s", cfg->cluster_advertise);
    } else {
        if (strncmp(cfg->listen, "0.0.0.0:", 8) == 0 || strncmp(cfg->listen, "[::]:", 5) == 0 ||
            strstr(cfg->listen, ":0") == cfg->listen + strlen(cfg->listen) - 2) {
            snprintf(why, whylen,
                     "[cluster] advertise: must be set when [server] listen (%s) is a wildcard "
                     "address or an ephemeral port",
                     cfg->listen);
            return -EINVAL;
        }
        snprintf(out, len, "%s%s", cfg->tls_cert[0] ? "https://" : "http://", cfg->listen);
    }
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    return 0;
}

static int describe_me(const struct anc_cluster_deps *d, struct anc_node *me, char *why,
                       size_t whylen)
{
    const struct anc_config *cfg = d->cfg;
    *me = (struct anc_node){0};
    if (cfg->cluster_node[0])
        snprintf(me->name, sizeof(me->name), "%s", cfg->cluster_node);
    else if (gethostname(me->name, sizeof(me->name) - 1) < 0)
        me->name[0] = '\0';
    if (!anc_node_name_ok(me->name)) {
        snprintf(why, whylen,
                 "[cluster] node: \"%s\" is not a valid node name (letters, digits, "
                 "'-', '_', '.')",
                 me->name);
        return -EINVAL;
    }
    const char *lwhy = "";
    if (anc_node_set_labels(me, cfg->cluster_labels, &lwhy) < 0) {
        snprintf(why, whylen, "[cluster] labels: %s", lwhy);
        return -EINVAL;
    }
    if (d->has_binder && anc_node_add_label(me, "binder") < 0) {
        snprintf(why, whylen, "[cluster] labels: no room for the binder label");
        return -EINVAL;
    }
    int r = advertise_url(cfg, me->url, sizeof(me->url), why, whylen);
    if (r < 0)
        return r;
    me->cores = (int)uv_available_parallelism();
    me->memory_mb = (int64_t)(uv_get_total_memory() / (1024 * 1024));
    me->max_instances = cfg->cluster_max_instances;
    me->since = (int64_t)time(NULL);
    return 0;
}

/* The TLS context for https:// etcd URLs (NULL for http://, or on error with why). */
static int etcd_tls(const struct anc_config *cfg, struct anc_tls_client **out, char *why,
                    size_t whylen)
{
    *out = NULL;
    if (cfg->n_cluster_etcd == 0 || strncmp(cfg->cluster_etcd[0], "https://", 8) != 0)
        return 0;
    char e[512];
    *out = anc_tls_client_new(cfg->cluster_etcd_ca, cfg->cluster_etcd_cert, cfg->cluster_etcd_key,
                              e, sizeof(e));
    if (*out)
        return 0;
    snprintf(why, whylen, "[cluster] TLS to etcd: %s", e);
    return -EINVAL;
}

int anc_cluster_check_config(const struct anc_config *cfg, char *why, size_t whylen)
{
    if (cfg->n_cluster_etcd == 0)
        return 0;
    struct anc_cluster_deps d = {.cfg = cfg};
    struct anc_node me;
    struct anc_tls_client *tls;
    int r = describe_me(&d, &me, why, whylen);
    if (r == 0)
        r = etcd_tls(cfg, &tls, why, whylen);
    if (r == 0)
        anc_tls_client_free(tls);
    return r;
}

int anc_cluster_new(const struct anc_cluster_deps *d, struct anc_cluster **out, char *why,
                    size_t whylen)
{
    struct anc_cluster *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int r = describe_me(d, &c->me, why, whylen);
    if (r < 0) {
        free(c);
        return r;
    }
    c->loop = d->loop;
    c->cfg = d->cfg;
    c->manager = d->manager;
    c->on_shared_key = d->on_shared_key;
    c->metrics = d->metrics;
    c->arg = d->arg;
    snprintf(c->prefix, sizeof(c->prefix), "%s", ANC_CLUSTER_PREFIX);
    const char *eps[ANC_CONFIG_MAX_LIST];
    for (int i = 0; i < d->cfg->n_cluster_etcd; i++)
        eps[i] = d->cfg->cluster_etcd[i];
    struct anc_tls_client *tls;
    if (etcd_tls(d->cfg, &tls, why, whylen) < 0) {
        free(c);
        return -EINVAL;
    }
    struct anc_etcd_opts o = {.loop = d->loop,
                              .endpoints = eps,
                              .n_endpoints = (size_t)d->cfg->n_cluster_etcd,
                              .timeout_ms = 3000,
                              /* etcd's progress notifications come every 10 min by default;
                               * a dead member is noticed by the keepalives (which then end the
                               * watch), not by the watch's silence */
                              .watch_idle_ms = 11 * 60 * 1000,
                              .tls = tls}; /* the etcd client takes it over */
    r = anc_etcd_new(&o, &c->etcd);
    if (r < 0) {
        snprintf(why, whylen, "[cluster] etcd: %s", strerror(-r));
        free(c);
        return r;
    }
    register_metrics(c);
    uv_timer_init(c->loop, &c->tick);
    uv_timer_init(c->loop, &c->soon);
    c->tick.data = c->soon.data = c;
    uv_timer_start(&c->tick, on_tick, 0, TICK_MS);
    anc_info("cluster: node %s (%s), etcd %s%s, lease %d s", c->me.name, c->me.url,
             d->cfg->cluster_etcd[0], d->cfg->n_cluster_etcd > 1 ? " and others" : "",
             d->cfg->cluster_lease_s);
    *out = c;
    return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct anc_cluster *c = h->data;
    if (--c->open_handles > 0)
        return;
    anc_cluster_free_mirror(c);
    void (*done)(void *) = c->done;
    void *arg = c->done_arg;
    free(c);
    if (done)
        done(arg);
}

static void on_etcd_closed(void *arg)
{
    struct anc_cluster *c = arg;
    c->open_handles = 2;
    uv_close((uv_handle_t *)&c->tick, on_handle_closed);
    uv_close((uv_handle_t *)&c->soon, on_handle_closed);
}

static void finish_close(struct anc_cluster *c)
{
    while (c->ctxs) {
        struct cctx *x = c->ctxs;
        if (x->cancel)
            x->cancel(x);
        anc_cluster_ctx_free(x);
    }
    if (c->watch)
        anc_etcd_watch_cancel(c->watch);
    c->watch = NULL;
    anc_etcd_close(c->etcd, on_etcd_closed, c);
}

void anc_cluster_close(struct anc_cluster *c, void (*done)(void *arg), void *arg)
{
    if (!c) {
        if (done)
            done(arg);
        return;
    }
    c->closing = true;
    if (c->metrics)
        anc_metrics_remove_collector(c->metrics, collect, c);
    c->done = done;
    c->done_arg = arg;
    uv_timer_stop(&c->tick);
    uv_timer_stop(&c->soon);
    /* The lease is left to run out rather than revoked: a daemon restarted within lease_s (an
     * upgrade) keeps its instances; one that stays away longer is lost like a crashed one. */
    finish_close(c);
}
