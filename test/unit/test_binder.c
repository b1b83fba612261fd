/* Binder probe: parsers on literal /proc texts, the actionable message, and the real host. */
#include "container/binder.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

/* /proc/filesystems of a host without binder (this machine's, abridged). */
static const char fs_without[] = "nodev\tsysfs\n"
                                 "nodev\ttmpfs\n"
                                 "nodev\tproc\n"
                                 "nodev\tcgroup2\n"
                                 "nodev\tdevpts\n"
                                 "\text4\n"
                                 "\tsquashfs\n"
                                 "nodev\tfuse\n"
                                 "nodev\toverlay\n"
                                 "nodev\tbinfmt_misc\n";

/* ... and of an Ubuntu host with binderfs. */
static const char fs_with[] = "nodev\tsysfs\n"
                              "nodev\tproc\n"
                              "\text4\n"
                              "nodev\tbinder\n"
                              "nodev\toverlay\n";

static const char devices_with[] = "Character devices:\n"
                                   "  1 mem\n"
                                   " 10 misc\n"
                                   "136 pts\n"
                                   "234 ashmem\n"
                                   "511 binder\n"
                                   "\n"
                                   "Block devices:\n"
                                   "  7 loop\n"
                                   "300 binder\n";

static const char devices_without[] = "Character devices:\n"
                                      "  1 mem\n"
                                      " 10 misc\n"
                                      "\n"
                                      "Block devices:\n"
                                      "  7 loop\n"
                                      "259 blkext\n";

TEST(filesystems)
{
    CHECK(!anc_binder_has_filesystem(fs_without, "binder"));
    CHECK(anc_binder_has_filesystem(fs_without, "overlay"));
    CHECK(anc_binder_has_filesystem(fs_without, "ext4"));
    CHECK(anc_binder_has_filesystem(fs_without, "fuse"));
    CHECK(!anc_binder_has_filesystem(fs_without, "fuseblk"));
    CHECK(!anc_binder_has_filesystem(fs_without, "nodev"));
    CHECK(!anc_binder_has_filesystem(fs_without, "binfmt"));
    CHECK(anc_binder_has_filesystem(fs_with, "binder"));
    CHECK(!anc_binder_has_filesystem("", "binder"));
    /* No trailing newline, and CRLF-free last line. */
    CHECK(anc_binder_has_filesystem("nodev\tbinder", "binder"));
}

TEST(devices)
{
    CHECK_EQ(anc_binder_char_major(devices_with, "binder"), 511);
    CHECK_EQ(anc_binder_char_major(devices_with, "ashmem"), 234);
    CHECK_EQ(anc_binder_char_major(devices_with, "misc"), 10);
    CHECK_EQ(anc_binder_char_major(devices_with, "loop"), -ENOENT); /* block only */
    CHECK_EQ(anc_binder_char_major(devices_without, "binder"), -ENOENT);
    CHECK_EQ(anc_binder_char_major(devices_without, "ashmem"), -ENOENT);
    CHECK_EQ(anc_binder_char_major("", "binder"), -ENOENT);
    /* Lines before the header do not count. */
    CHECK_EQ(anc_binder_char_major("511 binder\n", "binder"), -ENOENT);
}

TEST(misc)
{
    static const char misc[] = " 56 ashmem\n"
                               " 57 vndbinder\n"
                               " 58 hwbinder\n"
                               " 59 binder\n"
                               "229 fuse\n";

    CHECK(anc_binder_has_misc(misc, "binder"));
    CHECK(anc_binder_has_misc(misc, "ashmem"));
    CHECK(!anc_binder_has_misc(misc, "binder-control"));
    CHECK(!anc_binder_has_misc("229 fuse\n", "ashmem"));
}

TEST(message_no_binder)
{
    struct anc_binder_caps caps = {.memfd = true};
    char why[512];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK(strncmp(why, "kind \"android\" needs binder: ", 29) == 0);
    CHECK(strstr(why, "neither binderfs nor /dev/binder"));
    CHECK(strstr(why, "modprobe binder_linux devices=binder,hwbinder,vndbinder"));
    CHECK(strstr(why, "CONFIG_ANDROID_BINDERFS=y"));
    CHECK(strstr(why, "kernel/README.md"));
    CHECK(strstr(why, "kernel/check"));
}

TEST(message_module_without_devices)
{
    struct anc_binder_caps caps = {.binder_module = true, .memfd = true};
    char why[512];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK(strstr(why, "binder_linux is loaded"));
    CHECK(strstr(why, "devices=binder,hwbinder,vndbinder"));
    CHECK(strstr(why, "kernel/check"));
}

TEST(message_no_shared_memory)
{
    struct anc_binder_caps caps = {.binderfs = true};
    char why[512];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK(strstr(why, "needs shared memory"));
    CHECK(strstr(why, "sys.use_memfd=true"));
}

TEST(caps_ok)
{
    struct anc_binder_caps fs = {.binderfs = true, .memfd = true};
    struct anc_binder_caps legacy = {.binder_dev = true, .binder_module = true, .ashmem = true};
    char why[64] = "stale";

    CHECK_EQ(anc_binder_caps_check(&fs, why, sizeof(why)), 0);
    CHECK_STREQ(why, "");
    CHECK_EQ(anc_binder_caps_check(&legacy, why, sizeof(why)), 0);
}

TEST(message_truncates_safely)
{
    struct anc_binder_caps caps = {0};
    char why[16];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK_EQ(strlen(why), sizeof(why) - 1);
    CHECK_EQ(anc_binder_caps_check(&caps, NULL, 0), -ENODEV);
}

TEST(device_names)
{
    char name[300];

    CHECK_EQ(anc_binder_device_name("a1", ANC_BINDER_CTX_BINDER, name, sizeof(name)), 0);
    CHECK_STREQ(name, "anbox-a1-binder");
    CHECK_EQ(anc_binder_device_name("web-7", ANC_BINDER_CTX_HWBINDER, name, sizeof(name)), 0);
    CHECK_STREQ(name, "anbox-web-7-hwbinder");
    CHECK_EQ(anc_binder_device_name("x_y.z", ANC_BINDER_CTX_VNDBINDER, name, sizeof(name)), 0);
    CHECK_STREQ(name, "anbox-x_y.z-vndbinder");
    CHECK_EQ(anc_binder_device_name("", ANC_BINDER_CTX_BINDER, name, sizeof(name)), -EINVAL);
    CHECK_EQ(anc_binder_device_name("../x", ANC_BINDER_CTX_BINDER, name, sizeof(name)), -EINVAL);
    CHECK_EQ(anc_binder_device_name(".x", ANC_BINDER_CTX_BINDER, name, sizeof(name)), -EINVAL);
    CHECK_EQ(anc_binder_device_name("a b", ANC_BINDER_CTX_BINDER, name, sizeof(name)), -EINVAL);
    CHECK_EQ(anc_binder_device_name("a", (enum anc_binder_ctx)3, name, sizeof(name)), -EINVAL);
    CHECK_EQ(anc_binder_device_name("abc", ANC_BINDER_CTX_BINDER, name, 8), -ENAMETOOLONG);

    char long_id[ANC_BINDER_ID_MAX + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    CHECK_EQ(anc_binder_device_name(long_id, ANC_BINDER_CTX_BINDER, name, sizeof(name)), -EINVAL);
    long_id[ANC_BINDER_ID_MAX] = '\0';
    CHECK_EQ(anc_binder_device_name(long_id, ANC_BINDER_CTX_VNDBINDER, name, sizeof(name)), 0);

    CHECK_STREQ(anc_binder_ctx_target(ANC_BINDER_CTX_BINDER), "dev/binder");
    CHECK_STREQ(anc_binder_ctx_target(ANC_BINDER_CTX_HWBINDER), "dev/hwbinder");
    CHECK_STREQ(anc_binder_ctx_target(ANC_BINDER_CTX_VNDBINDER), "dev/vndbinder");
}

/* The running host: -ENODEV with the fix where there is no binder (this build machine), success
 * where there is. Either way the caps must agree with the verdict. */
TEST(probe_host)
{
    struct anc_binder_caps caps;
    char why[512];
    int r = anc_binder_probe(&caps, why, sizeof(why));

    if (caps.binderfs || caps.binder_dev) {
        CHECK(r == 0 || strstr(why, "shared memory"));
        return;
    }
    CHECK_EQ(r, -ENODEV);
    CHECK(strstr(why, "kind \"android\" needs binder"));
    CHECK(strstr(why, "modprobe binder_linux"));
    CHECK(strstr(why, "kernel/check"));
}

static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    CHECK(f);
    fputs(text, f);
    CHECK(fclose(f) == 0);
}

static void mkdirs(const char *dir, const char *rel)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
}

/* A fake root tree: binderfs listed, no /dev nodes → success (memfd is real and present on
 * every kernel this project supports); then the legacy module layout. */
TEST(probe_fake_root)
{
    char root[] = "/tmp/anc-binder-XXXXXX";
    struct anc_binder_caps caps;
    struct anc_binder_nodes nodes;
    char why[512], path[PATH_MAX];

    CHECK(mkdtemp(root));
    mkdirs(root, "proc");
    mkdirs(root, "dev");
    mkdirs(root, "sys");
    mkdirs(root, "sys/module");
    write_file(root, "proc/filesystems", fs_with);
    write_file(root, "proc/devices", devices_with);
    CHECK_EQ(anc_binder_probe_root(root, &caps, why, sizeof(why)), 0);
    CHECK(caps.binderfs);
    CHECK_EQ(caps.binderfs_major, 511);
    CHECK(!caps.binder_dev);
    CHECK(caps.memfd);

    write_file(root, "proc/filesystems", fs_without);
    write_file(root, "proc/devices", devices_without);
    mkdirs(root, "sys/module/binder_linux");
    CHECK_EQ(anc_binder_probe_root(root, &caps, why, sizeof(why)), -ENODEV);
    CHECK(caps.binder_module);
    CHECK(strstr(why, "binder_linux is loaded"));

    write_file(root, "dev/binder", "");
    write_file(root, "dev/hwbinder", "");
    snprintf(path, sizeof(path), "%s/dev", root);
    CHECK_EQ(anc_binder_nodes_legacy(path, &nodes), -ENODEV); /* vndbinder missing */
    write_file(root, "dev/vndbinder", "");
    write_file(root, "dev/ashmem", "");
    CHECK_EQ(anc_binder_probe_root(root, &caps, why, sizeof(why)), 0);
    CHECK(caps.binder_dev && caps.ashmem);
    CHECK_EQ(anc_binder_nodes_legacy(path, &nodes), 0);
    CHECK(!nodes.allocated);
    snprintf(path, sizeof(path), "%s/dev/hwbinder", root);
    CHECK_STREQ(nodes.host[ANC_BINDER_CTX_HWBINDER], path);

    /* binderfs calls fail cleanly on a directory that is not binderfs. */
    snprintf(path, sizeof(path), "%s/dev", root);
    CHECK(anc_binder_nodes_alloc(path, "one", &nodes) < 0);
    CHECK(!nodes.allocated);
    CHECK_EQ(anc_binder_nodes_alloc(path, "bad id", &nodes), -EINVAL);
    CHECK_EQ(anc_binder_nodes_free(path, "one"), 0); /* nothing there: fine */

    const char *rels[] = {"dev/binder", "dev/hwbinder",     "dev/vndbinder",
                          "dev/ashmem", "proc/filesystems", "proc/devices"};
    for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, rels[i]);
        CHECK(unlink(path) == 0);
    }
    const char *dirs[] = {"sys/module/binder_linux", "sys/module", "sys", "dev", "proc", ""};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
        CHECK(rmdir(path) == 0);
    }
}

/* Mounting binderfs needs root and a binder kernel; without binderfs it must say -ENODEV (or
 * -EPERM unprivileged), never succeed on a plain directory. */
TEST(binderfs_mount_without_binder)
{
    char run[] = "/tmp/anc-binderfs-XXXXXX";
    struct anc_binder_caps caps;
    char dir[PATH_MAX], why[256], path[PATH_MAX];
    int r;

    anc_binder_probe(&caps, why, sizeof(why));
    if (caps.binderfs)
        return; /* a binder host: mounting would change the machine; covered elsewhere */
    CHECK(mkdtemp(run));
    r = anc_binderfs_mount(run, dir, sizeof(dir));
    CHECK(r == -ENODEV || r == -EPERM);
    snprintf(path, sizeof(path), "%s/binderfs", run);
    CHECK_STREQ(dir, path);
    CHECK(rmdir(path) == 0);
    CHECK(rmdir(run) == 0);
}
