/* The LXC configuration of an Android (Anbox-model) instance, and the host check done when such an
 * instance is created.
 *
 * Layout of one instance (paths come from the caller, which owns them):
 *   rootfs       <run_dir>/<id>/rootfs: android.img mounted read-only with squashfuse
 *   data_upper   /var/lib/ancloud/instances/<id>/data       overlay upper dir: the instance's /data
 *   data_work    /var/lib/ancloud/instances/<id>/data-work  overlay work dir (same file system)
 *   input_dir    <run_dir>/<id>/input: the listening event sockets, seen as /dev/input
 *   binder       host nodes from container/binder.h, bind-mounted as /dev/{,hw,vnd}binder
 * The text builder is pure: it formats what it is given and touches nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container/binder.h"

struct anc_android_spec {
    const char *id;         /* instance id; also lxc.uts.name */
    const char *rootfs;     /* squashfuse mount point of android.img */
    const char *data_upper; /* overlay upper dir for /data */
    const char *data_work;  /* overlay work dir for /data */
    const char *input_dir;  /* host dir of input sockets, bind-mounted as /dev/input */
    const struct anc_binder_nodes *binder; /* host binder nodes; required */
    bool ashmem;                           /* bind /dev/ashmem; false: the guest uses memfd */
    const char *init_cmd;                  /* NULL: "/anbox-init.sh" */
    const char *log_file;                  /* NULL: no lxc.log.file line */
    /* Unprivileged container: container ids 0..id_count-1 map to host uid_base.. / gid_base..
     * id_count 0 means a privileged container (no idmap). */
    uint32_t uid_base, gid_base, id_count;
    /* Network: veth on bridge with a static address; bridge NULL means no network at all. */
    const char *bridge;       /* e.g. "ancloud" */
    const char *ipv4_cidr;    /* e.g. "192.168.240.12/24"; NULL: the guest asks DHCP */
    const char *ipv4_gateway; /* e.g. "192.168.240.1"; NULL with ipv4_cidr NULL */
};

/* Writes the LXC configuration text for spec into buf (NUL-terminated). Returns the text length,
 * -EINVAL for a missing field or a value that could break the config line format (whitespace or
 * control characters in paths, a bad id), or -ENOSPC if cap is too small. */
int anc_android_lxc_config(const struct anc_android_spec *spec, char *buf, size_t cap);

/* The check run when an instance of kind "android" is created: 0 if this host can run one, else
 * -ENODEV with the reason and the fix in why (for the API error message). */
int anc_android_check_host(char *why, size_t len);
