/* Binder probe (pure parsers + a thin reader of /proc, /sys, /dev) and the named-device slots of
 * kernels without binderfs. */
#include "container/binder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHECK_HINT   " (kernel/check lists what is missing)"
#define MODPROBE_FIX "modprobe binder_linux devices=binder1,binder2,binder3"
#define BINDERFS_FIX "boot a kernel with CONFIG_ANDROID_BINDERFS=y"

static const char *const ctx_target[ANC_BINDER_NCTX] = {"dev/binder", "dev/hwbinder",
                                                        "dev/vndbinder"};

/* --- pure helpers --------------------------------------------------------------------------- */

/* Copies the next line of *p into line (truncated to cap-1) and advances *p. False at the end. */
static bool next_line(const char **p, char *line, size_t cap)
{
    const char *s = *p, *nl;
    size_t n;

    if (!s || !*s)
        return false;
    nl = strchr(s, '\n');
    n = nl ? (size_t)(nl - s) : strlen(s);
    *p = nl ? nl + 1 : s + n;
    if (n >= cap)
        n = cap - 1;
    memcpy(line, s, n);
    line[n] = '\0';
    return true;
}

bool anc_binder_has_filesystem(const char *proc_filesystems, const char *fs)
{
    const char *p = proc_filesystems;
    char line[256], a[128], b[128];

    while (next_line(&p, line, sizeof(line))) {
        int n = sscanf(line, "%127s %127s", a, b);
        /* "nodev<TAB>binder" or "<TAB>ext4": the type is the last field on the line. */
        if ((n == 2 && strcmp(b, fs) == 0) || (n == 1 && strcmp(a, fs) == 0))
            return true;
    }
    return false;
}

int anc_binder_char_major(const char *proc_devices, const char *name)
{
    const char *p = proc_devices;
    char line[256], dev[128];
    bool in_char = false;
    int major;

    while (next_line(&p, line, sizeof(line))) {
        if (strncmp(line, "Character devices:", 18) == 0) {
            in_char = true;
            continue;
        }
        if (strncmp(line, "Block devices:", 14) == 0) {
            in_char = false;
            continue;
        }
        if (in_char && sscanf(line, "%d %127s", &major, dev) == 2 && major > 0 &&
            strcmp(dev, name) == 0)
            return major;
    }
    return -ENOENT;
}

bool anc_binder_has_misc(const char *proc_misc, const char *name)
{
    const char *p = proc_misc;
    char line[256], dev[128];
    int minor;

    while (next_line(&p, line, sizeof(line)))
        if (sscanf(line, "%d %127s", &minor, dev) == 2 && strcmp(dev, name) == 0)
            return true;
    return false;
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= ANC_BINDER_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

int anc_binder_device_list(const char *csv, char names[][ANC_BINDER_NAME_MAX], int max)
{
    size_t len = csv ? strcspn(csv, "\n") : 0;
    int n = 0;

    if (len == 0)
        return -EINVAL;
    for (const char *p = csv, *end = csv + len; p <= end && n < max;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t k = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (!name_ok(p, k))
            return -EINVAL;
        memcpy(names[n], p, k);
        names[n++][k] = '\0';
        p += k + 1;
    }
    return n;
}

int anc_binder_caps_check(const struct anc_binder_caps *c, char *why, size_t len)
{
    /* Kept under ANC_BINDER_WHY_MAX: callers embed the text in an API error of that size. */
    if (len > 0)
        why[0] = '\0';
    if (!c->binderfs && c->nodes < ANC_BINDER_NCTX && (c->binder_module || c->nodes > 0)) {
        snprintf(why, len,
                 "kind \"android\" needs binder: no binderfs, and %d of the 3 binder devices "
                 "in /dev (\"%.24s\"); " MODPROBE_FIX " or " BINDERFS_FIX CHECK_HINT,
                 c->nodes, c->devices);
        return -ENODEV;
    }
    if (!c->binderfs && c->nodes < ANC_BINDER_NCTX) {
        snprintf(why, len,
                 "kind \"android\" needs binder: no binderfs and no binder devices in /dev; "
                 "" MODPROBE_FIX " or " BINDERFS_FIX CHECK_HINT);
        return -ENODEV;
    }
    if (!c->ashmem && !c->memfd) {
        snprintf(why, len,
                 "kind \"android\" needs shared memory: no /dev/ashmem and no memfd_create; "
                 "use a kernel with CONFIG_MEMFD_CREATE=y" CHECK_HINT);
        return -ENODEV;
    }
    return 0;
}

enum anc_binder_mode anc_binder_mode_of(const struct anc_binder_caps *caps)
{
    return caps->binderfs ? ANC_BINDER_GUESTFS : ANC_BINDER_NODES;
}

const char *anc_binder_ctx_target(enum anc_binder_ctx ctx)
{
    return (unsigned)ctx < ANC_BINDER_NCTX ? ctx_target[ctx] : NULL;
}

/* --- host probe ------------------------------------------------------------------------------ */

/* Reads a small text file (under /proc, sizes are not known in advance) into buf. */
static int read_text(const char *root, const char *rel, char *buf, size_t cap)
{
    char path[PATH_MAX];
    size_t off = 0;
    int fd;

    if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    while (off + 1 < cap) {
        ssize_t n = read(fd, buf + off, cap - 1 - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    buf[off] = '\0';
    close(fd);
    return 0;
}

static bool exists(const char *root, const char *rel)
{
    char path[PATH_MAX];

    if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
        return false;
    return access(path, F_OK) == 0;
}

static bool memfd_works(void)
{
#ifdef SYS_memfd_create
    int fd = (int)syscall(SYS_memfd_create, "ancloud-probe", 1u /* MFD_CLOEXEC */);
    if (fd < 0)
        return false;
    close(fd);
    return true;
#else
    return false;
#endif
}

/* The devices= parameter of the module, or of the driver built in (module name "binder"). */
static void probe_devices(const char *root, struct anc_binder_caps *out)
{
    char names[ANC_BINDER_DEVICES_MAX][ANC_BINDER_NAME_MAX], rel[ANC_BINDER_NAME_MAX + 8];
    int n;

    if (read_text(root, "sys/module/binder_linux/parameters/devices", out->devices,
                  sizeof(out->devices)) < 0 &&
        read_text(root, "sys/module/binder/parameters/devices", out->devices,
                  sizeof(out->devices)) < 0)
        snprintf(out->devices, sizeof(out->devices), "%s", ANC_BINDER_DEFAULT_DEVICES);
    out->devices[strcspn(out->devices, "\n")] = '\0';
    n = anc_binder_device_list(out->devices, names, ANC_BINDER_DEVICES_MAX);
    for (int i = 0; i < n; i++) {
        if (snprintf(rel, sizeof(rel), "dev/%s", names[i]) < (int)sizeof(rel) && exists(root, rel))
            out->nodes++;
    }
}

int anc_binder_probe_root(const char *root, struct anc_binder_caps *out, char *why, size_t len)
{
    char text[16384];
    int major;

    memset(out, 0, sizeof(*out));
    if (read_text(root, "proc/filesystems", text, sizeof(text)) == 0)
        out->binderfs = anc_binder_has_filesystem(text, "binder");
    if (read_text(root, "proc/devices", text, sizeof(text)) == 0) {
        major = anc_binder_char_major(text, "binder");
        out->binderfs_major = major > 0 ? major : 0;
    }
    out->binder_module = exists(root, "sys/module/binder_linux");
    probe_devices(root, out);
    out->ashmem = exists(root, "dev/ashmem");
    out->memfd = memfd_works();
    return anc_binder_caps_check(out, why, len);
}

int anc_binder_probe(struct anc_binder_caps *out, char *why, size_t len)
{
    return anc_binder_probe_root("", out, why, len);
}

/* --- named-device slots ---------------------------------------------------------------------- */

bool anc_binder_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > 64)
        return false;
    return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/* Whether <claim_dir>/<file> holds exactly id. */
static bool claimed_by(const char *claim_dir, const char *file, const char *id)
{
    char text[80];

    return read_text(claim_dir, file, text, sizeof(text)) == 0 && strcmp(text, id) == 0;
}

/* Creates <claim_dir>/slot<k> holding id, atomically: written beside it, then linked, which
 * fails with EEXIST when another instance holds the slot. */
static int claim_slot(const char *claim_dir, int k, const char *id)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int fd, r = 0;

    if (snprintf(tmp, sizeof(tmp), "%s/.claim-%s", claim_dir, id) >= (int)sizeof(tmp) ||
        snprintf(path, sizeof(path), "%s/slot%d", claim_dir, k) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (write(fd, id, strlen(id)) != (ssize_t)strlen(id))
        r = -EIO;
    close(fd);
    if (r == 0 && link(tmp, path) < 0)
        r = -errno;
    unlink(tmp);
    return r;
}

static int fill_nodes(const char *dev_dir, char names[][ANC_BINDER_NAME_MAX], int k,
                      struct anc_binder_nodes *out)
{
    out->slot = k;
    for (int i = 0; i < ANC_BINDER_NCTX; i++) {
        char *h = out->host[i];
        if (snprintf(h, PATH_MAX, "%s/%s", dev_dir, names[3 * k + i]) >= PATH_MAX)
            return -ENAMETOOLONG;
        if (access(h, F_OK) < 0)
            return -ENODEV;
    }
    return 0;
}

int anc_binder_nodes_claim(const char *claim_dir, const char *dev_dir, const char *devices,
                           const char *id, struct anc_binder_nodes *out)
{
    char names[ANC_BINDER_DEVICES_MAX][ANC_BINDER_NAME_MAX], file[32];
    int n, slots, r;

    memset(out, 0, sizeof(*out));
    out->slot = -1;
    if (!anc_binder_id_ok(id))
        return -EINVAL;
    n = anc_binder_device_list(devices, names, ANC_BINDER_DEVICES_MAX);
    if (n < 0)
        return n;
    slots = n / ANC_BINDER_NCTX;
    if (slots == 0)
        return -ENODEV;
    if (mkdir(claim_dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    for (int k = 0; k < slots; k++) {
        snprintf(file, sizeof(file), "slot%d", k);
        if (claimed_by(claim_dir, file, id))
            return fill_nodes(dev_dir, names, k, out);
    }
    for (int k = 0; k < slots; k++) {
        r = claim_slot(claim_dir, k, id);
        if (r == -EEXIST)
            continue;
        if (r < 0)
            return r;
        r = fill_nodes(dev_dir, names, k, out);
        if (r < 0) {
            anc_binder_nodes_release(claim_dir, id);
            memset(out, 0, sizeof(*out));
            out->slot = -1;
        }
        return r;
    }
    return -EBUSY;
}

int anc_binder_nodes_release(const char *claim_dir, const char *id)
{
    char path[PATH_MAX];
    struct dirent *de;
    int r = 0;
    DIR *d;

    if (!anc_binder_id_ok(id))
        return -EINVAL;
    d = opendir(claim_dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "slot", 4) != 0 || !claimed_by(claim_dir, de->d_name, id))
            continue;
        snprintf(path, sizeof(path), "%s/%s", claim_dir, de->d_name);
        if (unlink(path) < 0 && errno != ENOENT && r == 0)
            r = -errno;
    }
    closedir(d);
    return r;
}
