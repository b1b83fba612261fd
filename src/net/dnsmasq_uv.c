/* dnsmasq supervision on the loop: spawn, restart with backoff, reload, stop. */
#include "net/dnsmasq_uv.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "base/pidwatch.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define STABLE_MS      60000
#define KILL_AFTER_MS  2000

enum proc_state { PROC_NONE, PROC_RUNNING, PROC_CLOSING };

struct anc_dnsmasq {
    uv_loop_t *loop;
    struct anc_dnsmasq_config cfg;
    char **argv;
    uv_process_t proc;
    enum proc_state state;
    uv_timer_t timer; /* restart delay, or the SIGKILL deadline while closing */
    uint64_t backoff_ms;
    uint64_t started_ms;
    unsigned restarts;
    bool closing;
    anc_dnsmasq_close_cb close_cb;
    void *close_ud;
};

static void spawn(struct anc_dnsmasq *d);

static void timer_closed(uv_handle_t *h)
{
    struct anc_dnsmasq *d = h->data;
    anc_dnsmasq_close_cb cb = d->close_cb;
    void *ud = d->close_ud;
    anc_dnsmasq_argv_free(d->argv);
    free(d);
    if (cb)
        cb(ud);
}

static void finish(struct anc_dnsmasq *d)
{
    uv_timer_stop(&d->timer);
    uv_close((uv_handle_t *)&d->timer, timer_closed);
}

static void restart_cb(uv_timer_t *t)
{
    struct anc_dnsmasq *d = t->data;
    d->restarts++;
    spawn(d);
}

static void proc_closed(uv_handle_t *h)
{
    struct anc_dnsmasq *d = h->data;
    d->state = PROC_NONE;
    if (d->closing) {
        finish(d);
        return;
    }
    uint64_t now = uv_now(d->loop);
    if (d->started_ms && now - d->started_ms >= STABLE_MS)
        d->backoff_ms = BACKOFF_MIN_MS;
    else
        d->backoff_ms = d->backoff_ms ? d->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (d->backoff_ms > BACKOFF_MAX_MS)
        d->backoff_ms = BACKOFF_MAX_MS;
    uv_timer_start(&d->timer, restart_cb, d->backoff_ms, 0);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
    struct anc_dnsmasq *d = p->data;
    d->state = PROC_CLOSING;
    uv_close((uv_handle_t *)p, proc_closed);
}

/* <dir>/dnsmasq.pid: written by us (dnsmasq keeps none: it is our child), so that the next
 * daemon can end a dnsmasq a crashed one left holding the bridge's DHCP and DNS ports. */
static void pid_path(const struct anc_dnsmasq_config *c, char *out, size_t len)
{
    snprintf(out, len, "%s/dnsmasq.pid", c->dir);
}

int anc_dnsmasq_kill_leftover(const struct anc_dnsmasq_config *c)
{
    char path[PATH_MAX + 16], want[ANC_DNSMASQ_NAME_MAX + 32];
    pid_path(c, path, sizeof(path));
    snprintf(want, sizeof(want), "\n--interface=%s\n", c->bridge);
    int pid = anc_pidfile_take(path, want);
    if (!pid)
        return 0;
    anc_info("dnsmasq: ending the one (pid %d) a previous daemon left on %s", pid, c->bridge);
    /* Its sockets close when it exits: wait for that (briefly) so that ours can bind. A pidfd
     * turns readable at the exit, before an orphan is reaped. */
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    kill(pid, SIGKILL);
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, 1000);
        close(fd);
    }
    return pid;
}

static int spawn_once(struct anc_dnsmasq *d)
{
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_INHERIT_FD, .data.fd = 2}};
    uv_process_options_t o = {
        .exit_cb = on_exit_cb,
        .file = d->argv[0],
        .args = d->argv,
        .stdio_count = 3,
        .stdio = stdio,
    };
    d->proc.data = d;
    int r = uv_spawn(d->loop, &d->proc, &o);
    d->proc.data = d;
    d->started_ms = uv_now(d->loop);
    d->state = r < 0 ? PROC_CLOSING : PROC_RUNNING;
    if (r < 0) { /* libuv: a handle that failed to spawn must still be closed */
        uv_close((uv_handle_t *)&d->proc, proc_closed);
        return r;
    }
    char path[PATH_MAX + 16];
    pid_path(&d->cfg, path, sizeof(path));
    anc_pidfile_write(path, d->proc.pid);
    return 0;
}

static void spawn(struct anc_dnsmasq *d)
{
    (void)spawn_once(d); /* a failure goes through proc_closed and the backoff like an exit */
}

static int write_hosts(const struct anc_dnsmasq_config *c, const struct anc_dnsmasq_host *hosts,
                       size_t n)
{
    char path[PATH_MAX + 8], *text = NULL;
    if (snprintf(path, sizeof(path), "%s/hosts", c->dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    int r = anc_dnsmasq_hosts_text(hosts, n, c->domain, &text);
    if (r < 0)
        return r;
    r = anc_write_file_atomic(path, text, strlen(text), 0644);
    free(text);
    return r;
}

int anc_dnsmasq_start(uv_loop_t *loop, const struct anc_dnsmasq_config *c, struct anc_dnsmasq **out)
{
    struct anc_dnsmasq *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->loop = loop;
    d->cfg = *c;
    int r = anc_mkdir_p(c->dir, 0755);
    if (r == 0)
        r = write_hosts(c, NULL, 0);
    if (r == 0)
        r = anc_dnsmasq_argv(c, &d->argv);
    if (r == 0)
        anc_dnsmasq_kill_leftover(c);
    if (r < 0) {
        anc_dnsmasq_argv_free(d->argv);
        free(d);
        return r;
    }
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    r = spawn_once(d);
    if (r < 0) { /* the process handle is closing already; the timer follows, then d is freed */
        d->closing = true;
        return r;
    }
    *out = d;
    return 0;
}

int anc_dnsmasq_set_hosts(struct anc_dnsmasq *d, const struct anc_dnsmasq_host *hosts, size_t n)
{
    int r = write_hosts(&d->cfg, hosts, n);
    if (r < 0)
        return r;
    if (d->state == PROC_RUNNING)
        r = uv_process_kill(&d->proc, SIGHUP);
    return r == UV_ESRCH ? 0 : r; /* exiting: the restarted one reads the new file */
}

int anc_dnsmasq_pid(const struct anc_dnsmasq *d)
{
    return d->state == PROC_RUNNING ? d->proc.pid : 0;
}

unsigned anc_dnsmasq_restarts(const struct anc_dnsmasq *d)
{
    return d->restarts;
}

static void kill_cb(uv_timer_t *t)
{
    struct anc_dnsmasq *d = t->data;
    if (d->state == PROC_RUNNING)
        uv_process_kill(&d->proc, SIGKILL);
}

/* Close (SIGTERM, SIGKILL after KILL_AFTER_MS) or detach (let go of a running dnsmasq). */
static void end(struct anc_dnsmasq *d, bool stop_it, anc_dnsmasq_close_cb cb, void *ud)
{
    if (!d || d->closing)
        return;
    d->closing = true;
    d->close_cb = cb;
    d->close_ud = ud;
    uv_timer_stop(&d->timer);
    if (d->state == PROC_NONE) {
        finish(d);
    } else if (d->state == PROC_RUNNING && stop_it) {
        uv_process_kill(&d->proc, SIGTERM);
        uv_timer_start(&d->timer, kill_cb, KILL_AFTER_MS, 0);
    } else if (d->state == PROC_RUNNING) { /* closing the handle does not signal the process */
        d->state = PROC_CLOSING;
        uv_close((uv_handle_t *)&d->proc, proc_closed);
    } /* PROC_CLOSING: proc_closed finishes */
}

void anc_dnsmasq_detach(struct anc_dnsmasq *d, anc_dnsmasq_close_cb cb, void *ud)
{
    end(d, false, cb, ud);
}

void anc_dnsmasq_close(struct anc_dnsmasq *d, anc_dnsmasq_close_cb cb, void *ud)
{
    end(d, true, cb, ud);
}
