/* What an instance's container is made of. Plain data, copied by whoever keeps it: every pointer
 * is borrowed for the duration of the call it is passed to. */
#pragma once

#include <stdbool.h>

#define ANC_CONTAINER_MAX_ARGS 32

enum anc_cgroup_layout {
    ANC_CGROUP_V2 = 0, /* unified hierarchy: lxc.cgroup2.* keys */
    ANC_CGROUP_V1,     /* legacy or hybrid (controllers on v1): lxc.cgroup.* keys */
};

struct anc_container_spec {
    const char *id;          /* instance id: [A-Za-z0-9_-]+; the container is "ancloud-<id>" */
    const char *image;       /* image name: <image_dir>/<image>.img */
    const char *image_dir;   /* squashfs images */
    const char *state_dir;   /* lxcpath <state_dir>/lxc, overlay <state_dir>/instances/<id>/ */
    const char *run_dir;     /* <run_dir>/images/<image>, <run_dir>/<id>/{rootfs,lxc.log} */
    const char *const *argv; /* NULL-terminated command; NULL: /sbin/ancloud-guest */
    const char *display;     /* "DISPLAY" value (":N") or NULL */
    const char *x11_dir;     /* host directory bound on /tmp/.X11-unix, or NULL */
    const char *console_log; /* the guest's stdout/stderr go to this host FIFO (the daemon reads
                              * it: runtime_container.c) or are appended to this host file (when
                              * the image has /bin/sh to redirect them); NULL: discarded */
    const char
        *xauthority; /* host Xauthority file of the display (bound in, XAUTHORITY), or NULL */
    int memory_mb;   /* 0: no limit */
    int cpus;        /* relative weight in cores; 0: default */
    int pids_max;    /* 0: no limit */
    /* Network: bridge NULL → lxc.net.0.type = empty (loopback only). */
    const char *bridge;
    const char *ipv4_cidr; /* "A.B.C.D/N" or NULL (DHCP inside the guest) */
    const char *gateway;   /* "A.B.C.D" or NULL */
    /* lxc.net.0.script.up: a command LXC runs on the host end of the veth once it is on the
     * bridge, before the guest runs (network.h: the port isolation hook); NULL: none. */
    const char *net_hook;
    /* User-namespace id map (host start, count): guest ids 0..count-1 are host start..; the image
     * is then mounted id-mapped (idmap.h). 0 count: privileged (see docs/containers.md). */
    unsigned idmap_host_start, idmap_count;
    enum anc_cgroup_layout cgroup;
    bool apparmor; /* host AppArmor enabled: generated profile; else unconfined */
    /* The LXC config text of another profile (the android kind's anc_android_lxc_config): written
     * as given instead of the linux profile's, and the container's init is its lxc.init.cmd
     * (argv must be NULL; display, x11_dir, console_log, network, limits, idmap and apparmor
     * above are then not used: the text has them). NULL: the linux profile. */
    const char *lxc_config;
};
