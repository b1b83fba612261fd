#include "base/pidwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"

/* Without pidfds (Linux < 5.3, or valgrind 3.19, which answers ENOSYS to pidfd_open) the pid is
 * polled: gone (ESRCH) or a zombie is the exit; a signal goes by pid. */
#define POLL_MS 20

struct anc_pidwatch {
    union {
        uv_handle_t handle;
        uv_poll_t poll;   /* fd >= 0: the pidfd */
        uv_timer_t timer; /* fd < 0: polling the pid */
    } h;
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

/* A pid that no longer exists, or a zombie (a child of ours nobody has reaped yet). */
static bool pid_ended(int pid)
{
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return true;
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    const char *st = strrchr(buf, ')'); /* "PID (COMM) STATE ...": comm may hold anything */
    return st && st[1] == ' ' && (st[2] == 'Z' || st[2] == 'X');
}

static void on_poll_timer(uv_timer_t *t)
{
    struct anc_pidwatch *w = t->data;
    if (w->ended || !pid_ended(w->pid))
        return;
    uv_timer_stop(t);
    w->ended = true;
    w->on_exit(w, w->data);
}

static int start_polling(uv_loop_t *loop, struct anc_pidwatch *w)
{
    if (kill(w->pid, 0) < 0 && errno == ESRCH)
        return -ESRCH;
    w->fd = -1;
    uv_timer_init(loop, &w->h.timer);
    w->h.timer.data = w;
    uv_timer_start(&w->h.timer, on_poll_timer, 0, POLL_MS);
    return 0;
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
        int r = errno == ENOSYS ? start_polling(loop, w) : -errno;
        if (r < 0) {
            free(w);
            return r;
        }
        *out = w;
        return 0;
    }
    int r = uv_poll_init(loop, &w->h.poll, w->fd);
    if (r < 0) {
        close(w->fd);
        free(w);
        return r;
    }
    w->h.poll.data = w;
    r = uv_poll_start(&w->h.poll, UV_READABLE, on_readable);
    if (r < 0) {
        anc_pidwatch_close(w, NULL, NULL);
        return r;
    }
    *out = w;
    return 0;
}

int anc_pidwatch_signal(struct anc_pidwatch *w, int sig)
{
    if (w->fd < 0) /* polling: no pidfd to close the pid-reuse race with */
        return kill(w->pid, sig) < 0 ? -errno : 0;
    if (syscall(SYS_pidfd_send_signal, w->fd, sig, NULL, 0) < 0)
        return -errno;
    return 0;
}

int anc_pidwatch_pid(const struct anc_pidwatch *w)
{
    return w->pid;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct anc_pidwatch *w = h->data;
    void (*cb)(void *) = w->on_closed;
    void *data = w->closed_data;
    if (w->fd >= 0)
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
    uv_close(&w->h.handle, on_handle_closed);
}

bool anc_proc_matches(int pid, const char *needle)
{
    char path[64], cmd[PATH_MAX + 1024];
    if (pid <= 1)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    cmd[0] = '\n';
    ssize_t n = read(fd, cmd + 1, sizeof(cmd) - 3); /* room for the leading and the last newline */
    close(fd);
    if (n <= 0)
        return false; /* gone, a zombie or a kernel thread */
    n++;
    if (cmd[n - 1] != '\0')
        cmd[n++] = '\0';
    for (ssize_t i = 0; i < n - 1; i++)
        if (cmd[i] == '\0')
            cmd[i] = '\n';
    cmd[n - 1] = '\n';
    cmd[n] = '\0';
    return strstr(cmd, needle) != NULL;
}

void anc_pidfile_write(const char *path, int pid)
{
    char line[32];
    int n = snprintf(line, sizeof(line), "%d\n", pid);
    int r = anc_write_file_atomic(path, line, (size_t)n, 0600);
    if (r < 0)
        anc_warn("cannot record pid %d in %s: %s", pid, path, strerror(-r));
}

int anc_pidfile_take(const char *path, const char *needle)
{
    int pid = 0;
    FILE *f = fopen(path, "re");
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    unlink(path);
    return anc_proc_matches(pid, needle) ? pid : 0;
}
