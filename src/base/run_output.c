#include "base/run_output.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct anc_run_output {
    uv_process_t proc;
    uv_pipe_t out;
    uv_timer_t timer;
    anc_run_output_cb cb; /* NULL once reported or abandoned */
    void *arg;
    uint8_t *buf;
    size_t len, cap, max;
    int status, open; /* open: handles whose close is still pending */
    bool exited, eof;
};

static void on_closed(uv_handle_t *h)
{
    struct anc_run_output *r = h->data;
    if (--r->open == 0) {
        free(r->buf);
        free(r);
    }
}

static void close_all(struct anc_run_output *r)
{
    uv_close((uv_handle_t *)&r->proc, on_closed);
    uv_close((uv_handle_t *)&r->out, on_closed);
    uv_close((uv_handle_t *)&r->timer, on_closed);
}

/* Ends the run with status (the first verdict wins: a kill for size or time, then the exit). */
static void kill_with(struct anc_run_output *r, int status)
{
    if (!r->status)
        r->status = status;
    if (!r->exited)
        uv_process_kill(&r->proc, SIGKILL);
}

static void finish(struct anc_run_output *r)
{
    if (!r->exited || !r->eof)
        return;
    uv_timer_stop(&r->timer);
    anc_run_output_cb cb = r->cb;
    r->cb = NULL;
    if (cb) {
        uint8_t *steal = NULL;
        cb(r->arg, r->status, r->buf ? r->buf : (uint8_t *)"", r->len, &steal);
        if (steal)
            r->buf = NULL; /* the callback took it */
    }
    close_all(r);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct anc_run_output *r = h->data;
    (void)hint;
    /* Room for a read past max (how a run that writes too much is told), no more. */
    size_t limit = r->max + 64 * 1024 + 1;
    if (r->cap - r->len < 64 * 1024 + 1 && r->cap < limit) {
        size_t cap = r->cap ? r->cap * 2 : 256 * 1024;
        cap = cap < limit ? cap : limit;
        uint8_t *nb = realloc(r->buf, cap);
        if (nb) {
            r->buf = nb;
            r->cap = cap;
        }
    }
    size_t room = r->cap > r->len + 1 ? r->cap - r->len - 1 : 0;
    *b = uv_buf_init(room ? (char *)r->buf + r->len : NULL, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct anc_run_output *r = s->data;
    (void)b;
    if (n > 0) {
        r->len += (size_t)n;
        r->buf[r->len] = 0;
        if (r->len > r->max)
            kill_with(r, -EFBIG);
        return;
    }
    if (n == UV_ENOBUFS) {
        kill_with(r, r->len >= r->max ? -EFBIG : -ENOMEM);
        n = UV_EOF;
    }
    if (n < 0) {
        uv_read_stop(s);
        r->eof = true;
        finish(r);
    }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct anc_run_output *r = p->data;
    r->exited = true;
    if (!r->status)
        r->status = sig ? -EINTR : (int)status;
    finish(r);
}

static void on_timeout(uv_timer_t *t)
{
    kill_with(t->data, -ETIMEDOUT);
}

int anc_run_output_start(uv_loop_t *loop, char *const *argv, size_t max_bytes, uint64_t timeout_ms,
                         anc_run_output_cb cb, void *arg, struct anc_run_output **out)
{
    struct anc_run_output *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->cb = cb;
    r->arg = arg;
    r->max = max_bytes;
    uv_pipe_init(loop, &r->out, 0);
    uv_timer_init(loop, &r->timer);
    r->proc.data = r->out.data = r->timer.data = r;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&r->out},
        {.flags = UV_IGNORE}};
    uv_process_options_t o = {.exit_cb = on_exit_cb,
                              .file = argv[0],
                              .args = (char **)argv,
                              .stdio_count = 3,
                              .stdio = stdio};
    r->open = 3;
    int err = uv_spawn(loop, &r->proc, &o);
    if (err < 0) {
        r->cb = NULL;
        close_all(r); /* a failed spawn's handle is still closed (libuv's rule) */
        return err;
    }
    uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
    uv_timer_start(&r->timer, on_timeout, timeout_ms, 0);
    *out = r;
    return 0;
}

void anc_run_output_abandon(struct anc_run_output *r)
{
    if (!r)
        return;
    r->cb = NULL;
    if (!r->exited)
        uv_process_kill(&r->proc, SIGKILL);
}
