#include "cluster/cluster_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cluster/cluster_internal.h"
#include "http/api_instances.h"
#include "http/client_uv.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "instance/manager.h"

#define FORWARD_TIMEOUT_MS 15000

static int error(struct anc_http_response *res, int status, const char *message)
{
    anc_http_response_error(res, status, anc_http_error_code(status), message);
    return 0;
}

static int offline(struct anc_http_response *res)
{
    return error(res, 503,
                 "etcd is out of reach: running instances go on, changes wait until "
                 "it answers again");
}

/* ---- Reads, from the mirror ---- */

static const char *state_of(struct anc_cluster *c, const struct crec *e)
{
    if (e->has_status && strcmp(e->st.node, e->rec.owner) == 0)
        return anc_instance_state_name(e->st.state);
    return anc_cluster_node_find(c, e->rec.owner) ? "unknown" : "lost";
}

static json_t *rec_json(struct anc_cluster *c, const struct crec *e)
{
    struct anc_instance *local =
        strcmp(e->rec.owner, c->me.name) == 0 ? anc_manager_find(c->manager, e->rec.inst.id) : NULL;
    json_t *j =
        local ? anc_manager_instance_json(c->manager, local) : anc_instance_to_json(&e->rec.inst);
    if (!j)
        return NULL;
    if (!local) {
        json_object_set_new(j, "state", json_string(state_of(c, e)));
        json_object_set_new(j, "error", json_string(e->has_status ? e->st.error : ""));
        json_object_set_new(j, "viewers", json_integer(e->has_status ? e->st.viewers : 0));
    }
    struct cnode *owner = anc_cluster_node_find(c, e->rec.owner);
    json_object_set_new(j, "node", json_string(e->rec.owner));
    json_object_set_new(j, "node_url", owner ? json_string(owner->node.url) : json_null());
    json_object_set_new(j, "desired", json_string(e->rec.running ? "running" : "stopped"));
    json_object_set_new(j, "placements", json_integer(e->rec.placements));
    /* Placed again after its node was lost: its guest data started afresh (docs/cluster.md). */
    json_object_set_new(j, "data_reset", json_boolean(e->rec.placements > 1));
    if (e->rec.deleting)
        json_object_set_new(j, "deleting", json_true());
    return j;
}

static int reply(struct anc_cluster *c, struct anc_http_response *res, int status,
                 const struct crec *e)
{
    json_t *j = rec_json(c, e);
    if (!j)
        return -ENOMEM;
    anc_http_response_json(res, status, j);
    json_decref(j);
    return 0;
}

static struct crec *find(struct anc_cluster *c, struct anc_http_request *req,
                         struct anc_http_response *res)
{
    const char *id = anc_http_request_param(req, "id");
    struct crec *e = id ? anc_cluster_rec(c, id) : NULL;
    if (!e) {
        char msg[128];
        snprintf(msg, sizeof(msg), "no instance with id \"%.40s\"", id ? id : "");
        error(res, 404, msg);
    }
    return e;
}

static int by_name(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
    return strcmp(x ? x : "", y ? y : "");
}

int anc_cluster_api_list(struct anc_cluster *c, struct anc_http_request *req,
                         struct anc_http_response *res)
{
    (void)req;
    size_t n = 0, i = 0;
    for (struct crec *e = c->recs; e; e = e->next)
        n++;
    json_t **items = calloc(n ? n : 1, sizeof(*items));
    if (!items)
        return -ENOMEM;
    for (struct crec *e = c->recs; e; e = e->next)
        if ((items[i] = rec_json(c, e)))
            i++;
    qsort(items, i, sizeof(*items), by_name);
    json_t *arr = json_array();
    for (size_t k = 0; k < i; k++)
        json_array_append_new(arr, items[k]);
    free(items);
    json_t *o = json_pack("{s:o, s:s, s:b}", "instances", arr, "node", c->me.name, "in_sync",
                          anc_cluster_online(c));
    if (!o)
        return -ENOMEM;
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

int anc_cluster_api_nodes(struct anc_cluster *c, struct anc_http_request *req,
                          struct anc_http_response *res)
{
    (void)req;
    json_t *arr = json_array();
    for (struct cnode *x = c->nodes; x && arr; x = x->next) {
        json_t *j = anc_node_to_json(&x->node);
        int placed = 0;
        for (struct crec *e = c->recs; e; e = e->next)
            placed += strcmp(e->rec.owner, x->node.name) == 0;
        json_object_set_new(j, "placed", json_integer(placed));
        json_array_append_new(arr, j);
    }
    json_t *o = json_pack("{s:o, s:b, s:s, s:b}", "nodes", arr, "cluster", 1, "node", c->me.name,
                          "in_sync", anc_cluster_online(c));
    if (!o)
        return -ENOMEM;
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

int anc_cluster_api_get(struct anc_cluster *c, struct anc_http_request *req,
                        struct anc_http_response *res)
{
    struct crec *e = find(c, req, res);
    return e ? reply(c, res, 200, e) : 0;
}

/* ---- Changes: transactions on the record ---- */

enum change { CREATE, START, STOP, DELETE };

struct api_op {
    struct cctx x;
    struct anc_cluster *c;
    struct anc_http_request *req;
    enum change what;
    struct anc_crecord rec; /* as written */
};

static void op_cancel(struct cctx *x)
{
    struct api_op *op = (struct api_op *)x;
    struct anc_http_response res;
    anc_http_response_init(&res);
    error(&res, 503, "the daemon is shutting down");
    anc_http_respond(op->req, &res);
}

/* The record as now written, into the mirror at once: the watch confirms it a moment later,
 * and a read right after the answer must already see it. */
static struct crec *mirror(struct anc_cluster *c, const struct anc_crecord *rec, int64_t revision)
{
    struct crec *e = anc_cluster_rec(c, rec->inst.id);
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e)
            return NULL;
        e->next = c->recs;
        c->recs = e;
    }
    if (e->rec.mod_revision > revision)
        return e; /* the watch was faster */
    e->rec = *rec;
    e->rec.mod_revision = revision;
    return e;
}

static void on_changed(void *arg, const struct anc_etcd_result *r)
{
    struct api_op *op = arg;
    struct anc_cluster *c = op->c;
    struct anc_http_response res;
    anc_http_response_init(&res);
    anc_cluster_etcd_result(c, r->err, "write", r->message);
    char msg[200];
    if (r->err) {
        snprintf(msg, sizeof(msg), "etcd did not take the change: %s",
                 r->message ? r->message : strerror(-r->err));
        error(&res, 503, msg);
    } else if (!r->succeeded && op->what == CREATE) {
        snprintf(msg, sizeof(msg), "name: an instance named \"%s\" exists", op->rec.inst.name);
        error(&res, 409, msg);
    } else if (!r->succeeded) {
        error(&res, 409, "the instance changed meanwhile (another node wrote it); try again");
    } else if (op->what == DELETE) {
        mirror(c, &op->rec, r->revision);
        json_t *o = json_pack("{s:b}", "deleted", 1);
        anc_http_response_json(&res, 200, o);
        json_decref(o);
    } else {
        struct crec *e = mirror(c, &op->rec, r->revision);
        if (op->what == CREATE) {
            char loc[96];
            snprintf(loc, sizeof(loc), "/api/v1/instances/%s", op->rec.inst.id);
            anc_http_response_header(&res, "Location", loc);
        }
        if (!e || reply(c, &res, op->what == CREATE ? 201 : 200, e) < 0)
            error(&res, 500, "out of memory");
        anc_cluster_kick(c);
    }
    anc_http_respond(op->req, &res);
    anc_cluster_ctx_free(op);
}

/* Writes rec under its key if the stored one is at expected (0: create, with its name, which
 * must then be free). */
static int write_rec(struct anc_cluster *c, struct anc_http_request *req,
                     struct anc_http_response *res, enum change what, const struct anc_crecord *rec,
                     int64_t expected)
{
    char k_inst[160], k_name[200];
    struct api_op *op = anc_cluster_ctx_new(c, sizeof(*op), op_cancel);
    char *v = op ? anc_crecord_encode(rec) : NULL;
    if (!v) {
        anc_cluster_ctx_free(op);
        return -ENOMEM;
    }
    op->c = c;
    op->req = req;
    op->what = what;
    op->rec = *rec;
    anc_cluster_key(c, "instances", rec->inst.id, k_inst, sizeof(k_inst));
    anc_cluster_key(c, "names", rec->inst.name, k_name, sizeof(k_name));
    struct anc_etcd_cmp cmp[] = {
        {.key = k_name, .target = ANC_ETCD_CREATE, .op = ANC_ETCD_EQ},
        {.key = k_inst, .target = ANC_ETCD_MOD, .op = ANC_ETCD_EQ, .number = expected},
    };
    struct anc_etcd_op put[] = {
        {.type = ANC_ETCD_OP_PUT,
         .key = k_inst,
         .value = (const uint8_t *)v,
         .value_len = strlen(v)},
        {.type = ANC_ETCD_OP_PUT,
         .key = k_name,
         .value = (const uint8_t *)rec->inst.id,
         .value_len = strlen(rec->inst.id)},
    };
    bool create = what == CREATE;
    int r = anc_etcd_txn(c->etcd, create ? cmp : cmp + 1, 1, put, create ? 2 : 1, NULL, 0,
                         on_changed, op);
    free(v);
    if (r < 0) {
        anc_cluster_ctx_free(op);
        return error(res, 503, "etcd is out of reach");
    }
    return ANC_HTTP_DEFERRED;
}

static int place(struct anc_cluster *c, enum anc_instance_kind kind, char *owner, size_t len)
{
    size_t n = 0;
    for (struct cnode *x = c->nodes; x; x = x->next)
        n++;
    struct anc_node *nodes = calloc(n ? n : 1, sizeof(*nodes));
    int *owned = calloc(n ? n : 1, sizeof(*owned));
    int at = nodes && owned ? 0 : -ENOMEM;
    size_t i = 0;
    for (struct cnode *x = c->nodes; x && at == 0; x = x->next, i++) {
        nodes[i] = x->node;
        for (struct crec *e = c->recs; e; e = e->next)
            owned[i] += strcmp(e->rec.owner, x->node.name) == 0;
    }
    if (at == 0)
        at = anc_node_place(nodes, owned, n, kind);
    if (at >= 0)
        snprintf(owner, len, "%s", nodes[at].name);
    free(nodes);
    free(owned);
    return at < 0 ? at : 0;
}

int anc_cluster_api_create(struct anc_cluster *c, struct anc_http_request *req,
                           struct anc_http_response *res)
{
    json_t *body = anc_api_parse_body(req, res);
    if (!body)
        return 0;
    struct anc_crecord rec = {.placements = 1};
    char err[512] = "";
    int r = anc_instance_from_request(&rec.inst, body, c->cfg->fps, err, sizeof(err));
    json_decref(body);
    if (r == -EINVAL)
        return error(res, 400, err);
    if (r < 0)
        return error(res, 500, strerror(-r));
    if (!anc_cluster_writable(c))
        return offline(res);
    r = place(c, rec.inst.kind, rec.owner, sizeof(rec.owner));
    if (r == -ENODEV) {
        snprintf(err, sizeof(err),
                 "no node of the cluster can run kind %s (it needs a node "
                 "with the label \"%s\")",
                 anc_instance_kind_name(rec.inst.kind), anc_node_label_for(rec.inst.kind));
        return error(res, 409, err);
    }
    if (r == -ENOSPC || r == -EHOSTDOWN)
        return error(res, 503,
                     r == -ENOSPC ? "every node that could run it is full "
                                    "([cluster] max_instances)"
                                  : "no node of the cluster is live");
    if (r < 0)
        return error(res, 500, strerror(-r));
    if (anc_instance_new_id(rec.inst.id) < 0)
        return error(res, 500, "no randomness for an id");
    rec.inst.created_at = (int64_t)time(NULL);
    return write_rec(c, req, res, CREATE, &rec, 0);
}

static int set(struct anc_cluster *c, struct anc_http_request *req, struct anc_http_response *res,
               enum change what)
{
    struct crec *e = find(c, req, res);
    if (!e)
        return 0;
    if (!anc_cluster_writable(c))
        return offline(res);
    if (e->rec.deleting)
        return error(res, 409, "the instance is being deleted");
    struct anc_crecord rec = e->rec;
    if (what == DELETE)
        rec.deleting = true;
    else
        rec.running = what == START;
    return write_rec(c, req, res, what, &rec, e->rec.mod_revision);
}

int anc_cluster_api_start(struct anc_cluster *c, struct anc_http_request *req,
                          struct anc_http_response *res)
{
    return set(c, req, res, START);
}

int anc_cluster_api_stop(struct anc_cluster *c, struct anc_http_request *req,
                         struct anc_http_response *res)
{
    return set(c, req, res, STOP);
}

int anc_cluster_api_delete(struct anc_cluster *c, struct anc_http_request *req,
                           struct anc_http_response *res)
{
    return set(c, req, res, DELETE);
}

/* ---- What only the owner answers: forwarded ---- */

struct fwd {
    struct cctx x;
    struct anc_cluster *c;
    struct anc_http_request *req;
    struct anc_http_fetch *fetch;
    char owner[ANC_NODE_NAME_MAX + 1];
};

static void fwd_cancel(struct cctx *x)
{
    struct fwd *f = (struct fwd *)x;
    anc_http_fetch_cancel(f->fetch);
    struct anc_http_response res;
    anc_http_response_init(&res);
    error(&res, 503, "the daemon is shutting down");
    anc_http_respond(f->req, &res);
}

static void on_forwarded(void *arg, int err, int status, const struct anc_http_response_parser *p,
                         const uint8_t *body, size_t len)
{
    struct fwd *f = arg;
    struct anc_http_response res;
    anc_http_response_init(&res);
    if (err) {
        char msg[200];
        snprintf(msg, sizeof(msg), "node %s, which runs the instance, does not answer: %s",
                 f->owner, strerror(-err));
        error(&res, 502, msg);
    } else {
        const char *type = anc_http_response_parser_header(p, "Content-Type");
        anc_http_response_set(&res, status, type, body, len);
        static const char *const relayed[] = {"ETag", "Location",         "Cache-Control",
                                              "Link", "WWW-Authenticate", "Retry-After"};
        for (size_t i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++) {
            const char *v = anc_http_response_parser_header(p, relayed[i]);
            if (v)
                anc_http_response_header(&res, relayed[i], v);
        }
        anc_http_response_header(&res, "X-Ancloud-Node", f->owner);
    }
    anc_http_respond(f->req, &res);
    anc_cluster_ctx_free(f);
}

int anc_cluster_forward(void *cluster, struct anc_http_request *req)
{
    struct anc_cluster *c = cluster;
    const char *id = anc_http_request_param(req, "id");
    char base[ANC_NODE_URL_MAX + 1], url[ANC_NODE_URL_MAX + 2048];
    /* A request another node sent here is answered here, whatever this node's mirror says: two
     * mirrors a moment apart must not bounce it between them. */
    if (!id || anc_http_request_header(req, "X-Ancloud-Forwarded-By") ||
        anc_cluster_owner_url(c, id, base, sizeof(base)) < 0)
        return 0;
    snprintf(url, sizeof(url), "%s%s", base, req->target);
    struct fwd *f = anc_cluster_ctx_new(c, sizeof(*f), fwd_cancel);
    if (!f)
        return 0;
    f->c = c;
    f->req = req;
    snprintf(f->owner, sizeof(f->owner), "%s", anc_cluster_rec(c, id)->rec.owner);
    struct anc_http_client_header h[6];
    size_t n = 0;
    static const char *const passed[] = {"Authorization", "Content-Type", "Accept", "If-None-Match",
                                         "If-Match"};
    for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
        const char *v = anc_http_request_header(req, passed[i]);
        if (v)
            h[n++] = (struct anc_http_client_header){.name = passed[i], .value = v};
    }
    h[n++] = (struct anc_http_client_header){.name = "X-Ancloud-Forwarded-By", .value = c->me.name};
    struct anc_http_fetch_opts o = {.url = url,
                                    .method = req->method,
                                    .headers = h,
                                    .n_headers = n,
                                    .body = req->body,
                                    .body_len = req->body_len,
                                    .timeout_ms = FORWARD_TIMEOUT_MS,
                                    .on_response = on_forwarded,
                                    .arg = f};
    if (anc_http_fetch_start(c->loop, &o, &f->fetch) < 0) {
        anc_cluster_ctx_free(f);
        return 0;
    }
    anc_metric_inc(c->m_forwarded);
    return ANC_HTTP_DEFERRED;
}

int anc_cluster_api_restart(struct anc_cluster *c, struct anc_http_request *req,
                            struct anc_http_response *res)
{
    struct crec *e = find(c, req, res);
    if (!e)
        return 0;
    if (!e->rec.running)
        return set(c, req, res, START); /* desired stopped: a restart is a start */
    if (anc_cluster_forward(c, req) == ANC_HTTP_DEFERRED)
        return ANC_HTTP_DEFERRED;
    struct anc_instance *local = anc_manager_find(c->manager, e->rec.inst.id);
    if (!local)
        return error(res, 409, "the instance is not running on any node yet");
    char err[300] = "";
    int r = anc_manager_restart(c->manager, local, err, sizeof(err));
    if (r == -EALREADY)
        return error(res, 409, err);
    if (r < 0)
        return error(res, 500, err);
    return reply(c, res, 200, e);
}
