/* Runs inside a test container (linked statically, put into the busybox image): tries what a
 * contained guest must not be able to do and prints one "NAME=RESULT" line per try, RESULT being
 * "ok" or the errno name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void report(const char *name, int r)
{
    printf("%s=%s\n", name, r == 0 ? "ok" : strerrorname_np(errno));
}

int main(void)
{
    report("mknod_null", mknod("/tmp/probe-null", S_IFCHR | 0600, makedev(1, 3)));
    report("mknod_loop", mknod("/tmp/probe-loop", S_IFBLK | 0600, makedev(7, 0)));

    struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
    int mount_id, r = -1;
    h->handle_bytes = MAX_HANDLE_SZ;
    int dir = open("/dev", O_RDONLY | O_DIRECTORY); /* autodev's tmpfs: it has file handles */
    if (name_to_handle_at(dir, "", h, &mount_id, AT_EMPTY_PATH) == 0) {
        int fd = open_by_handle_at(dir, h, O_RDONLY);
        r = fd < 0 ? -1 : 0;
    }
    report("open_by_handle_at", r);
    report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) < 0 ? -1 : 0);
    fflush(stdout);
    return 0;
}
