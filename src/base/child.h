/* A supervised child process on the loop: spawn (or adopt what a previous daemon left running),
 * a pid record for the next daemon, restart with back-off, a graceful stop, detach, and one close
 * callback after which the object is gone. Xvfb (instance/display), dnsmasq (net/dnsmasq_uv) and
 * the x11 command (instance/runtime_x11) run through it. Loop thread only; logs at debug only.
 *
 * A run is one process: spawned by us (a uv_process_t) or adopted from the pid record (watched
 * through a pidfd, base/pidwatch.h: it is not our child, so its exit status is unknown). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define ANC_CHILD_MAX_FDS 8
#define ANC_CHILD_IGNORE  (-1) /* a stdio slot the child gets /dev/null for */

struct anc_child;

/* What one spawn uses. fds[i] becomes the child's fd i: ANC_CHILD_IGNORE or one of our fds (it
 * is duplicated into the child; the owner keeps and closes its own). */
struct anc_child_spawn {
    char **argv; /* argv[0] is looked up in PATH */
    int fds[ANC_CHILD_MAX_FDS];
    int nfds;
};

struct anc_child_restart {
    uint64_t min_ms;    /* 0: never restart (the child then stays ended until stopped) */
    uint64_t max_ms;    /* the delay doubles from min_ms up to this */
    uint64_t stable_ms; /* a run this long resets the delay to min_ms */
    /* Count a run from anc_child_ready instead of from its spawn (a run never ready is never
     * stable). */
    bool stable_from_ready;
};

struct anc_child_params {
    char **argv;                /* copied; the default argv of every spawn */
    char **env;                 /* copied; NULL: the daemon's environment */
    const char *cwd;            /* copied; NULL: the daemon's */
    int fds[ANC_CHILD_MAX_FDS]; /* default stdio, as in anc_child_spawn (not copied: must stay */
    int nfds;                   /* open while the child may be spawned again) */
    /* Pid record for the next daemon (NULL: none) and the one whole argument ("\n...\n", see
     * anc_proc_matches) that tells the recorded process is still ours. The record is written as
     * "PID\n" at each spawn (unless record_later: the owner calls anc_child_record) and removed
     * when an exit is seen; detach leaves it. */
    const char *record;
    const char *needle;
    bool record_later;
    /* Take over the process in the record when it still matches needle, instead of spawning the
     * first run; when it cannot be watched it is killed and a new one spawned. */
    bool adopt;
    uint64_t grace_ms; /* anc_child_stop: SIGTERM, then SIGKILL after this (0: at once) */
    struct anc_child_restart restart;
};

struct anc_child_exit {
    int64_t status;     /* exit status; < 0: the spawn failed (libuv error); adopted: -1 */
    int signal;         /* the signal that ended it, 0: none (or adopted) */
    int64_t restart_ms; /* a spawn follows after this many ms; -1: none */
};

struct anc_child_callbacks {
    /* A run ended (also one ended by anc_child_stop, with restart_ms -1; never after
     * anc_child_detach). The record is gone by then. May be NULL. */
    void (*on_exit)(struct anc_child *c, const struct anc_child_exit *e, void *data);
    /* Before every spawn, the first and each restart: s holds the params' argv and fds; the
     * owner may point them elsewhere (valid until on_spawned). A negative return counts as a
     * failed spawn. May be NULL. */
    int (*prepare)(struct anc_child *c, struct anc_child_spawn *s, void *data);
    /* After every spawn attempt prepare allowed, the first one included (even when
     * anc_child_start then fails): r is 0 (pid: anc_child_pid) or the spawn's error. The owner
     * closes what it passed in. May be NULL. */
    void (*on_spawned)(struct anc_child *c, int r, void *data);
};

/* Copies p, adopts or spawns the first run and returns 0 with *out, or a negative errno / libuv
 * error (binary missing: UV_ENOENT). A call that fails calls no callback but the spawn hooks and
 * leaves nothing that outlives the loop's next turn. */
int anc_child_start(uv_loop_t *loop, const struct anc_child_params *p,
                    const struct anc_child_callbacks *cbs, void *data, struct anc_child **out);

/* The running process's pid, 0 when none (ended, between restarts). */
int anc_child_pid(const struct anc_child *c);
/* The first run was adopted from the record rather than spawned. */
bool anc_child_adopted(const struct anc_child *c);
/* How many spawns the back-off made (failed ones included). */
unsigned anc_child_restarts(const struct anc_child *c);

/* Sends sig to the running process. Returns 0, or -ESRCH when none runs. */
int anc_child_signal(struct anc_child *c, int sig);
/* The current run is up (see restart.stable_from_ready). */
void anc_child_ready(struct anc_child *c);
/* Rewrites the record as "PID EXTRA\n" (extra NULL: "PID\n") for the running process. Returns 0,
 * -ESRCH when none runs, -EINVAL without a record path, or the write's -errno. */
int anc_child_record(struct anc_child *c, const char *extra);

/* Ends the object: SIGTERM to a running process, SIGKILL after grace_ms, waits for the exit
 * (reported through on_exit), then frees c and calls on_closed(data) (may be NULL). No restart
 * follows. Call once; c may be NULL (on_closed is then called at once). */
void anc_child_stop(struct anc_child *c, void (*on_closed)(void *data), void *data);
/* Lets go of a running process, which keeps running, its record staying for the next daemon;
 * frees c and calls on_closed(data). With no process running, the same as anc_child_stop. */
void anc_child_detach(struct anc_child *c, void (*on_closed)(void *data), void *data);

/* The pid in record when that process still matches needle, else 0; the rest of its first line
 * (after the pid and blanks, newline cut) goes to extra when not NULL. The record stays. */
int anc_child_record_read(const char *record, const char *needle, char *extra, size_t len);
/* SIGKILLs the process in record if it still matches needle, removes the record, and waits up to
 * wait_ms for the process to end (so that its sockets are free). Returns its pid or 0. Blocks
 * the loop for at most wait_ms. */
int anc_child_kill_leftover(const char *record, const char *needle, int wait_ms);
