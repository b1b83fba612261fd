#include "instance/display_xvfb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/random.h>

#include "base/fsutil.h"
#include "base/log.h"

#define UNSHARE_PATH "/usr/bin/unshare"

enum anc_display_socket_mode anc__display_resolve_mode(enum anc_display_socket_mode m)
{
    if (m != ANC_DISPLAY_SOCKET_AUTO)
        return m;
    if (geteuid() == 0 && access(UNSHARE_PATH, X_OK) == 0)
        return ANC_DISPLAY_SOCKET_NAMESPACE;
    return ANC_DISPLAY_SOCKET_LINK;
}

void anc__display_argv(struct anc__display_cmd *cmd, const char *xvfb_path, const char *run_dir,
                       const char *sock_dir, const char *xauth, int number, int width, int height,
                       int depth, enum anc_display_socket_mode mode)
{
    char **args = cmd->argv;
    int n = 0;
    snprintf(cmd->display, sizeof(cmd->display), ":%d", number);
    snprintf(cmd->geometry, sizeof(cmd->geometry), "%dx%dx%d", width, height, depth);
    if (mode == ANC_DISPLAY_SOCKET_NAMESPACE) {
        args[n++] = UNSHARE_PATH;
        args[n++] = "--mount";
        args[n++] = "--propagation";
        args[n++] = "slave";
        args[n++] = "--";
        args[n++] = "/bin/sh";
        args[n++] = "-c";
        args[n++] = "mount --bind \"$0\" " ANC_XVFB_HOST_SOCKET_DIR " && exec \"$@\"";
        args[n++] = (char *)sock_dir;
    }
    char *xvfb[] = {
        (char *)xvfb_path, cmd->display, "-screen", "0",          cmd->geometry, "-fbdir",
        (char *)run_dir,   "-nolisten",  "tcp",     "-nolisten",  "local",       "-auth",
        (char *)xauth,     "-noreset",   "-br",     "-displayfd", "3",           NULL};
    memcpy(args + n, xvfb, sizeof(xvfb));
}

int anc__display_prepare_socket_dir(const char *sock_dir, enum anc_display_socket_mode mode)
{
    if (mkdir(sock_dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (mode != ANC_DISPLAY_SOCKET_NAMESPACE)
        return 0;
    if (chmod(sock_dir, 01777) < 0)
        return -errno;
    if (mkdir(ANC_XVFB_HOST_SOCKET_DIR, 01777) == 0)
        chmod(ANC_XVFB_HOST_SOCKET_DIR, 01777);
    else if (errno != EEXIST)
        return -errno;
    return 0;
}

static void host_socket(char *buf, size_t len, int number)
{
    snprintf(buf, len, ANC_XVFB_HOST_SOCKET_DIR "/X%d", number);
}

static void lock_path(char *buf, size_t len, int number)
{
    snprintf(buf, len, "/tmp/.X%d-lock", number);
}

/* Binds (without listening) the abstract socket of number: -1 when something (any X server of
 * this network namespace, ours or not) holds it. libxcb tries that name before the path, so a
 * number whose name is taken is never ours, and the name stays bound as long as our Xvfb runs
 * (it inherits the socket) so that no local process can take it and receive our clients. */
static int bind_abstract(int number)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n =
        snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, ANC_XVFB_HOST_SOCKET_DIR "/X%d", number);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_lock(int fd, int pid)
{
    char text[16];
    int n = snprintf(text, sizeof(text), "%10d\n", pid); /* the X servers' own format */
    return pwrite(fd, text, (size_t)n, 0) == n ? 0 : -EIO;
}

/* Takes the X lock file of number (O_EXCL, our pid in it), replacing a stale one once. */
static bool take_lock(int number)
{
    char path[64], text[16] = "";
    lock_path(path, sizeof(path), number);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (fd >= 0) {
            bool ok = write_lock(fd, getpid()) == 0;
            close(fd);
            if (!ok)
                unlink(path);
            return ok;
        }
        if (errno != EEXIST)
            return false;
        int rfd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = rfd >= 0 ? read(rfd, text, sizeof(text) - 1) : -1;
        if (rfd >= 0)
            close(rfd);
        int pid = n > 0 ? atoi(text) : 0;
        if (pid <= 0 || (kill(pid, 0) == 0 || errno != ESRCH))
            return false; /* held (or unreadable: left alone) */
        unlink(path);     /* its server died without removing it */
    }
    return false;
}

/* With the lock held: makes /tmp/.X11-unix/X<N> ours. NAMESPACE: a link to the run dir's socket
 * (a link there can only be a stale one of ours: links are made under the lock); LINK: the path
 * Xvfb will bind must be free (xtrans would unlink a live server's socket). */
static bool take_host_path(const char *sock_dir, int number, enum anc_display_socket_mode mode)
{
    char host[64], target[PATH_MAX];
    struct stat st;
    host_socket(host, sizeof(host), number);
    if (mode != ANC_DISPLAY_SOCKET_NAMESPACE)
        return lstat(host, &st) < 0 && errno == ENOENT;
    if (snprintf(target, sizeof(target), "%s/X%d", sock_dir, number) >= (int)sizeof(target))
        return false;
    if (lstat(host, &st) == 0 && S_ISLNK(st.st_mode))
        unlink(host);
    return symlink(target, host) == 0;
}

int anc__display_reserve(const char *sock_dir, enum anc_display_socket_mode mode, int *guard)
{
    for (int number = 0; number <= ANC_XVFB_MAX_NUMBER; number++) {
        int fd = bind_abstract(number);
        if (fd < 0)
            continue;
        if (take_lock(number)) {
            if (take_host_path(sock_dir, number, mode)) {
                *guard = fd;
                return number;
            }
            char path[64];
            lock_path(path, sizeof(path), number);
            unlink(path);
        }
        close(fd);
    }
    return -EADDRINUSE;
}

void anc__display_lock_owner(int number, int pid)
{
    char path[64];
    lock_path(path, sizeof(path), number);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_lock(fd, pid) < 0)
        anc_debug("display: cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

void anc__display_release(const char *sock_dir, int number, enum anc_display_socket_mode mode)
{
    char path[64], target[PATH_MAX], link[PATH_MAX];
    if (number < 0)
        return;
    lock_path(path, sizeof(path), number);
    unlink(path);
    if (mode != ANC_DISPLAY_SOCKET_NAMESPACE)
        return;
    host_socket(path, sizeof(path), number);
    snprintf(target, sizeof(target), "%s/X%d", sock_dir, number);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n > 0 && (link[n] = '\0', strcmp(link, target) == 0))
        unlink(path);
}

void anc__display_publish_socket(const char *sock_path, int number,
                                 enum anc_display_socket_mode mode)
{
    if (mode != ANC_DISPLAY_SOCKET_LINK)
        return; /* NAMESPACE: Xvfb creates it there itself */
    char target[64];
    host_socket(target, sizeof(target), number);
    unlink(sock_path);
    if (symlink(target, sock_path) < 0)
        anc_debug("display: symlink %s: %s", sock_path, strerror(errno));
}

void anc__display_remove_socket(const char *sock_path, int number,
                                enum anc_display_socket_mode mode, bool killed)
{
    if (mode == ANC_DISPLAY_SOCKET_LINK && number >= 0 && killed) {
        /* Killed: Xvfb left its socket in the host's /tmp/.X11-unix (NAMESPACE mode keeps it in
         * the run dir, which goes with the instance). */
        char host[64];
        host_socket(host, sizeof(host), number);
        unlink(host);
    }
    if (sock_path[0])
        unlink(sock_path);
}

void anc__display_record_format(char *buf, size_t len, int number,
                                enum anc_display_socket_mode mode)
{
    snprintf(buf, len, "%d %d", number, (int)mode);
}

bool anc__display_record_parse(const char *extra, int *number, enum anc_display_socket_mode *mode)
{
    int m;
    if (sscanf(extra, "%d %d", number, &m) != 2 || *number < 0 || *number > 65535)
        return false;
    *mode = m == ANC_DISPLAY_SOCKET_NAMESPACE || m == ANC_DISPLAY_SOCKET_LINK
                ? (enum anc_display_socket_mode)m
                : ANC_DISPLAY_SOCKET_AUTO; /* AUTO: keep the mode resolved here */
    return true;
}

static uint8_t *put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

void anc__xauth_encode(uint8_t out[ANC_XAUTH_FILE_LEN], const uint8_t cookie[ANC_XAUTH_COOKIE_LEN])
{
    uint8_t *p = put16(out, 0xffff); /* FamilyWild */
    p = put16(p, 0);                 /* address */
    p = put16(p, 0);                 /* display number: any */
    p = put16(p, sizeof(ANC_XAUTH_NAME) - 1);
    memcpy(p, ANC_XAUTH_NAME, sizeof(ANC_XAUTH_NAME) - 1);
    p = put16(p + sizeof(ANC_XAUTH_NAME) - 1, ANC_XAUTH_COOKIE_LEN);
    memcpy(p, cookie, ANC_XAUTH_COOKIE_LEN);
}

int anc__xauth_parse(const uint8_t *buf, size_t len, uint8_t cookie[ANC_XAUTH_COOKIE_LEN])
{
    uint8_t want[ANC_XAUTH_FILE_LEN];
    if (len != ANC_XAUTH_FILE_LEN)
        return -EBADMSG;
    anc__xauth_encode(want, buf + ANC_XAUTH_FILE_LEN - ANC_XAUTH_COOKIE_LEN);
    if (memcmp(want, buf, ANC_XAUTH_FILE_LEN) != 0)
        return -EBADMSG;
    memcpy(cookie, buf + ANC_XAUTH_FILE_LEN - ANC_XAUTH_COOKIE_LEN, ANC_XAUTH_COOKIE_LEN);
    return 0;
}

int anc__xauth_file(const char *path, bool reuse, uint8_t cookie[ANC_XAUTH_COOKIE_LEN])
{
    char *text = NULL;
    size_t n = 0;
    uint8_t file[ANC_XAUTH_FILE_LEN];
    if (reuse && anc_read_file(path, 256, &text, &n) == 0) {
        int r = anc__xauth_parse((const uint8_t *)text, n, cookie);
        free(text);
        if (r == 0)
            return 0;
    }
    if (getrandom(cookie, ANC_XAUTH_COOKIE_LEN, 0) != ANC_XAUTH_COOKIE_LEN)
        return -EIO;
    anc__xauth_encode(file, cookie);
    return anc_write_file_atomic(path, file, sizeof(file), 0600);
}
