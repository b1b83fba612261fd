/* The LXC config text of a Linux guest, against literal expected files. */
#include "test.h"

#include <errno.h>

#include "container/lxc_ops.h"
#include "container/profile_linux.h"

static const char *const demo_argv[] = {"/usr/bin/ancloud-demo", "--fullscreen", NULL};

static struct anc_container_spec base_spec(void)
{
    struct anc_container_spec s = {
        .id = "i1",
        .image = "demo",
        .image_dir = "/var/lib/ancloud/images",
        .state_dir = "/var/lib/ancloud",
        .run_dir = "/run/ancloud",
        .argv = demo_argv,
        .display = ":3",
        .x11_dir = "/run/ancloud/i1/X11-unix",
        .memory_mb = 512,
        .cpus = 2,
        .pids_max = 256,
        .bridge = "ancloud",
        .ipv4_cidr = "192.168.240.10/24",
        .gateway = "192.168.240.1",
        .cgroup = ANC_CGROUP_V2,
    };
    return s;
}

TEST(config_v2_veth)
{
    struct anc_container_spec s = base_spec();
    s.xauthority = "/run/ancloud/i1/xauthority";
    char *text;
    CHECK_EQ(anc_profile_linux_config(&s, &text), 0);
    CHECK_STREQ(
        text, "# Written by ancloudd for instance i1; rewritten at every start.\n"
              "lxc.uts.name = ancloud-i1\n"
              "lxc.rootfs.path = dir:/run/ancloud/i1/rootfs\n"
              "lxc.mount.auto = proc:mixed sys:ro cgroup:mixed\n"
              "lxc.autodev = 1\n"
              "lxc.mount.entry = /run/ancloud/i1/X11-unix tmp/.X11-unix none "
              "bind,create=dir 0 0\n"
              "lxc.environment = DISPLAY=:3\n"
              "lxc.mount.entry = /run/ancloud/i1/xauthority dev/.ancloud-xauthority none "
              "bind,ro,create=file 0 0\n"
              "lxc.environment = XAUTHORITY=/dev/.ancloud-xauthority\n"
              "lxc.init.cmd = /usr/bin/ancloud-demo --fullscreen\n"
              "lxc.cgroup2.memory.max = 536870912\n"
              "lxc.cgroup2.pids.max = 256\n"
              "lxc.cgroup2.cpu.weight = 200\n"
              "lxc.net.0.type = veth\n"
              "lxc.net.0.link = ancloud\n"
              "lxc.net.0.flags = up\n"
              "lxc.net.0.name = eth0\n"
              "lxc.net.0.ipv4.address = 192.168.240.10/24\n"
              "lxc.net.0.ipv4.gateway = 192.168.240.1\n"
              "lxc.cap.keep = chown dac_override fowner fsetid kill setgid setuid setpcap setfcap "
              "net_bind_service net_raw sys_chroot audit_write\n"
              "lxc.seccomp.profile = /var/lib/ancloud/lxc/ancloud-i1/seccomp\n"
              "lxc.cgroup2.devices.deny = a\n"
              "lxc.cgroup2.devices.allow = c 1:3 rwm\n"
              "lxc.cgroup2.devices.allow = c 1:5 rwm\n"
              "lxc.cgroup2.devices.allow = c 1:7 rwm\n"
              "lxc.cgroup2.devices.allow = c 1:8 rwm\n"
              "lxc.cgroup2.devices.allow = c 1:9 rwm\n"
              "lxc.cgroup2.devices.allow = c 5:0 rwm\n"
              "lxc.cgroup2.devices.allow = c 5:1 rwm\n"
              "lxc.cgroup2.devices.allow = c 5:2 rwm\n"
              "lxc.cgroup2.devices.allow = c 136:* rwm\n"
              "lxc.apparmor.profile = unconfined\n"
              "lxc.console.path = none\n"
              "lxc.log.file = /run/ancloud/i1/lxc.log\n"
              "lxc.log.level = INFO\n");
    free(text);
}

TEST(config_v1_empty_idmap)
{
    static const char *const sh_argv[] = {"/bin/sh", "-c", "echo hi; sleep 1000", NULL};
    struct anc_container_spec s = base_spec();
    s.argv = sh_argv;
    s.display = NULL;
    s.x11_dir = NULL;
    s.bridge = NULL;
    s.cpus = 1;
    s.pids_max = 0;
    s.cgroup = ANC_CGROUP_V1;
    s.idmap_host_start = 100000;
    s.idmap_count = 65536;
    s.apparmor = true;
    char *text;
    CHECK_EQ(anc_profile_linux_config(&s, &text), 0);
    CHECK_STREQ(
        text, "# Written by ancloudd for instance i1; rewritten at every start.\n"
              "lxc.uts.name = ancloud-i1\n"
              "lxc.rootfs.path = dir:/run/ancloud/i1/rootfs\n"
              "lxc.mount.auto = proc:mixed sys:ro cgroup:mixed\n"
              "lxc.autodev = 1\n"
              "# lxc.init.cmd: not expressible (blank in an argument); passed to start()\n"
              "lxc.cgroup.memory.limit_in_bytes = 536870912\n"
              "lxc.cgroup.cpu.shares = 1024\n"
              "lxc.net.0.type = empty\n"
              "lxc.idmap = u 0 100000 65536\n"
              "lxc.idmap = g 0 100000 65536\n"
              "lxc.cap.keep = chown dac_override fowner fsetid kill setgid setuid setpcap setfcap "
              "net_bind_service net_raw sys_chroot audit_write\n"
              "lxc.seccomp.profile = /var/lib/ancloud/lxc/ancloud-i1/seccomp\n"
              "lxc.cgroup.devices.deny = a\n"
              "lxc.cgroup.devices.allow = c 1:3 rwm\n"
              "lxc.cgroup.devices.allow = c 1:5 rwm\n"
              "lxc.cgroup.devices.allow = c 1:7 rwm\n"
              "lxc.cgroup.devices.allow = c 1:8 rwm\n"
              "lxc.cgroup.devices.allow = c 1:9 rwm\n"
              "lxc.cgroup.devices.allow = c 5:0 rwm\n"
              "lxc.cgroup.devices.allow = c 5:1 rwm\n"
              "lxc.cgroup.devices.allow = c 5:2 rwm\n"
              "lxc.cgroup.devices.allow = c 136:* rwm\n"
              "lxc.apparmor.profile = generated\n"
              "lxc.console.path = none\n"
              "lxc.log.file = /run/ancloud/i1/lxc.log\n"
              "lxc.log.level = INFO\n");
    free(text);
}

TEST(config_default_init_and_rejects)
{
    struct anc_container_spec s = base_spec();
    char *text;
    s.argv = NULL;
    CHECK_EQ(anc_profile_linux_config(&s, &text), 0);
    CHECK(strstr(text, "\nlxc.init.cmd = /sbin/ancloud-guest\n"));
    free(text);
    s.id = "../x";
    CHECK_EQ(anc_profile_linux_config(&s, &text), -EINVAL);
    CHECK(text == NULL);
    s = base_spec();
    s.x11_dir = "/run/with space";
    CHECK_EQ(anc_profile_linux_config(&s, &text), -EINVAL);
    s = base_spec();
    s.display = ":1\nlxc.include = /etc/evil";
    CHECK_EQ(anc_profile_linux_config(&s, &text), -EINVAL);
    s = base_spec();
    s.console_log = "/var/lib/ancloud/instances/i1.log\nlxc.include = /etc/evil";
    CHECK_EQ(anc_profile_linux_config(&s, &text), -EINVAL);
    s = base_spec();
    s.console_log = "/var/lib/ancloud/instances/i1.log";
    CHECK_EQ(anc_profile_linux_config(&s, &text), 0);
    CHECK(strstr(text, "\nlxc.mount.entry = /var/lib/ancloud/instances/i1.log dev/.ancloud-output "
                       "none bind,create=file 0 0\n"));
    free(text);
    s = base_spec();
    static const char *const bad[] = {"/bin/sh", "-c", "a\nb", NULL};
    s.argv = bad;
    CHECK_EQ(anc_profile_linux_config(&s, &text), -EINVAL);
}

TEST(names_and_paths)
{
    char name[16];
    CHECK_EQ(anc_container_name("abc", name, sizeof(name)), 0);
    CHECK_STREQ(name, "ancloud-abc");
    CHECK_EQ(anc_container_name("abcdefghijk", name, sizeof(name)), -ENAMETOOLONG);
    CHECK_EQ(anc_container_name("a/b", name, sizeof(name)), -EINVAL);
    struct anc_container_spec s = base_spec();
    struct anc_lxc_paths p;
    CHECK_EQ(anc_lxc_paths(&s, &p), 0);
    CHECK_STREQ(p.lxcpath, "/var/lib/ancloud/lxc");
    CHECK_STREQ(p.config, "/var/lib/ancloud/lxc/ancloud-i1/config");
    CHECK_STREQ(p.rootfs, "/run/ancloud/i1/rootfs");
    CHECK_STREQ(p.data_dir, "/var/lib/ancloud/instances/i1");
    CHECK_STREQ(p.log, "/run/ancloud/i1/lxc.log");
}

TEST(exit_reason)
{
    char r[64];
    anc_lxc_exit_reason("x INFO start - ok\n", r, sizeof(r));
    CHECK_STREQ(r, "exited with status 0");
    anc_lxc_exit_reason("lxc-start a 1 INFO     error - ../src/lxc/error.c:lxc_error_set_and_log:31"
                        " - Child <23486> ended on error (2)\n",
                        r, sizeof(r));
    CHECK_STREQ(r, "exited with status 2");
    anc_lxc_exit_reason("Child <1> ended on error (1)\nChild <9> ended on signal Killed (9)\n", r,
                        sizeof(r));
    CHECK_STREQ(r, "killed by signal 9");
}
