/* REST routes of viewer tokens and control hand-off (docs/api.md, "Viewer tokens and roles"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/api_instances.h"
#include "http/server.h"
#include "http/viewer_tokens.h"
#include "instance/manager.h"
#include "instance/session.h"

static int error(struct anc_http_response *res, int status, const char *message)
{
    anc_http_response_error(res, status, anc_http_error_code(status), message);
    return 0;
}

static int reply(struct anc_http_response *res, int status, json_t *o)
{
    if (!o)
        return -ENOMEM;
    anc_http_response_json(res, status, o);
    json_decref(o);
    return 0;
}

/* The instance of the route's {id} (anc_api_instance_of), once the token registry is there. */
static struct anc_instance *lookup(const struct anc_api_instances_deps *api,
                                   struct anc_http_request *req, struct anc_http_response *res)
{
    if (!api->tokens) {
        error(res, 503, "the daemon is shutting down");
        return NULL;
    }
    return anc_api_instance_of(api, req, res);
}

/* {"role":"control"|"view","ttl_s":N} */
static int parse_request(struct anc_http_request *req, struct anc_http_response *res,
                         enum anc_vt_role *role, int64_t *ttl)
{
    json_error_t jerr;
    json_t *body = json_loadb((const char *)req->body, req->body_len, 0, &jerr);
    json_t *r = json_object_get(body, "role"), *t = json_object_get(body, "ttl_s");
    *role = anc_vt_role_parse(json_string_value(r));
    *ttl = json_is_integer(t) ? (int64_t)json_integer_value(t) : 0;
    bool extra = body && json_object_size(body) != (size_t)(r != NULL) + (size_t)(t != NULL);
    json_decref(body);
    char msg[160];
    if (!body)
        snprintf(msg, sizeof(msg), "body is not a JSON object: %.100s", jerr.text);
    else if (!*role)
        snprintf(msg, sizeof(msg), "role: must be \"control\" or \"view\"");
    else if (*ttl < 1 || *ttl > ANC_VT_MAX_TTL_S)
        snprintf(msg, sizeof(msg), "ttl_s: must be an integer from 1 to %d", ANC_VT_MAX_TTL_S);
    else if (extra)
        snprintf(msg, sizeof(msg), "unknown field: only \"role\" and \"ttl_s\" are accepted");
    else
        return 0;
    return error(res, 400, msg), -EINVAL;
}

static int create_token(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    struct anc_instance *inst = lookup(api, req, res);
    enum anc_vt_role role;
    int64_t ttl;
    if (!inst || parse_request(req, res, &role, &ttl) < 0)
        return 0;
    char text[ANC_VT_MAX_LEN + 1];
    struct anc_vt_claims c;
    int r = anc_vtokens_issue(api->tokens, inst->id, role, ttl, (int64_t)time(NULL), text, &c);
    if (r == -ENOSPC)
        return error(res, 503, "too many unexpired viewer tokens; revoke some");
    if (r < 0)
        return error(res, 500, strerror(-r));
    char path[ANC_VT_MAX_LEN + 64];
    snprintf(path, sizeof(path), "/#/view/%s?t=%s", inst->id, text);
    return reply(res, 201,
                 json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "id", c.id, "instance", c.instance, "role",
                           anc_vt_role_name(c.role), "expires_at", (json_int_t)c.expires_at,
                           "token", text, "share_path", path));
}

static int list_tokens(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    struct anc_instance *inst = lookup(api, req, res);
    if (!inst)
        return 0;
    json_t *arr = anc_vtokens_list_json(api->tokens, inst->id, (int64_t)time(NULL));
    return reply(res, 200, arr ? json_pack("{s:o}", "tokens", arr) : NULL);
}

static int revoke_token(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    struct anc_instance *inst = lookup(api, req, res);
    if (!inst)
        return 0;
    const char *tid = anc_http_request_param(req, "tid");
    int r = anc_vtokens_revoke(api->tokens, inst->id, tid, (int64_t)time(NULL));
    if (r == -ENOENT)
        return error(res, 404, "no such token of this instance");
    /* A failed write still revoked it in memory: close its sessions either way. */
    size_t closed = anc_sessions_end_token(api->sessions, tid);
    if (r < 0)
        return error(res, 500, strerror(-r));
    return reply(res, 200,
                 json_pack("{s:b,s:I}", "revoked", 1, "sessions_closed", (json_int_t)closed));
}

struct anc_session_who anc_api_caller(const struct anc_http_request *req)
{
    struct anc_session_who who = {.admin = req->admin, .control = req->admin};
    if (!req->admin) {
        who.control = req->viewer.role == ANC_VT_CONTROL;
        snprintf(who.token_id, sizeof(who.token_id), "%s", req->viewer.id);
    }
    return who;
}

static int give_control(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    if (!api->sessions)
        return error(res, 503, "the daemon is shutting down");
    const char *sid = anc_http_request_param(req, "sid");
    struct anc_session_who target;
    char inst_id[64];
    if (anc_sessions_who(api->sessions, sid, &target, inst_id, sizeof(inst_id)) < 0)
        return error(res, 404, "no such session");
    if (!req->admin && strcmp(req->viewer.instance, inst_id) != 0)
        return error(res, 401, "this viewer token is for another instance");
    struct anc_session_who by = anc_api_caller(req);
    int r = anc_sessions_give_control(api->sessions, sid, &by);
    if (r == -EACCES)
        return error(res, 403, "only the session holding control (or the admin) can hand it over");
    if (r == -EPERM)
        return error(res, 409, "that session's token has the view role: it cannot take control");
    if (r < 0)
        return error(res, 404, "no such session");
    return reply(res, 200, json_pack("{s:s,s:s}", "controller", sid, "instance", inst_id));
}

int anc_api_tokens_register(struct anc_http_server *server,
                            const struct anc_api_instances_deps *deps)
{
    static const struct {
        const char *method, *pattern;
        anc_http_handler_fn fn;
        unsigned flags;
    } routes[] = {
        {"POST", "/api/v1/instances/{id}/tokens", create_token, ANC_HTTP_ROUTE_OWNER},
        {"GET", "/api/v1/instances/{id}/tokens", list_tokens, ANC_HTTP_ROUTE_OWNER},
        {"DELETE", "/api/v1/instances/{id}/tokens/{tid}", revoke_token, ANC_HTTP_ROUTE_OWNER},
        /* The player hands control off at the node its session lives on (rest.h, cluster). */
        {"POST", "/api/v1/sessions/{sid}/control", give_control,
         ANC_HTTP_ROUTE_VIEWER | ANC_HTTP_ROUTE_CORS},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int r = anc_http_route_add(server, routes[i].method, routes[i].pattern, routes[i].fn,
                                   (void *)deps, routes[i].flags);
        if (r < 0)
            return r;
    }
    return 0;
}
