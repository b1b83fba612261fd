/* Internals shared by runtime.c (lifecycle, screens, x11 commands) and runtime_container.c (the
 * linux kind's container: start, adoption after a daemon crash, exit and stop). Loop thread only. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <uv.h>

#include "instance/runtime.h"

struct anc_container;
struct anc_screen;

struct anc_runtime {
    struct anc_instance *inst;
    struct anc_runtime_env env;
    char run_dir[PATH_MAX];
    char log_path[PATH_MAX + 64];
    struct anc_runtime_callbacks cbs;
    void *data;
    struct anc_screen *screen;
    struct anc_container *ct; /* linux: from start until freed in teardown */
    bool ct_active;           /* linux: starting or running (a stop or an exit report is due) */
    bool ip_leased, ct_freeing;
    uv_process_t proc;
    bool proc_alive, proc_handle;
    uv_timer_t kill_timer;
    bool timer_init;
    int log_fd;
    bool started_reported, stopping, died;
    bool adopt;     /* after a daemon restart: take over what still runs */
    bool adopting;  /* linux: a container adopt is in flight */
    bool replacing; /* linux: a leftover container is stopped before a fresh start */
    bool detaching; /* the daemon exits and leaves the guest running (keep_running_on_exit) */
    int closing_handles;
};

/* Appends "ancloudd: what" to the instance log. */
void anc__rt_log_line(struct anc_runtime *rt, const char *what);
/* Reports the end of a start (error NULL: started) once. */
void anc__rt_report_started(struct anc_runtime *rt, const char *error);
/* The guest ended: a failed start or a death, reported once; then teardown. */
void anc__rt_guest_gone(struct anc_runtime *rt, const char *why);
/* Frees what is left once no command or container is active: container object, screen, handles. */
void anc__rt_teardown(struct anc_runtime *rt);

/* runtime_container.c: starts (or, after a daemon restart, adopts) the linux guest's container on
 * the screen that is ready. Returns 0 (a callback follows) or -errno with why filled. */
int anc__rt_start_container(struct anc_runtime *rt, char *why, size_t whylen);
