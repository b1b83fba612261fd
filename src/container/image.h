/* Guest images: squashfs files <image_dir>/<name>.img, mounted read-only with squashfuse once per
 * image and shared by every instance that runs it, plus the per-instance overlay on top.
 *
 * Threads: everything here blocks (file reads, spawning squashfuse, mount(2)) and runs on a
 * worker thread (uv_queue_work) except anc_image_check_superblock, which is pure. The mount
 * table is the one object used from several worker threads (instances sharing an image start
 * concurrently); it holds only names and counts, guarded by its own mutex, and the loop thread
 * never touches it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define ANC_SQUASHFUSE_BIN   "/usr/bin/squashfuse"
#define ANC_SQUASHFS_SB_SIZE 96

struct anc_image_info {
    char name[128]; /* file name without ".img" */
    uint64_t size;  /* bytes */
    char kind[16];  /* "linux" | "android" */
};

/* Checks a squashfs 4.0 superblock (the first ANC_SQUASHFS_SB_SIZE bytes of the file) against
 * the file's size. Returns 0 or -EBADMSG / -ENODATA (short) with a reason in err. */
int anc_image_check_superblock(const uint8_t *sb, size_t len, uint64_t file_size, char *err,
                               size_t errlen);

/* Validates <image_dir>/<name>.img: a safe name, a readable regular file, a sane superblock.
 * Returns 0 or -ENOENT / -EINVAL / -EBADMSG / -errno with a reason in err. */
int anc_image_validate(const char *image_dir, const char *name, char *err, size_t errlen);

/* "android" when the name starts with "android" or the image holds /system/build.prop (looked up
 * with unsquashfs when installed), else "linux". */
const char *anc_image_kind(const char *image_dir, const char *name);

/* Lists the valid images of image_dir, sorted by name, into a new array (*out, caller frees).
 * Invalid files are left out. A missing directory is an empty list. */
int anc_image_list(const char *image_dir, struct anc_image_info **out, size_t *n);

/* The shared squashfuse mounts under <run_dir>/images/. */
struct anc_image_mounts;

/* Returns a new table (caller frees with anc_image_mounts_free) or NULL. */
struct anc_image_mounts *anc_image_mounts_new(const char *image_dir, const char *run_dir);
/* Forgets the table; the mounts stay (they outlive a daemon restart). Accepts NULL. */
void anc_image_mounts_free(struct anc_image_mounts *m);

/* Validates and mounts the image (or takes one more reference on its mount; a mount left by a
 * previous daemon is adopted) and writes the mountpoint into mnt. On error nothing is left
 * mounted and err says why. */
int anc_image_mount_acquire(struct anc_image_mounts *m, const char *name, char *mnt, size_t mntlen,
                            char *err, size_t errlen);
/* Drops a reference; the last one unmounts and removes the mountpoint. */
void anc_image_mount_release(struct anc_image_mounts *m, const char *name);
/* References held on name (tests). */
int anc_image_mount_refs(struct anc_image_mounts *m, const char *name);

/* Mounts an overlay of lower with <data_dir>/upper and <data_dir>/work (created, kept across
 * restarts: they are the instance's data) on target (created). Returns 0 or -errno. */
int anc_overlay_mount(const char *lower, const char *data_dir, const char *target);
/* Unmounts target (lazily when busy) and removes the directory. Returns 0 or -errno. */
int anc_overlay_umount(const char *target);

/* Whether path is a mountpoint (its st_dev differs from its parent's). */
int anc_is_mountpoint(const char *path);
