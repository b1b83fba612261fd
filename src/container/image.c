/* Image files: validation of the squashfs superblock, kind detection and listing. */
#include "container/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQUASHFS_MAGIC 0x73717368u /* "hsqs" read little-endian */

static int fail(int r, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(int r, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return r;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int anc_image_check_superblock(const uint8_t *sb, size_t len, uint64_t file_size, char *err,
                               size_t errlen)
{
    if (len < 4 || file_size < 4)
        return fail(-ENODATA, err, errlen, "file too short for a squashfs image");
    if (le32(sb) != SQUASHFS_MAGIC)
        return fail(-EBADMSG, err, errlen, "not a squashfs image (no \"hsqs\" magic)");
    if (len < ANC_SQUASHFS_SB_SIZE || file_size < ANC_SQUASHFS_SB_SIZE)
        return fail(-ENODATA, err, errlen, "squashfs superblock truncated (%llu bytes)",
                    (unsigned long long)(len < file_size ? len : file_size));
    uint32_t block_size = le32(sb + 12);
    uint16_t compression = le16(sb + 20), block_log = le16(sb + 22);
    uint16_t major = le16(sb + 28);
    uint64_t bytes_used = le64(sb + 40);
    if (major != 4)
        return fail(-EBADMSG, err, errlen, "squashfs version %u not supported (need 4)", major);
    if (block_size < 4096 || block_size > 1048576 || (block_size & (block_size - 1)) ||
        (1u << block_log) != block_size)
        return fail(-EBADMSG, err, errlen, "squashfs block size %u invalid", block_size);
    if (compression < 1 || compression > 6)
        return fail(-EBADMSG, err, errlen, "squashfs compression %u unknown", compression);
    if (bytes_used < ANC_SQUASHFS_SB_SIZE || bytes_used > file_size)
        return fail(-EBADMSG, err, errlen,
                    "squashfs image truncated: superblock says %llu bytes, file has %llu",
                    (unsigned long long)bytes_used, (unsigned long long)file_size);
    return 0;
}

static bool name_ok(const char *name)
{
    if (!name || !*name || name[0] == '.' ||
        strlen(name) >= sizeof(((struct anc_image_info *)0)->name))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

int anc_image_validate(const char *image_dir, const char *name, char *err, size_t errlen)
{
    char path[PATH_MAX];
    uint8_t sb[ANC_SQUASHFS_SB_SIZE];
    struct stat st;

    if (!name_ok(name))
        return fail(-EINVAL, err, errlen, "image name \"%s\" invalid", name ? name : "");
    if (snprintf(path, sizeof(path), "%s/%s.img", image_dir, name) >= (int)sizeof(path))
        return fail(-ENAMETOOLONG, err, errlen, "image path too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return fail(-errno, err, errlen, "image %s: %s", path, strerror(errno));
    int r = 0;
    if (fstat(fd, &st) < 0) {
        r = fail(-errno, err, errlen, "image %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = fail(-EINVAL, err, errlen, "image %s: not a regular file", path);
        goto out;
    }
    ssize_t n = pread(fd, sb, sizeof(sb), 0);
    if (n < 0) {
        r = fail(-errno, err, errlen, "image %s: %s", path, strerror(errno));
        goto out;
    }
    char why[160];
    r = anc_image_check_superblock(sb, (size_t)n, (uint64_t)st.st_size, why, sizeof(why));
    if (r < 0)
        fail(r, err, errlen, "image %s: %s", path, why);
out:
    close(fd);
    return r;
}

/* Asks unsquashfs for /system/build.prop: it reads only the directory tables. */
static bool has_build_prop(const char *path)
{
    char cmd[PATH_MAX + 128], line[512];
    bool found = false;
    if (access("/usr/bin/unsquashfs", X_OK) != 0 || strchr(path, '\''))
        return false;
    snprintf(cmd, sizeof(cmd), "/usr/bin/unsquashfs -l -n -d '' '%s' system/build.prop 2>/dev/null",
             path);
    FILE *p = popen(cmd, "re");
    if (!p)
        return false;
    while (fgets(line, sizeof(line), p))
        if (strstr(line, "system/build.prop"))
            found = true;
    pclose(p);
    return found;
}

const char *anc_image_kind(const char *image_dir, const char *name)
{
    char path[PATH_MAX];
    if (strncmp(name, "android", 7) == 0)
        return "android";
    if (snprintf(path, sizeof(path), "%s/%s.img", image_dir, name) >= (int)sizeof(path))
        return "linux";
    return has_build_prop(path) ? "android" : "linux";
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct anc_image_info *)a)->name,
                  ((const struct anc_image_info *)b)->name);
}

static int add_entry(const char *image_dir, const char *file, struct anc_image_info **v, size_t *n,
                     size_t *cap)
{
    char name[sizeof((*v)->name)], path[PATH_MAX];
    size_t len = strlen(file);
    struct stat st;
    if (len <= 4 || strcmp(file + len - 4, ".img") != 0 || len - 4 >= sizeof(name))
        return 0;
    memcpy(name, file, len - 4);
    name[len - 4] = '\0';
    snprintf(path, sizeof(path), "%s/%s", image_dir, file);
    if (anc_image_validate(image_dir, name, NULL, 0) < 0 || stat(path, &st) < 0)
        return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct anc_image_info *nv = realloc(*v, nc * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        *v = nv;
        *cap = nc;
    }
    struct anc_image_info *e = &(*v)[(*n)++];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->size = (uint64_t)st.st_size;
    snprintf(e->kind, sizeof(e->kind), "%s", anc_image_kind(image_dir, name));
    return 0;
}

int anc_image_list(const char *image_dir, struct anc_image_info **out, size_t *n_out)
{
    struct anc_image_info *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int r = 0;

    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(image_dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((de = readdir(d)) != NULL) {
        r = add_entry(image_dir, de->d_name, &v, &n, &cap);
        if (r < 0)
            break;
    }
    closedir(d);
    if (r < 0) {
        free(v);
        return r;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), by_name);
    *out = v;
    *n_out = n;
    return 0;
}
