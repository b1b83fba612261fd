/* What runs while an instance runs, by kind: a stream of the test card (pattern), or a screen
 * (Xvfb + capture + input) with a command on it (x11) or a container whose X socket directory is
 * the screen's (linux). Start and stop are asynchronous; the
 * manager persists the state transitions around them. Loop thread only.
 *
 * Each kind is one file behind struct anc_runtime_ops (runtime_pattern.c, runtime_x11.c,
 * runtime_container.c); runtime.c holds the lifecycle they share. runtime_internal.h draws the
 * states and says how a new kind (android, whose in-guest agent supplies H.264) slots in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "instance/instance.h"
#include "media/stream.h"

struct anc_runtime;
struct anc_encpool;
struct anc_image_mounts;
struct anc_network;

struct anc_runtime_env {
    uv_loop_t *loop;
    struct anc_encpool *pool;
    const char *run_dir;   /* [paths] run_dir; the instance gets <run_dir>/<id> */
    const char *state_dir; /* logs: <state_dir>/instances/<id>.log */
    size_t log_max;        /* [instance] log_max_kib in bytes: the log's cap (base/caplog.h) */
    struct anc_stream_params stream;
    /* kind linux */
    const char *image_dir;           /* [paths] image_dir */
    struct anc_image_mounts *images; /* shared squashfuse mounts */
    struct anc_network *net;         /* bridge and IPAM; NULL: loopback only */
    /* kind android */
    int android_boot_timeout_s;    /* [android] boot_timeout_s */
    const char *android_agent_jar; /* [android] agent_jar; NULL: its default */
    const char *android_binder;    /* [android] binder; NULL: auto */
};

struct anc_runtime_callbacks {
    /* Start finished: error NULL on success (inst->stream is set), else why it failed. */
    void (*on_started)(struct anc_instance *inst, const char *error, void *data);
    /* The guest ended by itself while running (reason says how). The runtime is already being
     * torn down; on_stopped follows. */
    void (*on_died)(struct anc_instance *inst, const char *reason, void *data);
    /* Everything of the runtime is gone (after a stop, a failed start or a death). */
    void (*on_stopped)(struct anc_instance *inst, void *data);
    /* The guest's clipboard changed (utf8[0..len), not NUL-terminated, valid only during the
     * call). Only while starting or running. NULL: ignored. */
    void (*on_clipboard)(struct anc_instance *inst, const char *utf8, size_t len, void *data);
};

/* Starts inst. Returns 0 or -errno with nothing started and no callback. After 0: on_started
 * once (unless a stop comes first: then only on_stopped), on_died if the guest ends by itself
 * after it started, and on_stopped once at the end, when inst->rt is NULL again. */
int anc_runtime_start(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data);

/* After a daemon restart, for an instance whose record says it runs: like anc_runtime_start, but
 * a linux guest that is still running (its Xvfb and container, left by the previous daemon) is
 * taken over instead of started again; what cannot be taken over is started afresh, and an x11
 * command left running is ended first. */
int anc_runtime_adopt(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data);

/* Stops inst's runtime (graceful, then forceful after a few seconds); on_stopped follows.
 * A no-op when it is already stopping. */
void anc_runtime_stop(struct anc_instance *inst);

/* At daemon exit with [instance] keep_running_on_exit: lets go of a running linux guest without
 * stopping it — its container, its Xvfb and its address stay, the next daemon adopts them — and
 * frees the runtime (on_stopped follows). Returns 0, or -EINVAL when inst is not a running linux
 * guest (stop it instead). */
int anc_runtime_detach(struct anc_instance *inst);

/* A screenshot the guest takes itself (kind android: `screencap -p`), for the kinds whose frames
 * the daemon never decodes. status 0: png[0..len) is the guest's PNG (valid during the call; set
 * *steal to keep it, then free() it); else -errno: -ETIMEDOUT, -EIO (the command failed),
 * -ESHUTDOWN (the runtime stopped first). */
typedef void (*anc_runtime_shot_cb)(void *arg, int status, uint8_t *png, size_t len,
                                    uint8_t **steal);

/* Starts one. Returns 0 (cb follows exactly once, never from inside this call), -ENOTSUP when
 * inst's kind has none, -EAGAIN when its guest is not up, -EBUSY when ANC_RT_MAX_SHOTS are in
 * flight, or another -errno; no callback after an error. */
#define ANC_RT_MAX_SHOTS 2
int anc_runtime_screenshot(struct anc_instance *inst, anc_runtime_shot_cb cb, void *arg);

/* The instance's log file path (command output, display problems). */
void anc_runtime_log_path(const struct anc_runtime_env *env, const struct anc_instance *inst,
                          char *out, size_t len);
