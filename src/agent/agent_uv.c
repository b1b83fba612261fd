#include "agent/agent_uv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/client.h"
#include "agent/nsconnect.h"

#define CONNECT_TIMEOUT_MS 10000
#define WRITE_QUEUE_MAX    (64u << 10)
#define READ_SIZE          (64u << 10)

enum conn_state {
    CONN_CONNECTING,
    CONN_OPEN,
    CONN_ENDED, /* on_closed was called: waiting for the owner's close */
    CONN_CLOSING,
};

struct anc_agent_conn {
    uv_loop_t *loop;
    enum conn_state state;
    struct anc_agent_conn_cbs cbs;
    void *arg;
    struct anc_agent_conn_params params;
    struct anc_nsconnect *connecting; /* while nsconnect runs */
    struct anc_agent_client client;
    uv_pipe_t video, control;
    uv_timer_t timer; /* the client's deadline */
    bool pipes_open;
    int pending_closes;
    size_t queued, queue_max;
    struct anc_agent_conn_stats stats;
    void (*closed)(void *arg);
    void *closed_arg;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
};

struct write_req {
    uv_write_t req;
    struct anc_agent_conn *conn;
    size_t len;
    uint8_t data[];
};

static uint64_t now_us(const struct anc_agent_conn *c)
{
    return uv_now(c->loop) * 1000u;
}

/* The connection ends for a reason of its own: reading stops, the owner hears it once. */
static void end(struct anc_agent_conn *c, int status, const char *why)
{
    if (c->state != CONN_OPEN && c->state != CONN_CONNECTING)
        return;
    c->state = CONN_ENDED;
    if (c->pipes_open) {
        uv_read_stop((uv_stream_t *)&c->video);
        uv_read_stop((uv_stream_t *)&c->control);
    }
    uv_timer_stop(&c->timer);
    c->cbs.on_closed(c->arg, status, why);
}

static void dispatch(struct anc_agent_conn *c, const struct anc_agent_client_event *ev)
{
    switch (ev->type) {
    case ANC_AGENT_CLIENT_EV_READY:
        uv_timer_stop(&c->timer);
        c->cbs.on_ready(c->arg, ev->ready.device, ev->ready.width, ev->ready.height);
        break;
    case ANC_AGENT_CLIENT_EV_AU:
        c->stats.aus++;
        c->stats.keyframes += ev->au.keyframe;
        c->cbs.on_au(c->arg, ev->au.data, ev->au.len, ev->au.keyframe, ev->au.pts_us);
        break;
    case ANC_AGENT_CLIENT_EV_CLIPBOARD:
        if (c->cbs.on_clipboard)
            c->cbs.on_clipboard(c->arg, ev->clipboard.utf8, ev->clipboard.len);
        break;
    case ANC_AGENT_CLIENT_EV_ERROR:
        end(c, ev->error.code, ev->error.why);
        break;
    default:
        break;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = malloc(READ_SIZE);
    buf->len = buf->base ? READ_SIZE : 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct anc_agent_conn *c = s->data;
    bool video = s == (uv_stream_t *)&c->video;
    const uint8_t *p = (const uint8_t *)buf->base;
    if (nread < 0) {
        end(c, nread == UV_EOF ? -EPIPE : (int)nread,
            video ? "the agent closed the video socket" : "the agent closed the control socket");
    } else {
        if (video)
            c->stats.video_bytes += (uint64_t)nread;
        for (size_t off = 0; off < (size_t)nread && c->state == CONN_OPEN;) {
            struct anc_agent_client_event ev;
            ssize_t used = video ? anc_agent_client_feed_video(&c->client, now_us(c), p + off,
                                                               (size_t)nread - off, &ev)
                                 : anc_agent_client_feed_control(&c->client, now_us(c), p + off,
                                                                 (size_t)nread - off, &ev);
            if (used <= 0)
                break;
            off += (size_t)used;
            dispatch(c, &ev);
        }
    }
    free(buf->base);
}

static void on_deadline(uv_timer_t *t)
{
    struct anc_agent_conn *c = t->data;
    struct anc_agent_client_event ev;
    if (anc_agent_client_timeout(&c->client, now_us(c), &ev))
        dispatch(c, &ev);
}

static void on_written(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct anc_agent_conn *c = w->conn;
    c->queued -= w->len;
    c->stats.write_queued = c->queued;
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        end(c, status, "writing to the agent's control socket failed");
}

/* Queues data[0..n). droppable: a move, the first thing to go when the guest lags. */
static int send_bytes(struct anc_agent_conn *c, const uint8_t *data, size_t n, bool droppable)
{
    if (c->state != CONN_OPEN)
        return -ENOTCONN;
    if (n == 0)
        return 0;
    size_t limit = droppable ? c->queue_max : 4 * c->queue_max;
    if (c->queued + n > limit) {
        c->stats.input_dropped++;
        return -ENOBUFS;
    }
    struct write_req *w = malloc(sizeof(*w) + n);
    if (!w)
        return -ENOMEM;
    w->conn = c;
    w->len = n;
    memcpy(w->data, data, n);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    int r = uv_write(&w->req, (uv_stream_t *)&c->control, &b, 1, on_written);
    if (r < 0) {
        free(w);
        return r;
    }
    c->queued += n;
    c->stats.write_queued = c->queued;
    c->stats.input_sent++;
    return 0;
}

static int open_pipe(struct anc_agent_conn *c, uv_pipe_t *p, int fd)
{
    uv_pipe_init(c->loop, p, 0);
    p->data = c;
    int r = uv_pipe_open(p, fd);
    return r < 0 ? r : uv_read_start((uv_stream_t *)p, on_alloc, on_read);
}

static void maybe_free(struct anc_agent_conn *c);

static void on_connected(void *arg, int status, const int *fds, unsigned count)
{
    struct anc_agent_conn *c = arg;
    (void)count;
    c->connecting = NULL;
    if (c->state == CONN_CLOSING) {
        for (unsigned i = 0; status == 0 && i < count; i++)
            close(fds[i]);
        maybe_free(c);
        return;
    }
    if (status < 0) {
        end(c, status, "could not connect to the agent's socket");
        return;
    }
    c->pipes_open = true;
    c->state = CONN_OPEN;
    int r = open_pipe(c, &c->video, fds[0]);
    int r2 = open_pipe(c, &c->control, fds[1]);
    if (r < 0 || r2 < 0) {
        end(c, r < 0 ? r : r2, "could not watch the agent's sockets");
        return;
    }
    uint64_t deadline = anc_agent_client_next_timeout(&c->client);
    uv_timer_start(&c->timer, on_deadline, (deadline - now_us(c)) / 1000u + 1, 0);
}

int anc_agent_conn_start(uv_loop_t *loop, const struct anc_agent_conn_params *p,
                         const struct anc_agent_conn_cbs *cbs, void *arg,
                         struct anc_agent_conn **out)
{
    struct anc_agent_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    char name[32];
    snprintf(name, sizeof(name), "scrcpy_%08x", p->scid);
    c->loop = loop;
    c->cbs = *cbs;
    c->arg = arg;
    c->params = *p;
    c->queue_max = p->write_queue_max ? p->write_queue_max : WRITE_QUEUE_MAX;
    uint64_t timeout = p->connect_timeout_ms ? p->connect_timeout_ms : CONNECT_TIMEOUT_MS;
    int r =
        anc_nsconnect_start(loop, p->init_pid, name, 2, timeout, on_connected, c, &c->connecting);
    if (r < 0) {
        free(c);
        return r;
    }
    /* The header deadline (ANC_AGENT_CLIENT_READY_US) counts from the end of the connect
     * timeout: a slow JVM start-up is covered by the latter. */
    anc_agent_client_init(&c->client, now_us(c) + timeout * 1000u, p->bitrate_bps);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    *out = c;
    return 0;
}

int anc_agent_conn_input(struct anc_agent_conn *c, const struct anc_input_msg *m)
{
    if (c->state != CONN_OPEN)
        return -ENOTCONN;
    if (m->type == ANC_INPUT_CONTROL && m->control.op == ANC_INPUT_CTL_KEYFRAME)
        return ANC_INPUT_KEYFRAME;
    ssize_t n = anc_agent_client_input(&c->client, m, c->out, sizeof(c->out));
    if (n < 0)
        return (int)n;
    bool move = m->type == ANC_INPUT_TOUCH && m->touch.action == ANC_INPUT_TOUCH_MOVE;
    int r = send_bytes(c, c->out, (size_t)n, move);
    return r < 0 ? r : ANC_INPUT_APPLIED;
}

int anc_agent_conn_reset_video(struct anc_agent_conn *c)
{
    ssize_t n = anc_agent_client_reset_video(c->out, sizeof(c->out));
    return n < 0 ? (int)n : send_bytes(c, c->out, (size_t)n, false);
}

uint64_t anc_agent_conn_estimate(struct anc_agent_conn *c, uint64_t bps)
{
    return anc_agent_client_estimate(&c->client, now_us(c), bps);
}

void anc_agent_conn_get_stats(const struct anc_agent_conn *c, struct anc_agent_conn_stats *out)
{
    *out = c->stats;
}

static void maybe_free(struct anc_agent_conn *c)
{
    if (c->pending_closes > 0 || c->connecting)
        return;
    void (*closed)(void *) = c->closed;
    void *arg = c->closed_arg;
    anc_agent_client_destroy(&c->client);
    free(c);
    if (closed)
        closed(arg);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct anc_agent_conn *c = h->data;
    c->pending_closes--;
    maybe_free(c);
}

void anc_agent_conn_close(struct anc_agent_conn *c, void (*closed)(void *arg), void *arg)
{
    if (!c) {
        if (closed)
            closed(arg);
        return;
    }
    c->state = CONN_CLOSING;
    c->closed = closed;
    c->closed_arg = arg;
    c->pending_closes = 1;
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    if (c->pipes_open) {
        c->pending_closes += 2;
        uv_close((uv_handle_t *)&c->video, on_handle_closed);
        uv_close((uv_handle_t *)&c->control, on_handle_closed);
    }
    if (c->connecting)
        anc_nsconnect_cancel(c->connecting);
}
