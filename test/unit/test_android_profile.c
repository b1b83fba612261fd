/* LXC configuration of an Android (redroid) instance: the whole text for a binderfs host, the
 * differences for a named-device host, memfd vs ashmem, cgroup v1 vs v2, no network, and rejected
 * inputs. */
#include "container/profile_android.h"

#include <errno.h>
#include <stdlib.h>

#include "test.h"

static const struct anc_binder_nodes nodes = {
    .host = {"/dev/binder4", "/dev/binder5", "/dev/binder6"},
    .slot = 1,
};

static struct anc_android_spec sample(void)
{
    struct anc_android_spec s = {
        .id = "a1",
        .run_dir = "/run/ancloud",
        .state_dir = "/var/lib/ancloud",
        .log_file = "/run/ancloud/a1/lxc.log",
        .width = 720,
        .height = 1280,
        .dpi = 320,
        .fps = 15,
        .memfd = true,
        .binder = ANC_BINDER_GUESTFS,
        .memory_mb = 2048,
        .cpus = 2,
        .pids_max = 4096,
        .cgroup = ANC_CGROUP_V2,
        .bridge = "ancloud",
        .ipv4_cidr = "192.168.240.12/24",
        .gateway = "192.168.240.1",
    };
    return s;
}

static char *config(const struct anc_android_spec *s)
{
    char *text = NULL;

    CHECK_EQ(anc_android_lxc_config(s, &text), 0);
    CHECK(text);
    return text;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

/* The whole file for a binderfs host with memfd and cgroup v2: nothing per container for binder. */
TEST(binderfs_host)
{
    struct anc_android_spec s = sample();
    char *text = config(&s);

    CHECK_STREQ(text,
                "# Android instance a1 (redroid), written by ancloudd; rewritten at every start.\n"
                "lxc.uts.name = ancloud-a1\n"
                "lxc.rootfs.path = dir:/run/ancloud/a1/rootfs\n"
                "lxc.init.cmd = /init androidboot.hardware=redroid androidboot.redroid_width=720 "
                "androidboot.redroid_height=1280 androidboot.redroid_dpi=320 "
                "androidboot.redroid_fps=15 androidboot.redroid_gpu_mode=guest "
                "androidboot.use_memfd=1\n"
                "lxc.init.uid = 0\n"
                "lxc.init.gid = 0\n"
                "lxc.init.cwd = /\n"
                "lxc.apparmor.profile = unconfined\n"
                "lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed\n"
                "lxc.autodev = 1\n"
                "lxc.autodev.tmpfs.size = 25000000\n"
                "lxc.mount.entry = /var/lib/ancloud/instances/a1/data data none bind,create=dir "
                "0 0\n"
                "lxc.cgroup2.memory.max = 2147483648\n"
                "lxc.cgroup2.pids.max = 4096\n"
                "lxc.cgroup2.cpu.weight = 200\n"
                "lxc.net.0.type = veth\n"
                "lxc.net.0.link = ancloud\n"
                "lxc.net.0.flags = up\n"
                "lxc.net.0.name = eth0\n"
                "lxc.net.0.ipv4.address = 192.168.240.12/24\n"
                "lxc.net.0.ipv4.gateway = 192.168.240.1\n"
                "lxc.log.file = /run/ancloud/a1/lxc.log\n"
                "lxc.log.level = INFO\n");
    /* What must never be there: an idmap (binderfs' stats=global needs the initial user
     * namespace), LXC's common.conf (cap drops, seccomp, device deny-list), binder binds. */
    CHECK(!strstr(text, "lxc.idmap"));
    CHECK(!strstr(text, "lxc.include"));
    CHECK(!strstr(text, "lxc.cap.drop"));
    CHECK(!strstr(text, "binder"));
    CHECK(!strstr(text, "ashmem"));
    free(text);
}

/* A kernel with binder but no binderfs: the instance's claimed nodes are bound by name. */
TEST(named_device_host)
{
    struct anc_android_spec s = sample();
    char *text;

    s.binder = ANC_BINDER_NODES;
    s.nodes = &nodes;
    text = config(&s);
    CHECK(has_line(text, "lxc.mount.entry = /dev/binder4 dev/binder none bind,create=file 0 0"));
    CHECK(has_line(text, "lxc.mount.entry = /dev/binder5 dev/hwbinder none bind,create=file 0 0"));
    CHECK(has_line(text, "lxc.mount.entry = /dev/binder6 dev/vndbinder none bind,create=file 0 0"));
    /* The binds go into the autodev /dev, so they come after lxc.autodev. */
    CHECK(strstr(text, "lxc.autodev = 1") < strstr(text, "dev/binder none"));
    free(text);
}

/* Route host: devices ancloud allocated on its binderfs are bound in the same way; without them
 * the spec is refused. */
TEST(host_binderfs_devices)
{
    static const struct anc_binder_nodes fs = {
        .host = {"/run/ancloud/binderfs/a1.binder", "/run/ancloud/binderfs/a1.hwbinder",
                 "/run/ancloud/binderfs/a1.vndbinder"},
        .slot = -1,
    };
    struct anc_android_spec s = sample();
    char *text = NULL;

    s.binder = ANC_BINDER_HOSTFS;
    CHECK_EQ(anc_android_lxc_config(&s, &text), -EINVAL);
    s.nodes = &fs;
    text = config(&s);
    CHECK(has_line(text, "lxc.mount.entry = /run/ancloud/binderfs/a1.binder dev/binder none "
                         "bind,create=file 0 0"));
    CHECK(has_line(text, "lxc.mount.entry = /run/ancloud/binderfs/a1.vndbinder dev/vndbinder "
                         "none bind,create=file 0 0"));
    free(text);
}

TEST(ashmem_host)
{
    struct anc_android_spec s = sample();
    char *text;

    s.memfd = false;
    text = config(&s);
    CHECK(has_line(text, "lxc.mount.entry = /dev/ashmem dev/ashmem none bind,create=file 0 0"));
    CHECK(!strstr(text, "use_memfd"));
    CHECK(has_line(text, "lxc.init.cmd = /init androidboot.hardware=redroid "
                         "androidboot.redroid_width=720 androidboot.redroid_height=1280 "
                         "androidboot.redroid_dpi=320 androidboot.redroid_fps=15 "
                         "androidboot.redroid_gpu_mode=guest"));
    free(text);
}

TEST(cgroup_v1_and_no_limits)
{
    struct anc_android_spec s = sample();
    char *text;

    s.cgroup = ANC_CGROUP_V1;
    text = config(&s);
    CHECK(has_line(text, "lxc.cgroup.memory.limit_in_bytes = 2147483648"));
    CHECK(has_line(text, "lxc.cgroup.pids.max = 4096"));
    CHECK(has_line(text, "lxc.cgroup.cpu.shares = 2048"));
    CHECK(!strstr(text, "lxc.cgroup2"));
    free(text);

    s.memory_mb = s.cpus = s.pids_max = 0;
    text = config(&s);
    CHECK(!strstr(text, "lxc.cgroup"));
    free(text);
}

TEST(no_network_no_log)
{
    struct anc_android_spec s = sample();
    char *text;

    s.bridge = s.ipv4_cidr = s.gateway = NULL;
    s.log_file = NULL;
    s.width = 1080;
    s.height = 1920;
    s.dpi = 480;
    s.fps = 30;
    text = config(&s);
    CHECK(has_line(text, "lxc.net.0.type = empty"));
    CHECK(!strstr(text, "lxc.net.0.link"));
    CHECK(!strstr(text, "ipv4"));
    CHECK(!strstr(text, "lxc.log"));
    CHECK(strstr(text, " androidboot.redroid_width=1080 androidboot.redroid_height=1920 "
                       "androidboot.redroid_dpi=480 androidboot.redroid_fps=30 "));
    free(text);
}

static void rejected(const struct anc_android_spec *s)
{
    char *text = (char *)"untouched";

    CHECK_EQ(anc_android_lxc_config(s, &text), -EINVAL);
    CHECK(text == NULL);
}

TEST(bad_inputs)
{
    struct anc_android_spec s;

    rejected(NULL);
    CHECK_EQ(anc_android_lxc_config(NULL, NULL), -EINVAL);
#define BAD(field, value)                                                                          \
    do {                                                                                           \
        s = sample();                                                                              \
        s.field = value;                                                                           \
        rejected(&s);                                                                              \
    } while (0)
    BAD(id, NULL);
    BAD(id, "");
    BAD(id, "a/b");
    BAD(id, "a\nlxc.apparmor.profile = generated");
    BAD(run_dir, NULL);
    BAD(run_dir, "run/ancloud");
    BAD(run_dir, "/run/with space");
    BAD(state_dir, "/var/lib\nlxc.idmap = u 0 1 1");
    BAD(log_file, "/tmp/l\tx");
    BAD(width, 0);
    BAD(width, 721); /* odd: H.264 wants even sizes */
    BAD(height, ANC_ANDROID_SIZE_MAX + 2);
    BAD(dpi, 71);
    BAD(dpi, ANC_ANDROID_DPI_MAX + 1);
    BAD(fps, 0);
    BAD(fps, ANC_ANDROID_FPS_MAX + 1);
    BAD(binder, (enum anc_binder_mode)7);
    BAD(binder, ANC_BINDER_NODES); /* without nodes */
    BAD(memory_mb, -1);
    BAD(cpus, -1);
    BAD(pids_max, -1);
    BAD(bridge, "br 0");
    BAD(bridge, "a-bridge-name-too-long");
    BAD(ipv4_cidr, NULL); /* a bridge needs the static address */
    BAD(ipv4_cidr, "192.168.240.12");
    BAD(ipv4_cidr, "1.2.3.4/24\nx");
    BAD(gateway, "192.168.240.1 ");
    s = sample();
    s.bridge = NULL; /* an address without a bridge */
    rejected(&s);
#undef BAD

    struct anc_binder_nodes bad = nodes;
    snprintf(bad.host[2], sizeof(bad.host[2]), "dev/binder6");
    s = sample();
    s.binder = ANC_BINDER_NODES;
    s.nodes = &bad;
    rejected(&s);
}

TEST(data_dir)
{
    char buf[64];

    CHECK_EQ(anc_android_data_dir("/var/lib/ancloud", "a1", buf, sizeof(buf)), 0);
    CHECK_STREQ(buf, "/var/lib/ancloud/instances/a1/data");
    CHECK_EQ(anc_android_data_dir("/var/lib/ancloud", "../x", buf, sizeof(buf)), -EINVAL);
    CHECK_EQ(anc_android_data_dir("/var/lib/ancloud", "a1", buf, 10), -ENAMETOOLONG);
}

/* At create time the API gets the probe's message, which names what is missing and points at
 * kernel/check. */
TEST(check_host)
{
    struct anc_binder_caps caps;
    char why[1024], why2[1024];
    int r = anc_android_check_host(why, sizeof(why));

    CHECK_EQ(r, anc_binder_probe(&caps, why2, sizeof(why2)));
    CHECK_STREQ(why, why2);
    if (!caps.binderfs && caps.nodes < 3) {
        CHECK_EQ(r, -ENODEV);
        CHECK(strstr(why, "kind \"android\" needs binder"));
        CHECK(strstr(why, "kernel/check"));
    }
}
