/* Unprivileged (id-mapped) Linux guests, docs/containers.md "Id-mapped guests": which host ids
 * the guest's 0..count-1 become, and the image mounted with that shift. Blocking: worker threads
 * or start-up only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* LXD's default map when the host has no /etc/subuid: root's guests get 1000000.. */
#define ANC_IDMAP_DEFAULT_START 1000000u
#define ANC_IDMAP_COUNT         65536u

/* Picks the host range for guests from subuid/subgid (normally /etc/subuid, /etc/subgid): root's
 * first range ("root:START:COUNT" or "0:START:COUNT") of at least ANC_IDMAP_COUNT ids in both,
 * with the same start; without one (as LXD does for root) ANC_IDMAP_DEFAULT_START, unless the
 * files give part of that range to someone else. Then checks the kernel: user namespaces can be
 * made, squashfs and loop devices exist. Returns 0 with *start, or -errno with why filled (the
 * caller falls back to a privileged guest and says so). */
int anc_idmap_detect(const char *subuid, const char *subgid, unsigned *start, char *why,
                     size_t whylen);

/* Mounts image (a squashfs file) read-only at target through the kernel's squashfs on a loop
 * device (autoclear), id-mapped so that its owners 0..count-1 appear as start..start+count-1.
 * A target already mounted (adoption) is left as it is. Returns 0 or -errno. */
int anc_idmap_mount_image(const char *image, const char *target, unsigned start, unsigned count);

/* Shifts the owners of everything under dir (the overlay's upper dir) into start..start+count-1
 * when dir itself is not owned by start yet (made by a privileged run or new): ids below count
 * get start added. Returns 0 or -errno. */
int anc_idmap_shift_tree(const char *dir, unsigned start, unsigned count);

/* Lets uid walk through dir (an ACL entry user:uid:--x) unless anyone or uid already can: LXC
 * checks that the guest's root reaches its container directory and rootfs. Returns 0 or -errno. */
int anc_idmap_allow_walk(const char *dir, unsigned uid);
