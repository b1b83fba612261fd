/* Internals shared by display.c (Xvfb runs, restarts, stop) and display_adopt.c (taking over the
 * Xvfb a previous daemon left running). Loop thread only. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/pidwatch.h"
#include "instance/display.h"

#define HOST_SOCKET_DIR "/tmp/.X11-unix"

enum state {
    ST_STARTING, /* spawned, waiting for the display number */
    ST_ADOPTING, /* a previous daemon's Xvfb is watched; ready is reported from the timer */
    ST_READY,
    ST_BACKOFF, /* no process; the timer restarts it */
    ST_STOPPING,
    ST_FAILED,    /* the first spawn failed: free once the process handle is closed */
    ST_DETACHING, /* letting go of a running Xvfb: its handles close, it keeps running */
};

struct anc_display {
    uv_loop_t *loop;
    struct anc_display_callbacks cbs;
    void *data;
    int width, height, depth;
    enum anc_display_socket_mode mode;
    bool mode_auto;
    char *run_dir, *xvfb_path;
    char fb_path[PATH_MAX], sock_dir[PATH_MAX], sock_path[PATH_MAX + 16], rec_path[PATH_MAX];

    enum state state;
    uv_timer_t timer; /* startup timeout, restart backoff, kill timeout */
    uv_process_t proc;
    struct anc_pidwatch *adopted; /* instead of proc: the Xvfb a previous daemon started */
    bool was_adopted;             /* the first run was adopted rather than started */
    uv_pipe_t fdpipe, errpipe;    /* -displayfd and stderr, read ends */
    int run_handles;              /* handles of the current run not yet closed */
    bool exited;
    int64_t exit_status;
    int term_signal;
    char fdbuf[16];
    size_t fdlen;
    char errbuf[256];
    size_t errlen;
    int number; /* -1 until ready */
    char name[16];
    uint64_t backoff_ms, ready_at;
    void (*on_stopped)(void *data);
    void *stopped_data;
};

static inline int run_pid(const struct anc_display *d)
{
    if (d->run_handles == 0 || d->exited)
        return 0;
    return d->adopted ? anc_pidwatch_pid(d->adopted) : d->proc.pid;
}

/* Every handle of a run is closed: the run is over (restart with back-off, or finish a stop). */
void anc__display_run_ended(struct anc_display *d);

/* display_adopt.c */
void anc__display_write_record(struct anc_display *d);
/* Watches the recorded Xvfb of d's run dir instead of starting one (state ST_ADOPTING; ready
 * follows from the timer). Returns 0, or -ESRCH when there is none to adopt. */
int anc__display_adopt_run(struct anc_display *d);
/* Stops watching the adopted Xvfb without signalling it; the run then ends (run_ended). */
void anc__display_release_adopted(struct anc_display *d);
