/* Many hosts, one API (docs/cluster.md): this node's part in an etcd-coordinated cluster.
 *
 * The node holds a lease and keeps <prefix>nodes/<name> up to date under it; it mirrors every
 * instance record, status and node from etcd (one range, then a watch from its revision,
 * resumed the same way after any break) and reconciles the records it owns against its local
 * manager: placed here → a local copy, desired running → started, desired stopped → stopped,
 * placed elsewhere or deleted → removed. The lowest-named live node places again the instances
 * of a node whose lease expired. API calls on any node change records through transactions
 * guarded by the record's mod revision (cluster_api.c). etcd unreachable: what runs keeps
 * running; changes are refused (503) until it is back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct anc_config;
struct anc_metrics;
struct anc_manager;
struct anc_http_server;
struct anc_instance;

#define ANC_CLUSTER_PREFIX "/ancloud/"

struct anc_cluster;

struct anc_cluster_deps {
    uv_loop_t *loop;
    const struct anc_config *cfg; /* [cluster], [server] listen */
    struct anc_manager *manager;  /* made with defer_resume */
    bool has_binder;              /* this host can run android: the "binder" label */
    struct anc_metrics *metrics;  /* ancloud_cluster_* series; NULL: none */
    /* The viewer-token key every node shares (kept in etcd, made by the first node): called
     * when it is known or changes. NULL: not needed. */
    void (*on_shared_key)(void *arg, const uint8_t key[32]);
    void *arg;
};

/* What anc_cluster_new checks before it talks to etcd (node name, labels, advertise URL, the TLS
 * files), for --check-config: 0, or -EINVAL with why. No [cluster]: 0. */
int anc_cluster_check_config(const struct anc_config *cfg, char *why, size_t whylen);

/* Validates [cluster] and starts joining (asynchronous: a node that cannot reach etcd keeps
 * trying). -EINVAL with why for a bad configuration. */
int anc_cluster_new(const struct anc_cluster_deps *deps, struct anc_cluster **out, char *why,
                    size_t whylen);
/* Stops watching and talking to etcd, then done(arg). The lease is left to run out: a node back
 * within lease_s (a daemon upgrade) keeps its instances. The local instances stay as they are
 * (the manager closes them). */
void anc_cluster_close(struct anc_cluster *c, void (*done)(void *arg), void *arg);

/* This node's name and advertised URL. */
const char *anc_cluster_node(const struct anc_cluster *c);
/* etcd answers and the mirror follows it (the API's "in_sync"). */
bool anc_cluster_online(const struct anc_cluster *c);
/* Changes are tried (else refused at once with 503): the mirror was read and etcd did not fail
 * twice in a row. */
bool anc_cluster_writable(const struct anc_cluster *c);
/* The owner's name when the cluster has a record of instance id (NULL: none). */
const char *anc_cluster_owner_of(struct anc_cluster *c, const char *id);
/* 0 with the owner's advertised URL (no trailing '/') when another node owns instance id;
 * -ENOENT when this node owns it or nobody does. */
int anc_cluster_owner_url(struct anc_cluster *c, const char *id, char *url, size_t len);
