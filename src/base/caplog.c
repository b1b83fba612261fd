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

#define READ_CHUNK     (64 * 1024)
#define READS_PER_WAKE 16

struct source {
    uv_poll_t poll;
    int fd;
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
    uint64_t drop_said_ms;      /* uv_now of the last line about drops */
    uint64_t tokens, tokens_ms; /* sources' bytes the rate allows now, as of uv_now tokens_ms */
    int null_fd;                /* /dev/null, where dropped bytes are spliced */
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

/* Hands pend to the pool (after the line about drops, if due) unless a write is in flight. */
static void kick(struct anc_caplog *l)
{
    if (l->busy)
        return;
    /* At most a line a second about drops (and the last one at the close). */
    if (l->dropped && (l->closing || uv_now(l->loop) >= l->drop_said_ms + 1000)) {
        l->drop_said_ms = uv_now(l->loop);
        char line[160];
        int n = snprintf(line, sizeof(line),
                         "ancloudd: %" PRIu64 " bytes of output dropped (more than the log "
                         "takes: [instance] log_max_kib a second, and what the disk writes)\n",
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
    l->tokens = l->max;
    l->tokens_ms = uv_now(loop);
    l->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    l->path = strdup(path);
    l->pend_cap = l->fly_cap = l->bufmax + 512;
    l->pend = malloc(l->pend_cap);
    l->fly = malloc(l->fly_cap);
    l->fd = l->path && l->pend && l->fly ? open_file(path) : -ENOMEM;
    if (l->fd < 0) {
        int r = l->fd;
        if (l->null_fd >= 0)
            close(l->null_fd);
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

/* Output of a source, as much as room() allowed. */
static void feed(struct anc_caplog *l, const char *buf, size_t len)
{
    append(l, buf, len);
    l->tokens -= len < l->tokens ? len : l->tokens;
    kick(l);
}

static void drop(struct anc_caplog *l, size_t len)
{
    l->dropped += len;
    l->dropped_total += len;
    kick(l);
}

/* Room for a source's bytes now: what the buffer and the rate (max bytes a second, a burst of
 * max) allow. */
static size_t room(struct anc_caplog *l)
{
    uint64_t now = uv_now(l->loop);
    l->tokens += (now - l->tokens_ms) * l->max / 1000;
    if (l->tokens > l->max)
        l->tokens = l->max;
    l->tokens_ms = now;
    size_t buf = l->bufmax > l->pend_len ? l->bufmax - l->pend_len : 0;
    return buf < l->tokens ? buf : (size_t)l->tokens;
}

/* What there is no room for goes to /dev/null by splice: dropped without copying it. */
static ssize_t discard(struct anc_caplog *l, int fd)
{
    if (l->null_fd >= 0) {
        ssize_t n = splice(fd, NULL, l->null_fd, NULL, 1 << 20, SPLICE_F_NONBLOCK);
        if (n >= 0 || errno == EAGAIN || errno == EINTR)
            return n;
    }
    return read(fd, l->rbuf, sizeof(l->rbuf));
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
    close(s->fd);
    free(s);
    if (l->closing)
        finish(l);
}

static void close_source(struct source *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->poll))
        uv_close((uv_handle_t *)&s->poll, on_source_closed);
}

/* A few reads (or discards) per wake-up, so that one busy source cannot hold the loop. */
static void on_readable(uv_poll_t *p, int status, int events)
{
    struct source *s = p->data;
    struct anc_caplog *l = s->log;
    bool end = status < 0;
    (void)events;
    for (int i = 0; i < READS_PER_WAKE && !end && !l->closing; i++) {
        size_t want = room(l);
        ssize_t n;
        if (want > 0) {
            n = read(s->fd, l->rbuf, want < sizeof(l->rbuf) ? want : sizeof(l->rbuf));
            if (n > 0)
                feed(l, l->rbuf, (size_t)n);
        } else {
            n = discard(l, s->fd);
            if (n > 0)
                drop(l, (size_t)n);
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        end = n <= 0; /* EOF (every writer is gone) or an error */
    }
    if (end)
        close_source(s);
}

int anc_caplog_follow(struct anc_caplog *l, int fd)
{
    struct source *s = calloc(1, sizeof(*s));
    int r = s ? 0 : -ENOMEM;
    if (r == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        r = -errno;
    if (r == 0)
        r = uv_poll_init(l->loop, &s->poll, fd);
    if (r < 0) {
        free(s);
        close(fd);
        return r;
    }
    s->fd = fd;
    s->log = l;
    s->poll.data = s;
    s->next = l->sources;
    l->sources = s;
    r = uv_poll_start(&s->poll, UV_READABLE, on_readable);
    if (r < 0)
        close_source(s);
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
    if (l->null_fd >= 0)
        close(l->null_fd);
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
        close_source(s);
    finish(l);
}
