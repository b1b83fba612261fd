#include "rtc/tcp_uv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/ice.h"
#include "rtc/sctp.h"
#include "rtc/tcpframe.h"

struct conn {
    uv_tcp_t handle;
    struct anc_rtc_tcp *t;
    struct conn *prev, *next; /* the open connections; a closing one is unlinked */
    struct anc_addr addr;     /* the remote end, as the host sees it */
    uint64_t opened_us, last_rx_us;
    bool validated; /* ICE answered a check from it */
    struct anc_tcpframe in;
};

/* Addresses of recently closed connections: the host may still address packets to them until the
 * session's ICE consent runs out, and those must not leak out as UDP datagrams to the browser's
 * TCP port. */
#define GONE_MAX 64
#define GONE_US  (ANC_ICE_CONSENT_US + 5000000ull)

struct gone {
    struct anc_addr addr;
    uint64_t at_us;
};

struct wreq {
    uv_write_t req;
    uint8_t data[];
};

struct anc_rtc_tcp {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t timer;
    struct anc_rtc_host *host;
    struct anc_rtc_udp *udp;
    size_t max_conns;
    struct conn *conns;
    int open_handles; /* listener, timer and every connection */
    void (*done)(void *arg);
    void *done_arg;
    struct anc_rtc_tcp_stats stats;
    struct gone gone[GONE_MAX]; /* ring */
    size_t gone_next;
    uint64_t last_gone_us; /* 0: none yet */
    uint8_t rbuf[64 * 1024];
};

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000u;
}

static void release(struct anc_rtc_tcp *t)
{
    if (--t->open_handles > 0 || !t->done)
        return;
    void (*done)(void *) = t->done;
    void *arg = t->done_arg;
    free(t);
    done(arg);
}

static void on_conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct anc_rtc_tcp *t = c->t;
    free(c);
    release(t);
}

static void close_conn(struct conn *c)
{
    struct anc_rtc_tcp *t = c->t;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    t->stats.open--;
    if (c->validated) {
        t->gone[t->gone_next] = (struct gone){c->addr, now_us()};
        t->gone_next = (t->gone_next + 1) % GONE_MAX;
        t->last_gone_us = now_us();
    }
    uv_close((uv_handle_t *)&c->handle, on_conn_closed);
}

static struct conn *find(struct anc_rtc_tcp *t, const struct anc_addr *a)
{
    for (struct conn *c = t->conns; c; c = c->next)
        if (anc_addr_equal(&c->addr, a))
            return c;
    return NULL;
}

static bool recently_gone(const struct anc_rtc_tcp *t, const struct anc_addr *a)
{
    uint64_t now = now_us();
    if (!t->last_gone_us || now - t->last_gone_us >= GONE_US)
        return false; /* the common case: one comparison per UDP packet */
    for (size_t i = 0; i < GONE_MAX; i++)
        if (t->gone[i].at_us && now - t->gone[i].at_us < GONE_US &&
            anc_addr_equal(&t->gone[i].addr, a))
            return true;
    return false;
}

static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed connection shows up as a read error and is closed there */
    free(req);
}

/* The UDP glue's divert hook: frames the packet onto the connection of `to`, if there is one. */
static bool divert(void *arg, const struct anc_addr *to, const uint8_t *buf, size_t len)
{
    struct anc_rtc_tcp *t = arg;
    struct conn *c = find(t, to);
    if (!c) {
        if (!recently_gone(t, to))
            return false;
        t->stats.dropped_out++;
        return true;
    }
    uint8_t frame[2 + ANC_TCPFRAME_MAX];
    ssize_t n = anc_tcpframe_encode(buf, len, frame, sizeof(frame));
    uv_stream_t *s = (uv_stream_t *)&c->handle;
    size_t queued = uv_stream_get_write_queue_size(s), off = 0;
    if (n < 0 || queued + (size_t)n > ANC_RTC_TCP_MAX_BUFFERED) {
        t->stats.dropped_out++;
        return true;
    }
    if (queued == 0) {
        /* A whole frame or a part of it goes now; the rest is queued and never dropped, or the
         * stream would lose its framing. */
        uv_buf_t b = uv_buf_init((char *)frame, (unsigned)n);
        int r = uv_try_write(s, &b, 1);
        if (r < 0 && r != UV_EAGAIN) {
            close_conn(c);
            return true;
        }
        off = r > 0 ? (size_t)r : 0;
    }
    t->stats.packets_out++;
    if (off == (size_t)n)
        return true;
    struct wreq *w = malloc(sizeof(*w) + (size_t)n - off);
    if (!w) {
        close_conn(c); /* a partial frame cannot be taken back */
        return true;
    }
    memcpy(w->data, frame + off, (size_t)n - off);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)((size_t)n - off));
    if (uv_write(&w->req, s, &b, 1, on_written) < 0) {
        free(w);
        close_conn(c);
    }
    return true;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)c->t->rbuf, sizeof(c->t->rbuf));
}

/* Feeds one packet to the host; false when the connection must go. Before ICE validated the
 * connection only STUN (RFC 7983: first byte 0..3) is accepted. */
static bool deliver(struct conn *c, uint64_t now, const uint8_t *p, size_t len)
{
    struct anc_rtc_tcp *t = c->t;
    if (!c->validated && p[0] > 3)
        return false;
    t->stats.packets_in++;
    anc_rtc_host_handle_datagram(t->host, now, &c->addr, p, len);
    if (!c->validated)
        c->validated = anc_rtc_host_validated(t->host, &c->addr);
    anc_rtc_udp_flush(t->udp);
    return true;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    struct anc_rtc_tcp *t = c->t;
    if (n < 0) {
        close_conn(c);
        return;
    }
    uint64_t now = now_us();
    c->last_rx_us = now;
    anc_sctp_tick(now);
    size_t off = 0;
    while (off < (size_t)n) {
        const uint8_t *p;
        size_t len;
        ssize_t used =
            anc_tcpframe_feed(&c->in, (const uint8_t *)buf->base + off, (size_t)n - off, &p, &len);
        if (used < 0 || (p && !deliver(c, now, p, len))) {
            t->stats.closed_garbage++;
            close_conn(c);
            return;
        }
        off += (size_t)used;
        if (uv_is_closing((uv_handle_t *)s))
            return; /* closed while sending (write error) */
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct anc_rtc_tcp *t = server->data;
    if (status < 0)
        return;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->t = t;
    uv_tcp_init(t->loop, &c->handle);
    c->handle.data = c;
    t->open_handles++;
    int len = sizeof(c->addr.u);
    if (uv_accept(server, (uv_stream_t *)&c->handle) < 0 || t->stats.open >= t->max_conns ||
        uv_tcp_getpeername(&c->handle, &c->addr.u.sa, &len) < 0) {
        t->stats.refused++;
        uv_close((uv_handle_t *)&c->handle, on_conn_closed);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    anc_tcpframe_init(&c->in, ANC_PEER_MAX_DATAGRAM);
    c->opened_us = c->last_rx_us = now_us();
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;
    t->stats.open++;
    t->stats.accepted++;
    if (uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read) < 0)
        close_conn(c);
}

/* Once a second: connections that never completed ICE, or went silent, are closed. */
static void on_timer(uv_timer_t *h)
{
    struct anc_rtc_tcp *t = h->data;
    uint64_t now = now_us();
    struct conn *next;
    for (struct conn *c = t->conns; c; c = next) {
        next = c->next;
        bool late = !c->validated && now - c->opened_us > ANC_RTC_TCP_ICE_DEADLINE_S * 1000000ull;
        bool idle = now - c->last_rx_us > ANC_RTC_TCP_IDLE_S * 1000000ull;
        if (late || idle) {
            t->stats.closed_deadline++;
            close_conn(c);
        }
    }
}

int anc_rtc_tcp_start(uv_loop_t *loop, const char *ip, int port, size_t max_conns,
                      struct anc_rtc_host *host, struct anc_rtc_udp *udp, struct anc_rtc_tcp **out)
{
    struct sockaddr_storage ss;
    if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss) != 0)
        return UV_EINVAL;
    struct anc_rtc_tcp *t = calloc(1, sizeof(*t));
    if (!t)
        return UV_ENOMEM;
    t->loop = loop;
    t->host = host;
    t->udp = udp;
    t->max_conns = max_conns;
    uv_tcp_init(loop, &t->listener);
    uv_timer_init(loop, &t->timer);
    t->listener.data = t->timer.data = t;
    t->open_handles = 2;
    int r = uv_tcp_bind(&t->listener, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&t->listener, 128, on_connection);
    if (r < 0) {
        anc_rtc_tcp_close(t, NULL, NULL);
        return r;
    }
    uv_timer_start(&t->timer, on_timer, 1000, 1000);
    anc_rtc_udp_set_divert(udp, divert, t);
    *out = t;
    return 0;
}

int anc_rtc_tcp_port(const struct anc_rtc_tcp *t)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getsockname(&t->listener, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

void anc_rtc_tcp_get_stats(const struct anc_rtc_tcp *t, struct anc_rtc_tcp_stats *out)
{
    *out = t->stats;
}

static void on_own_closed(uv_handle_t *h)
{
    release(h->data);
}

static void noop(void *arg)
{
    (void)arg;
}

void anc_rtc_tcp_close(struct anc_rtc_tcp *t, void (*done)(void *arg), void *arg)
{
    if (!t) {
        if (done)
            done(arg);
        return;
    }
    if (t->udp)
        anc_rtc_udp_set_divert(t->udp, NULL, NULL);
    t->done = done ? done : noop;
    t->done_arg = arg;
    while (t->conns)
        close_conn(t->conns);
    uv_close((uv_handle_t *)&t->listener, on_own_closed);
    uv_close((uv_handle_t *)&t->timer, on_own_closed);
}
