/* Binder probe (pure parsers + a thin reader of /proc, /sys, /dev) and binderfs node management. */
#include "container/binder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/android/binderfs.h>
#include <linux/magic.h>

#define FIX_HINT "; see kernel/README.md and run kernel/check"

static const char *const ctx_suffix[ANC_BINDER_NCTX] = {"binder", "hwbinder", "vndbinder"};
static const char *const ctx_target[ANC_BINDER_NCTX] = {"dev/binder", "dev/hwbinder",
                                                        "dev/vndbinder"};

/* --- pure helpers --------------------------------------------------------------------------- */

/* Copies the next line of *p into line (truncated to cap-1) and advances *p. False at the end. */
static bool next_line(const char **p, char *line, size_t cap)
{
    const char *s = *p, *nl;
    size_t n;

    if (!s || !*s)
        return false;
    nl = strchr(s, '\n');
    n = nl ? (size_t)(nl - s) : strlen(s);
    *p = nl ? nl + 1 : s + n;
    if (n >= cap)
        n = cap - 1;
    memcpy(line, s, n);
    line[n] = '\0';
    return true;
}

bool anc_binder_has_filesystem(const char *proc_filesystems, const char *fs)
{
    const char *p = proc_filesystems;
    char line[256], a[128], b[128];

    while (next_line(&p, line, sizeof(line))) {
        int n = sscanf(line, "%127s %127s", a, b);
        /* "nodev<TAB>binder" or "<TAB>ext4": the type is the last field on the line. */
        if ((n == 2 && strcmp(b, fs) == 0) || (n == 1 && strcmp(a, fs) == 0))
            return true;
    }
    return false;
}

int anc_binder_char_major(const char *proc_devices, const char *name)
{
    const char *p = proc_devices;
    char line[256], dev[128];
    bool in_char = false;
    int major;

    while (next_line(&p, line, sizeof(line))) {
        if (strncmp(line, "Character devices:", 18) == 0) {
            in_char = true;
            continue;
        }
        if (strncmp(line, "Block devices:", 14) == 0) {
            in_char = false;
            continue;
        }
        if (in_char && sscanf(line, "%d %127s", &major, dev) == 2 && major > 0 &&
            strcmp(dev, name) == 0)
            return major;
    }
    return -ENOENT;
}

bool anc_binder_has_misc(const char *proc_misc, const char *name)
{
    const char *p = proc_misc;
    char line[256], dev[128];
    int minor;

    while (next_line(&p, line, sizeof(line)))
        if (sscanf(line, "%d %127s", &minor, dev) == 2 && strcmp(dev, name) == 0)
            return true;
    return false;
}

int anc_binder_caps_check(const struct anc_binder_caps *c, char *why, size_t len)
{
    if (len > 0)
        why[0] = '\0';
    if (!c->binderfs && !c->binder_dev && c->binder_module) {
        snprintf(why, len,
                 "kind \"android\" needs binder: binder_linux is loaded but /dev/binder, "
                 "/dev/hwbinder and /dev/vndbinder are not all there and the kernel has no "
                 "binderfs; reload it (modprobe -r binder_linux && modprobe binder_linux "
                 "devices=binder,hwbinder,vndbinder) or use a kernel with "
                 "CONFIG_ANDROID_BINDERFS=y" FIX_HINT);
        return -ENODEV;
    }
    if (!c->binderfs && !c->binder_dev) {
        snprintf(why, len,
                 "kind \"android\" needs binder: the kernel has neither binderfs nor /dev/binder; "
                 "load binder_linux (modprobe binder_linux devices=binder,hwbinder,vndbinder) or "
                 "use a kernel with CONFIG_ANDROID_BINDERFS=y" FIX_HINT);
        return -ENODEV;
    }
    if (!c->ashmem && !c->memfd) {
        snprintf(why, len,
                 "kind \"android\" needs shared memory: the kernel has neither /dev/ashmem nor "
                 "memfd_create; use a kernel with CONFIG_MEMFD_CREATE=y (Android then runs with "
                 "sys.use_memfd=true) or load ashmem_linux on kernels before 5.18" FIX_HINT);
        return -ENODEV;
    }
    return 0;
}

static bool id_valid(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > ANC_BINDER_ID_MAX || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

int anc_binder_device_name(const char *id, enum anc_binder_ctx ctx, char *buf, size_t len)
{
    int n;

    if (!id || !id_valid(id) || (unsigned)ctx >= ANC_BINDER_NCTX)
        return -EINVAL;
    n = snprintf(buf, len, "anbox-%s-%s", id, ctx_suffix[ctx]);
    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    return 0;
}

const char *anc_binder_ctx_target(enum anc_binder_ctx ctx)
{
    return (unsigned)ctx < ANC_BINDER_NCTX ? ctx_target[ctx] : NULL;
}

/* --- host probe ------------------------------------------------------------------------------ */

/* Reads a small text file (under /proc, sizes are not known in advance) into buf. */
static int read_text(const char *root, const char *rel, char *buf, size_t cap)
{
    char path[PATH_MAX];
    size_t off = 0;
    int fd;

    if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    while (off + 1 < cap) {
        ssize_t n = read(fd, buf + off, cap - 1 - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    buf[off] = '\0';
    close(fd);
    return 0;
}

static bool exists(const char *root, const char *rel)
{
    char path[PATH_MAX];

    if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
        return false;
    return access(path, F_OK) == 0;
}

static bool memfd_works(void)
{
#ifdef SYS_memfd_create
    int fd = (int)syscall(SYS_memfd_create, "ancloud-probe", 1u /* MFD_CLOEXEC */);
    if (fd < 0)
        return false;
    close(fd);
    return true;
#else
    return false;
#endif
}

int anc_binder_probe_root(const char *root, struct anc_binder_caps *out, char *why, size_t len)
{
    char text[16384];
    int major;

    memset(out, 0, sizeof(*out));
    if (read_text(root, "proc/filesystems", text, sizeof(text)) == 0)
        out->binderfs = anc_binder_has_filesystem(text, "binder");
    if (read_text(root, "proc/devices", text, sizeof(text)) == 0) {
        major = anc_binder_char_major(text, "binder");
        out->binderfs_major = major > 0 ? major : 0;
    }
    out->binder_module = exists(root, "sys/module/binder_linux");
    out->binder_dev =
        exists(root, "dev/binder") && exists(root, "dev/hwbinder") && exists(root, "dev/vndbinder");
    out->ashmem = exists(root, "dev/ashmem");
    out->memfd = memfd_works();
    return anc_binder_caps_check(out, why, len);
}

int anc_binder_probe(struct anc_binder_caps *out, char *why, size_t len)
{
    return anc_binder_probe_root("", out, why, len);
}

/* --- binderfs nodes -------------------------------------------------------------------------- */

int anc_binderfs_mount(const char *run_dir, char *dir, size_t len)
{
    struct statfs sfs;

    if (snprintf(dir, len, "%s/binderfs", run_dir) >= (int)len)
        return -ENAMETOOLONG;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (statfs(dir, &sfs) == 0 && sfs.f_type == BINDERFS_SUPER_MAGIC)
        return 0;
    /* One mount per host: binderfs instances are per IPC namespace, and the daemon's namespace
     * holds every instance's devices; a second mount here would see the same devices anyway. */
    if (mount("binder", dir, "binder", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return errno == ENODEV ? -ENODEV : -errno;
    return 0;
}

static int node_path(const char *binderfs_dir, const char *id, enum anc_binder_ctx ctx, char *path,
                     size_t len)
{
    char name[BINDERFS_MAX_NAME + 1];
    int r = anc_binder_device_name(id, ctx, name, sizeof(name));

    if (r < 0)
        return r;
    if (snprintf(path, len, "%s/%s", binderfs_dir, name) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

static int ctl_add(int ctl, const char *binderfs_dir, const char *name)
{
    struct binderfs_device dev;
    char path[PATH_MAX];

    memset(&dev, 0, sizeof(dev));
    snprintf(dev.name, sizeof(dev.name), "%s", name);
    if (ioctl(ctl, BINDER_CTL_ADD, &dev) == 0)
        return 0;
    if (errno != EEXIST)
        return -errno;
    /* Left over from a run that crashed before freeing: nothing can still use it, since the
     * instance id is ours and the instance is being started now. Replace it. */
    if (snprintf(path, sizeof(path), "%s/%s", binderfs_dir, name) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    memset(&dev, 0, sizeof(dev));
    snprintf(dev.name, sizeof(dev.name), "%s", name);
    return ioctl(ctl, BINDER_CTL_ADD, &dev) == 0 ? 0 : -errno;
}

int anc_binder_nodes_alloc(const char *binderfs_dir, const char *id, struct anc_binder_nodes *out)
{
    char ctl_path[PATH_MAX], name[BINDERFS_MAX_NAME + 1];
    int ctl, r = 0, i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < ANC_BINDER_NCTX; i++) {
        r = node_path(binderfs_dir, id, (enum anc_binder_ctx)i, out->host[i], PATH_MAX);
        if (r < 0)
            return r;
    }
    if (snprintf(ctl_path, sizeof(ctl_path), "%s/binder-control", binderfs_dir) >=
        (int)sizeof(ctl_path))
        return -ENAMETOOLONG;
    ctl = open(ctl_path, O_RDWR | O_CLOEXEC);
    if (ctl < 0)
        return -errno;
    for (i = 0; i < ANC_BINDER_NCTX; i++) {
        anc_binder_device_name(id, (enum anc_binder_ctx)i, name, sizeof(name));
        r = ctl_add(ctl, binderfs_dir, name);
        if (r < 0)
            break;
    }
    close(ctl);
    if (r < 0) {
        while (--i >= 0)
            unlink(out->host[i]);
        memset(out, 0, sizeof(*out));
        return r;
    }
    out->allocated = true;
    return 0;
}

int anc_binder_nodes_legacy(const char *dev_dir, struct anc_binder_nodes *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < ANC_BINDER_NCTX; i++) {
        if (snprintf(out->host[i], PATH_MAX, "%s/%s", dev_dir, ctx_suffix[i]) >= PATH_MAX)
            return -ENAMETOOLONG;
        if (access(out->host[i], F_OK) < 0) {
            memset(out, 0, sizeof(*out));
            return -ENODEV;
        }
    }
    return 0;
}

int anc_binder_nodes_free(const char *binderfs_dir, const char *id)
{
    char path[PATH_MAX];
    int first = 0;

    for (int i = 0; i < ANC_BINDER_NCTX; i++) {
        int r = node_path(binderfs_dir, id, (enum anc_binder_ctx)i, path, sizeof(path));
        if (r == 0 && unlink(path) < 0 && errno != ENOENT)
            r = -errno;
        if (r < 0 && first == 0)
            first = r;
    }
    return first;
}
