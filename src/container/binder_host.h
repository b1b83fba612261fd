/* The binder devices of one Android instance, made on the host before its container starts and
 * removed when it is gone.
 *
 * Three routes (enum anc_binder_mode, container/binder.h):
 *   guest  redroid's init mounts a binderfs of its own inside the container and allocates
 *          binder, hwbinder and vndbinder there; the host checks the kernel and does nothing else;
 *   host   ancloudd mounts one binderfs at <run_dir>/binderfs and allocates the instance's three
 *          devices there through binder-control ("<id>.binder", "<id>.hwbinder",
 *          "<id>.vndbinder"; '.' never occurs in an id, so two ids never share a name). They are
 *          bind-mounted as /dev/binder, /dev/hwbinder, /dev/vndbinder, and unlinked when the
 *          instance's container is gone. For images whose init does not allocate binderfs
 *          devices itself, and to see every instance's devices from the host;
 *   nodes  kernels without binderfs: a claimed slot of the driver's named devices (binder.h).
 * Before a host or nodes start, BINDER_VERSION is asked on each device, so a device that is not
 * a working binder is reported at once and not as an Android boot that never completes.
 *
 * Everything here blocks briefly (mount(2), ioctl, unlink) and is called on the loop thread at
 * start and after the container is gone, as the rest of the android kind's setup is. */
#pragma once

#include <stddef.h>

#include "container/binder.h"

/* What the operator asks for ([android] binder). */
enum anc_binder_pref {
    ANC_BINDER_PREF_AUTO = 0, /* guest where the kernel has binderfs, else nodes */
    ANC_BINDER_PREF_GUEST,
    ANC_BINDER_PREF_HOST,
};

/* Parses "auto" | "guest" | "host"; -EINVAL otherwise. */
int anc_binder_pref_parse(const char *s, enum anc_binder_pref *out);
/* "guest" | "host" | "nodes". */
const char *anc_binder_mode_name(enum anc_binder_mode mode);

/* The binder of one instance, as set up. */
struct anc_binder_setup {
    enum anc_binder_mode mode;
    struct anc_binder_nodes nodes; /* host and nodes: the device paths to bind */
    int version;                   /* host and nodes: BINDER_VERSION of the devices */
    bool memfd;                    /* no /dev/ashmem on the host: Android uses memfd */
};

/* Probes the host, picks the route (pref against what the kernel offers) and makes the devices
 * of instance id under run_dir (<run_dir>/binderfs, or claims under <run_dir>/binder). Returns 0,
 * or -ENODEV (the kernel cannot do it), -EINVAL (bad id), -EBUSY (no free slot of named devices),
 * -EPROTO (a device failed BINDER_VERSION) or another negative errno, with the reason and the fix
 * in why; on failure nothing is left behind. Doing it again for the same id reuses what is there
 * (a daemon restarted after a crash). */
int anc_binder_setup(const char *run_dir, const char *id, enum anc_binder_pref pref,
                     struct anc_binder_setup *out, char *why, size_t len);

/* Removes what anc_binder_setup made for id in mode (host: unlinks the devices; nodes: drops the
 * claim; guest: nothing). What is already gone is fine. Returns 0 or a negative errno. */
int anc_binder_teardown(const char *run_dir, const char *id, enum anc_binder_mode mode);

/* --- the pieces, for tests and kernel/ checks ------------------------------------------------ */

/* Mounts a binderfs instance on dir (created) unless one is there already. 0 or -errno
 * (-ENODEV: no binderfs in this kernel). */
int anc_binderfs_mount(const char *dir);
/* Allocates id's three devices through <mnt>/binder-control (existing ones are reused) and writes
 * their paths into out. 0, -EINVAL (bad id) or -errno; on failure none of id's devices is left. */
int anc_binderfs_alloc(const char *mnt, const char *id, struct anc_binder_nodes *out);
/* Unlinks id's devices from <mnt>. Devices already gone are fine. 0, -EINVAL or -errno. */
int anc_binderfs_free(const char *mnt, const char *id);
/* Opens path and asks BINDER_VERSION: the protocol version (> 0) or -errno. */
int anc_binder_version(const char *path);
