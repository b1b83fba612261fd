#include "agent/nsconnect.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How often the child retries while the agent does not listen yet. */
#define RETRY_NS (20 * 1000000L)

struct anc_nsconnect {
    uv_poll_t poll;
    uv_timer_t timer;
    int sock; /* our end of the socketpair */
    pid_t child;
    int fds[ANC_NSCONNECT_MAX];
    unsigned count, got;
    int status;  /* 1 while pending */
    int closing; /* handles whose close is pending */
    anc_nsconnect_cb cb;
    void *arg;
};

/* ---- The child: system calls only, then _exit ---- */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One message per result: a zero byte with the socket attached, or an errno byte without. */
static void child_send(int sock, int fd, int err)
{
    uint8_t byte = (uint8_t)(err > 0 && err < 256 ? err : err ? EIO : 0);
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

static int child_connect(const struct sockaddr_un *sa, socklen_t sl, uint64_t deadline_ns, int *err)
{
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *err = errno;
            return -1;
        }
        if (connect(fd, (const struct sockaddr *)sa, sl) == 0)
            return fd;
        *err = errno;
        close(fd);
        if (*err != ECONNREFUSED && *err != ENOENT && *err != EAGAIN && *err != EINTR)
            return -1;
        if (mono_ns() >= deadline_ns) {
            *err = ETIMEDOUT;
            return -1;
        }
        struct timespec pause = {0, RETRY_NS};
        nanosleep(&pause, NULL);
    }
}

__attribute__((noreturn)) static void child_main(int nsfd, int sock, const struct sockaddr_un *sa,
                                                 socklen_t sl, unsigned count, uint64_t deadline_ns)
{
    int err = 0;
    if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) {
        child_send(sock, -1, errno);
        _exit(1);
    }
    for (unsigned i = 0; i < count; i++) {
        int fd = child_connect(sa, sl, deadline_ns, &err);
        if (fd < 0) {
            child_send(sock, -1, err);
            _exit(1);
        }
        child_send(sock, fd, 0);
        close(fd);
    }
    _exit(0);
}

/* ---- The parent, on the loop ---- */

static void finish(struct anc_nsconnect *nc, int status);

static void on_closed(uv_handle_t *h)
{
    struct anc_nsconnect *nc = h->data;
    if (--nc->closing > 0)
        return;
    close(nc->sock);
    /* The child has sent all it will, or was killed: it is gone or about to be. */
    if (nc->child > 0)
        while (waitpid(nc->child, NULL, 0) < 0 && errno == EINTR)
            ;
    if (nc->status < 0) {
        for (unsigned i = 0; i < nc->got; i++)
            close(nc->fds[i]);
        nc->cb(nc->arg, nc->status, NULL, 0);
    } else {
        nc->cb(nc->arg, 0, nc->fds, nc->count);
    }
    free(nc);
}

static void finish(struct anc_nsconnect *nc, int status)
{
    if (nc->status != 1)
        return;
    nc->status = status;
    if (status < 0 && nc->child > 0)
        kill(nc->child, SIGKILL);
    nc->closing = 2;
    uv_close((uv_handle_t *)&nc->poll, on_closed);
    uv_close((uv_handle_t *)&nc->timer, on_closed);
}

/* Takes one message; returns false when nothing more is to be read now. */
static bool receive_one(struct anc_nsconnect *nc)
{
    uint8_t byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * ANC_NSCONNECT_MAX)];
    } ctl;
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    ssize_t n = recvmsg(nc->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return false;
        finish(nc, -errno);
        return false;
    }
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (fd < 0)
                fd = f;
            else
                close(f); /* never sent by our child: do not leak it */
        }
    }
    if (n == 0) {
        finish(nc, -EPIPE); /* the child died before it was done */
    } else if (byte != 0 || fd < 0) {
        if (fd >= 0)
            close(fd);
        finish(nc, byte ? -(int)byte : -EPROTO);
    } else {
        nc->fds[nc->got++] = fd;
        if (nc->got == nc->count)
            finish(nc, 0);
    }
    return nc->status == 1;
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    (void)events;
    struct anc_nsconnect *nc = p->data;
    if (status < 0) {
        finish(nc, status);
        return;
    }
    while (receive_one(nc))
        ;
}

static void on_timeout(uv_timer_t *t)
{
    finish(t->data, -ETIMEDOUT);
}

/* An fd of pid's network namespace, or -1 when it is ours already (nothing to enter). */
static int open_netns(pid_t pid, int *fd)
{
    char path[64];
    struct stat theirs, ours;
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return -errno;
    if (fstat(*fd, &theirs) == 0 && stat("/proc/self/ns/net", &ours) == 0 &&
        theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino) {
        close(*fd);
        *fd = -1;
    }
    return 0;
}

int anc_nsconnect_start(uv_loop_t *loop, pid_t pid, const char *name, unsigned count,
                        uint64_t timeout_ms, anc_nsconnect_cb cb, void *arg,
                        struct anc_nsconnect **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t nlen = strlen(name);
    if (count == 0 || count > ANC_NSCONNECT_MAX || nlen == 0 || nlen >= sizeof(sa.sun_path))
        return -EINVAL;
    memcpy(sa.sun_path + 1, name, nlen); /* sun_path[0] = 0: abstract */
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nlen);

    int nsfd, sv[2], r = open_netns(pid, &nsfd);
    if (r < 0)
        return r;
    struct anc_nsconnect *nc = calloc(1, sizeof(*nc));
    if (!nc) {
        r = -ENOMEM;
        goto fail_ns;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        r = -errno;
        goto fail_nc;
    }
    /* The child gives up a little before the parent does, so it reports ETIMEDOUT itself. */
    uint64_t deadline_ns = mono_ns() + timeout_ms * 1000000u * 9 / 10;
    pid_t child = fork();
    if (child < 0) {
        r = -errno;
        goto fail_pair;
    }
    if (child == 0) {
        close(sv[0]);
        child_main(nsfd, sv[1], &sa, sl, count, deadline_ns);
    }
    close(sv[1]);
    if (nsfd >= 0)
        close(nsfd);
    nc->sock = sv[0];
    nc->child = child;
    nc->count = count;
    nc->status = 1;
    nc->cb = cb;
    nc->arg = arg;
    uv_poll_init(loop, &nc->poll, nc->sock);
    uv_timer_init(loop, &nc->timer);
    nc->poll.data = nc->timer.data = nc;
    uv_poll_start(&nc->poll, UV_READABLE | UV_DISCONNECT, on_readable);
    uv_timer_start(&nc->timer, on_timeout, timeout_ms, 0);
    if (out)
        *out = nc;
    return 0;

fail_pair:
    close(sv[0]);
    close(sv[1]);
fail_nc:
    free(nc);
fail_ns:
    if (nsfd >= 0)
        close(nsfd);
    return r;
}

void anc_nsconnect_cancel(struct anc_nsconnect *nc)
{
    finish(nc, -ECANCELED);
}
