/* Builds the LXC config text for a Linux guest. The keys follow what LXD sets for an application
 * container: mixed proc/sys/cgroup mounts, autodev, no console, a user namespace when the host
 * allows one (privileged fallback otherwise, docs/containers.md), and in both cases a reduced
 * capability set, LXC's default seccomp policy and a device allow-list. */
#include "container/profile_linux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool id_ok(const char *id)
{
    if (!id || !*id || strlen(id) > 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

int anc_container_name(const char *id, char *buf, size_t len)
{
    if (!id_ok(id))
        return -EINVAL;
    int n = snprintf(buf, len, "ancloud-%s", id);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A value that goes on one config line: no newline; paths in fstab-like entries: no blanks. */
static bool line_ok(const char *s)
{
    return !s || !strpbrk(s, "\r\n");
}

static bool word_ok(const char *s)
{
    return s && *s && !strpbrk(s, " \t\r\n");
}

static bool spec_ok(const struct anc_container_spec *s)
{
    if (!id_ok(s->id) || !word_ok(s->run_dir) || !word_ok(s->state_dir))
        return false;
    if ((s->x11_dir && !word_ok(s->x11_dir)) || (s->console_log && !word_ok(s->console_log)) ||
        (s->xauthority && !word_ok(s->xauthority)) || !line_ok(s->display))
        return false;
    if (s->bridge && (!word_ok(s->bridge) || (s->ipv4_cidr && !word_ok(s->ipv4_cidr)) ||
                      (s->gateway && !word_ok(s->gateway)) || !line_ok(s->net_hook)))
        return false;
    if (s->argv) {
        if (!s->argv[0])
            return false;
        for (size_t i = 0; s->argv[i]; i++)
            if (i >= ANC_CONTAINER_MAX_ARGS || !line_ok(s->argv[i]))
                return false;
    }
    return s->memory_mb >= 0 && s->cpus >= 0 && s->pids_max >= 0;
}

/* liblxc splits lxc.init.cmd at blanks and knows no quoting, so a command with a blank inside an
 * argument is left out of the file; ancloudd always hands the command to start() itself. */
static void put_init(FILE *f, const struct anc_container_spec *s)
{
    const char *def[] = {ANC_GUEST_INIT, NULL};
    const char *const *argv = s->argv ? s->argv : def;
    for (size_t i = 0; argv[i]; i++)
        if (strpbrk(argv[i], " \t") || !*argv[i]) {
            fprintf(f,
                    "# lxc.init.cmd: not expressible (blank in an argument); passed to start()\n");
            return;
        }
    fputs("lxc.init.cmd =", f);
    for (size_t i = 0; argv[i]; i++)
        fprintf(f, " %s", argv[i]);
    fputc('\n', f);
}

void anc_profile_put_cgroup(FILE *f, enum anc_cgroup_layout layout, int memory_mb, int cpus,
                            int pids_max)
{
    bool v2 = layout == ANC_CGROUP_V2;
    const char *k = v2 ? "lxc.cgroup2" : "lxc.cgroup";
    if (memory_mb > 0) {
        if (v2)
            fprintf(f, "%s.memory.max = %lld\n", k, (long long)memory_mb * 1048576);
        else
            fprintf(f, "%s.memory.limit_in_bytes = %lld\n", k, (long long)memory_mb * 1048576);
    }
    if (pids_max > 0)
        fprintf(f, "%s.pids.max = %d\n", k, pids_max);
    if (cpus > 0) {
        if (v2) {
            long w = (long)cpus * 100;
            fprintf(f, "%s.cpu.weight = %ld\n", k, w > 10000 ? 10000 : w);
        } else {
            fprintf(f, "%s.cpu.shares = %ld\n", k, (long)cpus * 1024);
        }
    }
}

void anc_profile_put_net(FILE *f, const char *bridge, const char *ipv4_cidr, const char *gateway,
                         const char *hook)
{
    if (!bridge) {
        fputs("lxc.net.0.type = empty\n", f);
        return;
    }
    fprintf(f,
            "lxc.net.0.type = veth\nlxc.net.0.link = %s\nlxc.net.0.flags = up\n"
            "lxc.net.0.name = eth0\n",
            bridge);
    if (ipv4_cidr)
        fprintf(f, "lxc.net.0.ipv4.address = %s\n", ipv4_cidr);
    if (gateway)
        fprintf(f, "lxc.net.0.ipv4.gateway = %s\n", gateway);
    if (hook)
        fprintf(f, "lxc.net.0.script.up = %s\n", hook);
}

/* The character devices a guest may use: null, zero, full, random, urandom, tty, console, ptmx
 * and the pts range. Everything else (block devices, mknod of anything) is denied; on cgroup2
 * LXC turns these lines into a BPF device program. */
static void put_devices(FILE *f, enum anc_cgroup_layout layout)
{
    static const char *const allow[] = {"1:3", "1:5", "1:7", "1:8",  "1:9",
                                        "5:0", "5:1", "5:2", "136:*"};
    const char *k = layout == ANC_CGROUP_V2 ? "lxc.cgroup2" : "lxc.cgroup";
    fprintf(f, "%s.devices.deny = a\n", k);
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
        fprintf(f, "%s.devices.allow = c %s rwm\n", k, allow[i]);
}

static void put_security(FILE *f, const struct anc_container_spec *s)
{
    if (s->idmap_count > 0)
        fprintf(f, "lxc.idmap = u 0 %u %u\nlxc.idmap = g 0 %u %u\n", s->idmap_host_start,
                s->idmap_count, s->idmap_host_start, s->idmap_count);
    fputs("lxc.cap.keep = " ANC_LINUX_CAPS "\n", f);
    fprintf(f, "lxc.seccomp.profile = %s/lxc/ancloud-%s/seccomp\n", s->state_dir, s->id);
    put_devices(f, s->cgroup);
    fprintf(f, "lxc.apparmor.profile = %s\n", s->apparmor ? "generated" : "unconfined");
}

int anc_profile_linux_config(const struct anc_container_spec *s, char **out)
{
    char *buf = NULL;
    size_t len = 0;
    char name[96];

    *out = NULL;
    if (!spec_ok(s) || anc_container_name(s->id, name, sizeof(name)) < 0)
        return -EINVAL;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    fprintf(f, "# Written by ancloudd for instance %s; rewritten at every start.\n", s->id);
    fprintf(f, "lxc.uts.name = %s\n", name);
    fprintf(f, "lxc.rootfs.path = dir:%s/%s/rootfs\n", s->run_dir, s->id);
    fputs("lxc.mount.auto = proc:mixed sys:ro cgroup:mixed\nlxc.autodev = 1\n", f);
    if (s->x11_dir)
        fprintf(f, "lxc.mount.entry = %s tmp/.X11-unix none bind,create=dir 0 0\n", s->x11_dir);
    if (s->display)
        fprintf(f, "lxc.environment = DISPLAY=%s\n", s->display);
    if (s->xauthority)
        fprintf(f,
                "lxc.mount.entry = %s %s none bind,ro,create=file 0 0\n"
                "lxc.environment = XAUTHORITY=" ANC_GUEST_XAUTHORITY "\n",
                s->xauthority, ANC_GUEST_XAUTHORITY + 1);
    put_init(f, s);
    anc_profile_put_cgroup(f, s->cgroup, s->memory_mb, s->cpus, s->pids_max);
    anc_profile_put_net(f, s->bridge, s->ipv4_cidr, s->gateway, s->net_hook);
    put_security(f, s);
    if (s->console_log) /* the guest's stdout and stderr go here (lxc_ops.c: run_helper) */
        fprintf(f, "lxc.mount.entry = %s %s none bind,create=file 0 0\n", s->console_log,
                ANC_GUEST_OUTPUT + 1);
    fputs("lxc.console.path = none\n", f);
    fprintf(f, "lxc.log.file = %s/%s/lxc.log\nlxc.log.level = INFO\n", s->run_dir, s->id);
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    return 0;
}

enum anc_cgroup_layout anc_profile_cgroup_layout(void)
{
    struct statfs st;
    if (statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
        return ANC_CGROUP_V2;
    return ANC_CGROUP_V1;
}

bool anc_profile_apparmor_enabled(void)
{
    char c = 0;
    FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
    if (!f)
        return false;
    if (fread(&c, 1, 1, f) != 1)
        c = 0;
    fclose(f);
    return c == 'Y';
}
