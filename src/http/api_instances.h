/* REST routes of instances, viewer sessions and WHEP signaling (docs/api.md). The only place
 * where the instance and session layers' errno values become HTTP status codes. */
#pragma once

#include <jansson.h>

#include "instance/session.h"

struct anc_cluster;
struct anc_config;
struct anc_http_request;
struct anc_http_response;
struct anc_instance;
struct anc_http_server;
struct anc_manager;
struct anc_sessions;
struct anc_vtokens;

/* What the routes use. The owner clears manager and sessions when it closes them at shutdown;
 * from then on every route answers 503 ("the daemon is shutting down"). */
struct anc_api_instances_deps {
    const struct anc_config *cfg; /* [rtc] ice_servers, read at each offer */
    struct anc_manager *manager;
    struct anc_sessions *sessions;
    struct anc_vtokens *tokens; /* viewer tokens (api_tokens.c); cleared with the others */
    /* Cluster mode (cluster/cluster_api.h): list, get, create, start, stop, restart and delete
     * go through it. NULL: one host. Cleared with the others. */
    struct anc_cluster *cluster;
};

/* Adds the routes to server. deps is borrowed and must outlive the server. Returns 0 or -errno. */
int anc_api_instances_register(struct anc_http_server *server,
                               const struct anc_api_instances_deps *deps);

/* api_tokens.c: POST/GET /api/v1/instances/{id}/tokens, DELETE .../tokens/{tid} and
 * POST /api/v1/sessions/{sid}/control, with the same deps. Returns 0 or -errno. */
int anc_api_tokens_register(struct anc_http_server *server,
                            const struct anc_api_instances_deps *deps);

/* api_screenshot.c: GET /api/v1/instances/{id}/screenshot, with the same deps. 0 or -errno. */
int anc_api_screenshot_register(struct anc_http_server *server,
                                const struct anc_api_instances_deps *deps);

/* The instance named by the route's {id}, or NULL with the answer in res (503 during shutdown,
 * 404 for an unknown id). */
struct anc_instance *anc_api_instance_of(const struct anc_api_instances_deps *api,
                                         struct anc_http_request *req,
                                         struct anc_http_response *res);

/* The request's JSON body (a new reference), or NULL with the answer in res (415, 400). */
json_t *anc_api_parse_body(struct anc_http_request *req, struct anc_http_response *res);

/* Who a request authenticated as (rest.c), as the session layer sees it. */
struct anc_session_who anc_api_caller(const struct anc_http_request *req);
