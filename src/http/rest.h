/* What the server answers: authentication, routing to REST handlers, static files, and the
 * built-in REST endpoints (health, metrics). Pure code over a request: server_uv.c calls
 * anc_http_dispatch for each parsed request.
 *
 * Authentication (anc_http_admit, at headers-complete): every route needs "Authorization:
 * Bearer <token>" (constant-time compare) unless it was added with ANC_HTTP_ROUTE_PUBLIC; unknown
 * paths under /api/ answer 401 before 404/405, so they do not reveal which routes exist. /metrics needs the token too. Paths outside
 * /api/ that no route knows are static files of the web client (GET/HEAD, no token: the page
 * reads its token from the URL fragment). A viewer token (viewer_tokens.h) authenticates the routes
 * flagged ANC_HTTP_ROUTE_VIEWER, for its own instance only; req->admin and req->viewer say who
 * the request is. Errors are JSON: {"error":{"code":..,"message":..}}. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

struct anc_vtokens;

struct anc_http_site {
    struct anc_http_router *router;
    struct anc_metrics *metrics; /* rendered by GET /metrics */
    const char *token;           /* the expected bearer token; read at each request */
    const char *web_dir;         /* static files; read at each request */
    uint64_t started_ms;         /* loop time at daemon start, for uptime */
    struct anc_metric *uptime;   /* ancloud_uptime_seconds, set when /metrics renders */
    /* Viewer tokens (viewer_tokens.h); NULL: only the admin token authenticates. */
    struct anc_vtokens *viewer_tokens;
    /* Cluster mode: routes flagged ANC_HTTP_ROUTE_OWNER go through forward first, which answers
     * ANC_HTTP_DEFERRED when it took req to the instance's owner node, 0 when this node
     * answers. NULL: one host. */
    int (*forward)(void *arg, struct anc_http_request *req);
    void *forward_arg;
};

/* Adds GET /api/v1/health (public) and GET /metrics to site->router, and registers
 * ancloud_uptime_seconds. Returns 0 or -errno. */
int anc_http_rest_register(struct anc_http_site *site);

/* Whether an Authorization header value carries "Bearer <expected>" (scheme case-insensitive). */
bool anc_http_auth_ok(const char *expected, const char *authorization);

/* The authentication decision, made once per request when its headers are complete (req has
 * method, path and headers; no body yet): which credential the route needs comes from
 * anc_http_router_auth, and this checks it. Returns 0 when req may go on (its body is read, then
 * anc_http_dispatch), or 401 with *res filled (WWW-Authenticate, res->close set: the server
 * answers without reading the body and closes). Negative errno when out of memory. */
int anc_http_admit(const struct anc_http_site *site, const struct anc_http_request *req,
                   struct anc_http_response *res);

/* Answers req, which anc_http_admit let through: returns 0 with *res filled, or
 * ANC_HTTP_DEFERRED when a handler took req and will answer through anc_http_respond. */
int anc_http_dispatch(const struct anc_http_site *site, struct anc_http_request *req,
                      struct anc_http_response *res);
