/* Image validation on crafted superblocks and files, and listing. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/image.h"

/* A plausible squashfs 4.0 superblock: 128 KiB blocks, gzip, bytes_used = used. */
static void make_sb(uint8_t sb[ANC_SQUASHFS_SB_SIZE], uint64_t used)
{
    memset(sb, 0, ANC_SQUASHFS_SB_SIZE);
    memcpy(sb, "hsqs", 4);
    sb[12 + 2] = 0x02; /* block_size 0x20000 */
    sb[20] = 1;        /* compression: gzip */
    sb[22] = 17;       /* block_log */
    sb[28] = 4;        /* version 4.0 */
    for (int i = 0; i < 8; i++)
        sb[40 + i] = (uint8_t)(used >> (8 * i));
}

TEST(superblock_ok)
{
    uint8_t sb[ANC_SQUASHFS_SB_SIZE];
    char err[160] = "";
    make_sb(sb, 4096);
    CHECK_EQ(anc_image_check_superblock(sb, sizeof(sb), 4096, err, sizeof(err)), 0);
    CHECK_EQ(anc_image_check_superblock(sb, sizeof(sb), 8192, err, sizeof(err)), 0);
}

TEST(superblock_errors)
{
    uint8_t sb[ANC_SQUASHFS_SB_SIZE];
    char err[160];
    make_sb(sb, 4096);
    CHECK_EQ(anc_image_check_superblock(sb, 0, 0, err, sizeof(err)), -ENODATA);
    CHECK_STREQ(err, "file too short for a squashfs image");
    CHECK_EQ(anc_image_check_superblock(sb, 40, 40, err, sizeof(err)), -ENODATA);
    CHECK_STREQ(err, "squashfs superblock truncated (40 bytes)");
    CHECK_EQ(anc_image_check_superblock(sb, sizeof(sb), 4000, err, sizeof(err)), -EBADMSG);
    CHECK_STREQ(err, "squashfs image truncated: superblock says 4096 bytes, file has 4000");
    sb[0] = 'x';
    CHECK_EQ(anc_image_check_superblock(sb, sizeof(sb), 4096, err, sizeof(err)), -EBADMSG);
    CHECK_STREQ(err, "not a squashfs image (no \"hsqs\" magic)");
    make_sb(sb, 4096);
    sb[12 + 2] = 0x03; /* 0x30000: not a power of two */
    CHECK_EQ(anc_image_check_superblock(sb, sizeof(sb), 4096, err, sizeof(err)), -EBADMSG);
    CHECK_STREQ(err, "squashfs block size 196608 invalid");
    make_sb(sb, 4096);
    sb[12 + 2] = 0x00;
    sb[12 + 1] = 0x08; /* 2048: below 4 KiB */
    sb[22] = 11;
    CHECK_EQ(anc_image_check_superblock(sb, sizeof(sb), 4096, err, sizeof(err)), -EBADMSG);
    make_sb(sb, 4096);
    sb[28] = 3;
    CHECK_EQ(anc_image_check_superblock(sb, sizeof(sb), 4096, err, sizeof(err)), -EBADMSG);
    CHECK_STREQ(err, "squashfs version 3 not supported (need 4)");
}

static char dir[PATH_MAX];

static void write_img(const char *name, const void *data, size_t len)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s.img", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, data, len) == (ssize_t)len);
    close(fd);
}

TEST(validate_files)
{
    uint8_t buf[8192] = {0};
    char err[PATH_MAX + 256];
    snprintf(dir, sizeof(dir), "/tmp/anc-test-image-XXXXXX");
    CHECK(mkdtemp(dir));

    write_img("empty", "", 0);
    CHECK_EQ(anc_image_validate(dir, "empty", err, sizeof(err)), -ENODATA);
    CHECK(strstr(err, "empty.img: file too short"));
    write_img("magic", "PK\3\4 this is a zip", 19);
    CHECK_EQ(anc_image_validate(dir, "magic", err, sizeof(err)), -EBADMSG);
    CHECK(strstr(err, "magic.img: not a squashfs image"));
    make_sb(buf, sizeof(buf));
    write_img("short", buf, 50);
    CHECK_EQ(anc_image_validate(dir, "short", err, sizeof(err)), -ENODATA);
    CHECK(strstr(err, "superblock truncated (50 bytes)"));
    make_sb(buf, 1 << 20);
    write_img("cut", buf, sizeof(buf));
    CHECK_EQ(anc_image_validate(dir, "cut", err, sizeof(err)), -EBADMSG);
    CHECK(strstr(err, "superblock says 1048576 bytes, file has 8192"));
    make_sb(buf, sizeof(buf));
    write_img("good", buf, sizeof(buf));
    write_img("android-x", buf, sizeof(buf));
    CHECK_EQ(anc_image_validate(dir, "good", err, sizeof(err)), 0);
    CHECK_EQ(anc_image_validate(dir, "missing", err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "missing.img: No such file"));
    CHECK_EQ(anc_image_validate(dir, "../etc/passwd", err, sizeof(err)), -EINVAL);
    char sub[PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "%s/dir.img", dir);
    CHECK(mkdir(sub, 0755) == 0);
    CHECK_EQ(anc_image_validate(dir, "dir", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "not a regular file"));
    rmdir(sub);

    struct anc_image_info *v;
    size_t n;
    CHECK_EQ(anc_image_list(dir, &v, &n), 0);
    CHECK_EQ(n, 2);
    CHECK_STREQ(v[0].name, "android-x");
    CHECK_STREQ(v[0].kind, "android");
    CHECK_STREQ(v[1].name, "good");
    CHECK_STREQ(v[1].kind, "linux");
    CHECK_EQ(v[1].size, sizeof(buf));
    free(v);

    const char *names[] = {"empty", "magic", "short", "cut", "good", "android-x"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s.img", dir, names[i]);
        CHECK(unlink(path) == 0);
    }
    CHECK(rmdir(dir) == 0);
    CHECK_EQ(anc_image_list("/nonexistent-anc", &v, &n), 0);
    CHECK_EQ(n, 0);
}
