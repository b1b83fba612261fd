/* LXC configuration text for Android (redroid) instances (pure), and the create-time host check.
 * The keys follow redroid's own LXC recipe (redroid-doc deploy/lxc.md) and what lxc-create's oci
 * template writes; docs/android.md gives the reason for each. */
#include "container/profile_android.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/profile_linux.h"

/* LXC's default /dev tmpfs is 500 KB; redroid's recipe raises it to 25 MB. */
#define AUTODEV_TMPFS_SIZE 25000000

/* A path for an lxc.mount.entry or lxc.rootfs.path line: absolute, no blanks (the fstab field
 * separator), no control characters (a newline would start a new key). */
static bool path_ok(const char *p)
{
    if (!p || p[0] != '/')
        return false;
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

static bool charset_ok(const char *s, const char *allowed, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    return n > 0 && n <= max && strspn(s, allowed) == n;
}

static bool display_ok(const struct anc_android_spec *s)
{
    return s->width >= ANC_ANDROID_SIZE_MIN && s->width <= ANC_ANDROID_SIZE_MAX &&
           s->height >= ANC_ANDROID_SIZE_MIN && s->height <= ANC_ANDROID_SIZE_MAX &&
           s->width % 2 == 0 && s->height % 2 == 0 && s->dpi >= ANC_ANDROID_DPI_MIN &&
           s->dpi <= ANC_ANDROID_DPI_MAX && s->fps >= 1 && s->fps <= ANC_ANDROID_FPS_MAX;
}

static bool net_ok(const struct anc_android_spec *s)
{
    if (!s->bridge)
        return !s->ipv4_cidr && !s->gateway && !s->net_hook;
    if (s->net_hook && strpbrk(s->net_hook, "\r\n"))
        return false;
    return charset_ok(s->bridge,
                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", 15) &&
           charset_ok(s->ipv4_cidr, "0123456789./", 18) && strchr(s->ipv4_cidr, '/') &&
           charset_ok(s->gateway, "0123456789.", 15);
}

static bool spec_ok(const struct anc_android_spec *s)
{
    char name[96];

    if (anc_container_name(s->id, name, sizeof(name)) < 0 || !path_ok(s->run_dir) ||
        !path_ok(s->state_dir) || (s->log_file && !path_ok(s->log_file)))
        return false;
    if (!display_ok(s) || !net_ok(s))
        return false;
    if (s->binder == ANC_BINDER_NODES || s->binder == ANC_BINDER_HOSTFS) {
        if (!s->nodes)
            return false;
        for (int i = 0; i < ANC_BINDER_NCTX; i++)
            if (!path_ok(s->nodes->host[i]))
                return false;
    } else if (s->binder != ANC_BINDER_GUESTFS) {
        return false;
    }
    return s->memory_mb >= 0 && s->cpus >= 0 && s->pids_max >= 0;
}

/* /init with the kernel-cmdline style arguments redroid reads as ro.boot.* properties. */
static void put_init(FILE *f, const struct anc_android_spec *s)
{
    fprintf(f,
            "lxc.init.cmd = /init androidboot.hardware=redroid androidboot.redroid_width=%u "
            "androidboot.redroid_height=%u androidboot.redroid_dpi=%u androidboot.redroid_fps=%u "
            "androidboot.redroid_gpu_mode=guest%s\n",
            s->width, s->height, s->dpi, s->fps, s->memfd ? " androidboot.use_memfd=1" : "");
    fputs("lxc.init.uid = 0\nlxc.init.gid = 0\nlxc.init.cwd = /\n", f);
}

static void put_mounts(FILE *f, const struct anc_android_spec *s)
{
    fputs("lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed\n", f);
    fprintf(f, "lxc.autodev = 1\nlxc.autodev.tmpfs.size = %d\n", AUTODEV_TMPFS_SIZE);
    fprintf(f, "lxc.mount.entry = %s/instances/%s/data data none bind,create=dir 0 0\n",
            s->state_dir, s->id);
    if (s->binder != ANC_BINDER_GUESTFS)
        for (int i = 0; i < ANC_BINDER_NCTX; i++)
            fprintf(f, "lxc.mount.entry = %s %s none bind,create=file 0 0\n", s->nodes->host[i],
                    anc_binder_ctx_target((enum anc_binder_ctx)i));
    if (!s->memfd)
        fputs("lxc.mount.entry = /dev/ashmem dev/ashmem none bind,create=file 0 0\n", f);
}

int anc_android_lxc_config(const struct anc_android_spec *s, char **out)
{
    char *buf = NULL, name[96];
    size_t len = 0;
    FILE *f;

    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!s || !spec_ok(s))
        return -EINVAL;
    anc_container_name(s->id, name, sizeof(name));
    f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    fprintf(f, "# Android instance %s (redroid), written by ancloudd; rewritten at every start.\n",
            s->id);
    fprintf(f, "lxc.uts.name = %s\n", name);
    fprintf(f, "lxc.rootfs.path = dir:%s/%s/rootfs\n", s->run_dir, s->id);
    put_init(f, s);
    /* Privileged and unconfined, with no lxc.include of common.conf: LXC's capability drops,
     * seccomp filter and cgroup device list would stop redroid's init from mounting binderfs
     * and the debugfs, /proc and /sys binds its init.rc performs. */
    fputs("lxc.apparmor.profile = unconfined\n", f);
    put_mounts(f, s);
    anc_profile_put_cgroup(f, s->cgroup, s->memory_mb, s->cpus, s->pids_max);
    anc_profile_put_net(f, s->bridge, s->ipv4_cidr, s->gateway, s->net_hook);
    if (s->log_file)
        fprintf(f, "lxc.log.file = %s\nlxc.log.level = INFO\n", s->log_file);
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    return 0;
}

int anc_android_data_dir(const char *state_dir, const char *id, char *buf, size_t len)
{
    char name[96];
    int n;

    if (!state_dir || anc_container_name(id, name, sizeof(name)) < 0)
        return -EINVAL;
    n = snprintf(buf, len, "%s/instances/%s/data", state_dir, id);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int anc_android_check_host(char *why, size_t len)
{
    struct anc_binder_caps caps;

    return anc_binder_probe(&caps, why, len);
}
