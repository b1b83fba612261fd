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
 * the request is; on those routes the viewer token may also come as the query parameter
 * "token" (a redirected WHEP offer, below). Errors are JSON: {"error":{"code":..,"message":..}}.
 *
 * Cluster: any node answers the API, but media flows from the node that runs the instance. A
 * route flagged ANC_HTTP_ROUTE_REDIRECT (the WHEP offer) is answered, on a node that does not run
 * its {id}, with 307 to the owner's same route, carrying a viewer token in its query: a
 * browser drops Authorization on a cross-origin redirect (Fetch). The token is a redirect token
 * (viewer_tokens.h) with the caller's role (the admin token never travels in a URL), or the
 * caller's own viewer token when the owner holds its record (it was issued there: it verifies
 * here with the cluster's shared key but has no record, and is let through for the 307 only). Routes flagged
 * ANC_HTTP_ROUTE_CORS get CORS headers and an OPTIONS preflight (cors.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

struct anc_vtokens;

/* Who runs an instance, asked at requests of an ANC_HTTP_ROUTE_REDIRECT route (loop thread;
 * must answer at once, from what the caller already knows; the WHEP offer is redirected, not
 * forwarded like ANC_HTTP_ROUTE_OWNER routes, because its media must flow from the owner). owner_url returns 0 with url set to
 * the owner's advertised base URL (NUL-terminated, at most len bytes, e.g.
 * "http://10.1.0.3:8080") when another node owns instance_id, -ENOENT when this node owns it or
 * there is no cluster, another -errno when the owner is not known now (the request is answered
 * 503). The cluster code fills it; owner_url NULL is a single host: every request is answered
 * here. */
struct anc_owner_lookup {
    int (*owner_url)(void *arg, const char *instance_id, char *url, size_t len);
    void *arg;
};

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
    struct anc_owner_lookup owner; /* {NULL}: a single host */
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
