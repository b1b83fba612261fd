#include "instance/display.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/pidwatch.h"
#include "instance/display_internal.h"

#define XVFB_DEFAULT       "/usr/bin/Xvfb"
#define UNSHARE_PATH       "/usr/bin/unshare"
#define BACKOFF_MIN_MS     500u
#define BACKOFF_MAX_MS     10000u
#define STABLE_RUN_MS      10000u /* a run this long resets the backoff */
#define STARTUP_TIMEOUT_MS 10000u
#define KILL_TIMEOUT_MS    5000u
#define DISPLAYFD          3

static void spawn_run(struct anc_display *d);

static void handle_closed(uv_handle_t *h);

static void close_run_handle(struct anc_display *d, uv_handle_t *h)
{
    (void)d;
    if (!uv_is_closing(h))
        uv_close(h, handle_closed);
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
        close_run_handle(d, (uv_handle_t *)s);
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

/* Makes the socket visible as <run_dir>/X11-unix/X<N>. */
static void publish_socket(struct anc_display *d)
{
    snprintf(d->sock_path, sizeof(d->sock_path), "%s/X%d", d->sock_dir, d->number);
    if (d->mode != ANC_DISPLAY_SOCKET_LINK)
        return;
    char target[64];
    snprintf(target, sizeof(target), HOST_SOCKET_DIR "/X%d", d->number);
    unlink(d->sock_path);
    if (symlink(target, d->sock_path) < 0)
        anc_debug("display: symlink %s: %s", d->sock_path, strerror(errno));
}

static void kill_run(struct anc_display *d, int sig)
{
    if (d->exited)
        return;
    if (d->adopted)
        anc_pidwatch_signal(d->adopted, sig);
    else if (!uv_is_closing((uv_handle_t *)&d->proc))
        uv_process_kill(&d->proc, sig);
}

static void became_ready(struct anc_display *d, int number)
{
    d->number = number;
    snprintf(d->name, sizeof(d->name), ":%d", number);
    publish_socket(d);
    d->state = ST_READY;
    d->ready_at = uv_now(d->loop);
    uv_timer_stop(&d->timer);
    anc__display_write_record(d);
    anc_debug("display: Xvfb pid %d ready on %s%s", run_pid(d), d->name,
              d->adopted ? " (adopted)" : "");
    if (d->cbs.on_ready)
        d->cbs.on_ready(d, d->name, d->data);
}

static void on_fd_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    struct anc_display *d = s->data;
    if (n < 0 || (n == 0 && d->fdlen == sizeof(d->fdbuf) - 1)) {
        close_run_handle(d, (uv_handle_t *)s); /* EOF without a number: the exit follows */
        return;
    }
    d->fdlen += (size_t)n;
    d->fdbuf[d->fdlen] = '\0';
    char *nl = strchr(d->fdbuf, '\n'), *end;
    if (!nl)
        return;
    long number = strtol(d->fdbuf, &end, 10);
    close_run_handle(d, (uv_handle_t *)s);
    if (end == d->fdbuf || end != nl || number < 0 || number > 65535 || d->state != ST_STARTING)
        return;
    became_ready(d, (int)number);
}

static void remove_run_files(struct anc_display *d)
{
    /* Xvfb removes both itself when it exits cleanly; not after SIGKILL. */
    unlink(d->fb_path);
    unlink(d->rec_path);
    if (d->mode == ANC_DISPLAY_SOCKET_LINK && d->number >= 0 && d->term_signal == SIGKILL) {
        /* Killed: Xvfb left its socket in the host's /tmp/.X11-unix (NAMESPACE mode keeps it in
         * the run dir, which goes with the instance). */
        char host[64];
        snprintf(host, sizeof(host), HOST_SOCKET_DIR "/X%d", d->number);
        unlink(host);
    }
    if (d->sock_path[0])
        unlink(d->sock_path);
    d->sock_path[0] = '\0';
}

static void on_timer_closed(uv_handle_t *h)
{
    struct anc_display *d = h->data;
    void (*cb)(void *) = d->on_stopped;
    void *data = d->stopped_data;
    free(d->run_dir);
    free(d->xvfb_path);
    free(d);
    if (cb)
        cb(data);
}

static void finish_stop(struct anc_display *d)
{
    remove_run_files(d);
    rmdir(d->sock_dir);
    uv_timer_stop(&d->timer);
    uv_close((uv_handle_t *)&d->timer, on_timer_closed);
}

static void on_timer(uv_timer_t *t)
{
    struct anc_display *d = t->data;
    switch (d->state) {
    case ST_BACKOFF:
        spawn_run(d);
        break;
    case ST_ADOPTING:
        became_ready(d, d->number);
        break;
    case ST_STARTING:
        anc_debug("display: Xvfb in %s not ready in time, killing it", d->run_dir);
        /* fall through */
    case ST_STOPPING:
        kill_run(d, SIGKILL);
        break;
    default:
        break;
    }
}

static void schedule_restart(struct anc_display *d)
{
    uint64_t now = uv_now(d->loop);
    if (d->ready_at && now - d->ready_at >= STABLE_RUN_MS)
        d->backoff_ms = BACKOFF_MIN_MS;
    uint64_t delay = d->backoff_ms;
    d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->backoff_ms * 2;
    d->state = ST_BACKOFF;
    uv_timer_start(&d->timer, on_timer, delay, 0);
}

/* Every handle of a run is closed: the run is over. */
void anc__display_run_ended(struct anc_display *d)
{
    enum state was = d->state;
    if (was == ST_DETACHING) { /* Xvfb runs on, its files stay for the next daemon */
        uv_timer_stop(&d->timer);
        uv_close((uv_handle_t *)&d->timer, on_timer_closed);
        return;
    }
    remove_run_files(d);
    d->number = -1;
    if (was == ST_FAILED) {
        free(d->run_dir);
        free(d->xvfb_path);
        free(d);
        return;
    }
    if (was == ST_STOPPING) {
        finish_stop(d);
        return;
    }
    anc_debug("display: Xvfb in %s ended (status %lld, signal %d)", d->run_dir,
              (long long)d->exit_status, d->term_signal);
    if (was == ST_STARTING && d->mode_auto && d->mode == ANC_DISPLAY_SOCKET_NAMESPACE) {
        anc_debug("display: no private mount namespace for Xvfb, linking its socket instead");
        d->mode = ANC_DISPLAY_SOCKET_LINK;
    }
    d->mode_auto = false; /* the mode that worked once stays */
    schedule_restart(d);
    if (d->cbs.on_exit)
        d->cbs.on_exit(d, d->exit_status, d->term_signal, d->data);
}

static void handle_closed(uv_handle_t *h)
{
    struct anc_display *d = h->data;
    if (--d->run_handles == 0)
        anc__display_run_ended(d);
}

static void on_proc_exit(uv_process_t *p, int64_t exit_status, int term_signal)
{
    struct anc_display *d = p->data;
    d->exited = true;
    d->exit_status = exit_status;
    d->term_signal = term_signal;
    uv_close((uv_handle_t *)p, handle_closed);
    close_run_handle(d, (uv_handle_t *)&d->fdpipe);
    close_run_handle(d, (uv_handle_t *)&d->errpipe);
}

/* argv for Xvfb, wrapped in a private mount namespace in NAMESPACE mode. */
static void build_args(struct anc_display *d, char *geometry, size_t len, char **args)
{
    int n = 0;
    snprintf(geometry, len, "%dx%dx%d", d->width, d->height, d->depth);
    if (d->mode == ANC_DISPLAY_SOCKET_NAMESPACE) {
        args[n++] = UNSHARE_PATH;
        args[n++] = "--mount";
        args[n++] = "--propagation";
        args[n++] = "slave";
        args[n++] = "--";
        args[n++] = "/bin/sh";
        args[n++] = "-c";
        args[n++] = "mount --bind \"$0\" " HOST_SOCKET_DIR " && exec \"$@\"";
        args[n++] = d->sock_dir;
    }
    char *xvfb[] = {d->xvfb_path, "-screen",   "0",   geometry,   "-fbdir",
                    d->run_dir,   "-nolisten", "tcp", "-noreset", "-br",
                    "-displayfd", "3",         NULL};
    memcpy(args + n, xvfb, sizeof(xvfb));
}

/* Spawns with raw pipes first, so that a failed spawn leaves no pipe handle to close. */
static int spawn_process(struct anc_display *d, uv_file fdp[2], uv_file errp[2])
{
    char geometry[64];
    char *args[24];
    build_args(d, geometry, sizeof(geometry), args);
    uv_stdio_container_t stdio[4] = {
        {.flags = UV_IGNORE},
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = errp[1]},
        {.flags = UV_INHERIT_FD, .data.fd = fdp[1]},
    };
    uv_process_options_t o = {
        .exit_cb = on_proc_exit, .file = args[0], .args = args, .stdio_count = 4, .stdio = stdio};
    d->proc.data = d;
    d->run_handles++;
    int r = uv_spawn(d->loop, &d->proc, &o);
    close(fdp[1]);
    close(errp[1]);
    if (r < 0) {
        d->exited = true;
        d->exit_status = r;
        uv_close((uv_handle_t *)&d->proc, handle_closed);
    }
    return r;
}

static void open_read_pipe(struct anc_display *d, uv_pipe_t *p, uv_file fd, uv_alloc_cb alloc,
                           uv_read_cb read)
{
    uv_pipe_init(d->loop, p, 0);
    p->data = d;
    d->run_handles++;
    if (uv_pipe_open(p, fd) < 0 || uv_read_start((uv_stream_t *)p, alloc, read) < 0)
        close_run_handle(d, (uv_handle_t *)p);
}

static int start_run(struct anc_display *d)
{
    uv_file fdp[2], errp[2];
    int r = uv_pipe(fdp, 0, 0);
    if (r < 0)
        return r;
    r = uv_pipe(errp, 0, 0);
    if (r < 0) {
        close(fdp[0]);
        close(fdp[1]);
        return r;
    }
    d->exited = false;
    d->exit_status = 0;
    d->term_signal = 0;
    d->fdlen = d->errlen = 0;
    d->ready_at = 0;
    d->state = ST_STARTING;
    r = spawn_process(d, fdp, errp);
    if (r < 0) {
        close(fdp[0]);
        close(errp[0]);
        return r;
    }
    open_read_pipe(d, &d->fdpipe, fdp[0], alloc_fd, on_fd_read);
    open_read_pipe(d, &d->errpipe, errp[0], alloc_err, on_err_read);
    return 0;
}

/* A restart: failures end the run like an exit and go through the backoff again. */
static void spawn_run(struct anc_display *d)
{
    int r = start_run(d);
    if (r < 0) {
        anc_debug("display: cannot start Xvfb in %s: %s", d->run_dir, uv_strerror(r));
        if (d->run_handles == 0) { /* the pipes could not even be made */
            d->exit_status = r;
            anc__display_run_ended(d);
        }
        return;
    }
    uv_timer_start(&d->timer, on_timer, STARTUP_TIMEOUT_MS, 0);
}

static enum anc_display_socket_mode resolve_mode(enum anc_display_socket_mode m)
{
    if (m != ANC_DISPLAY_SOCKET_AUTO)
        return m;
    if (geteuid() == 0 && access(UNSHARE_PATH, X_OK) == 0)
        return ANC_DISPLAY_SOCKET_NAMESPACE;
    return ANC_DISPLAY_SOCKET_LINK;
}

/* <run_dir>/X11-unix, and in NAMESPACE mode the host directory it is mounted over: both must be
 * sticky and world-writable as xtrans expects. */
static int prepare_socket_dir(struct anc_display *d)
{
    if (mkdir(d->sock_dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (d->mode != ANC_DISPLAY_SOCKET_NAMESPACE)
        return 0;
    if (chmod(d->sock_dir, 01777) < 0)
        return -errno;
    if (mkdir(HOST_SOCKET_DIR, 01777) == 0)
        chmod(HOST_SOCKET_DIR, 01777);
    else if (errno != EEXIST)
        return -errno;
    return 0;
}

static int init_display(struct anc_display *d, const struct anc_display_params *p)
{
    d->width = p->width;
    d->height = p->height;
    d->depth = p->depth ? p->depth : 24;
    d->mode = resolve_mode(p->socket_mode);
    d->mode_auto = p->socket_mode == ANC_DISPLAY_SOCKET_AUTO;
    d->number = -1;
    d->backoff_ms = BACKOFF_MIN_MS;
    d->run_dir = strdup(p->run_dir);
    d->xvfb_path = strdup(p->xvfb_path ? p->xvfb_path : XVFB_DEFAULT);
    if (!d->run_dir || !d->xvfb_path)
        return -ENOMEM;
    if (snprintf(d->fb_path, sizeof(d->fb_path), "%s/Xvfb_screen0", p->run_dir) >=
            (int)sizeof(d->fb_path) - 16 ||
        snprintf(d->sock_dir, sizeof(d->sock_dir), "%s/X11-unix", p->run_dir) >=
            (int)sizeof(d->sock_dir) - 16 ||
        snprintf(d->rec_path, sizeof(d->rec_path), "%s/display.pid", p->run_dir) >=
            (int)sizeof(d->rec_path) - 8)
        return -ENAMETOOLONG;
    return prepare_socket_dir(d);
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
    bool adopted = p->adopt && anc__display_adopt_run(d) == 0;
    if (!adopted && (r = start_run(d)) < 0)
        goto fail_dir;
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(&d->timer, on_timer, adopted ? 0 : STARTUP_TIMEOUT_MS, 0);
    *out = d;
    return 0;
fail_dir:
    rmdir(d->sock_dir);
    if (d->run_handles > 0) {
        d->state = ST_FAILED; /* the process handle's close callback frees d */
        return r;
    }
fail_free:
    free(d->run_dir);
    free(d->xvfb_path);
    free(d);
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
    return run_pid(d);
}

bool anc_display_adopted(const struct anc_display *d)
{
    return d->was_adopted;
}

enum anc_display_socket_mode anc_display_socket_mode(const struct anc_display *d)
{
    return d->mode;
}

void anc_display_detach(struct anc_display *d, void (*on_stopped)(void *data), void *data)
{
    if (!d || d->state != ST_READY || d->exited) { /* nothing ready to keep: a plain stop */
        anc_display_stop(d, on_stopped, data);
        return;
    }
    d->on_stopped = on_stopped;
    d->stopped_data = data;
    d->state = ST_DETACHING;
    uv_timer_stop(&d->timer);
    if (d->adopted) {
        anc__display_release_adopted(d);
        return;
    }
    /* Closing a process handle does not signal the process; Xvfb ignores SIGPIPE, so the pipes
     * going away does not end it either. */
    close_run_handle(d, (uv_handle_t *)&d->proc);
    close_run_handle(d, (uv_handle_t *)&d->fdpipe);
    close_run_handle(d, (uv_handle_t *)&d->errpipe);
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
    d->state = ST_STOPPING;
    uv_timer_stop(&d->timer);
    if (d->run_handles == 0) { /* between runs */
        finish_stop(d);
        return;
    }
    if (!d->exited) {
        kill_run(d, SIGTERM);
        uv_timer_start(&d->timer, on_timer, KILL_TIMEOUT_MS, 0);
    }
}
