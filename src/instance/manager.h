/* The instances of this host: records (persisted through the store before each transition is
 * acted on), their lifecycle, and the streams of running ones. Loop thread only. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "instance/instance.h"

struct anc_app;
struct anc_manager;

/* Opens the store, starts the encoder pool, loads every record and starts again the instances
 * that were running. Returns 0 or -errno. */
int anc_manager_new(struct anc_app *app, struct anc_manager **out);

/* Stops streams (records keep their state, so a restart resumes them), closes the pool, then
 * calls done(arg). Sessions must be closed first. */
void anc_manager_close(struct anc_manager *m, void (*done)(void *arg), void *arg);

struct anc_instance *anc_manager_find(struct anc_manager *m, const char *id);
struct anc_instance *anc_manager_first(struct anc_manager *m);

/* Creates from a request body; err names the field on -EINVAL. */
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
