#include "http/rest.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <time.h>

#include "base/token.h"
#include "http/cors.h"
#include "http/redirect.h"
#include "http/static.h"
#include "http/viewer_tokens.h"

/* The credentials of "Bearer <credentials>" (scheme case-insensitive, blanks trimmed), or NULL. */
static const char *bearer(const char *authorization, size_t *len)
{
    if (!authorization || strncasecmp(authorization, "Bearer", 6) != 0)
        return NULL;
    const char *t = authorization + 6;
    if (*t != ' ' && *t != '\t')
        return NULL;
    t += strspn(t, " \t");
    *len = strlen(t);
    while (*len > 0 && (t[*len - 1] == ' ' || t[*len - 1] == '\t'))
        (*len)--;
    return t;
}

bool anc_http_auth_ok(const char *expected, const char *authorization)
{
    size_t len;
    const char *t = bearer(authorization, &len);
    return expected && t && anc_token_equal(expected, t, len);
}

/* The viewer token that authenticated a request: its text (in the request) and whether this
 * node holds its record. */
struct viewer_cred {
    const char *text;
    size_t len;
    bool recorded;
};

/* Whether the route's {id} instance runs on another node of the cluster (rest.h). */
static bool owned_elsewhere(const struct anc_http_site *site, const struct anc_http_match *m)
{
    char url[256];
    for (size_t i = 0; i < m->n_params && site->owner.owner_url; i++)
        if (strcmp(m->params[i].name, "id") == 0)
            return site->owner.owner_url(site->owner.arg, m->params[i].value, url, sizeof(url)) ==
                   0;
    return false;
}

/* Whether t[0..len) (NULL: none) is a viewer token this node accepts, with its claims in *c.
 * One recorded on another node (the instance's owner issued it) is let through to the 307 of a
 * redirected route of an instance that node runs: the owner checks its record. */
static bool viewer_token_ok(const struct anc_http_site *site, const struct anc_http_match *m,
                            const char *t, size_t len, struct anc_vt_claims *c,
                            struct viewer_cred *cred)
{
    int64_t now = (int64_t)time(NULL);
    int r = t ? anc_vtokens_check(site->viewer_tokens, t, len, now, c) : -ENOKEY;
    *cred = (struct viewer_cred){t, len, r == 0};
    return r == 0 || (r == -ENOENT && (m->route->flags & ANC_HTTP_ROUTE_REDIRECT) &&
                      anc_vtokens_check_signed(site->viewer_tokens, t, len, now, c) == 0 &&
                      owned_elsewhere(site, m));
}

/* A viewer token opens only routes flagged ANC_HTTP_ROUTE_VIEWER, and only for the instance
 * named by the route's {id} when it has one (session routes check the session's token in their
 * handler). It comes in Authorization, or else as ?token= (the Location of a 307 from another
 * node, rest.h: the browser may have dropped Authorization, or kept that node's token). On
 * success the claims go into *out (req->viewer) and the token into *cred. */
static bool viewer_auth_ok(const struct anc_http_site *site, struct anc_vt_claims *out,
                           const struct anc_http_match *m, const struct anc_http_request *req,
                           struct viewer_cred *cred)
{
    size_t len;
    const char *t = bearer(anc_http_request_header(req, "Authorization"), &len);
    const char *q = anc_http_request_query(req, "token");
    struct anc_vt_claims c;
    if (!site->viewer_tokens || !m->route || !(m->route->flags & ANC_HTTP_ROUTE_VIEWER))
        return false;
    if (!viewer_token_ok(site, m, t, len, &c, cred) &&
        !viewer_token_ok(site, m, q, q ? strlen(q) : 0, &c, cred))
        return false;
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, "id") == 0 && strcmp(m->params[i].value, c.instance) != 0)
            return false;
    *out = c;
    return true;
}

/* Who the request is: the admin token, a viewer token (viewer_auth_ok), or nobody. */
static bool authenticate(const struct anc_http_site *site, struct anc_http_request *req,
                         const struct anc_http_match *m, struct viewer_cred *cred)
{
    const char *authorization = anc_http_request_header(req, "Authorization");
    memset(&req->viewer, 0, sizeof(req->viewer));
    *cred = (struct viewer_cred){0};
    req->admin = anc_http_auth_ok(site->token, authorization);
    return req->admin || viewer_auth_ok(site, &req->viewer, m, req, cred);
}

static int unauthorized(struct anc_http_response *res)
{
    int r = anc_http_response_header(res, "WWW-Authenticate", "Bearer realm=\"ancloud\"");
    return r < 0
               ? r
               : anc_http_response_error(res, 401, "unauthorized", "missing or wrong bearer token");
}

static int not_allowed(struct anc_http_response *res, const char *allow)
{
    int r = anc_http_response_header(res, "Allow", allow);
    return r < 0 ? r : anc_http_response_error(res, 405, NULL, NULL);
}

static bool under_api(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
}

int anc_http_admit(const struct anc_http_site *site, const struct anc_http_request *req,
                   struct anc_http_response *res)
{
    bool cors = false;
    switch (anc_http_router_auth(site->router, req->method, req->path)) {
    case ANC_HTTP_AUTH_NONE:
        return 0;
    case ANC_HTTP_AUTH_ADMIN: {
        const char *authorization = anc_http_request_header(req, "Authorization");
        if (anc_http_auth_ok(site->token, authorization))
            return 0;
        /* or a viewer token, on the routes that take one (checked again at dispatch) */
        struct anc_http_match m;
        struct anc_vt_claims c;
        int st = anc_http_router_match(site->router, req->method, req->path, &m);
        if (st < 0)
            return st;
        struct viewer_cred cred;
        bool ok = st == 200 && viewer_auth_ok(site, &c, &m, req, &cred);
        cors = st == 200 && (m.route->flags & ANC_HTTP_ROUTE_CORS);
        anc_http_match_destroy(&m);
        if (ok)
            return 0;
        break;
    }
    }
    int r = unauthorized(res);
    /* A page of another origin reads the 401 only with CORS headers (and says "token expired"). */
    if (r == 0 && cors)
        r = anc_http_cors_headers(req, res);
    res->close = true; /* the body (if any) is never read: the connection cannot go on */
    return r < 0 ? r : 401;
}

static int call_handler(const struct anc_http_route *rt, struct anc_http_request *req,
                        struct anc_http_response *res)
{
    int r = rt->fn(req, res, rt->user);
    if (r == ANC_HTTP_DEFERRED)
        return r;
    if (r < 0 || res->status == 0) {
        if (res->status == 0 || res->status < 400) {
            anc_http_response_destroy(res);
            return anc_http_response_error(res, 500, NULL, NULL);
        }
    }
    return 0;
}

/* In a cluster a route of another node's instance is redirected or forwarded there (rest.h);
 * a route that takes requests from pages of another origin says so in its answer (cors.h). */
static int call_route(const struct anc_http_site *site, const struct anc_http_route *rt,
                      const struct viewer_cred *cred, struct anc_http_request *req,
                      struct anc_http_response *res)
{
    /* A token the owner recorded goes on as it is; this node vouches for the others with a
     * redirect token of the caller's role. */
    const char *pass = cred->text && !cred->recorded ? cred->text : NULL;
    int r = (rt->flags & ANC_HTTP_ROUTE_REDIRECT)
                ? anc_http_owner_redirect(site, req, pass, cred->len, res)
                : 0;
    if (r == 0 && (rt->flags & ANC_HTTP_ROUTE_OWNER) && site->forward &&
        site->forward(site->forward_arg, req) == ANC_HTTP_DEFERRED)
        return ANC_HTTP_DEFERRED;
    if (r == 0)
        r = call_handler(rt, req, res);
    else if (r > 0)
        r = 0;
    if (r == 0 && (rt->flags & ANC_HTTP_ROUTE_CORS))
        r = anc_http_cors_headers(req, res);
    return r;
}

static int dispatch(const struct anc_http_site *site, struct anc_http_request *req,
                    struct anc_http_response *res)
{
    char cors[64];
    if (strcmp(req->method, "OPTIONS") == 0 &&
        anc_http_router_cors_methods(site->router, req->path, cors, sizeof(cors)))
        return anc_http_cors_preflight(req, cors, res);
    struct anc_http_match m;
    int status = anc_http_router_match(site->router, req->method, req->path, &m);
    if (status < 0)
        return status;
    bool public_route = status == 200 && (m.route->flags & ANC_HTTP_ROUTE_PUBLIC);
    bool needs_auth = status == 200 ? !public_route : (m.path_known || under_api(req->path));
    struct viewer_cred cred = {0};
    if (needs_auth && !authenticate(site, req, &m, &cred)) {
        anc_http_match_destroy(&m);
        return unauthorized(res);
    }
    if (status == 405)
        return not_allowed(res, m.allow);
    if (status == 404 && under_api(req->path))
        return anc_http_response_error(res, 404, NULL, "no such API route");
    if (status == 404) {
        if (strcmp(req->method, "GET") != 0 && !req->head)
            return not_allowed(res, "GET, HEAD");
        return anc_http_static_serve(site->web_dir, req, res);
    }
    anc_http_match_move_params(&m, req);
    return call_route(site, m.route, &cred, req, res);
}

int anc_http_dispatch(const struct anc_http_site *site, struct anc_http_request *req,
                      struct anc_http_response *res)
{
    int r = dispatch(site, req, res);
    if (r < 0) {
        /* Out of memory: a minimal answer still fits the existing buffers' absence. */
        anc_http_response_destroy(res);
        res->status = 500;
        res->close = true;
        return 0;
    }
    return r;
}

static int api_health(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_http_site *site = user;
    uint64_t up = req->now_ms > site->started_ms ? (req->now_ms - site->started_ms) / 1000 : 0;
    /* Kernel capabilities (binder, ashmem, PSI) join this object when the container module
     * lands. */
    json_t *j = json_pack("{s:s,s:s,s:I}", "status", "ok", "version", ANC_VERSION, "uptime_s",
                          (json_int_t)up);
    if (!j)
        return -ENOMEM;
    int r = anc_http_response_json(res, 200, j);
    json_decref(j);
    return r;
}

static int api_metrics(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_http_site *site = user;
    uint64_t up = req->now_ms > site->started_ms ? req->now_ms - site->started_ms : 0;
    anc_metric_set(site->uptime, (double)(up / 1000));
    anc_metrics_collect(site->metrics);
    char *text;
    size_t len;
    int r = anc_metrics_render(site->metrics, &text, &len);
    if (r < 0)
        return r;
    return anc_http_response_take(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

int anc_http_rest_register(struct anc_http_site *site)
{
    site->uptime = anc_metrics_gauge(site->metrics, "ancloud_uptime_seconds", NULL,
                                     "Seconds since the daemon started.");
    int r = anc_http_router_add(site->router, "GET", "/api/v1/health", api_health, site,
                                ANC_HTTP_ROUTE_PUBLIC);
    if (r == 0)
        r = anc_http_router_add(site->router, "GET", "/metrics", api_metrics, site, 0);
    return r;
}
