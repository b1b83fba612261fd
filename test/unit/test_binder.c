/* Binder probe: parsers on literal /proc texts, the actionable message, and the real host. */
#include "container/binder.h"
#include "container/binder_host.h"

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

static void check_message_size(const char *why)
{
    CHECK(strlen(why) < ANC_BINDER_WHY_MAX);
    CHECK(strstr(why, "kernel/check"));
}

TEST(message_no_binder)
{
    struct anc_binder_caps caps = {.memfd = true, .devices = ANC_BINDER_DEFAULT_DEVICES};
    char why[512];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK(strncmp(why, "kind \"android\" needs binder: ", 29) == 0);
    CHECK(strstr(why, "no binderfs and no binder devices in /dev"));
    CHECK(strstr(why, "modprobe binder_linux devices=binder1,binder2,binder3"));
    CHECK(strstr(why, "CONFIG_ANDROID_BINDERFS=y"));
    check_message_size(why);
}

TEST(message_module_without_enough_devices)
{
    struct anc_binder_caps caps = {
        .binder_module = true, .memfd = true, .devices = "binder", .nodes = 1};
    char why[512];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK(strstr(why, "no binderfs, and 1 of the 3 binder devices"));
    CHECK(strstr(why, "(\"binder\")"));
    CHECK(strstr(why, "devices=binder1,binder2,binder3"));
    check_message_size(why);

    /* A long device list is cut in the message, never the pointer to kernel/check. */
    memset(caps.devices, 'b', sizeof(caps.devices) - 1);
    caps.devices[sizeof(caps.devices) - 1] = '\0';
    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    check_message_size(why);
}

TEST(message_no_shared_memory)
{
    struct anc_binder_caps caps = {.binderfs = true};
    char why[512];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK(strstr(why, "needs shared memory"));
    CHECK(strstr(why, "CONFIG_MEMFD_CREATE=y"));
    check_message_size(why);
}

TEST(caps_ok)
{
    struct anc_binder_caps fs = {.binderfs = true, .memfd = true};
    struct anc_binder_caps named = {.nodes = 6, .binder_module = true, .ashmem = true};
    char why[64] = "stale";

    CHECK_EQ(anc_binder_caps_check(&fs, why, sizeof(why)), 0);
    CHECK_STREQ(why, "");
    CHECK_EQ(anc_binder_caps_check(&named, why, sizeof(why)), 0);
    CHECK_EQ(anc_binder_mode_of(&fs), ANC_BINDER_GUESTFS);
    CHECK_EQ(anc_binder_mode_of(&named), ANC_BINDER_NODES);
    /* binderfs wins where the module also made devices. */
    named.binderfs = true;
    CHECK_EQ(anc_binder_mode_of(&named), ANC_BINDER_GUESTFS);
}

TEST(message_truncates_safely)
{
    struct anc_binder_caps caps = {0};
    char why[16];

    CHECK_EQ(anc_binder_caps_check(&caps, why, sizeof(why)), -ENODEV);
    CHECK_EQ(strlen(why), sizeof(why) - 1);
    CHECK_EQ(anc_binder_caps_check(&caps, NULL, 0), -ENODEV);
}

TEST(device_list)
{
    char names[8][ANC_BINDER_NAME_MAX];

    CHECK_EQ(anc_binder_device_list("binder,hwbinder,vndbinder\n", names, 8), 3);
    CHECK_STREQ(names[0], "binder");
    CHECK_STREQ(names[2], "vndbinder");
    CHECK_EQ(anc_binder_device_list("binder1,binder2,binder3,binder4,binder5,binder6", names, 8),
             6);
    CHECK_STREQ(names[5], "binder6");
    CHECK_EQ(anc_binder_device_list("a,b,c,d,e,f,g,h,i,j", names, 8), 8); /* at most max */
    CHECK_EQ(anc_binder_device_list("x_y.z", names, 8), 1);
    CHECK_EQ(anc_binder_device_list("", names, 8), -EINVAL);
    CHECK_EQ(anc_binder_device_list(NULL, names, 8), -EINVAL);
    CHECK_EQ(anc_binder_device_list("binder,,vndbinder", names, 8), -EINVAL);
    CHECK_EQ(anc_binder_device_list("binder,", names, 8), -EINVAL);
    CHECK_EQ(anc_binder_device_list("../binder", names, 8), -EINVAL);
    CHECK_EQ(anc_binder_device_list(".binder", names, 8), -EINVAL);
    CHECK_EQ(anc_binder_device_list("bin der", names, 8), -EINVAL);

    CHECK_STREQ(anc_binder_ctx_target(ANC_BINDER_CTX_BINDER), "dev/binder");
    CHECK_STREQ(anc_binder_ctx_target(ANC_BINDER_CTX_HWBINDER), "dev/hwbinder");
    CHECK_STREQ(anc_binder_ctx_target(ANC_BINDER_CTX_VNDBINDER), "dev/vndbinder");
    CHECK(anc_binder_ctx_target((enum anc_binder_ctx)3) == NULL);
}

/* The running host: -ENODEV with the fix where there is no binder (this build machine), success
 * where there is. Either way the caps must agree with the verdict. */
TEST(probe_host)
{
    struct anc_binder_caps caps;
    char why[512];
    int r = anc_binder_probe(&caps, why, sizeof(why));

    if (caps.binderfs || caps.nodes >= 3) {
        CHECK(r == 0 || strstr(why, "shared memory"));
        return;
    }
    CHECK_EQ(r, -ENODEV);
    CHECK(strstr(why, "kind \"android\" needs binder"));
    CHECK(strstr(why, "modprobe binder_linux"));
    check_message_size(why);
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
 * every kernel this project supports); then a module with named devices. */
TEST(probe_fake_root)
{
    char root[] = "/tmp/anc-binder-XXXXXX";
    struct anc_binder_caps caps;
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
    CHECK_STREQ(caps.devices, ANC_BINDER_DEFAULT_DEVICES);
    CHECK_EQ(caps.nodes, 0);
    CHECK(caps.memfd);

    write_file(root, "proc/filesystems", fs_without);
    write_file(root, "proc/devices", devices_without);
    mkdirs(root, "sys/module/binder_linux");
    mkdirs(root, "sys/module/binder_linux/parameters");
    write_file(root, "sys/module/binder_linux/parameters/devices", "binder1,binder2,binder3\n");
    CHECK_EQ(anc_binder_probe_root(root, &caps, why, sizeof(why)), -ENODEV);
    CHECK(caps.binder_module);
    CHECK_STREQ(caps.devices, "binder1,binder2,binder3");
    CHECK(strstr(why, "0 of the 3 binder devices"));

    write_file(root, "dev/binder1", "");
    write_file(root, "dev/binder2", "");
    CHECK_EQ(anc_binder_probe_root(root, &caps, why, sizeof(why)), -ENODEV);
    CHECK_EQ(caps.nodes, 2);
    write_file(root, "dev/binder3", "");
    write_file(root, "dev/ashmem", "");
    CHECK_EQ(anc_binder_probe_root(root, &caps, why, sizeof(why)), 0);
    CHECK_EQ(caps.nodes, 3);
    CHECK(caps.ashmem);
    CHECK_EQ(anc_binder_mode_of(&caps), ANC_BINDER_NODES);

    const char *rels[] = {"dev/binder1",
                          "dev/binder2",
                          "dev/binder3",
                          "dev/ashmem",
                          "proc/filesystems",
                          "proc/devices",
                          "sys/module/binder_linux/parameters/devices"};
    for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, rels[i]);
        CHECK(unlink(path) == 0);
    }
    const char *dirs[] = {"sys/module/binder_linux/parameters",
                          "sys/module/binder_linux",
                          "sys/module",
                          "sys",
                          "dev",
                          "proc",
                          ""};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
        CHECK(rmdir(path) == 0);
    }
}

/* The [android] binder values, and what each route is called in messages. */
TEST(pref_and_mode_names)
{
    enum anc_binder_pref p;

    CHECK_EQ(anc_binder_pref_parse("auto", &p), 0);
    CHECK_EQ(p, ANC_BINDER_PREF_AUTO);
    CHECK_EQ(anc_binder_pref_parse("guest", &p), 0);
    CHECK_EQ(p, ANC_BINDER_PREF_GUEST);
    CHECK_EQ(anc_binder_pref_parse("host", &p), 0);
    CHECK_EQ(p, ANC_BINDER_PREF_HOST);
    CHECK_EQ(anc_binder_pref_parse("Host", &p), -EINVAL);
    CHECK_EQ(anc_binder_pref_parse(NULL, &p), -EINVAL);
    CHECK_STREQ(anc_binder_mode_name(ANC_BINDER_GUESTFS), "guest");
    CHECK_STREQ(anc_binder_mode_name(ANC_BINDER_HOSTFS), "host");
    CHECK_STREQ(anc_binder_mode_name(ANC_BINDER_NODES), "nodes");
}

/* Route host on a kernel without binderfs (this one, or a fake tree) is refused with the fix;
 * names outside [A-Za-z0-9_-] never reach binder-control. */
TEST(hostfs_refused_without_binderfs)
{
    struct anc_binder_nodes n;
    char dir[] = "/tmp/anc-binderfs-XXXXXX";

    CHECK(mkdtemp(dir));
    CHECK_EQ(anc_binderfs_alloc(dir, "a.b", &n), -EINVAL);
    CHECK_EQ(anc_binderfs_alloc(dir, "", &n), -EINVAL);
    CHECK_EQ(anc_binderfs_free(dir, "../x"), -EINVAL);
    CHECK_EQ(anc_binderfs_alloc(dir, "ok", &n), -ENOENT); /* no binder-control: not a binderfs */
    CHECK_EQ(anc_binder_version(dir), -EISDIR);
    CHECK(rmdir(dir) == 0);
}

/* Named devices without binderfs: six devices make two slots; a claim is per instance id, taken
 * back by the same id, refused when every slot is held, and released by id. Plain files stand in
 * for the device nodes (the claim only checks that they exist). */
TEST(nodes_claim)
{
    char dev[] = "/tmp/anc-binder-dev-XXXXXX";
    char claims[256], path[PATH_MAX];
    const char *list = "binder1,binder2,binder3,binder4,binder5,binder6";
    struct anc_binder_nodes a, b, c;

    CHECK(mkdtemp(dev));
    snprintf(claims, sizeof(claims), "%s/claims", dev);
    for (int i = 1; i <= 6; i++) {
        snprintf(path, sizeof(path), "binder%d", i);
        write_file(dev, path, "");
    }

    CHECK_EQ(anc_binder_nodes_claim(claims, dev, list, "a1", &a), 0);
    CHECK_EQ(a.slot, 0);
    snprintf(path, sizeof(path), "%s/binder1", dev);
    CHECK_STREQ(a.host[ANC_BINDER_CTX_BINDER], path);
    snprintf(path, sizeof(path), "%s/binder3", dev);
    CHECK_STREQ(a.host[ANC_BINDER_CTX_VNDBINDER], path);

    CHECK_EQ(anc_binder_nodes_claim(claims, dev, list, "b2", &b), 0);
    CHECK_EQ(b.slot, 1);
    snprintf(path, sizeof(path), "%s/binder5", dev);
    CHECK_STREQ(b.host[ANC_BINDER_CTX_HWBINDER], path);

    /* The same id again (a restarted daemon) gets its own slot back; a third id finds none. */
    CHECK_EQ(anc_binder_nodes_claim(claims, dev, list, "a1", &c), 0);
    CHECK_EQ(c.slot, 0);
    CHECK_EQ(anc_binder_nodes_claim(claims, dev, list, "c3", &c), -EBUSY);
    CHECK_EQ(c.slot, -1);

    CHECK_EQ(anc_binder_nodes_release(claims, "a1"), 0);
    CHECK_EQ(anc_binder_nodes_release(claims, "a1"), 0); /* already gone: fine */
    CHECK_EQ(anc_binder_nodes_claim(claims, dev, list, "c3", &c), 0);
    CHECK_EQ(c.slot, 0);

    /* Bad inputs, too few devices, and a node missing from /dev (nothing stays claimed). */
    CHECK_EQ(anc_binder_nodes_claim(claims, dev, list, "../x", &c), -EINVAL);
    CHECK_EQ(anc_binder_nodes_claim(claims, dev, "binder1,,binder2", "d4", &c), -EINVAL);
    CHECK_EQ(anc_binder_nodes_claim(claims, dev, "binder1,binder2", "d4", &c), -ENODEV);
    CHECK_EQ(anc_binder_nodes_release(claims, "b2"), 0);
    snprintf(path, sizeof(path), "%s/binder6", dev);
    CHECK(unlink(path) == 0);
    CHECK_EQ(anc_binder_nodes_claim(claims, dev, list, "d4", &c), -ENODEV);
    snprintf(path, sizeof(path), "%s/slot1", claims);
    CHECK(access(path, F_OK) < 0);

    CHECK_EQ(anc_binder_nodes_release(claims, "c3"), 0);
    CHECK(rmdir(claims) == 0); /* no claim and no temporary file left */
    for (int i = 1; i <= 5; i++) {
        snprintf(path, sizeof(path), "%s/binder%d", dev, i);
        CHECK(unlink(path) == 0);
    }
    CHECK(rmdir(dev) == 0);
    CHECK_EQ(anc_binder_nodes_release("/nonexistent/claims", "a1"), 0);
}
