/* Binder for Android guests: what the host kernel offers (probe), and per-instance binder nodes.
 *
 * Android talks to itself over binder. Anbox-style guests need three binder contexts, seen inside
 * the container as /dev/binder, /dev/hwbinder and /dev/vndbinder. Two ways to get them:
 *   - binderfs (CONFIG_ANDROID_BINDERFS, preferred): one binderfs mount per host under
 *     <run_dir>/binderfs; every instance allocates its own three devices through binder-control
 *     (BINDER_CTL_ADD) with unique names, so instances never share a context manager;
 *   - the binder_linux module loaded with devices=binder,hwbinder,vndbinder (fallback): fixed
 *     nodes in /dev, shared by every instance, so only one Android instance can run at a time.
 * Shared memory comes from /dev/ashmem where the kernel still has it (removed in 5.18), otherwise
 * from memfd (the image then runs with sys.use_memfd=true).
 *
 * The parsers take file contents and never touch the file system; anc_binder_probe() reads the
 * real files. Nothing here logs: callers report the message they get in `why`. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* The binder contexts an Android guest needs, in this order everywhere below. */
enum anc_binder_ctx { ANC_BINDER_CTX_BINDER, ANC_BINDER_CTX_HWBINDER, ANC_BINDER_CTX_VNDBINDER };
#define ANC_BINDER_NCTX 3

/* Longest instance id accepted in device names ("anbox-<id>-vndbinder" must fit binderfs' 255). */
#define ANC_BINDER_ID_MAX 64

struct anc_binder_caps {
    bool binderfs;      /* "binder" listed in /proc/filesystems */
    bool binder_module; /* /sys/module/binder_linux exists (loaded, or built in under that name) */
    bool binder_dev;    /* /dev/binder, /dev/hwbinder and /dev/vndbinder all exist */
    bool ashmem;        /* /dev/ashmem exists */
    bool memfd;         /* memfd_create(2) works */
    int binderfs_major; /* char major of binderfs devices from /proc/devices; 0: unknown */
};

/* --- pure helpers ------------------------------------------------------------------------- */

/* True if `fs` is a file system type in /proc/filesystems text ("nodev\tbinder\n" lines). */
bool anc_binder_has_filesystem(const char *proc_filesystems, const char *fs);

/* The major number of character device `name` in /proc/devices text, or -ENOENT. Block devices
 * (after "Block devices:") are not considered. */
int anc_binder_char_major(const char *proc_devices, const char *name);

/* True if misc device `name` is registered in /proc/misc text ("minor name" lines). Legacy binder
 * and ashmem are misc devices, so they show up there and not in /proc/devices. */
bool anc_binder_has_misc(const char *proc_misc, const char *name);

/* Decides whether caps are enough for an Android guest. Returns 0, or -ENODEV with an actionable
 * message in why (always NUL-terminated when len > 0; empty on success). */
int anc_binder_caps_check(const struct anc_binder_caps *caps, char *why, size_t len);

/* Writes the binderfs device name of instance `id` for context `ctx` ("anbox-<id>-hwbinder").
 * Returns 0, -EINVAL for an id that is empty, too long or not [A-Za-z0-9_.-] (or starts with '.'),
 * or -ENAMETOOLONG if buf is too small. */
int anc_binder_device_name(const char *id, enum anc_binder_ctx ctx, char *buf, size_t len);

/* The path a context is bind-mounted to, relative to the container's root ("dev/binder"). */
const char *anc_binder_ctx_target(enum anc_binder_ctx ctx);

/* --- host probe ---------------------------------------------------------------------------- */

/* Probes the running host. Returns 0 if Android guests can have binder and shared memory here,
 * else -ENODEV with the reason and the fix in why. out is filled either way. */
int anc_binder_probe(struct anc_binder_caps *out, char *why, size_t len);

/* The same, with /proc, /sys and /dev looked up under `root` (a fake tree in tests; "/" is the
 * host). memfd is always probed on the running kernel. */
int anc_binder_probe_root(const char *root, struct anc_binder_caps *out, char *why, size_t len);

/* --- binder nodes of one instance (need a binder kernel and root) -------------------------- */

struct anc_binder_nodes {
    char host[ANC_BINDER_NCTX][PATH_MAX]; /* host paths to bind-mount, indexed by ctx */
    bool allocated;                       /* true: binderfs devices this instance owns */
};

/* Mounts binderfs at <run_dir>/binderfs once per host (creating the directory); a mount that is
 * already there is reused. Writes the mount point to dir. Returns 0 or a negative errno
 * (-ENODEV if the kernel has no binderfs). */
int anc_binderfs_mount(const char *run_dir, char *dir, size_t len);

/* Allocates the three devices of instance `id` in the binderfs mounted at binderfs_dir through
 * its binder-control node. Devices left over from a crashed run of the same id are replaced.
 * On failure nothing stays allocated. Returns 0 or a negative errno. */
int anc_binder_nodes_alloc(const char *binderfs_dir, const char *id, struct anc_binder_nodes *out);

/* Fallback without binderfs: the shared /dev/binder, /dev/hwbinder, /dev/vndbinder nodes of the
 * binder_linux module under dev_dir ("/dev"). Returns 0, or -ENODEV if one is missing. */
int anc_binder_nodes_legacy(const char *dev_dir, struct anc_binder_nodes *out);

/* Removes the devices of instance `id` from binderfs (unlink). Devices already gone are fine.
 * Returns 0 or the first negative errno. */
int anc_binder_nodes_free(const char *binderfs_dir, const char *id);
