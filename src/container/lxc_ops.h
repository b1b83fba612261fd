/* The blocking half of the container module: each function runs on a worker thread, one at a
 * time per instance (lxc.c serialises them). liblxc is used here only for calls that do not
 * fork (is_running, init_pid, shutdown, stop, wait); start() runs in a helper process
 * (forkstart.c). */
#pragma once

#include <limits.h>
#include <stddef.h>

#include "container/image.h"
#include "container/spec.h"

/* The option that makes ancloudd (or a test binary) act as the start helper. */
#define ANC_LXC_FORKSTART_ARG "--lxc-forkstart"

struct anc_lxc_paths {
    char name[96];           /* ancloud-<id> */
    char lxcpath[PATH_MAX];  /* <state_dir>/lxc */
    char config[PATH_MAX];   /* <lxcpath>/<name>/config */
    char inst_run[PATH_MAX]; /* <run_dir>/<id> */
    char rootfs[PATH_MAX];   /* <run_dir>/<id>/rootfs */
    char data_dir[PATH_MAX]; /* <state_dir>/instances/<id> (upper, work) */
    char log[PATH_MAX];      /* <run_dir>/<id>/lxc.log */
};

int anc_lxc_paths(const struct anc_container_spec *s, struct anc_lxc_paths *p);

/* Mounts the image and the overlay, writes the config and starts the container through
 * `helper_exe --lxc-forkstart NAME LXCPATH CONFIG ARGV...`. On success *init_pid is the
 * container's init (a host pid). On failure everything made is undone and err says why. */
int anc_lxc_start_sync(struct anc_image_mounts *m, const struct anc_container_spec *s,
                       const char *helper_exe, int *init_pid, char *err, size_t errlen);

/* A container still running after a daemon restart: takes the image reference its start took
 * and returns its init pid; -ESRCH when it is not running (nothing is taken then). */
int anc_lxc_adopt_sync(struct anc_image_mounts *m, const struct anc_container_spec *s,
                       int *init_pid);

/* Graceful shutdown (SIGPWR, timeout_s), then kill; waits for LXC's monitor to finish, then
 * unmounts the overlay and releases the image. Returns 0 or -errno; teardown happens anyway. */
int anc_lxc_stop_sync(struct anc_image_mounts *m, const struct anc_container_spec *s,
                      int timeout_s);

/* After init died on its own: waits for the monitor, writes why it ended into reason ("exited
 * with status N" / "killed by signal N"), tears down like stop. */
void anc_lxc_reap_sync(struct anc_image_mounts *m, const struct anc_container_spec *s, char *reason,
                       size_t len);

/* 1 running (with *init_pid when not NULL), 0 not, or -errno. */
int anc_lxc_running_sync(const char *name, const char *lxcpath, int *init_pid);

/* The reason of the last exit recorded in an LXC log (pure text scan). */
void anc_lxc_exit_reason(const char *log_text, char *reason, size_t len);
