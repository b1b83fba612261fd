/* The LXC configuration of an Android instance (a redroid image, docs/android.md), and the host
 * check done when such an instance is created.
 *
 * Layout of one instance, derived from the spec as for the linux kind (container/lxc_ops.c):
 *   rootfs   <run_dir>/<id>/rootfs: overlay of the image's squashfuse mount (read-only lower)
 *            and <state_dir>/instances/<id>/{upper,work}, mounted before start (anc_overlay_mount)
 *   /data    <state_dir>/instances/<id>/data, bind-mounted; kept across restarts (the caller
 *            creates it, see anc_android_data_dir)
 *   binder   ANC_BINDER_GUESTFS: nothing (redroid's init mounts binderfs and allocates its own
 *            devices); ANC_BINDER_HOSTFS and ANC_BINDER_NODES: the instance's three host devices
 *            (container/binder_host.h), bind-mounted as /dev/binder, /dev/hwbinder, /dev/vndbinder
 * The container is privileged (no idmap): redroid's init mounts binderfs with stats=global, which
 * needs CAP_SYS_ADMIN in the initial user namespace. The text builder is pure: it formats what it
 * is given and touches nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "container/binder.h"
#include "container/spec.h"

/* Display limits accepted in a spec (redroid's defaults are 720x1280, 320 dpi, 15 fps). */
#define ANC_ANDROID_SIZE_MIN 128
#define ANC_ANDROID_SIZE_MAX 4096
#define ANC_ANDROID_DPI_MIN  72 /* the lowest density Android's window manager accepts */
#define ANC_ANDROID_DPI_MAX  1000
#define ANC_ANDROID_FPS_MAX  60

struct anc_android_spec {
    const char *id;        /* instance id: [A-Za-z0-9_-]+; the container is "ancloud-<id>" */
    const char *run_dir;   /* rootfs at <run_dir>/<id>/rootfs */
    const char *state_dir; /* /data from <state_dir>/instances/<id>/data */
    const char *log_file;  /* lxc.log.file (level INFO); NULL: no log keys */
    /* Display, passed to redroid as androidboot.redroid_{width,height,dpi,fps}; even sizes. */
    unsigned width, height, dpi, fps;
    bool memfd; /* the host has no /dev/ashmem: boot with androidboot.use_memfd=1; false: bind
                 * the host's /dev/ashmem */
    enum anc_binder_mode binder;
    const struct anc_binder_nodes *nodes; /* HOSTFS and NODES: required; GUESTFS: ignored */
    /* Cgroup limits, as in struct anc_container_spec: 0 is no limit. */
    int memory_mb, cpus, pids_max;
    enum anc_cgroup_layout cgroup;
    /* Network: a veth on bridge with a static address (redroid's ipconfigstore copies eth0's
     * address into Android's ipconfig); bridge NULL: loopback only. */
    const char *bridge;    /* e.g. "ancloud" */
    const char *ipv4_cidr; /* e.g. "192.168.240.12/24"; required with a bridge */
    const char *gateway;   /* e.g. "192.168.240.1"; required with a bridge */
    const char *net_hook;  /* lxc.net.0.script.up (see container/spec.h); NULL: none */
};

/* Writes the config text for spec into a new NUL-terminated buffer (*out, caller frees).
 * Returns 0, -EINVAL for a spec that cannot be expressed (bad id, a relative path or one with
 * blanks or control characters, a display value out of range, HOSTFS or NODES without nodes, a
 * bridge without an address, a negative limit) or -ENOMEM. */
int anc_android_lxc_config(const struct anc_android_spec *spec, char **out);

/* <state_dir>/instances/<id>/data into buf; -EINVAL (bad id) or -ENAMETOOLONG. */
int anc_android_data_dir(const char *state_dir, const char *id, char *buf, size_t len);

/* The check run when an instance of kind "android" is created: 0 if this host can run one, else
 * -ENODEV with what is missing and the fix in why (for the API error message). */
int anc_android_check_host(char *why, size_t len);
