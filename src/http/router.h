/* The request router: method + path pattern → handler, with {name} path parameters.
 *
 * Patterns are absolute paths whose segments are literals or a whole-segment parameter:
 * "/api/v1/instances/{id}/start". A parameter matches one non-empty segment; its value reaches
 * the handler percent-decoded (anc_http_request_param). Literal segments win over parameters
 * when both match ("/x/new" before "/x/{id}"). HEAD is answered by a GET route when no HEAD
 * route exists. Pure code; the server calls anc_http_router_match for every request. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "http/response.h"

/* A handler returns 0 with *res filled, ANC_HTTP_DEFERRED when it will answer later through
 * anc_http_respond (request.h: it then owns req; *res is ignored), or a negative errno, which the
 * server answers with 500 (or whatever status *res already has). */
#define ANC_HTTP_DEFERRED 1

typedef int (*anc_http_handler_fn)(struct anc_http_request *req, struct anc_http_response *res,
                                   void *user);

/* Route flags. */
#define ANC_HTTP_ROUTE_PUBLIC 0x1u /* no Authorization needed (health, WHEP preflight, ...) */
#define ANC_HTTP_ROUTE_VIEWER 0x2u /* a viewer token opens it too (rest.h) */
#define ANC_HTTP_ROUTE_OWNER  0x4u /* in a cluster, the {id} instance's owner node answers */
/* Only the node that owns the route's {id} instance answers it; on the others it is a 307 to
 * the owner (rest.h, struct anc_owner_lookup). */
#define ANC_HTTP_ROUTE_REDIRECT 0x8u
/* Callable from a page of another origin: CORS headers on its answers and an OPTIONS preflight
 * for its path (cors.h). For what WHEP needs only: the rest of the API stays same-origin. */
#define ANC_HTTP_ROUTE_CORS 0x10u

struct anc_http_route {
    char *method;
    char *pattern;
    char **segs; /* pattern split at '/'; "{name}" segments are parameters */
    size_t n_segs;
    anc_http_handler_fn fn;
    void *user;
    unsigned flags;
};

struct anc_http_router;

struct anc_http_router *anc_http_router_new(void);
/* Frees the router and its routes; accepts NULL. */
void anc_http_router_free(struct anc_http_router *r);

/* Adds a route. method is upper-case ("GET"); pattern as above. Returns 0, -EEXIST when the same
 * method and pattern exist, -EINVAL for a bad pattern, -ENOMEM. */
int anc_http_router_add(struct anc_http_router *r, const char *method, const char *pattern,
                        anc_http_handler_fn fn, void *user, unsigned flags);

/* Which credential a request needs, told from its method and path alone so that the server
 * decides once, when the headers are complete and before any body byte is read. A route added
 * with ANC_HTTP_ROUTE_PUBLIC needs none, nor does OPTIONS on the path of an ANC_HTTP_ROUTE_CORS
 * route (a CORS preflight never carries credentials); every other route, and any unknown path under /api/
 * (so that 401 comes before 404/405 and does not reveal which routes exist), needs the admin
 * token; other unknown paths are static files of the web client and need none. A new kind of
 * credential (a per-route flag) adds a value here and a case in rest.c's anc_http_admit. */
enum anc_http_auth {
    ANC_HTTP_AUTH_NONE,
    ANC_HTTP_AUTH_ADMIN, /* "Authorization: Bearer <[server] token>" */
};

enum anc_http_auth anc_http_router_auth(const struct anc_http_router *r, const char *method,
                                        const char *path);

/* The methods of the ANC_HTTP_ROUTE_CORS routes whose pattern fits path, as "POST, DELETE" in
 * out (cap bytes); "" when none. Returns whether there is any. */
bool anc_http_router_cors_methods(const struct anc_http_router *r, const char *path, char *out,
                                  size_t cap);

struct anc_http_match {
    const struct anc_http_route *route;                /* set when status is 200 */
    struct anc_http_param params[ANC_HTTP_MAX_PARAMS]; /* values owned by the match */
    size_t n_params;
    char allow[128]; /* for 405: "GET, HEAD, POST" */
    bool path_known; /* some route has this path (200 or 405) */
};

/* Matches a request. Returns 200 (m->route and params set), 404 (no route has this path) or 405
 * (the path exists for other methods; m->allow lists them). -ENOMEM on allocation failure. The
 * caller releases the params with anc_http_match_destroy or moves them into the request. */
int anc_http_router_match(const struct anc_http_router *r, const char *method, const char *path,
                          struct anc_http_match *m);
void anc_http_match_destroy(struct anc_http_match *m);
/* Moves the match's parameters into req (req->params); the match keeps none. */
void anc_http_match_move_params(struct anc_http_match *m, struct anc_http_request *req);
