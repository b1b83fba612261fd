#include "rtc/udp_uv.h"

#include <stdlib.h>
#include <string.h>

#include "rtc/sctp.h"

struct anc_rtc_udp {
    uv_loop_t *loop;
    uv_udp_t sock;
    uv_timer_t timer;
    struct anc_rtc_host *host;
    anc_rtc_udp_event_fn on_event;
    void *arg;
    anc_rtc_udp_divert_fn divert;
    void *divert_arg;
    int port;
    int in_flush; /* nesting guard: events may flush again */
    bool again;
    int open_handles;
    void (*done)(void *arg);
    void *done_arg;
    uint8_t rbuf[2048];
    struct anc_rtc_udp_stats stats;
};

uint64_t anc_rtc_now_us(const struct anc_rtc_udp *u)
{
    (void)u;
    return uv_hrtime() / 1000u;
}

static void send_all(struct anc_rtc_udp *u)
{
    uint8_t buf[ANC_PEER_MAX_DATAGRAM];
    size_t len;
    struct anc_addr to;
    while (anc_rtc_host_poll_transmit(u->host, buf, sizeof(buf), &len, &to)) {
        if (u->divert && u->divert(u->divert_arg, &to, buf, len))
            continue;
        uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
        /* UDP: a datagram the kernel cannot take now is lost, as on the wire. */
        int r = uv_udp_try_send(&u->sock, &b, 1, &to.u.sa);
        if (r < 0) {
            u->stats.send_errors++;
            continue;
        }
        u->stats.datagrams_out++;
        u->stats.bytes_out += len;
    }
}

static void on_timer(uv_timer_t *t);

static void rearm(struct anc_rtc_udp *u)
{
    if (u->done)
        return;
    uint64_t now = anc_rtc_now_us(u);
    uint64_t next = anc_rtc_host_next_timeout(u->host, now);
    if (next == UINT64_MAX) {
        uv_timer_stop(&u->timer);
        return;
    }
    uint64_t ms = next > now ? (next - now + 999) / 1000 : 0;
    uv_timer_start(&u->timer, on_timer, ms, 0);
}

void anc_rtc_udp_flush(struct anc_rtc_udp *u)
{
    if (u->in_flush) {
        u->again = true;
        return;
    }
    u->in_flush = 1;
    do {
        u->again = false;
        send_all(u);
        struct anc_rtc_host_event ev;
        while (anc_rtc_host_poll_event(u->host, &ev))
            u->on_event(u->arg, &ev);
        send_all(u);
    } while (u->again);
    u->in_flush = 0;
    rearm(u);
}

static void on_timer(uv_timer_t *t)
{
    struct anc_rtc_udp *u = t->data;
    uint64_t now = anc_rtc_now_us(u);
    anc_sctp_tick(now);
    anc_rtc_host_handle_timeout(u->host, now);
    anc_rtc_udp_flush(u);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct anc_rtc_udp *u = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)u->rbuf, sizeof(u->rbuf));
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    struct anc_rtc_udp *u = h->data;
    if (n <= 0 || !from || (flags & UV_UDP_PARTIAL))
        return;
    struct anc_addr a;
    memset(&a, 0, sizeof(a));
    memcpy(&a.u.sa, from, from->sa_family == AF_INET6 ? sizeof(a.u.in6) : sizeof(a.u.in4));
    u->stats.datagrams_in++;
    u->stats.bytes_in += (uint64_t)n;
    uint64_t now = anc_rtc_now_us(u);
    anc_sctp_tick(now);
    anc_rtc_host_handle_datagram(u->host, now, &a, (const uint8_t *)buf->base, (size_t)n);
    anc_rtc_udp_flush(u);
}

int anc_rtc_udp_start(uv_loop_t *loop, const char *ip, int port, struct anc_rtc_host *host,
                      anc_rtc_udp_event_fn on_event, void *arg, struct anc_rtc_udp **out)
{
    struct anc_rtc_udp *u = calloc(1, sizeof(*u));
    struct sockaddr_storage ss;
    int r;
    if (!u)
        return UV_ENOMEM;
    *u = (struct anc_rtc_udp){.loop = loop, .host = host, .on_event = on_event, .arg = arg};
    if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss) != 0) {
        free(u);
        return UV_EINVAL;
    }
    uv_udp_init(loop, &u->sock);
    uv_timer_init(loop, &u->timer);
    u->sock.data = u->timer.data = u;
    u->open_handles = 2;
    r = uv_udp_bind(&u->sock, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_udp_recv_start(&u->sock, on_alloc, on_recv);
    if (r < 0) {
        anc_rtc_udp_close(u, NULL, NULL);
        return r;
    }
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    uv_udp_getsockname(&u->sock, (struct sockaddr *)&bound, &len);
    u->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    *out = u;
    return 0;
}

int anc_rtc_udp_port(const struct anc_rtc_udp *u)
{
    return u->port;
}

void anc_rtc_udp_set_divert(struct anc_rtc_udp *u, anc_rtc_udp_divert_fn divert, void *arg)
{
    u->divert = divert;
    u->divert_arg = arg;
}

void anc_rtc_udp_get_stats(const struct anc_rtc_udp *u, struct anc_rtc_udp_stats *out)
{
    *out = u->stats;
}

static void on_closed(uv_handle_t *h)
{
    struct anc_rtc_udp *u = h->data;
    if (--u->open_handles > 0)
        return;
    void (*done)(void *) = u->done;
    void *arg = u->done_arg;
    free(u);
    if (done)
        done(arg);
}

static void noop(void *arg)
{
    (void)arg;
}

void anc_rtc_udp_close(struct anc_rtc_udp *u, void (*done)(void *arg), void *arg)
{
    if (!u) {
        if (done)
            done(arg);
        return;
    }
    if (u->sock.type == UV_UDP && uv_is_active((uv_handle_t *)&u->sock))
        send_all(u);
    u->done = done ? done : noop;
    u->done_arg = arg;
    uv_close((uv_handle_t *)&u->sock, on_closed);
    uv_close((uv_handle_t *)&u->timer, on_closed);
}
