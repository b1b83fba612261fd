/* A log file with a size cap, fed from the loop (caplog.h). The loop fills `pend`; the pool writes
 * `fly`. While a write is in flight the pool owns fly and fd, the loop everything else; the two
 * buffers swap when it is done. */
#include "base/caplog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

struct source {
    uv_pipe_t pipe;
    struct anc_caplog *log;
    struct source *next;
};

struct anc_caplog {
    uv_loop_t *loop;
    char *path;
    size_t max, bufmax;
    int fd;           /* the pool's while busy */
    char *pend, *fly; /* the loop fills pend; the pool writes fly */
    size_t pend_len, pend_cap, fly_len, fly_cap;
    bool busy;        /* a write is in flight */
    bool rotate;      /* the write in flight may rotate (not in the final flush) */
    bool closing;     /* anc_caplog_close was called */
    bool at_bol;      /* the last byte appended ends a line */
    uint64_t dropped; /* not yet reported */
    uint64_t dropped_total;
    struct source *sources;
    uv_work_t work;
    char rbuf[READ_CHUNK]; /* sources read into it; consumed in the same callback */
};

static int open_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return fd < 0 ? -errno : fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a full disk: what cannot be written is lost, the guest goes on */
        buf += n;
        len -= (size_t)n;
    }
}

/* The file becomes "<path>.1" (the previous one goes) and starts afresh with a line saying so;
 * when it cannot be renamed it is emptied instead. Either way it ends up small. */
static void rotate(struct anc_caplog *l)
{
    char old[PATH_MAX + 8], line[PATH_MAX + 200];
    const char *base = strrchr(l->path, '/');
    base = base ? base + 1 : l->path;
    snprintf(old, sizeof(old), "%s.1", l->path);
    int fd = rename(l->path, old) == 0 ? open_file(l->path) : -1;
    if (fd >= 0) {
        close(l->fd);
        l->fd = fd;
        snprintf(
            line, sizeof(line),
            "ancloudd: log rotated at its cap of %zu KiB ([instance] log_max_kib); the earlier "
            "part is in %s.1\n",
            l->max / 1024, base);
    } else {
        if (ftruncate(l->fd, 0) < 0)
            return;
        snprintf(line, sizeof(line),
                 "ancloudd: log truncated at its cap of %zu KiB ([instance] log_max_kib): %s.1 "
                 "could not be made\n",
                 l->max / 1024, base);
    }
    write_all(l->fd, line, strlen(line));
}

/* The pool: rotate when this chunk would take the file past the cap, then append it. */
static void work_cb(uv_work_t *w)
{
    struct anc_caplog *l = w->data;
    struct stat st;
    if (l->rotate && fstat(l->fd, &st) == 0 && st.st_size > 0 &&
        (uint64_t)st.st_size + l->fly_len > l->max)
        rotate(l);
    write_all(l->fd, l->fly, l->fly_len);
}

static void finish(struct anc_caplog *l);
static void after_work(uv_work_t *w, int status);

static int reserve(struct anc_caplog *l, size_t more)
{
    if (l->pend_len + more <= l->pend_cap)
        return 0;
    size_t cap = l->pend_len + more + 256;
    char *p = realloc(l->pend, cap);
    if (!p)
        return -ENOMEM;
    l->pend = p;
    l->pend_cap = cap;
    return 0;
}

static void append(struct anc_caplog *l, const char *buf, size_t len)
{
    memcpy(l->pend + l->pend_len, buf, len);
    l->pend_len += len;
    if (len > 0)
        l->at_bol = buf[len - 1] == '\n';
}

/* A line of the daemon's: never dropped, never glued to a partial line. */
static void append_line(struct anc_caplog *l, const char *text, size_t len)
{
    bool nl = !l->at_bol;
    if (reserve(l, len + 1) < 0)
        return;
    if (nl)
        append(l, "\n", 1);
    append(l, text, len);
}

/* Hands pend to the pool (after the line about drops, if any) unless a write is in flight. */
static void kick(struct anc_caplog *l)
{
    if (l->busy)
        return;
    if (l->dropped) {
        char line[160];
        int n = snprintf(line, sizeof(line),
                         "ancloudd: %" PRIu64 " bytes of output dropped (written faster than "
                         "the log takes them)\n",
                         l->dropped);
        l->dropped = 0;
        append_line(l, line, (size_t)n);
    }
    if (l->pend_len == 0)
        return;
    char *p = l->fly;
    size_t cap = l->fly_cap;
    l->fly = l->pend;
    l->fly_cap = l->pend_cap;
    l->fly_len = l->pend_len;
    l->pend = p;
    l->pend_cap = cap;
    l->pend_len = 0;
    l->busy = true;
    l->rotate = !l->closing;
    l->work.data = l;
    if (uv_queue_work(l->loop, &l->work, work_cb, after_work) < 0)
        l->busy = false; /* cannot happen with a valid loop and callback; the chunk is lost */
}

static void after_work(uv_work_t *w, int status)
{
    struct anc_caplog *l = w->data;
    (void)status;
    l->busy = false;
    l->fly_len = 0;
    if (l->closing)
        finish(l);
    else
        kick(l);
}

int anc_caplog_open(uv_loop_t *loop, const char *path, size_t max_bytes, struct anc_caplog **out)
{
    struct anc_caplog *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->loop = loop;
    l->max = max_bytes < ANC_CAPLOG_MIN ? ANC_CAPLOG_MIN : max_bytes;
    l->bufmax = l->max / 4 < ANC_CAPLOG_BUF_MAX ? l->max / 4 : ANC_CAPLOG_BUF_MAX;
    l->at_bol = true;
    l->path = strdup(path);
    l->pend_cap = l->fly_cap = l->bufmax + 512;
    l->pend = malloc(l->pend_cap);
    l->fly = malloc(l->fly_cap);
    l->fd = l->path && l->pend && l->fly ? open_file(path) : -ENOMEM;
    if (l->fd < 0) {
        int r = l->fd;
        free(l->path);
        free(l->pend);
        free(l->fly);
        free(l);
        return r;
    }
    struct stat st;
    if (fstat(l->fd, &st) == 0 && (uint64_t)st.st_size > l->max)
        rotate(l); /* at a start: as the pool would do before the first chunk */
    *out = l;
    return 0;
}

void anc_caplog_write(struct anc_caplog *l, const char *text, size_t len)
{
    if (!l || l->closing)
        return;
    append_line(l, text, len);
    kick(l);
}

uint64_t anc_caplog_dropped(const struct anc_caplog *l)
{
    return l->dropped_total;
}

/* Output of a source: what fits in the buffer is kept, the rest counted as dropped. */
static void feed(struct anc_caplog *l, const char *buf, size_t len)
{
    size_t room = l->bufmax > l->pend_len ? l->bufmax - l->pend_len : 0;
    size_t take = len < room ? len : room;
    append(l, buf, take);
    l->dropped += len - take;
    l->dropped_total += len - take;
    kick(l);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct source *s = h->data;
    (void)hint;
    *buf = uv_buf_init(s->log->rbuf, sizeof(s->log->rbuf));
}

static void on_source_closed(uv_handle_t *h)
{
    struct source *s = h->data;
    struct anc_caplog *l = s->log;
    for (struct source **p = &l->sources; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    free(s);
    if (l->closing)
        finish(l);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct source *s = st->data;
    if (n > 0 && !s->log->closing)
        feed(s->log, buf->base, (size_t)n);
    else if (n < 0 && !uv_is_closing((uv_handle_t *)st))
        uv_close((uv_handle_t *)st, on_source_closed); /* EOF: every writer is gone */
}

int anc_caplog_follow(struct anc_caplog *l, int fd)
{
    struct source *s = calloc(1, sizeof(*s));
    int r = s ? uv_pipe_init(l->loop, &s->pipe, 0) : -ENOMEM;
    if (r < 0) {
        free(s);
        close(fd);
        return r;
    }
    s->log = l;
    s->pipe.data = s;
    s->next = l->sources;
    l->sources = s;
    r = uv_pipe_open(&s->pipe, fd);
    if (r < 0)
        close(fd); /* not taken over by the handle */
    else
        r = uv_read_start((uv_stream_t *)&s->pipe, on_alloc, on_read);
    if (r < 0)
        uv_close((uv_handle_t *)&s->pipe, on_source_closed);
    return r;
}

int anc_caplog_pipe(struct anc_caplog *l)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    int r = anc_caplog_follow(l, fds[0]);
    if (r < 0) {
        close(fds[1]);
        return r;
    }
    return fds[1];
}

/* Closing: once the sources are closed and nothing is in flight, what is buffered is written;
 * after that the log is freed. */
static void finish(struct anc_caplog *l)
{
    if (l->busy || l->sources)
        return;
    if (l->pend_len > 0 || l->dropped) {
        kick(l);
        if (l->busy)
            return;
    }
    close(l->fd);
    free(l->path);
    free(l->pend);
    free(l->fly);
    free(l);
}

void anc_caplog_close(struct anc_caplog *l)
{
    if (!l || l->closing)
        return;
    l->closing = true;
    for (struct source *s = l->sources; s; s = s->next)
        if (!uv_is_closing((uv_handle_t *)&s->pipe))
            uv_close((uv_handle_t *)&s->pipe, on_source_closed);
    finish(l);
}
