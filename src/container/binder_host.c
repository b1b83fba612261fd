/* The binder devices of one Android instance on the host: route choice, binderfs allocation
 * through binder-control, the BINDER_VERSION check, teardown. */
#include "container/binder_host.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/fsutil.h"

#define BINDERFS_SUPER_MAGIC 0x6c6f6f70

static const char *const ctx_name[ANC_BINDER_NCTX] = {"binder", "hwbinder", "vndbinder"};

int anc_binder_pref_parse(const char *s, enum anc_binder_pref *out)
{
    static const char *const names[] = {"auto", "guest", "host"};

    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, names[i]) == 0) {
            *out = (enum anc_binder_pref)i;
            return 0;
        }
    return -EINVAL;
}

const char *anc_binder_mode_name(enum anc_binder_mode mode)
{
    switch (mode) {
    case ANC_BINDER_GUESTFS:
        return "guest";
    case ANC_BINDER_HOSTFS:
        return "host";
    case ANC_BINDER_NODES:
        return "nodes";
    }
    return "?";
}

/* --- binderfs -------------------------------------------------------------------------------- */

int anc_binderfs_mount(const char *dir)
{
    struct statfs st;
    int r = anc_mkdir_p(dir, 0755);

    if (r < 0)
        return r;
    if (statfs(dir, &st) == 0 && st.f_type == BINDERFS_SUPER_MAGIC)
        return 0;
    if (mount("binder", dir, "binder", MS_NOSUID | MS_NOEXEC, NULL) < 0)
        return errno == ENODEV ? -ENODEV : -errno;
    return 0;
}

static int node_path(const char *mnt, const char *id, int ctx, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s.%s", mnt, id, ctx_name[ctx]);

    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int anc_binderfs_free(const char *mnt, const char *id)
{
    char path[PATH_MAX];
    int r = 0;

    if (!anc_binder_id_ok(id))
        return -EINVAL;
    for (int i = 0; i < ANC_BINDER_NCTX; i++) {
        if (node_path(mnt, id, i, path, sizeof(path)) < 0)
            return -ENAMETOOLONG;
        if (unlink(path) < 0 && errno != ENOENT && r == 0)
            r = -errno;
    }
    return r;
}

int anc_binderfs_alloc(const char *mnt, const char *id, struct anc_binder_nodes *out)
{
    char control[PATH_MAX];
    int fd, r = 0;

    memset(out, 0, sizeof(*out));
    out->slot = -1;
    if (!anc_binder_id_ok(id))
        return -EINVAL;
    if (snprintf(control, sizeof(control), "%s/binder-control", mnt) >= (int)sizeof(control))
        return -ENAMETOOLONG;
    fd = open(control, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (int i = 0; i < ANC_BINDER_NCTX && r == 0; i++) {
        struct binderfs_device dev;
        memset(&dev, 0, sizeof(dev));
        snprintf(dev.name, sizeof(dev.name), "%s.%s", id, ctx_name[i]);
        if (ioctl(fd, BINDER_CTL_ADD, &dev) < 0 && errno != EEXIST)
            r = -errno;
        if (r == 0)
            r = node_path(mnt, id, i, out->host[i], sizeof(out->host[i]));
    }
    close(fd);
    if (r < 0) {
        anc_binderfs_free(mnt, id);
        memset(out, 0, sizeof(*out));
        out->slot = -1;
    }
    return r;
}

int anc_binder_version(const char *path)
{
    struct binder_version v = {0};
    int fd = open(path, O_RDWR | O_CLOEXEC), r;

    if (fd < 0)
        return -errno;
    r = ioctl(fd, BINDER_VERSION, &v) < 0 ? -errno
        : v.protocol_version > 0          ? v.protocol_version
                                          : -EPROTO;
    close(fd);
    return r;
}

/* --- one instance ---------------------------------------------------------------------------- */

static int pick_mode(const struct anc_binder_caps *caps, enum anc_binder_pref pref,
                     enum anc_binder_mode *mode, char *why, size_t len)
{
    if (pref == ANC_BINDER_PREF_AUTO) {
        *mode = anc_binder_mode_of(caps);
        return 0;
    }
    if (!caps->binderfs) {
        snprintf(why, len,
                 "[android] binder = %s needs binderfs, which this kernel does not have; boot a "
                 "kernel with CONFIG_ANDROID_BINDERFS=y or set binder = auto (kernel/check)",
                 pref == ANC_BINDER_PREF_HOST ? "host" : "guest");
        return -ENODEV;
    }
    *mode = pref == ANC_BINDER_PREF_HOST ? ANC_BINDER_HOSTFS : ANC_BINDER_GUESTFS;
    return 0;
}

/* BINDER_VERSION on every device of the setup; -EPROTO naming the first that fails. */
static int check_versions(struct anc_binder_setup *out, char *why, size_t len)
{
    for (int i = 0; i < ANC_BINDER_NCTX; i++) {
        int v = anc_binder_version(out->nodes.host[i]);
        if (v < 0) {
            snprintf(why, len, "binder device %.200s does not answer BINDER_VERSION: %s",
                     out->nodes.host[i], strerror(-v));
            return -EPROTO;
        }
        if (i > 0 && v != out->version) {
            snprintf(why, len, "binder devices disagree on the protocol version (%d, %d)",
                     out->version, v);
            return -EPROTO;
        }
        out->version = v;
    }
    return 0;
}

static int setup_hostfs(const char *run_dir, const char *id, struct anc_binder_setup *out,
                        char *why, size_t len)
{
    char mnt[PATH_MAX];
    int r;

    snprintf(mnt, sizeof(mnt), "%s/binderfs", run_dir);
    if ((r = anc_binderfs_mount(mnt)) < 0) {
        snprintf(why, len, "cannot mount binderfs on %.200s: %s", mnt, strerror(-r));
        return r;
    }
    if ((r = anc_binderfs_alloc(mnt, id, &out->nodes)) < 0)
        snprintf(why, len, "cannot allocate binder devices in %.200s: %s", mnt, strerror(-r));
    return r;
}

static int setup_nodes(const char *run_dir, const char *id, const struct anc_binder_caps *caps,
                       struct anc_binder_setup *out, char *why, size_t len)
{
    char claims[PATH_MAX];
    int r;

    snprintf(claims, sizeof(claims), "%s/binder", run_dir);
    r = anc_binder_nodes_claim(claims, "/dev", caps->devices, id, &out->nodes);
    if (r < 0)
        snprintf(why, len, "binder: no free slot of 3 devices in \"%.200s\": %s", caps->devices,
                 r == -EBUSY ? "every slot is in use (load binder_linux with more devices)"
                             : strerror(-r));
    return r;
}

int anc_binder_setup(const char *run_dir, const char *id, enum anc_binder_pref pref,
                     struct anc_binder_setup *out, char *why, size_t len)
{
    struct anc_binder_caps caps;
    int r;

    memset(out, 0, sizeof(*out));
    out->nodes.slot = -1;
    if (len > 0)
        why[0] = '\0';
    if (!anc_binder_id_ok(id)) {
        snprintf(why, len, "binder: bad instance id");
        return -EINVAL;
    }
    if ((r = anc_binder_probe(&caps, why, len)) < 0)
        return r;
    out->memfd = !caps.ashmem;
    if ((r = pick_mode(&caps, pref, &out->mode, why, len)) < 0)
        return r;
    if (out->mode == ANC_BINDER_GUESTFS)
        return 0;
    r = out->mode == ANC_BINDER_HOSTFS ? setup_hostfs(run_dir, id, out, why, len)
                                       : setup_nodes(run_dir, id, &caps, out, why, len);
    if (r == 0 && (r = check_versions(out, why, len)) < 0)
        anc_binder_teardown(run_dir, id, out->mode);
    return r;
}

int anc_binder_teardown(const char *run_dir, const char *id, enum anc_binder_mode mode)
{
    char dir[PATH_MAX];

    switch (mode) {
    case ANC_BINDER_HOSTFS:
        snprintf(dir, sizeof(dir), "%s/binderfs", run_dir);
        return anc_binderfs_free(dir, id);
    case ANC_BINDER_NODES:
        snprintf(dir, sizeof(dir), "%s/binder", run_dir);
        return anc_binder_nodes_release(dir, id);
    case ANC_BINDER_GUESTFS:
        break;
    }
    return 0;
}
