/* The instances of this host: records (persisted through the store before each transition is
 * acted on), their lifecycle, and the streams of running ones. Loop thread only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "instance/instance.h"

struct anc_config;
struct anc_manager;
struct anc_metrics;
struct anc_network;
struct anc_store;

/* What the manager tells its owner. */
struct anc_manager_events {
    /* inst stops streaming (stopped through the API, or its guest died): whatever watches it
     * must let go of it now. */
    void (*instance_ended)(void *arg, struct anc_instance *inst);
    /* inst's guest clipboard changed (utf8[0..len), not NUL-terminated, valid only during the
     * call): its viewers may want it. NULL: ignored. */
    void (*instance_clipboard)(void *arg, struct anc_instance *inst, const char *utf8, size_t len);
    void *arg;
};

/* What the manager uses; everything is borrowed and must outlive it. */
struct anc_manager_deps {
    uv_loop_t *loop;
    const struct anc_config *cfg; /* [paths], [instance], [encoder] */
    struct anc_metrics *metrics;  /* ancloud_instances... series */
    struct anc_network *net;      /* guest bridge and addresses; NULL: none */
    struct anc_store *store;      /* instance records (instance/store.h), any backend */
    struct anc_manager_events events;
    /* Whether this host can run Android guests (binder, shared memory), asked when an android
     * instance is created: 0, or -errno with what is missing in why. NULL: the real probe,
     * anc_android_check_host (container/profile_android.h). Tests put a fake here. */
    int (*android_host_check)(char *why, size_t len);
    /* Cluster mode: what was running is not started again by anc_manager_new but by
     * anc_manager_resume, once the cluster knows which instances are still this node's. */
    bool defer_resume;
};

/* Starts the encoder pool, loads every record and starts again the instances
 * that were running. Returns 0 or -errno (logged). */
int anc_manager_new(const struct anc_manager_deps *deps, struct anc_manager **out);

/* Stops streams (records keep their state, so a restart resumes them) or, with [instance]
 * keep_running_on_exit, lets linux guests run on; closes the pool, frees m, then calls
 * done(arg, guests_left_running): true when guests were left running (their network must stay).
 * Whatever watches instances must have let go of them first. m may be NULL. */
void anc_manager_close(struct anc_manager *m, void (*done)(void *arg, bool guests_left_running),
                       void *arg);

/* With defer_resume: starts again what was running and keep(arg, inst) says is still ours
 * (NULL: all); the others settle in stopped (kept, for the cluster to remove). Once. */
void anc_manager_resume(struct anc_manager *m,
                        bool (*keep)(void *arg, const struct anc_instance *inst), void *arg);

/* Cluster mode: a copy of an instance placed on this node (spec->id kept, state stopped), stored
 * like a created one. -EEXIST when this node already has it. */
int anc_manager_adopt(struct anc_manager *m, const struct anc_instance *spec,
                      struct anc_instance **out);

struct anc_instance *anc_manager_find(struct anc_manager *m, const char *id);
struct anc_instance *anc_manager_first(struct anc_manager *m);

/* Creates from a request body; err names the field on -EINVAL. Kind android is checked in this
 * order, each failure -EINVAL: the fields, the host (binder and shared memory: deps'
 * android_host_check, whose message points at kernel/check), the agent jar ([android] agent_jar,
 * its version), then the image (it must exist and be an Android one). The host comes first: it is
 * what the operator must fix before anything else matters. */
int anc_manager_create(struct anc_manager *m, json_t *req, struct anc_instance **out, char *err,
                       size_t errlen);
/* Start and stop are asynchronous: they persist starting/stopping and return; the state becomes
 * running/stopped (or error, with the reason) when the runtime is done. -EALREADY when not in a
 * state that allows it (answered 409). */
int anc_manager_start(struct anc_manager *m, struct anc_instance *inst, char *err, size_t errlen);
int anc_manager_stop(struct anc_manager *m, struct anc_instance *inst, char *err, size_t errlen);
/* Stops (if running) then starts again. */
int anc_manager_restart(struct anc_manager *m, struct anc_instance *inst, char *err, size_t errlen);
/* Removes the record; a running instance is stopped first and removed once stopped. */
int anc_manager_delete(struct anc_manager *m, struct anc_instance *inst);
/* The path of the instance's log (command output and lifecycle lines). */
void anc_manager_log_path(struct anc_manager *m, const struct anc_instance *inst, char *out,
                          size_t len);

/* The instance with live figures (viewers, stream statistics): a new reference. */
json_t *anc_manager_instance_json(struct anc_manager *m, const struct anc_instance *inst);
size_t anc_manager_count(const struct anc_manager *m);
