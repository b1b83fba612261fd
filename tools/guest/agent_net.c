/* The scrcpy sockets (abstract "scrcpy_%08x") and the bounded queues that write to them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

void agent_outq_init(struct agent_outq *q, size_t limit)
{
    *q = (struct agent_outq){.limit = limit};
}

void agent_outq_destroy(struct agent_outq *q)
{
    free(q->buf);
    q->buf = NULL;
    q->off = q->len = q->cap = 0;
}

size_t agent_outq_pending(const struct agent_outq *q)
{
    return q->len - q->off;
}

int agent_outq_append(struct agent_outq *q, const void *data, size_t len)
{
    if (agent_outq_pending(q) + len > q->limit)
        return -ENOBUFS;
    if (q->off > 0 && q->len + len > q->cap) {
        memmove(q->buf, q->buf + q->off, q->len - q->off);
        q->len -= q->off;
        q->off = 0;
    }
    if (q->len + len > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + len)
            cap *= 2;
        uint8_t *b = realloc(q->buf, cap);
        if (!b)
            return -ENOMEM;
        q->buf = b;
        q->cap = cap;
    }
    memcpy(q->buf + q->len, data, len);
    q->len += len;
    return 0;
}

int agent_outq_flush(struct agent_outq *q, int fd)
{
    while (q->off < q->len) {
        ssize_t n = send(fd, q->buf + q->off, q->len - q->off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -errno;
        }
        q->off += (size_t)n;
    }
    q->off = q->len = 0;
    return 0;
}

static socklen_t socket_addr(const struct agent_opts *o, struct sockaddr_un *sa)
{
    char name[32];
    if (o->scid < 0)
        snprintf(name, sizeof(name), "scrcpy");
    else
        snprintf(name, sizeof(name), "scrcpy_%08x", (unsigned)o->scid);
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    /* Abstract: a leading NUL and no terminator, as Android's LocalServerSocket names it. */
    memcpy(sa->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static int open_one(int listen_fd, const struct sockaddr_un *sa, socklen_t sa_len)
{
    int fd;
    if (listen_fd >= 0) {
        do
            fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
            return -errno;
    } else {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -errno;
        if (connect(fd, (const struct sockaddr *)sa, sa_len) < 0) {
            int r = -errno;
            close(fd);
            return r;
        }
    }
    return fd;
}

int agent_net_open(const struct agent_opts *o, int *video_fd, int *audio_fd, int *control_fd)
{
    struct sockaddr_un sa;
    socklen_t sa_len = socket_addr(o, &sa);
    int listen_fd = -1, r = 0;
    int *fds[3] = {video_fd, audio_fd, control_fd};
    bool on[3] = {o->video, o->audio, o->control};

    *video_fd = *audio_fd = *control_fd = -1;
    if (o->tunnel_forward) {
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0)
            return -errno;
        if (bind(listen_fd, (struct sockaddr *)&sa, sa_len) < 0 || listen(listen_fd, 3) < 0) {
            r = -errno;
            goto out;
        }
        AGENT_INFO("listening on @%s", sa.sun_path + 1);
    }
    for (int i = 0; i < 3; i++) {
        if (!on[i])
            continue;
        int fd = open_one(listen_fd, &sa, sa_len);
        if (fd < 0) {
            r = fd;
            goto fail;
        }
        *fds[i] = fd;
    }
    goto out;
fail:
    for (int i = 0; i < 3; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
out:
    /* scrcpy-server closes its listening socket once its sockets are connected: one client. */
    if (listen_fd >= 0)
        close(listen_fd);
    return r;
}
