/* Binder for Android (redroid) guests: what the host kernel offers (probe), and the binder nodes
 * of one instance on a kernel without binderfs.
 *
 * Android talks to itself over binder, through three contexts seen inside the container as
 * /dev/binder, /dev/hwbinder and /dev/vndbinder. Two ways to get them:
 *   - binderfs (CONFIG_ANDROID_BINDERFS, preferred): redroid's init mounts its own binderfs and
 *     allocates the three devices itself, so the host does nothing per container and every
 *     instance has its own contexts (ANC_BINDER_GUESTFS);
 *   - named devices (ANC_BINDER_NODES): a kernel with binder but no binderfs creates the devices
 *     listed in the driver's devices= parameter at load time (for example
 *     "modprobe binder_linux devices=binder1,binder2,...,binder6"). Each instance claims three of
 *     them (a slot: devices 3k, 3k+1, 3k+2 of the list), bind-mounted as /dev/binder, /dev/hwbinder
 *     and /dev/vndbinder. Six devices make two slots, so two instances at a time.
 * Shared memory comes from /dev/ashmem where the kernel still has it (removed in 5.18), otherwise
 * from memfd (the guest is booted with androidboot.use_memfd=1).
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

/* How an instance gets its binder contexts (see above). */
enum anc_binder_mode {
    ANC_BINDER_GUESTFS = 0, /* the guest mounts its own binderfs (redroid's init) */
    ANC_BINDER_NODES,       /* a claimed slot of the driver's named devices, bound in */
    ANC_BINDER_HOSTFS, /* devices the host allocated on its binderfs, bound in (binder_host.h) */
};

/* The driver's device list when its devices= parameter cannot be read (the kernel's default). */
#define ANC_BINDER_DEFAULT_DEVICES "binder,hwbinder,vndbinder"
#define ANC_BINDER_NAME_MAX        64 /* longest device name accepted, NUL included */
#define ANC_BINDER_DEVICES_MAX     64 /* most devices read from the list */

struct anc_binder_caps {
    bool binderfs;      /* "binder" listed in /proc/filesystems */
    bool binder_module; /* /sys/module/binder_linux exists (loaded, or built in under that name) */
    char devices[512];  /* the driver's devices= list; ANC_BINDER_DEFAULT_DEVICES when unreadable */
    int nodes;          /* how many devices of that list exist under /dev */
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

/* Splits the driver's devices= list ("binder1,binder2,binder3\n") into names. Returns how many
 * (at most max), or -EINVAL for an empty name or one that is not [A-Za-z0-9_.-] or starts with
 * '.', or is ANC_BINDER_NAME_MAX long or longer. */
int anc_binder_device_list(const char *csv, char names[][ANC_BINDER_NAME_MAX], int max);

/* Decides whether caps are enough for an Android guest. Returns 0, or -ENODEV with a message in
 * why that names what is missing and how to fix it, and points at kernel/check (always
 * NUL-terminated when len > 0; empty on success). The message fits in ANC_BINDER_WHY_MAX bytes. */
#define ANC_BINDER_WHY_MAX 256
int anc_binder_caps_check(const struct anc_binder_caps *caps, char *why, size_t len);

/* The binder mode caps call for: binderfs when the kernel has it, else named devices. */
enum anc_binder_mode anc_binder_mode_of(const struct anc_binder_caps *caps);

/* The path a context is bind-mounted to, relative to the container's root ("dev/binder"). */
const char *anc_binder_ctx_target(enum anc_binder_ctx ctx);

/* True for an instance id binder names may be made from: [A-Za-z0-9_-], 1 to 64 long. */
bool anc_binder_id_ok(const char *id);

/* --- host probe ---------------------------------------------------------------------------- */

/* Probes the running host. Returns 0 if Android guests can have binder and shared memory here,
 * else -ENODEV with the reason and the fix in why. out is filled either way. */
int anc_binder_probe(struct anc_binder_caps *out, char *why, size_t len);

/* The same, with /proc, /sys and /dev looked up under `root` (a fake tree in tests; "" is the
 * host). memfd is always probed on the running kernel. */
int anc_binder_probe_root(const char *root, struct anc_binder_caps *out, char *why, size_t len);

/* --- named devices of one instance (kernels without binderfs) ------------------------------ */

struct anc_binder_nodes {
    char host[ANC_BINDER_NCTX][PATH_MAX]; /* host paths to bind-mount, indexed by ctx */
    int slot;                             /* devices 3*slot .. 3*slot+2 of the list */
};

/* Claims a free slot of the device list `devices` (caps.devices) for instance `id` and writes
 * the host nodes (<dev_dir>/<name>) to out. A claim is the file <claim_dir>/slot<k> holding the
 * id, created atomically; claim_dir (created) should be on a tmpfs such as <run_dir>/binder, so
 * claims end with the boot that created the devices. A slot already claimed by the same id is
 * taken back (a daemon restarted after a crash). Returns 0, -EINVAL (bad id or list), -ENODEV
 * (fewer than three devices, or a node of the slot missing under dev_dir), -EBUSY (every slot is
 * claimed) or another negative errno. */
int anc_binder_nodes_claim(const char *claim_dir, const char *dev_dir, const char *devices,
                           const char *id, struct anc_binder_nodes *out);

/* Drops every claim of instance `id` under claim_dir. Claims already gone are fine. Returns 0 or
 * a negative errno. */
int anc_binder_nodes_release(const char *claim_dir, const char *id);
