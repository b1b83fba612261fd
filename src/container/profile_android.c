/* LXC configuration text for Android instances (pure), and the create-time host check. */
#include "container/profile_android.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_INIT "/anbox-init.sh"

struct out {
    char *buf;
    size_t cap, len;
    bool full;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->full = true;
        return;
    }
    o->len += (size_t)n;
}

/* A path that can sit in an lxc.mount.entry line and inside overlay options: absolute, and free of
 * whitespace (the fstab field separator), ',' (option separator), ':' (lowerdir separator) and
 * control characters (a newline would start a new config key). */
static bool path_ok(const char *p)
{
    if (!p || p[0] != '/')
        return false;
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == ',' || *p == ':' || *p == 0x7f)
            return false;
    return true;
}

static bool charset_ok(const char *s, const char *allowed, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    return n > 0 && n <= max && strspn(s, allowed) == n;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static bool spec_ok(const struct anc_android_spec *s)
{
    char name[ANC_BINDER_ID_MAX + 32];

    if (!s->id || anc_binder_device_name(s->id, ANC_BINDER_CTX_BINDER, name, sizeof(name)) < 0)
        return false;
    if (!path_ok(s->rootfs) || !path_ok(s->data_upper) || !path_ok(s->data_work) ||
        !path_ok(s->input_dir) || !s->binder)
        return false;
    for (int i = 0; i < ANC_BINDER_NCTX; i++)
        if (!path_ok(s->binder->host[i]))
            return false;
    if ((s->init_cmd && !path_ok(s->init_cmd)) || (s->log_file && !path_ok(s->log_file)))
        return false;
    if (s->id_count && (s->uid_base == 0 || s->gid_base == 0))
        return false; /* mapping container root onto host root is not "unprivileged" */
    if (s->bridge && !charset_ok(s->bridge, ALNUM "-_.", 15))
        return false;
    if (s->ipv4_cidr && (!s->bridge || !charset_ok(s->ipv4_cidr, "0123456789./", 18)))
        return false;
    if (s->ipv4_gateway && (!s->ipv4_cidr || !charset_ok(s->ipv4_gateway, "0123456789.", 15)))
        return false;
    return true;
}

static void emit_base(struct out *o, const struct anc_android_spec *s)
{
    emit(o, "# Android instance %s (Anbox model), written by ancloudd; edits are overwritten.\n",
         s->id);
    emit(o, "lxc.uts.name = %s\n", s->id);
    /* The image is a read-only squashfuse mount (mounted with allow_other, so the container's
     * users can read it). LXC 4.0.8-4.0.9 failed on read-only rootfs while "pinning" it with a
     * file it could not create; fixed upstream in May 2021 (lxc/lxc pull 3844). */
    emit(o, "lxc.rootfs.path = dir:%s\n", s->rootfs);
    emit(o, "lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed\n");
    emit(o, "lxc.autodev = 1\n");
    emit(o, "lxc.tty.max = 0\n");
    emit(o, "lxc.pty.max = 1024\n");
    emit(o, "lxc.console.path = none\n");
    emit(o, "lxc.init.cmd = %s\n", s->init_cmd ? s->init_cmd : DEFAULT_INIT);
    /* The stock container AppArmor profile denies mounts that Android's init performs; like
     * Anbox we run unconfined and rely on the namespaces, idmap and capability drops. */
    emit(o, "lxc.apparmor.profile = unconfined\n");
    emit(o, "lxc.cap.drop = mac_admin mac_override sys_module sys_rawio sys_time syslog\n");
    /* No lxc.cgroup.devices.* / lxc.cgroup2.devices.* keys, on purpose. Anbox set
     * "lxc.group.devices.deny" and "...allow" (a misspelt key that older LXC silently ignored);
     * from 4.0.8 on LXC rejects the key, and Anbox containers stopped starting with "Failed to
     * set config item lxc.group.devices.deny" (anbox/anbox issue 1801). The cgroup v1 spelling
     * is no cure: on cgroup2-only hosts device policy is an eBPF program LXC builds from
     * lxc.cgroup2.devices.*, and binderfs majors are dynamic, so an allow list would have to be
     * recomputed per boot. The container sees only what is bind-mounted below into its autodev
     * /dev (a tmpfs with the standard nodes). */
    if (s->log_file)
        emit(o, "lxc.log.file = %s\n", s->log_file);
}

static void emit_mounts(struct out *o, const struct anc_android_spec *s)
{
    /* /data: the image's (empty) /data below the instance's own upper dir, so the image stays
     * shared and read-only while each instance keeps its apps and settings. */
    emit(o, "lxc.mount.entry = overlay data overlay lowerdir=%s/data,upperdir=%s,workdir=%s 0 0\n",
         s->rootfs, s->data_upper, s->data_work);
    for (int i = 0; i < ANC_BINDER_NCTX; i++)
        emit(o, "lxc.mount.entry = %s %s none bind,create=file 0 0\n", s->binder->host[i],
             anc_binder_ctx_target((enum anc_binder_ctx)i));
    if (s->ashmem)
        emit(o, "lxc.mount.entry = /dev/ashmem dev/ashmem none bind,create=file 0 0\n");
    else
        emit(o, "# No /dev/ashmem on this host: the image must run with sys.use_memfd=true.\n");
    emit(o, "lxc.mount.entry = %s dev/input none bind,create=dir 0 0\n", s->input_dir);
}

static void emit_ids_net(struct out *o, const struct anc_android_spec *s)
{
    if (s->id_count) {
        emit(o, "lxc.idmap = u 0 %u %u\n", (unsigned)s->uid_base, (unsigned)s->id_count);
        emit(o, "lxc.idmap = g 0 %u %u\n", (unsigned)s->gid_base, (unsigned)s->id_count);
    }
    if (!s->bridge) {
        emit(o, "lxc.net.0.type = empty\n");
        return;
    }
    emit(o, "lxc.net.0.type = veth\n");
    emit(o, "lxc.net.0.link = %s\n", s->bridge);
    emit(o, "lxc.net.0.name = eth0\n");
    emit(o, "lxc.net.0.flags = up\n");
    if (s->ipv4_cidr)
        emit(o, "lxc.net.0.ipv4.address = %s\n", s->ipv4_cidr);
    if (s->ipv4_gateway)
        emit(o, "lxc.net.0.ipv4.gateway = %s\n", s->ipv4_gateway);
}

int anc_android_lxc_config(const struct anc_android_spec *spec, char *buf, size_t cap)
{
    struct out o = {.buf = buf, .cap = cap};

    if (!spec || !buf || !spec_ok(spec))
        return -EINVAL;
    if (cap == 0)
        return -ENOSPC;
    buf[0] = '\0';
    emit_base(&o, spec);
    emit_mounts(&o, spec);
    emit_ids_net(&o, spec);
    if (o.full) {
        buf[0] = '\0';
        return -ENOSPC;
    }
    return (int)o.len;
}

int anc_android_check_host(char *why, size_t len)
{
    struct anc_binder_caps caps;

    return anc_binder_probe(&caps, why, len);
}
