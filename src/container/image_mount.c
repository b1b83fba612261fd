/* Shared squashfuse mounts of images and the per-instance overlay. Worker threads only. */
#include "container/image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fsutil.h"

#define MOUNT_TIMEOUT_MS 5000
#define MOUNT_POLL_MS    5

extern char **environ;

struct mount_entry {
    struct mount_entry *next;
    char name[128];
    int refs;
};

struct anc_image_mounts {
    pthread_mutex_t lock;
    char image_dir[PATH_MAX];
    char run_dir[PATH_MAX];
    struct mount_entry *entries;
};

struct anc_image_mounts *anc_image_mounts_new(const char *image_dir, const char *run_dir)
{
    struct anc_image_mounts *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->image_dir, sizeof(m->image_dir), "%s", image_dir);
    snprintf(m->run_dir, sizeof(m->run_dir), "%s", run_dir);
    return m;
}

void anc_image_mounts_free(struct anc_image_mounts *m)
{
    if (!m)
        return;
    while (m->entries) {
        struct mount_entry *e = m->entries;
        m->entries = e->next;
        free(e);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

int anc_is_mountpoint(const char *path)
{
    char parent[PATH_MAX];
    struct stat a, b;
    if (snprintf(parent, sizeof(parent), "%s/..", path) >= (int)sizeof(parent))
        return 0;
    if (stat(path, &a) < 0 || stat(parent, &b) < 0)
        return 0;
    return a.st_dev != b.st_dev;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* squashfuse daemonizes after the FUSE mount is made; the poll covers the time between its
 * parent exiting and the mount being visible here, bounded by MOUNT_TIMEOUT_MS. */
static int run_squashfuse(const char *img, const char *mnt)
{
    char *argv[] = {"squashfuse", "-o", "ro,allow_other", (char *)img, (char *)mnt, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st, r;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    r = posix_spawn(&pid, ANC_SQUASHFUSE_BIN, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -r;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -EIO;
    for (int waited = 0; waited < MOUNT_TIMEOUT_MS; waited += MOUNT_POLL_MS) {
        if (anc_is_mountpoint(mnt))
            return 0;
        sleep_ms(MOUNT_POLL_MS);
    }
    return -ETIMEDOUT;
}

static void unmount_dir(const char *mnt)
{
    if (anc_is_mountpoint(mnt) && umount2(mnt, 0) < 0)
        umount2(mnt, MNT_DETACH);
    rmdir(mnt);
}

static struct mount_entry *find(struct anc_image_mounts *m, const char *name)
{
    for (struct mount_entry *e = m->entries; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

static int mount_image(struct anc_image_mounts *m, const char *name, const char *mnt, char *err,
                       size_t errlen)
{
    char img[PATH_MAX];
    int r = anc_image_validate(m->image_dir, name, err, errlen);
    if (r < 0)
        return r;
    if (anc_is_mountpoint(mnt))
        return 0; /* left by a previous daemon: adopt it */
    if (snprintf(img, sizeof(img), "%s/%s.img", m->image_dir, name) >= (int)sizeof(img))
        return -ENAMETOOLONG;
    r = anc_mkdir_p(mnt, 0755);
    if (r < 0) {
        snprintf(err, errlen, "image %s: cannot create %s: %s", name, mnt, strerror(-r));
        return r;
    }
    r = run_squashfuse(img, mnt);
    if (r < 0) {
        snprintf(err, errlen, "image %s: squashfuse failed to mount it on %s (%s)", name, mnt,
                 r == -ENOENT ? "squashfuse not installed" : strerror(-r));
        unmount_dir(mnt);
    }
    return r;
}

int anc_image_mount_acquire(struct anc_image_mounts *m, const char *name, char *mnt, size_t mntlen,
                            char *err, size_t errlen)
{
    int r = 0;
    if (snprintf(mnt, mntlen, "%s/images/%s", m->run_dir, name) >= (int)mntlen)
        return -ENAMETOOLONG;
    pthread_mutex_lock(&m->lock);
    struct mount_entry *e = find(m, name);
    if (e) {
        e->refs++;
        goto out;
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        r = -ENOMEM;
        goto out;
    }
    r = mount_image(m, name, mnt, err, errlen);
    if (r < 0) {
        free(e);
        goto out;
    }
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->refs = 1;
    e->next = m->entries;
    m->entries = e;
out:
    pthread_mutex_unlock(&m->lock);
    return r;
}

void anc_image_mount_release(struct anc_image_mounts *m, const char *name)
{
    char mnt[PATH_MAX];
    pthread_mutex_lock(&m->lock);
    struct mount_entry **pp = &m->entries;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    struct mount_entry *e = *pp;
    if (e && --e->refs == 0) {
        *pp = e->next;
        free(e);
        if (snprintf(mnt, sizeof(mnt), "%s/images/%s", m->run_dir, name) < (int)sizeof(mnt))
            unmount_dir(mnt);
    }
    pthread_mutex_unlock(&m->lock);
}

int anc_image_mount_refs(struct anc_image_mounts *m, const char *name)
{
    pthread_mutex_lock(&m->lock);
    struct mount_entry *e = find(m, name);
    int refs = e ? e->refs : 0;
    pthread_mutex_unlock(&m->lock);
    return refs;
}

int anc_overlay_mount(const char *lower, const char *data_dir, const char *target)
{
    char upper[PATH_MAX], work[PATH_MAX], opts[3 * PATH_MAX + 64];
    int r;
    if (strpbrk(lower, ",:") || strpbrk(data_dir, ",:"))
        return -EINVAL;
    snprintf(upper, sizeof(upper), "%s/upper", data_dir);
    snprintf(work, sizeof(work), "%s/work", data_dir);
    if ((r = anc_mkdir_p(upper, 0755)) < 0 || (r = anc_mkdir_p(work, 0700)) < 0 ||
        (r = anc_mkdir_p(target, 0755)) < 0)
        return r;
    if (anc_is_mountpoint(target))
        return 0; /* adopted after a daemon restart */
    snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
    if (mount("overlay", target, "overlay", MS_NOSUID, opts) < 0) {
        r = -errno;
        rmdir(target);
        return r;
    }
    return 0;
}

int anc_overlay_umount(const char *target)
{
    int r = 0;
    if (anc_is_mountpoint(target) && umount2(target, 0) < 0) {
        r = -errno;
        if (umount2(target, MNT_DETACH) == 0)
            r = 0;
    }
    if (rmdir(target) < 0 && errno != ENOENT && r == 0)
        r = -errno;
    return r;
}
