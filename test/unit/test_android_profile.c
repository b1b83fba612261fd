/* LXC configuration of an Android instance: literal lines for a sample spec, rejected inputs. */
#include "container/profile_android.h"

#include <errno.h>

#include "test.h"

static struct anc_binder_nodes nodes = {
    .host = {"/run/ancloud/binderfs/anbox-a1-binder", "/run/ancloud/binderfs/anbox-a1-hwbinder",
             "/run/ancloud/binderfs/anbox-a1-vndbinder"},
    .allocated = true,
};

static struct anc_android_spec sample(void)
{
    struct anc_android_spec s = {
        .id = "a1",
        .rootfs = "/run/ancloud/a1/rootfs",
        .data_upper = "/var/lib/ancloud/instances/a1/data",
        .data_work = "/var/lib/ancloud/instances/a1/data-work",
        .input_dir = "/run/ancloud/a1/input",
        .binder = &nodes,
        .bridge = "ancloud",
        .ipv4_cidr = "192.168.240.12/24",
        .ipv4_gateway = "192.168.240.1",
    };
    return s;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

TEST(sample_privileged)
{
    struct anc_android_spec s = sample();
    char buf[8192];
    int n = anc_android_lxc_config(&s, buf, sizeof(buf));

    CHECK(n > 0);
    CHECK_EQ(strlen(buf), n);
    CHECK(has_line(buf, "lxc.uts.name = a1"));
    CHECK(has_line(buf, "lxc.rootfs.path = dir:/run/ancloud/a1/rootfs"));
    CHECK(has_line(buf, "lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed"));
    CHECK(has_line(buf, "lxc.autodev = 1"));
    CHECK(has_line(buf, "lxc.init.cmd = /anbox-init.sh"));
    CHECK(has_line(buf, "lxc.apparmor.profile = unconfined"));
    CHECK(has_line(buf, "lxc.cap.drop = mac_admin mac_override sys_module sys_rawio sys_time "
                        "syslog"));
    CHECK(has_line(buf, "lxc.mount.entry = overlay data overlay "
                        "lowerdir=/run/ancloud/a1/rootfs/data,"
                        "upperdir=/var/lib/ancloud/instances/a1/data,"
                        "workdir=/var/lib/ancloud/instances/a1/data-work 0 0"));
    CHECK(has_line(buf, "lxc.mount.entry = /run/ancloud/binderfs/anbox-a1-binder dev/binder "
                        "none bind,create=file 0 0"));
    CHECK(has_line(buf, "lxc.mount.entry = /run/ancloud/binderfs/anbox-a1-hwbinder dev/hwbinder "
                        "none bind,create=file 0 0"));
    CHECK(has_line(buf, "lxc.mount.entry = /run/ancloud/binderfs/anbox-a1-vndbinder "
                        "dev/vndbinder none bind,create=file 0 0"));
    CHECK(has_line(buf, "lxc.mount.entry = /run/ancloud/a1/input dev/input none "
                        "bind,create=dir 0 0"));
    CHECK(has_line(buf, "# No /dev/ashmem on this host: the image must run with "
                        "sys.use_memfd=true."));
    CHECK(!strstr(buf, "dev/ashmem none"));
    CHECK(has_line(buf, "lxc.net.0.type = veth"));
    CHECK(has_line(buf, "lxc.net.0.link = ancloud"));
    CHECK(has_line(buf, "lxc.net.0.ipv4.address = 192.168.240.12/24"));
    CHECK(has_line(buf, "lxc.net.0.ipv4.gateway = 192.168.240.1"));
    CHECK(!strstr(buf, "lxc.idmap"));
    CHECK(!strstr(buf, "lxc.log.file"));
    CHECK(!strstr(buf, "lxc.cgroup.devices"));
    CHECK(!strstr(buf, "lxc.cgroup2.devices"));
    CHECK(!strstr(buf, "devices.allow"));
    CHECK(!strstr(buf, "devices.deny"));
    CHECK(buf[n - 1] == '\n');
}

TEST(unprivileged_ashmem_no_network)
{
    struct anc_android_spec s = sample();
    char buf[8192];

    s.ashmem = true;
    s.uid_base = 100000;
    s.gid_base = 100000;
    s.id_count = 65536;
    s.bridge = NULL;
    s.ipv4_cidr = NULL;
    s.ipv4_gateway = NULL;
    s.init_cmd = "/init";
    s.log_file = "/var/lib/ancloud/instances/a1/lxc.log";
    CHECK(anc_android_lxc_config(&s, buf, sizeof(buf)) > 0);
    CHECK(has_line(buf, "lxc.idmap = u 0 100000 65536"));
    CHECK(has_line(buf, "lxc.idmap = g 0 100000 65536"));
    CHECK(has_line(buf, "lxc.mount.entry = /dev/ashmem dev/ashmem none bind,create=file 0 0"));
    CHECK(!strstr(buf, "use_memfd"));
    CHECK(has_line(buf, "lxc.net.0.type = empty"));
    CHECK(!strstr(buf, "lxc.net.0.link"));
    CHECK(has_line(buf, "lxc.init.cmd = /init"));
    CHECK(has_line(buf, "lxc.log.file = /var/lib/ancloud/instances/a1/lxc.log"));
    CHECK(!strstr(buf, "lxc.cgroup.devices"));
}

TEST(rejects_unsafe_values)
{
    char buf[8192];
    struct anc_android_spec s;

    s = sample();
    s.rootfs = "/run/with space";
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.input_dir = "/run/x\nlxc.apparmor.profile = unconfined";
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.data_upper = "/a,lowerdir=/etc";
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.data_work = "relative/work";
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.id = "a/b";
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.binder = NULL;
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.bridge = "br 0";
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.ipv4_cidr = "1.2.3.4/24\nx";
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    s = sample();
    s.id_count = 65536; /* an idmap onto host root is refused */
    CHECK_EQ(anc_android_lxc_config(&s, buf, sizeof(buf)), -EINVAL);
    CHECK_EQ(anc_android_lxc_config(NULL, buf, sizeof(buf)), -EINVAL);
}

TEST(too_small)
{
    struct anc_android_spec s = sample();
    char buf[8192];
    int n = anc_android_lxc_config(&s, buf, sizeof(buf));

    CHECK(n > 0);
    CHECK_EQ(anc_android_lxc_config(&s, buf, (size_t)n), -ENOSPC);
    CHECK_STREQ(buf, "");
    CHECK_EQ(anc_android_lxc_config(&s, buf, (size_t)n + 1), n);
    CHECK_EQ(anc_android_lxc_config(&s, buf, 0), -ENOSPC);
}

/* At create time on a host without binder the API gets the actionable message. */
TEST(check_host)
{
    struct anc_binder_caps caps;
    char why[512], why2[512];
    int r = anc_android_check_host(why, sizeof(why));

    CHECK_EQ(r, anc_binder_probe(&caps, why2, sizeof(why2)));
    CHECK_STREQ(why, why2);
    if (!caps.binderfs && !caps.binder_dev) {
        CHECK_EQ(r, -ENODEV);
        CHECK(strstr(why, "kind \"android\" needs binder"));
        CHECK(strstr(why, "modprobe binder_linux"));
    }
}
