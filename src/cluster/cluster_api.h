/* The REST side of cluster mode (docs/cluster.md, docs/api.md "Cluster"): api_instances.c hands
 * these routes over when [cluster] is configured. Reads come from this node's mirror of etcd;
 * changes are transactions on the instance's record (the owner acts on them); what only the
 * owner can answer (log, screenshot, tokens, a restart of a running guest) is forwarded to it.
 * Each returns 0 with *res filled or ANC_HTTP_DEFERRED (it answers later). */
#pragma once

struct anc_cluster;
struct anc_http_request;
struct anc_http_response;

int anc_cluster_api_list(struct anc_cluster *c, struct anc_http_request *req,
                         struct anc_http_response *res);
/* GET /api/v1/nodes: the live nodes (name, url, labels, capacity, load, placed). */
int anc_cluster_api_nodes(struct anc_cluster *c, struct anc_http_request *req,
                          struct anc_http_response *res);
int anc_cluster_api_get(struct anc_cluster *c, struct anc_http_request *req,
                        struct anc_http_response *res);
int anc_cluster_api_create(struct anc_cluster *c, struct anc_http_request *req,
                           struct anc_http_response *res);
int anc_cluster_api_start(struct anc_cluster *c, struct anc_http_request *req,
                          struct anc_http_response *res);
int anc_cluster_api_stop(struct anc_cluster *c, struct anc_http_request *req,
                         struct anc_http_response *res);
int anc_cluster_api_restart(struct anc_cluster *c, struct anc_http_request *req,
                            struct anc_http_response *res);
int anc_cluster_api_delete(struct anc_cluster *c, struct anc_http_request *req,
                           struct anc_http_response *res);

/* The site's forward hook (rest.h): a route flagged ANC_HTTP_ROUTE_OWNER on an instance another
 * node owns is sent there as it came (method, path, query, body, Authorization) and its answer
 * relayed: returns ANC_HTTP_DEFERRED; 0 when this node owns it or nobody does. */
int anc_cluster_forward(void *cluster, struct anc_http_request *req);
