/* The LXC configuration of a Linux guest (DESIGN.md §4, docs/containers.md). Pure: no I/O, any
 * thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "container/spec.h"

/* The guest's default init when the spec gives no command. */
#define ANC_GUEST_INIT "/sbin/ancloud-guest"
/* Inside the container: the host FIFO or file (spec.console_log) the guest's stdout and stderr go
 * to. */
#define ANC_GUEST_OUTPUT "/dev/.ancloud-output"
/* Inside the container: the display's cookie file (spec.xauthority), XAUTHORITY's value. */
#define ANC_GUEST_XAUTHORITY "/dev/.ancloud-xauthority"

/* The seccomp policy of a Linux guest, written next to its config (<lxcpath>/<name>/seccomp):
 * LXC 5.0's default (/usr/share/lxc/config/common.seccomp) plus the kernel keyring calls, which
 * LXD also refuses (ENOSYS, so that programs fall back rather than fail). */
#define ANC_LINUX_SECCOMP                                                                          \
    "2\ndenylist\nreject_force_umount\n[all]\nkexec_load errno 1\nopen_by_handle_at errno 1\n"     \
    "init_module errno 1\nfinit_module errno 1\ndelete_module errno 1\nkeyctl errno 38\n"          \
    "add_key errno 38\nrequest_key errno 38\n"

/* The capabilities a Linux guest keeps (lxc.cap.keep; all others are dropped): Docker's default
 * set without mknod. See docs/containers.md for what is gone (sys_admin, dac_read_search, ...). */
#define ANC_LINUX_CAPS                                                                             \
    "chown dac_override fowner fsetid kill setgid setuid setpcap setfcap net_bind_service "        \
    "net_raw sys_chroot audit_write"

/* Writes the config text for spec into a new NUL-terminated buffer (*out, caller frees).
 * Paths are derived from the spec as documented in spec.h. Returns 0, -EINVAL for a spec that
 * cannot be expressed (bad id, a path or argument with a newline) or -ENOMEM. */
int anc_profile_linux_config(const struct anc_container_spec *spec, char **out);

/* The cgroup limit keys for layout (lxc.cgroup2.* on V2, lxc.cgroup.* on V1): memory in MiB,
 * cpus as a relative weight (100 per core on v2, capped at 10000; 1024 shares per core on v1),
 * pids. A limit of 0 writes no key. Shared by every kind of container. */
void anc_profile_put_cgroup(FILE *f, enum anc_cgroup_layout layout, int memory_mb, int cpus,
                            int pids_max);

/* The network keys: a veth named eth0 on bridge, up, with the static address and gateway when
 * given, and hook as lxc.net.0.script.up when not NULL; bridge NULL writes
 * "lxc.net.0.type = empty" (loopback only). Values are not checked here: the caller validates
 * them. */
void anc_profile_put_net(FILE *f, const char *bridge, const char *ipv4_cidr, const char *gateway,
                         const char *hook);

/* "ancloud-<id>" into buf; -ENAMETOOLONG or -EINVAL (bad id). */
int anc_container_name(const char *id, char *buf, size_t len);

/* Detects the host's cgroup layout: V2 when /sys/fs/cgroup is a cgroup2 file system. */
enum anc_cgroup_layout anc_profile_cgroup_layout(void);

/* Whether the host's AppArmor is enabled (/sys/module/apparmor/parameters/enabled is Y). */
bool anc_profile_apparmor_enabled(void);
