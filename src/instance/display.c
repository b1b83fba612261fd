/* The display's state machine: Xvfb supervised through base/child (spawn or adopt, restart
 * back-off, stop, detach), readiness from -displayfd, the socket made visible in the run dir, and
 * the record "PID NUMBER MODE" that lets the next daemon adopt this Xvfb. */
#include "instance/display.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/child.h"
#include "base/log.h"
#include "instance/display_xvfb.h"

#define XVFB_DEFAULT       "/usr/bin/Xvfb"
#define BACKOFF_MIN_MS     500u
#define BACKOFF_MAX_MS     10000u
#define STABLE_RUN_MS      10000u /* a run ready this long resets the backoff */
#define STARTUP_TIMEOUT_MS 10000u
#define KILL_TIMEOUT_MS    5000u

enum state {
    ST_STARTING,  /* Xvfb spawned, waiting for its display number; the timer kills it */
    ST_ADOPTING,  /* a previous daemon's Xvfb is watched; ready is reported from the timer */
    ST_READY,     /* serving d->name */
    ST_BACKOFF,   /* Xvfb ended; the child spawns it again */
    ST_STOPPING,  /* Xvfb stopping, then its files go; the last close frees d */
    ST_DETACHING, /* letting go of a running Xvfb (files stay); the last close frees d */
};

enum event {
    EV_SPAWNED, /* a new Xvfb runs (its pipes are open) */
    EV_NUMBER,  /* -displayfd gave d->number */
    EV_TIMER,
    EV_EXIT, /* Xvfb ended (d->exit_status, d->term_signal) */
    EV_STOP,
    EV_DETACH,
    EV_CLOSED, /* one of d's handles (timer, pipe) or the child finished closing */
};

struct anc_display {
    uv_loop_t *loop;
    struct anc_display_callbacks cbs;
    void *data;
    int width, height, depth;
    enum anc_display_socket_mode mode;
    bool mode_auto;
    char *run_dir, *xvfb_path;
    char fb_path[PATH_MAX], sock_dir[PATH_MAX], sock_path[PATH_MAX + 16], rec_path[PATH_MAX];
    char needle[PATH_MAX + 16]; /* "\n-fbdir\n<run_dir>\n": an Xvfb of this run dir */
    char xauth_path[PATH_MAX];  /* <run_dir>/xauthority: its cookie (display_xvfb.h) */
    uint8_t cookie[ANC_XAUTH_COOKIE_LEN];

    enum state state;
    struct anc_child *child; /* NULL once closed */
    bool was_adopted;
    uv_timer_t timer;            /* startup timeout, or the adopted display's ready */
    uv_pipe_t fdpipe, errpipe;   /* -displayfd and stderr of the current run, read ends */
    int pending;                 /* handles and the child not yet closed */
    int pipes;                   /* of those, the pipes */
    uv_file fds[4];              /* a spawn's pipes: -displayfd read, write; stderr read, write */
    struct anc__display_cmd cmd; /* the current spawn's argv */
    int64_t exit_status;
    int term_signal;
    char fdbuf[16];
    size_t fdlen;
    char errbuf[256];
    size_t errlen;
    int number;   /* -1 until ready */
    int reserved; /* the number claimed for the current Xvfb (display_xvfb.h), -1: none */
    int guard;    /* its abstract name's socket until Xvfb has inherited it, -1: none */
    char name[16];
    void (*on_stopped)(void *data);
    void *stopped_data;
};

static void step(struct anc_display *d, enum event ev);

static void display_free(struct anc_display *d)
{
    free(d->run_dir);
    free(d->xvfb_path);
    free(d);
}

static void handle_closed(uv_handle_t *h)
{
    struct anc_display *d = h->data;
    if (h != (uv_handle_t *)&d->timer)
        d->pipes--;
    d->pending--;
    step(d, EV_CLOSED);
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, handle_closed);
}

static void close_pipes(struct anc_display *d)
{
    /* Before the first spawn (an adopted Xvfb) the pipes were never initialised. */
    if (d->fdpipe.type == UV_NAMED_PIPE)
        close_handle((uv_handle_t *)&d->fdpipe);
    if (d->errpipe.type == UV_NAMED_PIPE)
        close_handle((uv_handle_t *)&d->errpipe);
}

static void log_stderr_lines(struct anc_display *d, bool flush)
{
    char *nl;
    while ((nl = memchr(d->errbuf, '\n', d->errlen))) {
        *nl = '\0';
        anc_debug("Xvfb %s: %s", d->run_dir, d->errbuf);
        size_t used = (size_t)(nl - d->errbuf) + 1;
        memmove(d->errbuf, nl + 1, d->errlen - used);
        d->errlen -= used;
    }
    if (flush || d->errlen == sizeof(d->errbuf)) {
        anc_debug("Xvfb %s: %.*s", d->run_dir, (int)d->errlen, d->errbuf);
        d->errlen = 0;
    }
}

static void alloc_err(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    struct anc_display *d = h->data;
    *buf = uv_buf_init(d->errbuf + d->errlen, (unsigned)(sizeof(d->errbuf) - d->errlen));
}

static void on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    struct anc_display *d = s->data;
    if (n < 0) {
        if (d->errlen)
            log_stderr_lines(d, true);
        close_handle((uv_handle_t *)s);
        return;
    }
    d->errlen += (size_t)n;
    log_stderr_lines(d, false);
}

static void alloc_fd(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    struct anc_display *d = h->data;
    *buf = uv_buf_init(d->fdbuf + d->fdlen, (unsigned)(sizeof(d->fdbuf) - 1 - d->fdlen));
}

static void on_fd_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    struct anc_display *d = s->data;
    if (n < 0 || (n == 0 && d->fdlen == sizeof(d->fdbuf) - 1)) {
        close_handle((uv_handle_t *)s); /* EOF without a number: the exit follows */
        return;
    }
    d->fdlen += (size_t)n;
    d->fdbuf[d->fdlen] = '\0';
    char *nl = strchr(d->fdbuf, '\n'), *end;
    if (!nl)
        return;
    long number = strtol(d->fdbuf, &end, 10);
    close_handle((uv_handle_t *)s);
    if (end == d->fdbuf || end != nl || number < 0 || number > 65535)
        return;
    d->number = (int)number;
    step(d, EV_NUMBER);
}

static void remove_run_files(struct anc_display *d)
{
    /* Xvfb removes both itself when it exits cleanly; not after SIGKILL. (The record goes with
     * every exit the child sees.) */
    unlink(d->fb_path);
    anc__display_remove_socket(d->sock_path, d->reserved, d->mode, d->term_signal == SIGKILL);
    d->sock_path[0] = '\0';
    anc__display_release(d->sock_dir, d->reserved, d->mode);
    d->reserved = -1;
}

static void became_ready(struct anc_display *d, bool adopted)
{
    char extra[32];
    snprintf(d->name, sizeof(d->name), ":%d", d->number);
    snprintf(d->sock_path, sizeof(d->sock_path), "%s/X%d", d->sock_dir, d->number);
    anc__display_publish_socket(d->sock_path, d->number, d->mode);
    d->state = ST_READY;
    uv_timer_stop(&d->timer);
    anc_child_ready(d->child);
    /* "PID NUMBER MODE", so that the next daemon can adopt this Xvfb (and with it every X
     * client on it, a container's guest among them) after a crash or kill -9. */
    anc__display_record_format(extra, sizeof(extra), d->number, d->mode);
    int r = anc_child_record(d->child, extra);
    if (r < 0)
        anc_warn("display: cannot record Xvfb in %s: %s", d->rec_path, strerror(-r));
    anc_debug("display: Xvfb pid %d ready on %s%s", anc_child_pid(d->child), d->name,
              adopted ? " (adopted)" : "");
    if (d->cbs.on_ready)
        d->cbs.on_ready(d, d->name, d->data);
}

/* Xvfb ended by itself: a restart follows (the child's back-off). */
static void run_ended(struct anc_display *d, enum state was)
{
    anc_debug("display: Xvfb in %s ended (status %lld, signal %d)", d->run_dir,
              (long long)d->exit_status, d->term_signal);
    close_pipes(d);
    uv_timer_stop(&d->timer);
    remove_run_files(d);
    d->number = -1;
    if (was == ST_STARTING && d->mode_auto && d->mode == ANC_DISPLAY_SOCKET_NAMESPACE) {
        anc_debug("display: no private mount namespace for Xvfb, linking its socket instead");
        d->mode = ANC_DISPLAY_SOCKET_LINK;
    }
    d->mode_auto = false; /* the mode that worked once stays */
    d->state = ST_BACKOFF;
    if (d->cbs.on_exit)
        d->cbs.on_exit(d, d->exit_status, d->term_signal, d->data);
}

static void on_child_closed(void *data)
{
    struct anc_display *d = data;
    d->child = NULL;
    d->pending--;
    if (d->state == ST_STOPPING) { /* Xvfb is gone: so are its files */
        remove_run_files(d);
        rmdir(d->sock_dir);
    }
    close_handle((uv_handle_t *)&d->timer);
    step(d, EV_CLOSED);
}

static void on_timer(uv_timer_t *t)
{
    step(t->data, EV_TIMER);
}

static void step(struct anc_display *d, enum event ev)
{
    enum state s = d->state;
    bool closing = s == ST_STOPPING || s == ST_DETACHING;
    switch (ev) {
    case EV_SPAWNED:
        d->state = ST_STARTING;
        uv_timer_start(&d->timer, on_timer, STARTUP_TIMEOUT_MS, 0);
        break;
    case EV_NUMBER:
        if (s == ST_STARTING)
            became_ready(d, false);
        break;
    case EV_TIMER:
        if (s == ST_ADOPTING) {
            became_ready(d, true);
        } else if (s == ST_STARTING) {
            anc_debug("display: Xvfb in %s not ready in time, killing it", d->run_dir);
            anc_child_signal(d->child, SIGKILL);
        }
        break;
    case EV_EXIT:
        if (closing)
            close_pipes(d); /* the stop continues in on_child_closed */
        else
            run_ended(d, s);
        break;
    case EV_STOP:
    case EV_DETACH:
        if (closing)
            break;
        d->state = ev == EV_STOP ? ST_STOPPING : ST_DETACHING;
        uv_timer_stop(&d->timer);
        if (ev == EV_DETACH) {
            /* Closing our ends does not end Xvfb: it ignores SIGPIPE. */
            close_pipes(d);
            anc_child_detach(d->child, on_child_closed, d);
        } else {
            anc_child_stop(d->child, on_child_closed, d); /* SIGTERM, SIGKILL after 5 s */
        }
        break;
    case EV_CLOSED:
        if (closing && d->pending == 0) {
            void (*cb)(void *) = d->on_stopped;
            void *data = d->stopped_data;
            display_free(d);
            if (cb)
                cb(data);
        }
        break;
    }
}

/* Before each spawn: the argv of the current mode, and fresh pipes for stderr and -displayfd
 * (raw fds, so that a failed spawn leaves no handle to close). */
static int prepare_run(struct anc_child *c, struct anc_child_spawn *s, void *data)
{
    struct anc_display *d = data;
    d->child = c;
    if (d->pipes > 0)
        return -EBUSY; /* the last run's pipes are still closing */
    int r = anc__display_reserve(d->sock_dir, d->mode, &d->guard);
    if (r < 0)
        return r;
    d->reserved = r;
    r = uv_pipe(d->fds, 0, 0);
    if (r < 0)
        goto fail_reserved;
    r = uv_pipe(d->fds + 2, 0, 0);
    if (r < 0)
        goto fail_fds;
    anc__display_argv(&d->cmd, d->xvfb_path, d->run_dir, d->sock_dir, d->xauth_path, d->reserved,
                      d->width, d->height, d->depth, d->mode);
    s->argv = d->cmd.argv;
    s->nfds = ANC_XVFB_GUARDFD + 1;
    s->fds[0] = s->fds[1] = ANC_CHILD_IGNORE;
    s->fds[2] = d->fds[3];
    s->fds[ANC_XVFB_DISPLAYFD] = d->fds[1];
    s->fds[ANC_XVFB_GUARDFD] = d->guard;
    return 0;
fail_fds:
    close(d->fds[0]);
    close(d->fds[1]);
fail_reserved:
    close(d->guard);
    d->guard = -1;
    anc__display_release(d->sock_dir, d->reserved, d->mode);
    d->reserved = -1;
    return r;
}

static void open_read_pipe(struct anc_display *d, uv_pipe_t *p, uv_file fd, uv_alloc_cb alloc,
                           uv_read_cb read)
{
    uv_pipe_init(d->loop, p, 0);
    p->data = d;
    d->pending++;
    d->pipes++;
    if (uv_pipe_open(p, fd) < 0 || uv_read_start((uv_stream_t *)p, alloc, read) < 0)
        close_handle((uv_handle_t *)p);
}

/* After each spawn: our copies of the child's ends go; on success the read ends are watched. */
static void on_spawned(struct anc_child *c, int r, void *data)
{
    struct anc_display *d = data;
    d->child = c;
    close(d->fds[1]);
    close(d->fds[3]);
    close(d->guard); /* Xvfb holds the name now */
    d->guard = -1;
    if (r < 0) {
        close(d->fds[0]);
        close(d->fds[2]);
        anc__display_release(d->sock_dir, d->reserved, d->mode);
        d->reserved = -1;
        return;
    }
    anc__display_lock_owner(d->reserved, anc_child_pid(c));
    d->exit_status = 0;
    d->term_signal = 0;
    d->fdlen = d->errlen = 0;
    open_read_pipe(d, &d->fdpipe, d->fds[0], alloc_fd, on_fd_read);
    open_read_pipe(d, &d->errpipe, d->fds[2], alloc_err, on_err_read);
    step(d, EV_SPAWNED);
}

static void on_child_exit(struct anc_child *c, const struct anc_child_exit *e, void *data)
{
    (void)c;
    struct anc_display *d = data;
    d->exit_status = e->status;
    d->term_signal = e->signal;
    step(d, EV_EXIT);
}

static int set_paths(struct anc_display *d, const char *run_dir)
{
    if (snprintf(d->fb_path, sizeof(d->fb_path), "%s/Xvfb_screen0", run_dir) >=
            (int)sizeof(d->fb_path) - 16 ||
        snprintf(d->sock_dir, sizeof(d->sock_dir), "%s/X11-unix", run_dir) >=
            (int)sizeof(d->sock_dir) - 16 ||
        snprintf(d->rec_path, sizeof(d->rec_path), "%s/display.pid", run_dir) >=
            (int)sizeof(d->rec_path) - 8 ||
        snprintf(d->xauth_path, sizeof(d->xauth_path), "%s/xauthority", run_dir) >=
            (int)sizeof(d->xauth_path) - 8)
        return -ENAMETOOLONG;
    snprintf(d->needle, sizeof(d->needle), "\n-fbdir\n%s\n", run_dir);
    return 0;
}

static int init_display(struct anc_display *d, const struct anc_display_params *p)
{
    d->width = p->width;
    d->height = p->height;
    d->depth = p->depth ? p->depth : 24;
    d->mode = anc__display_resolve_mode(p->socket_mode);
    d->mode_auto = p->socket_mode == ANC_DISPLAY_SOCKET_AUTO;
    d->number = d->reserved = d->guard = -1;
    d->run_dir = strdup(p->run_dir);
    d->xvfb_path = strdup(p->xvfb_path ? p->xvfb_path : XVFB_DEFAULT);
    if (!d->run_dir || !d->xvfb_path)
        return -ENOMEM;
    int r = set_paths(d, p->run_dir);
    return r < 0 ? r : anc__display_prepare_socket_dir(d->sock_dir, d->mode);
}

/* Whether the Xvfb recorded in the run dir can be taken over: still this run dir's Xvfb, a sane
 * record, its framebuffer file there; then the number and mode it serves. One that matches but
 * is not usable is killed: a fresh one replaces it. */
static bool can_adopt(struct anc_display *d, int *number, enum anc_display_socket_mode *mode)
{
    char extra[64];
    if (!anc_child_record_read(d->rec_path, d->needle, extra, sizeof(extra)))
        return false;
    if (!anc__display_record_parse(extra, number, mode) || access(d->fb_path, R_OK) < 0) {
        anc_child_kill_leftover(d->rec_path, d->needle, 0);
        return false;
    }
    return true;
}

/* Starts supervising Xvfb: adopts the recorded one when allowed and usable, else spawns. */
static int start_child(struct anc_display *d, bool adopt)
{
    int number = -1;
    enum anc_display_socket_mode mode = ANC_DISPLAY_SOCKET_AUTO;
    char *argv[] = {d->xvfb_path, NULL}; /* replaced by prepare_run */
    const struct anc_child_params p = {
        .argv = argv,
        .record = d->rec_path,
        .needle = d->needle,
        .record_later = true, /* with the number, once ready */
        .adopt = adopt && can_adopt(d, &number, &mode),
        .grace_ms = KILL_TIMEOUT_MS,
        .restart = {.min_ms = BACKOFF_MIN_MS,
                    .max_ms = BACKOFF_MAX_MS,
                    .stable_ms = STABLE_RUN_MS,
                    .stable_from_ready = true},
    };
    const struct anc_child_callbacks cbs = {
        .on_exit = on_child_exit, .prepare = prepare_run, .on_spawned = on_spawned};
    /* An adopted Xvfb admits the cookie it was started with; a new one gets a new cookie. */
    int r = anc__xauth_file(d->xauth_path, p.adopt, d->cookie);
    if (r < 0)
        return r;
    r = anc_child_start(d->loop, &p, &cbs, d, &d->child);
    if (r < 0) {
        unlink(d->xauth_path);
        return r;
    }
    d->pending++;
    if (!anc_child_adopted(d->child))
        return 0;
    d->was_adopted = true;
    d->number = d->reserved = number;
    if (mode != ANC_DISPLAY_SOCKET_AUTO)
        d->mode = mode;
    d->mode_auto = false;
    d->state = ST_ADOPTING;
    uv_timer_start(&d->timer, on_timer, 0, 0);
    anc_info("display: adopted Xvfb pid %d on :%d in %s", anc_child_pid(d->child), d->number,
             d->run_dir);
    return 0;
}

static void on_failed_closed(uv_handle_t *h)
{
    display_free(h->data);
}

int anc_display_start(uv_loop_t *loop, const struct anc_display_params *p,
                      const struct anc_display_callbacks *cbs, void *data, struct anc_display **out)
{
    if (!p->run_dir || p->width <= 0 || p->height <= 0 || (p->depth != 0 && p->depth != 24))
        return -EINVAL;
    struct anc_display *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->loop = loop;
    d->cbs = *cbs;
    d->data = data;
    int r = init_display(d, p);
    if (r < 0)
        goto fail_free;
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    d->pending = 1;
    r = start_child(d, p->adopt);
    if (r < 0)
        goto fail_timer;
    *out = d;
    return 0;
fail_timer:
    rmdir(d->sock_dir);
    uv_close((uv_handle_t *)&d->timer, on_failed_closed); /* frees d, calling nothing */
    return r;
fail_free:
    display_free(d);
    return r;
}

const char *anc_display_name(const struct anc_display *d)
{
    return d->state == ST_READY ? d->name : NULL;
}

const char *anc_display_fb_path(const struct anc_display *d)
{
    return d->fb_path;
}

const char *anc_display_socket_path(const struct anc_display *d)
{
    return d->state == ST_READY ? d->sock_path : NULL;
}

int anc_display_pid(const struct anc_display *d)
{
    return d->child ? anc_child_pid(d->child) : 0;
}

bool anc_display_adopted(const struct anc_display *d)
{
    return d->was_adopted;
}

enum anc_display_socket_mode anc_display_socket_mode(const struct anc_display *d)
{
    return d->mode;
}

const char *anc_display_xauthority(const struct anc_display *d)
{
    return d->xauth_path;
}

const uint8_t *anc_display_cookie(const struct anc_display *d)
{
    return d->cookie;
}

int anc_display_kill_leftover(const char *run_dir)
{
    struct anc_display d = {0};
    if (set_paths(&d, run_dir) < 0)
        return 0;
    int pid = anc_child_kill_leftover(d.rec_path, d.needle, 0);
    if (pid)
        anc_debug("display: killed the Xvfb (pid %d) a previous daemon left in %s", pid, run_dir);
    return pid;
}

void anc_display_detach(struct anc_display *d, void (*on_stopped)(void *data), void *data)
{
    if (!d || d->state != ST_READY || !anc_display_pid(d)) { /* nothing ready to keep: stop */
        anc_display_stop(d, on_stopped, data);
        return;
    }
    d->on_stopped = on_stopped;
    d->stopped_data = data;
    step(d, EV_DETACH);
}

void anc_display_stop(struct anc_display *d, void (*on_stopped)(void *data), void *data)
{
    if (!d) {
        if (on_stopped)
            on_stopped(data);
        return;
    }
    d->on_stopped = on_stopped;
    d->stopped_data = data;
    unlink(d->xauth_path); /* Xvfb has read it; a detached one (below) keeps it for the next */
    step(d, EV_STOP);
}
