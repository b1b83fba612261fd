/* The SCTP association on usrsctp: process-wide init and timers, the AF_CONN socket, the
 * datagram and event queues, notifications (see sctp.h for how the loop drives it). Data
 * channels on top of it live in sctp_channel.c.
 *
 * usrsctp knows an association only by an opaque AF_CONN address. We register a random 64-bit
 * id as that address and find the object again through a table, so a late callback for an
 * object already freed finds nothing and is dropped instead of touching freed memory. */
#include "rtc/sctp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <usrsctp.h>

#include "rtc/sctp_internal.h"

#define TRANSMIT_QUEUE_MAX 4096
/* usrsctp's path MTU leaves out the 12-byte common header on AF_CONN. */
#define SCTP_MTU (ANC_SCTP_MAX_PACKET - 12)

/* Process-wide usrsctp state: refcount, id table and timer clock. Loop thread only. */
static unsigned g_refs;
static bool g_inited, g_ticking;
static uint64_t g_last_tick_us;
static struct anc_sctp **g_table;
static size_t g_table_len, g_table_cap;

static struct anc_sctp *table_find(uint64_t id)
{
    for (size_t i = 0; i < g_table_len; i++)
        if (g_table[i]->id == id)
            return g_table[i];
    return NULL;
}

static int table_add(struct anc_sctp *s)
{
    if (g_table_len == g_table_cap) {
        size_t cap = g_table_cap ? g_table_cap * 2 : 8;
        struct anc_sctp **t = realloc(g_table, cap * sizeof(*t));
        if (!t)
            return -ENOMEM;
        g_table = t;
        g_table_cap = cap;
    }
    do {
        if (getrandom(&s->id, sizeof(s->id), 0) != sizeof(s->id))
            return -errno;
    } while (s->id == 0 || table_find(s->id));
    g_table[g_table_len++] = s;
    return 0;
}

static void table_remove(struct anc_sctp *s)
{
    for (size_t i = 0; i < g_table_len; i++) {
        if (g_table[i] == s) {
            g_table[i] = g_table[--g_table_len];
            break;
        }
    }
    if (g_table_len == 0) {
        free(g_table);
        g_table = NULL;
        g_table_cap = 0;
    }
}

static void *id_addr(const struct anc_sctp *s)
{
    return (void *)(uintptr_t)s->id;
}

/* usrsctp's output callback: queue the packet on the association named by addr. A full queue
 * drops it (counted by the queue); SCTP retransmits. */
static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
    struct anc_sctp *s = table_find((uint64_t)(uintptr_t)addr);
    if (s)
        (void)anc_dgramq_push(&s->tx, buf, len, NULL);
    return 0;
}

static void global_try_finish(void)
{
    if (g_inited && g_refs == 0 && usrsctp_finish() == 0) {
        g_inited = false;
        g_ticking = false;
    }
}

static void global_ref(void)
{
    if (!g_inited) {
        usrsctp_init_nothreads(0, conn_output, NULL);
        /* WebRTC peers neither use ASCONF nor AUTH; ECN is meaningless over DTLS. */
        usrsctp_sysctl_set_sctp_asconf_enable(0);
        usrsctp_sysctl_set_sctp_auth_enable(0);
        usrsctp_sysctl_set_sctp_ecn_enable(0);
        usrsctp_sysctl_set_sctp_pr_enable(1);
        usrsctp_sysctl_set_sctp_reconfig_enable(1);
        g_inited = true;
        g_ticking = false;
    }
    g_refs++;
}

static void global_unref(void)
{
    g_refs--;
    global_try_finish();
}

void anc_sctp_tick(uint64_t now_us)
{
    if (!g_inited)
        return;
    if (!g_ticking) {
        g_ticking = true;
        g_last_tick_us = now_us;
    } else if (now_us > g_last_tick_us) {
        uint64_t ms = (now_us - g_last_tick_us) / 1000;
        if (ms > UINT32_MAX)
            ms = UINT32_MAX;
        if (ms > 0) {
            g_last_tick_us += ms * 1000;
            usrsctp_handle_timers((uint32_t)ms);
        }
    }
    global_try_finish();
}

int anc__sctp_setopt(struct anc_sctp *s, int level, int name, const void *val, socklen_t len)
{
    return usrsctp_setsockopt(s->sock, level, name, val, len) < 0 ? -errno : 0;
}

static int setup_socket(struct anc_sctp *s)
{
    static const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
                                      SCTP_PARTIAL_DELIVERY_EVENT};
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    struct sctp_assoc_value reset = {.assoc_id = SCTP_FUTURE_ASSOC,
                                     .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
    struct sctp_initmsg init = {.sinit_num_ostreams = ANC_SCTP_MAX_STREAMS,
                                .sinit_max_instreams = ANC_SCTP_MAX_STREAMS};
    int on = 1, r;
    int buf = (int)(s->cfg.max_message_size * 2 > 1 << 20 ? s->cfg.max_message_size * 2 : 1 << 20);

    if (usrsctp_set_non_blocking(s->sock, 1) < 0)
        return -errno;
    if ((r = anc__sctp_setopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) < 0 ||
        (r = anc__sctp_setopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf))) < 0 ||
        (r = anc__sctp_setopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf))) < 0 ||
        (r = anc__sctp_setopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof(reset))) <
            0 ||
        (r = anc__sctp_setopt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on))) < 0 ||
        (r = anc__sctp_setopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on))) < 0 ||
        (r = anc__sctp_setopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init))) < 0)
        return r;
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        struct sctp_event ev = {.se_assoc_id = SCTP_FUTURE_ASSOC, .se_type = events[i], .se_on = 1};
        if ((r = anc__sctp_setopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev))) < 0)
            return r;
    }
    return 0;
}

static struct sockaddr_conn conn_addr(const struct anc_sctp *s, uint16_t port)
{
    struct sockaddr_conn a;
    memset(&a, 0, sizeof(a));
    a.sconn_family = AF_CONN;
    a.sconn_port = htons(port);
    a.sconn_addr = id_addr(s);
    return a;
}

int anc_sctp_new(const struct anc_sctp_config *cfg, struct anc_sctp **out)
{
    struct anc_sctp *s;
    int r;

    global_ref();
    s = calloc(1, sizeof(*s));
    if (!s) {
        global_unref();
        return -ENOMEM;
    }
    anc_dgramq_init(&s->tx, TRANSMIT_QUEUE_MAX, SIZE_MAX);
    if (cfg)
        s->cfg = *cfg;
    if (!s->cfg.local_port)
        s->cfg.local_port = ANC_SCTP_DEFAULT_PORT;
    if (!s->cfg.remote_port)
        s->cfg.remote_port = ANC_SCTP_DEFAULT_PORT;
    if (!s->cfg.max_message_size)
        s->cfg.max_message_size = ANC_SCTP_DEFAULT_MAX_MESSAGE_SIZE;
    if (!s->cfg.max_channels)
        s->cfg.max_channels = ANC_SCTP_MAX_CHANNELS;
    s->out_streams = ANC_SCTP_MAX_STREAMS;

    r = -ENOMEM;
    s->rbuf = malloc(RECV_CHUNK);
    if (!s->rbuf)
        goto fail;
    r = table_add(s);
    if (r < 0)
        goto fail;
    usrsctp_register_address(id_addr(s));
    s->registered = true;
    s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    if (!s->sock) {
        r = -errno;
        goto fail;
    }
    r = setup_socket(s);
    if (r < 0)
        goto fail;
    struct sockaddr_conn local = conn_addr(s, s->cfg.local_port);
    if (usrsctp_bind(s->sock, (struct sockaddr *)&local, sizeof(local)) < 0) {
        r = -errno;
        goto fail;
    }
    *out = s;
    return 0;

fail:
    anc_sctp_free(s);
    return r;
}

void anc_sctp_free(struct anc_sctp *s)
{
    if (!s)
        return;
    /* With SO_LINGER 0 the close aborts at once; its ABORT lands in our queue, freed below. */
    if (s->sock)
        usrsctp_close(s->sock);
    if (s->registered)
        usrsctp_deregister_address(id_addr(s));
    table_remove(s);
    anc_dgramq_destroy(&s->tx);
    anc_dgram_free(s->tx_polled);
    for (struct anc__sctp_event_node *e = s->ev_head, *n; e; e = n) {
        n = e->next;
        free(e);
    }
    free(s->ev_polled);
    for (size_t i = 0; i < ANC_SCTP_MAX_STREAMS; i++)
        anc__sctp_channel_free(s->chans[i]);
    free(s->rbuf);
    free(s->rx);
    free(s);
    global_unref();
}

int anc_sctp_connect(struct anc_sctp *s, uint64_t now_us)
{
    if (s->connect_called)
        return -EALREADY;
    anc_sctp_tick(now_us);
    struct sockaddr_conn remote = conn_addr(s, s->cfg.remote_port);
    if (usrsctp_connect(s->sock, (struct sockaddr *)&remote, sizeof(remote)) < 0 &&
        errno != EINPROGRESS)
        return -errno;
    s->connect_called = true;

    /* Packets must fit one DTLS record in one unfragmented UDP datagram. */
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof(pp));
    memcpy(&pp.spp_address, &remote, sizeof(remote));
    pp.spp_flags = SPP_PMTUD_DISABLE;
    pp.spp_pathmtu = SCTP_MTU;
    (void)anc__sctp_setopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp));
    return 0;
}

int anc_sctp_handle_data(struct anc_sctp *s, uint64_t now_us, const uint8_t *buf, size_t len)
{
    if (!s->sock)
        return -EBADF;
    usrsctp_conninput(id_addr(s), buf, len, 0);
    return 0;
}

bool anc_sctp_poll_transmit(struct anc_sctp *s, struct anc_sctp_datagram *out)
{
    anc_dgram_free(s->tx_polled);
    s->tx_polled = anc_dgramq_pop(&s->tx);
    if (!s->tx_polled)
        return false;
    out->data = s->tx_polled->data;
    out->len = s->tx_polled->len;
    return true;
}

uint64_t anc_sctp_next_timeout(const struct anc_sctp *s, uint64_t now_us)
{
    if (!s->connect_called || s->closed)
        return UINT64_MAX;
    if (!g_ticking)
        return now_us;
    return g_last_tick_us + ANC_SCTP_TICK_US;
}

int anc_sctp_handle_timeout(struct anc_sctp *s, uint64_t now_us)
{
    anc_sctp_tick(now_us);
    anc__sctp_flush_pending(s);
    return 0;
}

void anc_sctp_get_stats(const struct anc_sctp *s, struct anc_sctp_stats *out)
{
    *out = s->stats;
    out->transmit_dropped = anc_dgramq_drops(&s->tx);
}

/* ---- events ---- */

struct anc__sctp_event_node *anc__sctp_event_push(struct anc_sctp *s,
                                                  const struct anc_sctp_event *ev, const void *p1,
                                                  size_t n1, const void *p2, size_t n2)
{
    struct anc__sctp_event_node *e = malloc(sizeof(*e) + n1 + n2);
    if (!e)
        return NULL;
    e->next = NULL;
    e->ev = *ev;
    if (n1)
        memcpy(e->payload, p1, n1);
    if (n2)
        memcpy(e->payload + n1, p2, n2);
    if (s->ev_tail)
        s->ev_tail->next = e;
    else
        s->ev_head = e;
    s->ev_tail = e;
    return e;
}

void anc__sctp_push_simple(struct anc_sctp *s, enum anc_sctp_event_type type, uint16_t sid)
{
    struct anc_sctp_event ev = {.type = type, .channel = sid};
    anc__sctp_event_push(s, &ev, NULL, 0, NULL, 0);
}

int anc__sctp_send_raw(struct anc_sctp *s, uint16_t sid, uint32_t ppid, const void *buf, size_t len,
                       bool unordered, uint16_t pr_policy, uint32_t pr_value)
{
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = sid;
    spa.sendv_sndinfo.snd_flags = unordered ? SCTP_UNORDERED : 0;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    if (pr_policy != SCTP_PR_SCTP_NONE) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy = pr_policy;
        spa.sendv_prinfo.pr_value = pr_value;
    }
    if (usrsctp_sendv(s->sock, buf, len, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0) < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    return 0;
}

static void on_assoc_change(struct anc_sctp *s, const uint8_t *buf, size_t len)
{
    struct sctp_assoc_change ac;
    if (len < sizeof(ac))
        return;
    memcpy(&ac, buf, sizeof(ac));
    switch (ac.sac_state) {
    case SCTP_COMM_UP:
        if (s->connected || s->closed)
            break;
        s->connected = true;
        if (ac.sac_outbound_streams < s->out_streams)
            s->out_streams = ac.sac_outbound_streams;
        anc__sctp_push_simple(s, ANC_SCTP_EV_CONNECTED, 0);
        anc__sctp_flush_pending(s);
        break;
    case SCTP_COMM_LOST:
    case SCTP_SHUTDOWN_COMP:
    case SCTP_CANT_STR_ASSOC:
        if (s->closed)
            break;
        s->closed = true;
        s->connected = false;
        anc__sctp_push_simple(s, ANC_SCTP_EV_CLOSED, 0);
        break;
    default:
        break;
    }
}

static void on_notification(struct anc_sctp *s, const uint8_t *buf, size_t len)
{
    struct sctp_tlv tlv;
    if (len < sizeof(tlv))
        return;
    memcpy(&tlv, buf, sizeof(tlv));
    switch (tlv.sn_type) {
    case SCTP_ASSOC_CHANGE:
        on_assoc_change(s, buf, len);
        break;
    case SCTP_STREAM_RESET_EVENT:
        anc__sctp_on_stream_reset_event(s, buf, len);
        break;
    case SCTP_PARTIAL_DELIVERY_EVENT:
        if (s->rx_active) {
            s->rx_active = false;
            s->stats.dropped_oversize++;
        }
        break;
    default:
        break;
    }
}

/* Reads one message or notification (or part of one) from usrsctp: 1 if something was
 * read, 0 when nothing is left. */
static int recv_one(struct anc_sctp *s)
{
    struct sctp_rcvinfo info;
    struct sockaddr_conn from;
    socklen_t fromlen = sizeof(from), infolen = sizeof(info);
    unsigned int infotype = 0;
    int flags = 0;

    ssize_t n = usrsctp_recvv(s->sock, s->rbuf, RECV_CHUNK, (struct sockaddr *)&from, &fromlen,
                              &info, &infolen, &infotype, &flags);
    if (n <= 0)
        return 0;
    if (flags & MSG_NOTIFICATION) {
        if (flags & MSG_EOR)
            on_notification(s, s->rbuf, (size_t)n);
        return 1;
    }
    if (infotype != SCTP_RECVV_RCVINFO) {
        s->stats.bad_ppid++;
        return 1;
    }
    anc__sctp_on_data(s, info.rcv_sid, ntohl(info.rcv_ppid), s->rbuf, (size_t)n, flags & MSG_EOR);
    return 1;
}

bool anc_sctp_poll_event(struct anc_sctp *s, struct anc_sctp_event *out)
{
    free(s->ev_polled);
    s->ev_polled = NULL;
    while (!s->ev_head && s->sock && recv_one(s) > 0)
        ;
    if (!s->ev_head)
        return false;
    s->ev_polled = s->ev_head;
    s->ev_head = s->ev_head->next;
    if (!s->ev_head)
        s->ev_tail = NULL;
    *out = s->ev_polled->ev;
    return true;
}
