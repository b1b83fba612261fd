/* Internals of the instance runtime: the common lifecycle (runtime.c) and the kinds that plug into
 * it through an ops table, one file each: runtime_pattern.c, runtime_x11.c, runtime_container.c
 * (kind linux). runtime_screen.c is the part shared by the kinds whose guest draws on an X
 * display. Loop thread only.
 *
 * The lifecycle, in runtime.c's anc__rt_event and nowhere else:
 *
 *   STARTING --UP--> RUNNING --STOP--> STOPPING --GONE--> RELEASING --RELEASED--> CLOSING --CLOSED
 *      |                |  \--DETACH--> DETACHING ---------RELEASED----^
 *      |                \--GONE (on_died)--> RELEASING
 *      |--GONE (on_started(error))--> RELEASING
 *      |--STOP--> STOPPING (no on_started: a stop before the start ends it quietly)
 *      \--ABORT (the kind's start returned -errno)--> ABORTED --CLOSED (nothing is reported)
 *
 * on_started fires at most once (UP, or GONE while STARTING), on_died only for GONE while
 * RUNNING, on_stopped once from the close callback of the runtime's timer, which also frees the
 * runtime: nothing frees it synchronously, so a kind may go on using rt after any call here.
 *
 * How a kind slots in (the android kind and its agent-supplied H.264 are next):
 *  1. runtime_<kind>.c defines `const struct anc_runtime_ops anc__rt_<kind>_ops` and a struct
 *     that embeds struct anc_runtime first (ops.size says how big; the runtime allocates it
 *     zeroed and frees it).
 *  2. start (and adopt) begin bringing the guest up and return 0, then report UP once it runs
 *     or GONE(why) when it cannot; or they return -errno with nothing of the kind left.
 *  3. Once the stream exists, anc__rt_publish makes ops.stream / ops.input what the sessions use
 *     (inst->stream, inst->input). A kind that encodes frames itself returns an anc_stream
 *     drawing from its source; one whose guest supplies H.264 returns the stream that carries it.
 *  4. stop ends the guest and reports GONE (why NULL when its own log line is enough).
 *  5. release frees what the kind holds once the guest is gone, then anc__rt_kind_released.
 *  6. One line in runtime.c's kinds[] table and the file in src/meson.build. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <uv.h>

#include "instance/runtime.h"

struct anc_screen;
struct anc_input_msg;
struct anc_rt_agent;
struct anc_caplog;

enum anc_rt_state {
    ANC_RT_STARTING,  /* the kind brings its guest up */
    ANC_RT_RUNNING,   /* on_started(NULL) was reported */
    ANC_RT_STOPPING,  /* anc_runtime_stop: the kind ends its guest */
    ANC_RT_RELEASING, /* the guest is gone: the kind, then the screen, are released */
    ANC_RT_DETACHING, /* keep_running_on_exit: released, but the guest and its display live on */
    ANC_RT_CLOSING,   /* the timer's close is pending; its callback reports on_stopped */
    ANC_RT_ABORTED,   /* the start failed synchronously; the close callback only frees */
};

enum anc_rt_event {
    ANC_RT_UP,       /* the kind: the guest runs */
    ANC_RT_GONE,     /* the kind: the guest ended (failed start, death, or the end of a stop) */
    ANC_RT_STOP,     /* anc_runtime_stop */
    ANC_RT_DETACH,   /* anc_runtime_detach, after the kind let go of its guest */
    ANC_RT_ABORT,    /* the kind's start returned -errno */
    ANC_RT_RELEASED, /* the kind and the screen let go of everything */
    ANC_RT_CLOSED,   /* the timer is closed */
};

struct anc_runtime;

struct anc_runtime_ops {
    const char *name;
    size_t size; /* of the kind's struct, which begins with struct anc_runtime */
    /* Begins the start. 0: UP or GONE follows (possibly from inside this call); -errno: nothing
     * of the kind is left and nothing is reported. */
    int (*start)(struct anc_runtime *rt);
    /* The same after a daemon restart: take over what the previous daemon left running, or end
     * it and start afresh. NULL: start. */
    int (*adopt)(struct anc_runtime *rt);
    /* Kinds on a screen (runtime_screen.c): the screen is ready and published; start the guest on
     * it (report UP or GONE). Called only while STARTING. */
    void (*on_screen)(struct anc_runtime *rt);
    /* Ends the guest (STOPPING): GONE follows, possibly from inside this call. */
    void (*stop)(struct anc_runtime *rt);
    /* keep_running_on_exit: lets go of a running guest without ending it. -EINVAL when it cannot
     * (then nothing changed). NULL: never. */
    int (*detach)(struct anc_runtime *rt);
    /* Frees what the kind holds (RELEASING or DETACHING: the guest is gone or let go), then
     * anc__rt_kind_released(rt), possibly from inside this call. */
    void (*release)(struct anc_runtime *rt, bool detach);
    /* What the sessions stream and where their input goes (NULL: input is only counted). */
    struct anc_stream *(*stream)(struct anc_runtime *rt);
    int (*input)(struct anc_runtime *rt, const struct anc_input_msg *m);
    /* anc_runtime_screenshot (RUNNING only): typically anc__rt_guest_shot with the guest's
     * command. NULL: -ENOTSUP. */
    int (*screenshot)(struct anc_runtime *rt, anc_runtime_shot_cb cb, void *arg);
};

extern const struct anc_runtime_ops anc__rt_pattern_ops;
extern const struct anc_runtime_ops anc__rt_x11_ops;
extern const struct anc_runtime_ops anc__rt_linux_ops;
extern const struct anc_runtime_ops anc__rt_android_ops; /* runtime_android.c */

struct anc_runtime {
    const struct anc_runtime_ops *ops;
    enum anc_rt_state state;
    struct anc_instance *inst;
    struct anc_runtime_env env;
    char run_dir[PATH_MAX];
    char log_path[PATH_MAX + 64];
    struct anc_runtime_callbacks cbs;
    void *data;
    struct anc_caplog *log;     /* the instance log (base/caplog.h); NULL before open_log */
    int log_fd;                 /* -1, or a pipe into the log for child processes' output */
    struct anc_screen *screen;  /* runtime_screen.c; NULL for kinds without one */
    struct anc_rt_agent *agent; /* runtime_agent.c; NULL for kinds that capture on the host */
    /* The runtime's one timer, for the kind's deadlines while the runtime lives (linux: freeing
     * the container outside its own callback). Its close callback frees the runtime. */
    uv_timer_t timer;
    /* runtime_ct.c, while a container is being freed. */
    struct anc_container **ct_freeing;
    void (*ct_freed)(struct anc_runtime *rt);
    struct anc_rt_shot *shots; /* runtime_shot.c: screenshots in flight */
};

/* Drives the lifecycle (the diagram above); why, when not NULL, goes to the instance log first and
 * is the reason given to on_started / on_died. */
void anc__rt_event(struct anc_runtime *rt, enum anc_rt_event ev, const char *why);

/* The kind saw the guest's clipboard change: reported through on_clipboard while STARTING or
 * RUNNING, dropped otherwise. */
void anc__rt_clipboard(struct anc_runtime *rt, const char *utf8, size_t len);
#define ANC_HAVE_RT_CLIPBOARD 1

/* runtime_ct.c, for kinds whose guest is a container: frees *ct (then sets it NULL) outside the
 * container module's own callbacks, on the runtime's idle timer, then calls done(rt); *ct may be
 * NULL (done runs at once). */
struct anc_container;
void anc__rt_free_container(struct anc_runtime *rt, struct anc_container **ct,
                            void (*done)(struct anc_runtime *rt));

/* runtime_shot.c: runs cmd in the instance's container (`lxc-attach`, as the boot probe does) and
 * answers cb with its standard output, a PNG, within a deadline. Returns as
 * anc_runtime_screenshot. */
struct anc_rt_shot;
int anc__rt_guest_shot(struct anc_runtime *rt, const char *const *cmd, anc_runtime_shot_cb cb,
                       void *arg);
/* The guest is going away: every screenshot in flight is answered -ESHUTDOWN and its command
 * killed. */
void anc__rt_shots_cancel(struct anc_runtime *rt);

/* Appends "ancloudd: what" to the instance log. */
void anc__rt_log_line(struct anc_runtime *rt, const char *what);
/* Creates the run directory and opens the instance log, capped at env.log_max (rotated to
 * "<log>.1"), with rt->log_fd a pipe into it. Returns 0 or -errno. */
int anc__rt_open_log(struct anc_runtime *rt);
/* The stream exists: inst->stream and inst->input come from the kind's ops from now on. */
void anc__rt_publish(struct anc_runtime *rt);
/* The kind has released what it holds: the screen is released next. */
void anc__rt_kind_released(struct anc_runtime *rt);

/* runtime_screen.c: starts (or adopts) rt->screen; when ready, publishes it and calls
 * ops.on_screen; a failure is GONE. Returns 0 or -errno (no screen, nothing reported). */
int anc__rt_screen_start(struct anc_runtime *rt, bool adopt);
/* Stops rt->screen (or detaches it: Xvfb lives on), then RELEASED. No screen: RELEASED at once. */
void anc__rt_screen_release(struct anc_runtime *rt, bool detach);
/* ops.stream and ops.input of the kinds on a screen. */
struct anc_stream *anc__rt_screen_stream(struct anc_runtime *rt);
int anc__rt_screen_input(struct anc_runtime *rt, const struct anc_input_msg *m);

/* runtime_agent.c: the in-guest agent (scrcpy-server 3.3.3 on android, its stand-in
 * /usr/bin/ancloud-agent on linux guests with capture "agent") as the capture source. One
 * pass-through stream per instance, made by anc__rt_agent_new and kept until the release, so that
 * viewers keep their sessions through agent restarts; the agent as a supervised child
 * (base/child.h: `lxc-attach` into the container, restart with back-off, a fresh scid per run);
 * one agent connection (agent/agent_uv.h) per run. */
struct anc_rt_agent_spec {
    const char *const *cmd; /* the command in the guest, before the scrcpy-server options */
    const char *const *env; /* NAME=VALUE for `lxc-attach -v` (--clear-env), NULL-terminated */
    int uid, gid;           /* -1: lxc-attach's default (root) */
    /* The first time the agent is connected (its video header came): the kind reports UP. */
    void (*on_ready)(struct anc_runtime *rt);
};

/* Makes rt->agent and its pass-through stream (ops.stream returns it from now on). No agent runs
 * yet. Returns 0 or -ENOMEM. */
int anc__rt_agent_new(struct anc_runtime *rt);
/* Starts the agent in the running container whose init is init_pid; spec is copied. A leftover
 * agent recorded by a previous daemon is killed first. Returns 0, or -errno with why filled (the
 * caller reports GONE): lxc-attach missing, or the spawn failed. The agent's output goes to the
 * instance log. If it never connects (it exits again and again while STARTING), GONE follows. */
int anc__rt_agent_start(struct anc_runtime *rt, int init_pid, const struct anc_rt_agent_spec *spec,
                        char *why, size_t whylen);
/* ops.stream and ops.input of a kind whose guest runs the agent (-ENOTCONN while reconnecting). */
struct anc_stream *anc__rt_agent_stream(struct anc_runtime *rt);
int anc__rt_agent_input(struct anc_runtime *rt, const struct anc_input_msg *m);
/* Closes the connection, stops the agent (SIGTERM, SIGKILL after a grace), closes the stream and
 * frees the agent (rt->agent is NULL at once); then done(rt), possibly from inside this call.
 * done NULL: nothing is called (a failed start: rt may be freed first). rt->agent may be NULL. */
void anc__rt_agent_close(struct anc_runtime *rt, void (*done)(struct anc_runtime *rt));
