/* Id-mapped guests: detection, the id-mapped image mount and the upper dir's shift. */
#include "container/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/loop.h>
#include <linux/mount.h>

/* One "NAME:START:COUNT" file: root's first range large enough in *start (1), none (0);
 * *clash when another entry overlaps ANC_IDMAP_DEFAULT_START's range. -errno: unreadable. */
static int sub_range(const char *path, unsigned *start, bool *clash)
{
    char line[256];
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    int found = 0;
    while (!found && fgets(line, sizeof(line), f)) {
        char name[64];
        unsigned long st, n;
        if (sscanf(line, "%63[^:]:%lu:%lu", name, &st, &n) != 3)
            continue;
        if ((strcmp(name, "root") == 0 || strcmp(name, "0") == 0) && n >= ANC_IDMAP_COUNT &&
            st > 0 && st + ANC_IDMAP_COUNT <= UINT_MAX) {
            *start = (unsigned)st;
            found = 1;
        } else if (st < ANC_IDMAP_DEFAULT_START + ANC_IDMAP_COUNT &&
                   st + n > ANC_IDMAP_DEFAULT_START) {
            *clash = true;
        }
    }
    fclose(f);
    return found;
}

static bool has_fs(const char *name)
{
    char line[128];
    bool found = false;
    FILE *f = fopen("/proc/filesystems", "re");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *t = strrchr(line, '\t');
        found = strcmp(t ? t + 1 : line, name) == 0;
    }
    fclose(f);
    return found;
}

static bool userns_works(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return false;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int anc_idmap_detect(const char *subuid, const char *subgid, unsigned *start, char *why,
                     size_t whylen)
{
    unsigned u = 0, g = 0;
    bool clash = false;
    int ru = sub_range(subuid, &u, &clash), rg = sub_range(subgid, &g, &clash);
    if (ru < 0 || rg < 0) {
        snprintf(why, whylen, "cannot read %s or %s: %s", subuid, subgid,
                 strerror(-(ru < 0 ? ru : rg)));
        return ru < 0 ? ru : rg;
    }
    if (ru == 1 && rg == 1 && u != g) {
        snprintf(why, whylen, "root's ranges in %s and %s start at different ids", subuid, subgid);
        return -EINVAL;
    }
    if (ru == 0 || rg == 0) {
        if (clash) {
            snprintf(why, whylen,
                     "no range of %u ids for root in %s/%s, and the default %u.. is given to "
                     "another user there",
                     ANC_IDMAP_COUNT, subuid, subgid, ANC_IDMAP_DEFAULT_START);
            return -ENOENT;
        }
        u = ANC_IDMAP_DEFAULT_START;
    }
    if (!userns_works()) {
        snprintf(why, whylen, "user namespaces are not available");
        return -EPERM;
    }
    if (!has_fs("squashfs") || access("/dev/loop-control", F_OK) < 0) {
        snprintf(why, whylen, "the kernel has no squashfs or no loop devices");
        return -ENODEV;
    }
    *start = u;
    return 0;
}

/* A user namespace whose map is "0 start count" (uid and gid), as an fd for MOUNT_ATTR_IDMAP:
 * a child unshares, the parent writes its maps and keeps a handle on the namespace. */
static int userns_fd(unsigned start, unsigned count)
{
    int ready[2], go[2], fd = -1;
    char path[64], map[64], c = 0;
    if (pipe2(ready, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(go, O_CLOEXEC) < 0) {
        close(ready[0]);
        close(ready[1]);
        return -errno;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]); /* its read below ends when the parent closes its end */
        char x = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
        if (write(ready[1], &x, 1) == 1 && read(go[0], &x, 1) >= 0)
            _exit(0);
        _exit(1);
    }
    close(ready[1]);
    close(go[0]);
    int r = pid < 0 ? -errno : read(ready[0], &c, 1) == 1 && c == 'y' ? 0 : -EPERM;
    int n = snprintf(map, sizeof(map), "0 %u %u\n", start, count);
    for (int i = 0; r == 0 && i < 3; i++) {
        static const char *const files[] = {"uid_map", "setgroups", "gid_map"};
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
        int mfd = open(path, O_WRONLY | O_CLOEXEC);
        const char *text = i == 1 ? "deny" : map;
        size_t len = i == 1 ? 4 : (size_t)n;
        if (mfd < 0 || write(mfd, text, len) != (ssize_t)len)
            r = i == 1 ? 0 : -EPERM; /* setgroups: optional */
        if (mfd >= 0)
            close(mfd);
    }
    if (r == 0) {
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        r = fd < 0 ? -errno : 0;
    }
    close(go[1]); /* the child ends */
    close(ready[0]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    return r < 0 ? r : fd;
}

/* A free loop device bound read-only to the image (autoclear: it goes with its last mount). */
static int loop_attach(const char *image, char *dev, size_t devlen)
{
    int img = open(image, O_RDONLY | O_CLOEXEC);
    if (img < 0)
        return -errno;
    int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC), r = -EBUSY, lfd = -1;
    for (int tries = 0; ctl >= 0 && r == -EBUSY && tries < 16; tries++) {
        int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
        if (nr < 0) {
            r = -errno;
            break;
        }
        snprintf(dev, devlen, "/dev/loop%d", nr);
        lfd = open(dev, O_RDONLY | O_CLOEXEC);
        if (lfd < 0) {
            r = -errno;
            break;
        }
        struct loop_config cfg = {.fd = (unsigned)img,
                                  .info = {.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR}};
        r = ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0 ? 0 : -errno; /* EBUSY: taken meanwhile */
        if (r < 0) {
            close(lfd);
            lfd = -1;
        }
    }
    if (ctl < 0)
        r = -errno;
    else
        close(ctl);
    close(img);
    return r < 0 ? r : lfd;
}

static bool is_mountpoint(const char *path)
{
    char parent[PATH_MAX];
    struct stat a, b;
    snprintf(parent, sizeof(parent), "%s/..", path);
    return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

int anc_idmap_mount_image(const char *image, const char *target, unsigned start, unsigned count)
{
    char dev[64];
    int r, fs = -1, mnt = -1, ns = -1;
    if (mkdir(target, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (is_mountpoint(target))
        return 0;
    int lfd = loop_attach(image, dev, sizeof(dev));
    if (lfd < 0)
        return lfd;
    fs = (int)syscall(SYS_fsopen, "squashfs", FSOPEN_CLOEXEC);
    r = fs < 0 ? -errno : 0;
    if (r == 0 && (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
                   syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
                   syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0))
        r = -errno;
    if (r == 0) {
        mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                           MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        r = mnt < 0 ? -errno : 0;
    }
    if (r == 0)
        r = ns = userns_fd(start, count);
    if (r >= 0) {
        struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned)ns};
        r = syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0 ? -errno : 0;
    }
    if (r == 0 && syscall(SYS_move_mount, mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        r = -errno;
    if (ns >= 0)
        close(ns);
    if (mnt >= 0)
        close(mnt);
    if (fs >= 0)
        close(fs);
    close(lfd); /* the mount holds the device now; without one autoclear frees it */
    return r;
}

static unsigned shift_start, shift_count;

static int shift_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    uid_t u = st->st_uid < shift_count ? st->st_uid + shift_start : st->st_uid;
    gid_t g = st->st_gid < shift_count ? st->st_gid + shift_start : st->st_gid;
    if ((u != st->st_uid || g != st->st_gid) && lchown(path, u, g) < 0)
        return -errno;
    /* chown clears set-id bits: put them back for regular files (not through a symlink). */
    if (S_ISREG(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
        chmod(path, st->st_mode & 07777) < 0)
        return -errno;
    return 0;
}

int anc_idmap_shift_tree(const char *dir, unsigned start, unsigned count)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return -errno;
    if (st.st_uid == start)
        return 0;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* nftw takes no context */
    pthread_mutex_lock(&lock);
    shift_start = start;
    shift_count = count;
    int r = nftw(dir, shift_one, 32, FTW_PHYS | FTW_MOUNT);
    pthread_mutex_unlock(&lock);
    return r == -1 ? -errno : r;
}

/* The POSIX ACL xattr format (linux/posix_acl_xattr.h, not installed as a uapi header). */
struct acl_entry {
    uint16_t tag, perm;
    uint32_t id;
};
enum { ACL_USER_OBJ = 1, ACL_USER = 2, ACL_GROUP_OBJ = 4, ACL_MASK = 0x10, ACL_OTHER = 0x20 };

int anc_idmap_allow_walk(const char *dir, unsigned uid)
{
    struct stat st;
    if (stat(dir, &st) < 0)
        return -errno;
    if ((st.st_mode & 0001) || st.st_uid == uid)
        return 0;
    uint16_t g = (st.st_mode >> 3) & 7;
    struct {
        uint32_t version;
        struct acl_entry e[5];
    } __attribute__((packed)) acl = {2,
                                     {{ACL_USER_OBJ, (st.st_mode >> 6) & 7, UINT32_MAX},
                                      {ACL_USER, 1, uid},
                                      {ACL_GROUP_OBJ, g, UINT32_MAX},
                                      {ACL_MASK, g | 1, UINT32_MAX},
                                      {ACL_OTHER, st.st_mode & 7, UINT32_MAX}}};
    return setxattr(dir, "system.posix_acl_access", &acl, sizeof(acl), 0) < 0 ? -errno : 0;
}
