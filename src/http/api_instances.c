#include "http/api_instances.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "cluster/cluster.h"
#include "cluster/cluster_api.h"
#include "http/server.h"
#include "rtc/turn_cred.h"
#include "instance/manager.h"
#include "instance/session.h"

static int error(struct anc_http_response *res, int status, const char *message)
{
    anc_http_response_error(res, status, anc_http_error_code(status), message);
    return 0;
}

/* During shutdown the instance and session layers go away before the HTTP server does. */
static bool ready(const struct anc_api_instances_deps *api, struct anc_http_response *res)
{
    if (api->manager && api->sessions)
        return true;
    error(res, 503, "the daemon is shutting down");
    return false;
}

struct anc_instance *anc_api_instance_of(const struct anc_api_instances_deps *api,
                                         struct anc_http_request *req,
                                         struct anc_http_response *res)
{
    if (!ready(api, res))
        return NULL;
    const char *id = anc_http_request_param(req, "id");
    struct anc_instance *inst = id ? anc_manager_find(api->manager, id) : NULL;
    const char *owner = !inst && id && api->cluster ? anc_cluster_owner_of(api->cluster, id) : NULL;
    if (owner) {
        /* Placed here a moment ago (or moved here from a lost node): its copy comes with the
         * next reconcile pass. A player's retry then finds it. */
        char msg[200];
        snprintf(msg, sizeof(msg), "instance \"%.40s\" is being placed on node %s; try again", id,
                 owner);
        anc_http_response_header(res, "Retry-After", "1");
        error(res, 503, msg);
        return NULL;
    }
    if (!inst) {
        char msg[128];
        snprintf(msg, sizeof(msg), "no instance with id \"%.40s\"", id ? id : "");
        error(res, 404, msg);
    }
    return inst;
}

static int reply_instance(const struct anc_api_instances_deps *api, struct anc_http_response *res,
                          int status, const struct anc_instance *inst)
{
    json_t *o = anc_manager_instance_json(api->manager, inst);
    if (!o)
        return -ENOMEM;
    anc_http_response_json(res, status, o);
    json_decref(o);
    return 0;
}

static int list_instances(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    if (!ready(api, res))
        return 0;
    if (api->cluster)
        return anc_cluster_api_list(api->cluster, req, res);
    json_t *arr = json_array();
    for (struct anc_instance *i = anc_manager_first(api->manager); i && arr; i = i->next)
        json_array_append_new(arr, anc_manager_instance_json(api->manager, i));
    json_t *o = json_pack("{s:o}", "instances", arr);
    if (!o)
        return -ENOMEM;
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

json_t *anc_api_parse_body(struct anc_http_request *req, struct anc_http_response *res)
{
    const char *type = anc_http_request_header(req, "Content-Type");
    if (type && strncasecmp(type, "application/json", 16) != 0) {
        error(res, 415, "expected Content-Type: application/json");
        return NULL;
    }
    json_error_t jerr;
    json_t *body = json_loadb((const char *)req->body, req->body_len, 0, &jerr);
    if (!body) {
        char msg[256];
        snprintf(msg, sizeof(msg), "body is not JSON: line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        error(res, 400, msg);
    }
    return body;
}

static int create_instance(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    if (!ready(api, res))
        return 0;
    if (api->cluster)
        return anc_cluster_api_create(api->cluster, req, res);
    json_t *body = anc_api_parse_body(req, res);
    if (!body)
        return 0;
    char err[512] = "";
    struct anc_instance *inst;
    int r = anc_manager_create(api->manager, body, &inst, err, sizeof(err));
    json_decref(body);
    if (r == -EINVAL)
        return error(res, 400, err);
    if (r == -EEXIST)
        return error(res, 409, err);
    if (r < 0)
        return error(res, 500, strerror(-r));
    char loc[96];
    snprintf(loc, sizeof(loc), "/api/v1/instances/%s", inst->id);
    anc_http_response_header(res, "Location", loc);
    return reply_instance(api, res, 201, inst);
}

/* Cluster mode: the route's cluster handler, when there is a cluster (and the daemon is not
 * shutting down); *handled says whether it answered. */
static int clustered(const struct anc_api_instances_deps *api, struct anc_http_request *req,
                     struct anc_http_response *res, bool *handled,
                     int (*fn)(struct anc_cluster *, struct anc_http_request *,
                               struct anc_http_response *))
{
    *handled = api->cluster != NULL || !ready(api, res);
    if (!api->cluster || !ready(api, res))
        return 0;
    return fn(api->cluster, req, res);
}

/* GET /api/v1/nodes: the cluster's live nodes; one host: an empty list, cluster false. */
static int list_nodes(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    bool handled;
    int r = clustered(user, req, res, &handled, anc_cluster_api_nodes);
    if (handled)
        return r;
    json_t *o = json_pack("{s:[], s:b}", "nodes", "cluster", 0);
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

static int get_instance(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    bool handled;
    int r = clustered(user, req, res, &handled, anc_cluster_api_get);
    if (handled)
        return r;
    struct anc_instance *inst = anc_api_instance_of(user, req, res);
    return inst ? reply_instance(user, res, 200, inst) : 0;
}

static int delete_instance(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    bool handled;
    int cr = clustered(api, req, res, &handled, anc_cluster_api_delete);
    if (handled)
        return cr;
    struct anc_instance *inst = anc_api_instance_of(api, req, res);
    if (!inst)
        return 0;
    int r = anc_manager_delete(api->manager, inst);
    if (r < 0)
        return error(res, 500, strerror(-r));
    json_t *o = json_pack("{s:b}", "deleted", 1);
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

static int act(struct anc_http_request *req, struct anc_http_response *res, void *user,
               int (*fn)(struct anc_manager *, struct anc_instance *, char *, size_t))
{
    const struct anc_api_instances_deps *api = user;
    struct anc_instance *inst = anc_api_instance_of(api, req, res);
    if (!inst)
        return 0;
    char err[300] = "";
    int r = fn(api->manager, inst, err, sizeof(err));
    if (r == -EALREADY)
        return error(res, 409, err);
    if (r < 0)
        return error(res, 500, err);
    return reply_instance(api, res, 200, inst);
}

static int start_instance(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    bool handled;
    int r = clustered(user, req, res, &handled, anc_cluster_api_start);
    return handled ? r : act(req, res, user, anc_manager_start);
}

static int stop_instance(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    bool handled;
    int r = clustered(user, req, res, &handled, anc_cluster_api_stop);
    return handled ? r : act(req, res, user, anc_manager_stop);
}

static int restart_instance(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    bool handled;
    int r = clustered(user, req, res, &handled, anc_cluster_api_restart);
    return handled ? r : act(req, res, user, anc_manager_restart);
}

/* GET /api/v1/instances/{id}/log[?bytes=N]: the tail of the instance log (default 64 KiB). */
static int get_log(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    struct anc_instance *inst = anc_api_instance_of(api, req, res);
    if (!inst)
        return 0;
    long want = 64 * 1024;
    const char *q = anc_http_request_query(req, "bytes");
    if (q) {
        char *end;
        want = strtol(q, &end, 10);
        if (*end || want < 1 || want > 1024 * 1024)
            return error(res, 400, "bytes: must be an integer from 1 to 1048576");
    }
    char path[4200];
    anc_manager_log_path(api->manager, inst, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (!f)
        return anc_http_response_set(res, 200, "text/plain; charset=utf-8", "", 0);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > want ? size - want : 0;
    fseek(f, from, SEEK_SET);
    char *buf = malloc((size_t)(size - from) + 1);
    size_t n = buf ? fread(buf, 1, (size_t)(size - from), f) : 0;
    fclose(f);
    if (!buf)
        return -ENOMEM;
    return anc_http_response_take(res, 200, "text/plain; charset=utf-8", buf, n);
}

/* anc_sessions_create's errors: an unusable offer, no room for another viewer, or ours. */
static int whep_status(int r)
{
    if (r == -EINVAL)
        return 400;
    return r == -ENOSPC ? 503 : 500;
}

static int whep_offer(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    struct anc_instance *inst = anc_api_instance_of(api, req, res);
    if (!inst)
        return 0;
    const char *type = anc_http_request_header(req, "Content-Type");
    if (!type || strncasecmp(type, "application/sdp", 15) != 0)
        return error(res, 415, "a WHEP offer must be sent as Content-Type: application/sdp");
    if (inst->state != ANC_STATE_RUNNING || !inst->stream) {
        /* A starting instance will be running soon: say so, the client may retry. */
        char msg[96];
        snprintf(msg, sizeof(msg), "instance is %s; start it first",
                 anc_instance_state_name(inst->state));
        return error(res, 409, msg);
    }
    struct anc_whep_result wr;
    struct anc_session_who who = anc_api_caller(req);
    int r = anc_sessions_create_as(api->sessions, inst, &who, (const char *)req->body,
                                   req->body_len, &wr);
    if (r < 0)
        return error(res, whep_status(r), wr.error);
    char loc[96];
    snprintf(loc, sizeof(loc), "/api/v1/sessions/%s", wr.sid);
    anc_http_response_header(res, "Location", loc);
    /* TURN credentials (when [rtc] turn_secret is set) are named after the session. */
    uint64_t expiry = (uint64_t)time(NULL) + (uint64_t)api->cfg->turn_ttl_s;
    for (int i = 0; i < api->cfg->n_ice_servers; i++) {
        char link[600];
        if (anc_turn_link(api->cfg->ice_servers[i], api->cfg->turn_secret, expiry, wr.sid, link,
                          sizeof(link)) == 0)
            anc_http_response_header(res, "Link", link);
    }
    return anc_http_response_take(res, 201, "application/sdp", wr.answer, strlen(wr.answer));
}

static int delete_session(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    if (!ready(api, res))
        return 0;
    const char *sid = anc_http_request_param(req, "sid");
    struct anc_session_who owner;
    if (!sid || anc_sessions_who(api->sessions, sid, &owner, NULL, 0) < 0)
        return error(res, 404, "no such session");
    /* A viewer token may end only the sessions it opened. */
    if (!req->admin && strcmp(owner.token_id, req->viewer.id) != 0)
        return error(res, 401, "this viewer token did not open that session");
    anc_sessions_delete(api->sessions, sid);
    json_t *o = json_pack("{s:b}", "deleted", 1);
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

static int get_session(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    if (!ready(api, res))
        return 0;
    const char *sid = anc_http_request_param(req, "sid");
    json_t *o = sid ? anc_sessions_get_json(api->sessions, sid) : NULL;
    if (!o)
        return error(res, 404, "no such session");
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

static int list_sessions(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    if (!ready(api, res))
        return 0;
    (void)req;
    json_t *o = json_pack("{s:o}", "sessions", anc_sessions_list_json(api->sessions));
    if (!o)
        return -ENOMEM;
    anc_http_response_json(res, 200, o);
    json_decref(o);
    return 0;
}

int anc_api_instances_register(struct anc_http_server *server,
                               const struct anc_api_instances_deps *deps)
{
    static const struct {
        const char *method, *pattern;
        anc_http_handler_fn fn;
        unsigned flags; /* ANC_HTTP_ROUTE_VIEWER: a viewer token of the instance opens it too */
    } routes[] = {
        {"GET", "/api/v1/instances", list_instances, 0},
        {"POST", "/api/v1/instances", create_instance, 0},
        {"GET", "/api/v1/instances/{id}", get_instance, 0},
        {"DELETE", "/api/v1/instances/{id}", delete_instance, 0},
        {"POST", "/api/v1/instances/{id}/start", start_instance, 0},
        {"POST", "/api/v1/instances/{id}/stop", stop_instance, 0},
        {"POST", "/api/v1/instances/{id}/restart", restart_instance, 0},
        /* In a cluster the offer goes to the node that runs the instance (a 307 from the
         * others), and the page then talks to that node: WHEP's routes take other origins. */
        {"POST", "/api/v1/instances/{id}/whep", whep_offer,
         ANC_HTTP_ROUTE_VIEWER | ANC_HTTP_ROUTE_REDIRECT | ANC_HTTP_ROUTE_CORS},
        {"GET", "/api/v1/instances/{id}/log", get_log, ANC_HTTP_ROUTE_OWNER},
        {"GET", "/api/v1/sessions", list_sessions, 0},
        {"GET", "/api/v1/nodes", list_nodes, 0},
        {"GET", "/api/v1/sessions/{sid}", get_session, 0},
        {"DELETE", "/api/v1/sessions/{sid}", delete_session,
         ANC_HTTP_ROUTE_VIEWER | ANC_HTTP_ROUTE_CORS},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int r = anc_http_route_add(server, routes[i].method, routes[i].pattern, routes[i].fn,
                                   (void *)deps, routes[i].flags);
        if (r < 0)
            return r;
    }
    return anc_api_screenshot_register(server, deps);
}
