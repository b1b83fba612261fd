#include "base/child.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "base/pidwatch.h"

/* The object's lifecycle; every change goes through step(). */
enum state {
    ST_RUNNING,  /* a process runs (spawned or adopted) */
    ST_STOPPING, /* SIGTERM sent; the timer sends SIGKILL; waiting for the exit */
    ST_EXITED,   /* the process ended, its handle is closing; then BACKOFF or IDLE */
    ST_BACKOFF,  /* no process; the timer spawns the next */
    ST_IDLE,     /* ended for good (no restart policy); waits for stop */
    ST_CLOSING,  /* every handle closing; the last close frees the object */
};

enum event {
    EV_EXIT,   /* the run's process ended (or its spawn failed); c->last says how */
    EV_CLOSED, /* one of our handles finished closing */
    EV_TIMER,
    EV_STOP,
    EV_DETACH,
};

struct anc_child {
    uv_loop_t *loop;
    struct anc_child_callbacks cbs;
    void *data;
    char **argv, **env;
    char *cwd, *record, *needle;
    int fds[ANC_CHILD_MAX_FDS];
    int nfds;
    bool record_later;
    uint64_t grace_ms;
    struct anc_child_restart restart;

    enum state state;
    uv_timer_t timer;           /* back-off delay, or the SIGKILL deadline */
    uv_process_t proc;          /* a spawned run */
    struct anc_pidwatch *watch; /* instead of proc: an adopted run */
    int handles;                /* open handles (timer, run), each closing one included */
    bool run_open;              /* the run's handle (proc or watch) is not closed yet */
    bool alive;                 /* the run's process has not been seen to end */
    bool adopted;
    uint64_t backoff_ms, up_at; /* up_at: 0 while the run does not count as up */
    unsigned restarts;
    struct anc_child_exit last;
    void (*on_closed)(void *data);
    void *closed_data;
};

static void step(struct anc_child *c, enum event ev);

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static int strv_copy(char *const *v, char ***out)
{
    size_t n = 0;
    *out = NULL;
    if (!v)
        return 0;
    while (v[n])
        n++;
    char **copy = calloc(n + 1, sizeof(*copy));
    if (!copy)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(copy[i] = strdup(v[i]))) {
            strv_free(copy);
            return -ENOMEM;
        }
    }
    *out = copy;
    return 0;
}

static int str_copy(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -ENOMEM : 0;
}

static void child_free(struct anc_child *c)
{
    if (!c)
        return;
    strv_free(c->argv);
    strv_free(c->env);
    free(c->cwd);
    free(c->record);
    free(c->needle);
    free(c);
}

static void handle_closed(uv_handle_t *h)
{
    struct anc_child *c = h->data;
    if (h == (uv_handle_t *)&c->proc)
        c->run_open = false;
    c->handles--;
    step(c, EV_CLOSED);
}

static void watch_closed(void *data)
{
    struct anc_child *c = data;
    c->run_open = false;
    c->handles--;
    step(c, EV_CLOSED);
}

/* Closes the run's handle (a spawned process keeps running: closing does not signal it). */
static void close_run(struct anc_child *c)
{
    if (c->watch) {
        struct anc_pidwatch *w = c->watch;
        c->watch = NULL;
        anc_pidwatch_close(w, watch_closed, c);
    } else if (c->run_open && !uv_is_closing((uv_handle_t *)&c->proc)) {
        uv_close((uv_handle_t *)&c->proc, handle_closed);
    }
}

static void close_timer(struct anc_child *c)
{
    uv_timer_stop(&c->timer);
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, handle_closed);
}

static void on_proc_exit(uv_process_t *p, int64_t status, int sig)
{
    struct anc_child *c = p->data;
    c->alive = false;
    c->last.status = status;
    c->last.signal = sig;
    close_run(c);
    step(c, EV_EXIT);
}

static void on_watch_exit(struct anc_pidwatch *w, void *data)
{
    (void)w;
    struct anc_child *c = data;
    c->alive = false;
    c->last.status = -1; /* not our child: its status is not ours to read */
    c->last.signal = 0;
    close_run(c);
    step(c, EV_EXIT);
}

static void on_timer(uv_timer_t *t)
{
    step(t->data, EV_TIMER);
}

/* One spawn: the hooks, uv_spawn, the record. A failed uv_spawn leaves the handle closing. */
static int spawn_run(struct anc_child *c)
{
    struct anc_child_spawn s = {.argv = c->argv, .nfds = c->nfds};
    memcpy(s.fds, c->fds, sizeof(s.fds));
    c->up_at = 0;
    int r = c->cbs.prepare ? c->cbs.prepare(c, &s, c->data) : 0;
    if (r < 0)
        return r;
    uv_stdio_container_t stdio[ANC_CHILD_MAX_FDS];
    for (int i = 0; i < s.nfds && i < ANC_CHILD_MAX_FDS; i++)
        stdio[i] = s.fds[i] < 0
                       ? (uv_stdio_container_t){.flags = UV_IGNORE}
                       : (uv_stdio_container_t){.flags = UV_INHERIT_FD, .data.fd = s.fds[i]};
    uv_process_options_t o = {.exit_cb = on_proc_exit,
                              .file = s.argv[0],
                              .args = s.argv,
                              .env = c->env,
                              .cwd = c->cwd,
                              .stdio_count =
                                  s.nfds < ANC_CHILD_MAX_FDS ? s.nfds : ANC_CHILD_MAX_FDS,
                              .stdio = stdio};
    c->proc.data = c;
    r = uv_spawn(c->loop, &c->proc, &o);
    c->handles++; /* libuv: a handle whose spawn failed must still be closed */
    c->run_open = true;
    c->alive = r == 0;
    if (r < 0) {
        uv_close((uv_handle_t *)&c->proc, handle_closed);
    } else {
        c->up_at = c->restart.stable_from_ready ? 0 : uv_now(c->loop);
        if (c->record && !c->record_later)
            anc_pidfile_write(c->record, c->proc.pid);
        anc_debug("child: %s started (pid %d)", s.argv[0], c->proc.pid);
    }
    if (c->cbs.on_spawned)
        c->cbs.on_spawned(c, r, c->data);
    return r;
}

/* A spawn from the back-off timer: a failure ends the run like an exit. */
static void respawn(struct anc_child *c)
{
    c->restarts++;
    c->state = ST_RUNNING;
    int r = spawn_run(c);
    if (r == 0)
        return;
    anc_debug("child: cannot start %s: %s", c->argv[0], uv_strerror(r));
    c->last.status = r;
    c->last.signal = 0;
    bool closing = c->run_open;
    step(c, EV_EXIT);
    if (!closing) /* prepare failed: there is no handle whose close moves on */
        step(c, EV_CLOSED);
}

static int64_t next_delay(struct anc_child *c)
{
    const struct anc_child_restart *p = &c->restart;
    if (c->up_at && uv_now(c->loop) - c->up_at >= p->stable_ms)
        c->backoff_ms = p->min_ms;
    uint64_t delay = c->backoff_ms;
    c->backoff_ms = delay * 2 > p->max_ms ? p->max_ms : delay * 2;
    return (int64_t)delay;
}

static void signal_run(struct anc_child *c, int sig)
{
    if (anc_child_signal(c, sig) < 0)
        anc_debug("child: cannot send signal %d to %s", sig, c->argv[0]);
}

static void finish(struct anc_child *c)
{
    void (*cb)(void *) = c->on_closed;
    void *data = c->closed_data;
    child_free(c);
    if (cb)
        cb(data);
}

static void exited(struct anc_child *c)
{
    bool stopping = c->state == ST_STOPPING;
    if (c->record)
        unlink(c->record);
    c->last.restart_ms = !stopping && c->restart.min_ms ? next_delay(c) : -1;
    c->state = stopping ? ST_CLOSING : ST_EXITED;
    uv_timer_stop(&c->timer);
    if (stopping)
        close_timer(c);
    anc_debug("child: %s ended (status %lld, signal %d)", c->argv[0], (long long)c->last.status,
              c->last.signal);
    if (c->cbs.on_exit)
        c->cbs.on_exit(c, &c->last, c->data);
}

static void step(struct anc_child *c, enum event ev)
{
    enum state s = c->state;
    switch (ev) {
    case EV_EXIT:
        exited(c);
        break;
    case EV_CLOSED:
        if (s == ST_EXITED && !c->run_open && c->last.restart_ms >= 0) {
            c->state = ST_BACKOFF;
            uv_timer_start(&c->timer, on_timer, (uint64_t)c->last.restart_ms, 0);
        } else if (s == ST_EXITED && !c->run_open) {
            c->state = ST_IDLE;
        } else if (s == ST_CLOSING && c->handles == 0) {
            finish(c);
        }
        break;
    case EV_TIMER:
        if (s == ST_BACKOFF)
            respawn(c);
        else if (s == ST_STOPPING)
            signal_run(c, SIGKILL);
        break;
    case EV_STOP:
        if (s == ST_RUNNING) {
            c->state = ST_STOPPING;
            signal_run(c, SIGTERM);
            /* The grace counts from now, not from the loop's cached time: a caller that blocked
             * since the last loop iteration would otherwise shorten it. */
            uv_update_time(c->loop);
            uv_timer_start(&c->timer, on_timer, c->grace_ms, 0);
        } else if (s == ST_EXITED || s == ST_BACKOFF || s == ST_IDLE) {
            c->state = ST_CLOSING;
            close_timer(c);
        }
        break;
    case EV_DETACH:
        if (s != ST_RUNNING) {
            step(c, EV_STOP);
            break;
        }
        c->state = ST_CLOSING;
        c->alive = false;
        close_run(c);
        close_timer(c);
        break;
    }
}

/* Watches the recorded process instead of spawning one. Returns 0 or -ESRCH (none to adopt). */
static int adopt_run(struct anc_child *c)
{
    int pid = anc_child_record_read(c->record, c->needle, NULL, 0);
    if (!pid)
        return -ESRCH;
    if (anc_pidwatch_start(c->loop, pid, on_watch_exit, c, &c->watch) < 0) {
        kill(pid, SIGKILL); /* not usable: a new one replaces it */
        return -ESRCH;
    }
    c->handles++;
    c->run_open = c->alive = c->adopted = true;
    c->up_at = c->restart.stable_from_ready ? 0 : uv_now(c->loop);
    anc_debug("child: adopted %s (pid %d)", c->argv[0], pid);
    return 0;
}

static int copy_params(struct anc_child *c, const struct anc_child_params *p)
{
    if (!p->argv || !p->argv[0] || p->nfds < 0 || p->nfds > ANC_CHILD_MAX_FDS ||
        (p->record && !p->needle))
        return -EINVAL;
    int r = strv_copy(p->argv, &c->argv);
    if (r == 0)
        r = strv_copy(p->env, &c->env);
    if (r == 0)
        r = str_copy(p->cwd, &c->cwd);
    if (r == 0)
        r = str_copy(p->record, &c->record);
    if (r == 0)
        r = str_copy(p->needle, &c->needle);
    memcpy(c->fds, p->fds, sizeof(c->fds));
    c->nfds = p->nfds;
    c->record_later = p->record_later;
    c->grace_ms = p->grace_ms;
    c->restart = p->restart;
    c->backoff_ms = p->restart.min_ms;
    return r;
}

int anc_child_start(uv_loop_t *loop, const struct anc_child_params *p,
                    const struct anc_child_callbacks *cbs, void *data, struct anc_child **out)
{
    struct anc_child *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->loop = loop;
    c->cbs = *cbs;
    c->data = data;
    int r = copy_params(c, p);
    if (r < 0)
        goto fail_free;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles = 1;
    c->state = ST_RUNNING;
    if (!(p->adopt && c->record && adopt_run(c) == 0) && (r = spawn_run(c)) < 0)
        goto fail_close;
    *out = c;
    return 0;
fail_close:
    c->state = ST_CLOSING; /* freed by the last close, with no callback */
    close_timer(c);
    return r;
fail_free:
    child_free(c);
    return r;
}

int anc_child_pid(const struct anc_child *c)
{
    if (!c->alive)
        return 0;
    return c->watch ? anc_pidwatch_pid(c->watch) : c->proc.pid;
}

bool anc_child_adopted(const struct anc_child *c)
{
    return c->adopted;
}

unsigned anc_child_restarts(const struct anc_child *c)
{
    return c->restarts;
}

int anc_child_signal(struct anc_child *c, int sig)
{
    if (!c->alive)
        return -ESRCH;
    return c->watch ? anc_pidwatch_signal(c->watch, sig) : uv_process_kill(&c->proc, sig);
}

void anc_child_ready(struct anc_child *c)
{
    if (c->alive && !c->up_at)
        c->up_at = uv_now(c->loop);
}

int anc_child_record(struct anc_child *c, const char *extra)
{
    char line[256];
    if (!c->record)
        return -EINVAL;
    int pid = anc_child_pid(c);
    if (!pid)
        return -ESRCH;
    int n = extra ? snprintf(line, sizeof(line), "%d %s\n", pid, extra)
                  : snprintf(line, sizeof(line), "%d\n", pid);
    if (n < 0 || n >= (int)sizeof(line))
        return -ENAMETOOLONG;
    return anc_write_file_atomic(c->record, line, (size_t)n, 0600);
}

void anc_child_stop(struct anc_child *c, void (*on_closed)(void *data), void *data)
{
    if (!c) {
        if (on_closed)
            on_closed(data);
        return;
    }
    c->on_closed = on_closed;
    c->closed_data = data;
    step(c, EV_STOP);
}

void anc_child_detach(struct anc_child *c, void (*on_closed)(void *data), void *data)
{
    if (!c) {
        anc_child_stop(c, on_closed, data);
        return;
    }
    c->on_closed = on_closed;
    c->closed_data = data;
    step(c, EV_DETACH);
}

int anc_child_record_read(const char *record, const char *needle, char *extra, size_t len)
{
    char line[256];
    if (!record || !needle)
        return 0;
    FILE *f = fopen(record, "re");
    if (!f)
        return 0;
    bool got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!got)
        return 0;
    char *end;
    long pid = strtol(line, &end, 10);
    if (end == line || pid <= 1 || pid > INT32_MAX)
        return 0;
    end += strspn(end, " \t");
    end[strcspn(end, "\n")] = '\0';
    if (extra && len)
        snprintf(extra, len, "%s", end);
    return anc_proc_matches((int)pid, needle) ? (int)pid : 0;
}

int anc_child_kill_leftover(const char *record, const char *needle, int wait_ms)
{
    if (!record || !needle)
        return 0;
    int pid = anc_pidfile_take(record, needle);
    if (!pid)
        return 0;
    /* Through a pidfd: no pid-reuse race, and it turns readable at the exit, before an orphan
     * is reaped. */
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0)
        kill(pid, SIGKILL);
    if (fd >= 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (wait_ms > 0)
            poll(&p, 1, wait_ms);
        close(fd);
    }
    anc_debug("child: killed pid %d recorded in %s", pid, record);
    return pid;
}
