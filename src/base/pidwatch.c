#include "base/pidwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct anc_pidwatch {
    uv_poll_t poll;
    int fd, pid;
    bool ended;
    anc_pidwatch_cb on_exit;
    void *data;
    void (*on_closed)(void *data);
    void *closed_data;
};

static void on_readable(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    struct anc_pidwatch *w = h->data;
    uv_poll_stop(h);
    if (w->ended)
        return;
    w->ended = true;
    w->on_exit(w, w->data);
}

int anc_pidwatch_start(uv_loop_t *loop, int pid, anc_pidwatch_cb on_exit, void *data,
                       struct anc_pidwatch **out)
{
    *out = NULL;
    if (pid <= 0)
        return -ESRCH;
    struct anc_pidwatch *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->pid = pid;
    w->on_exit = on_exit;
    w->data = data;
    w->fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (w->fd < 0) {
        int r = -errno;
        free(w);
        return r;
    }
    int r = uv_poll_init(loop, &w->poll, w->fd);
    if (r < 0) {
        close(w->fd);
        free(w);
        return r;
    }
    w->poll.data = w;
    r = uv_poll_start(&w->poll, UV_READABLE, on_readable);
    if (r < 0) {
        anc_pidwatch_close(w, NULL, NULL);
        return r;
    }
    *out = w;
    return 0;
}

int anc_pidwatch_signal(struct anc_pidwatch *w, int sig)
{
    if (syscall(SYS_pidfd_send_signal, w->fd, sig, NULL, 0) < 0)
        return -errno;
    return 0;
}

int anc_pidwatch_pid(const struct anc_pidwatch *w)
{
    return w->pid;
}

static void on_poll_closed(uv_handle_t *h)
{
    struct anc_pidwatch *w = h->data;
    void (*cb)(void *) = w->on_closed;
    void *data = w->closed_data;
    close(w->fd);
    free(w);
    if (cb)
        cb(data);
}

void anc_pidwatch_close(struct anc_pidwatch *w, void (*on_closed)(void *data), void *data)
{
    w->ended = true;
    w->on_closed = on_closed;
    w->closed_data = data;
    uv_close((uv_handle_t *)&w->poll, on_poll_closed);
}

int anc_proc_cmdline(int pid, char *out, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, out, len - 1);
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    if (n == 0)
        return -ESRCH; /* a zombie or a kernel thread */
    out[n] = '\0';
    if (out[n - 1] == '\0')
        out[--n] = '\0';
    for (ssize_t i = 0; i < n; i++)
        if (out[i] == '\0')
            out[i] = '\n';
    return 0;
}
