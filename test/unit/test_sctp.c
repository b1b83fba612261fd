/* Two SCTP stacks back to back through memory on a fake clock: what one transmits the other
 * is fed, no DTLS in between. Both sides connect (simultaneous open, as WebRTC does). */
#include <errno.h>
#include <stdint.h>

#include "rtc/dcep.h"
#include "rtc/sctp.h"
#include "test.h"

#define MAX_EVENTS 64

struct side {
    struct anc_sctp *s;
    bool connected, closed;
    int n_open, n_closed;
    struct anc_sctp_event last_open; /* label/protocol copied below */
    char label[64], protocol[64];
    uint16_t closed_ids[MAX_EVENTS];
    /* messages */
    uint64_t n_msg, n_binary, n_empty;
    uint8_t *last; /* copy of the last message */
    size_t last_len;
    uint16_t last_channel;
    bool last_binary;
    /* checker for numbered messages: first 4 bytes little-endian index */
    bool check_seq, check_any;
    uint32_t next_seq;
    uint64_t seen_mask[2]; /* for unordered: indices < 128 */
};

struct pair {
    struct side a, b;
    uint64_t now;
};

static uint32_t rd32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fill(uint8_t *buf, size_t len, uint32_t seq)
{
    for (size_t j = 0; j < len; j++)
        buf[j] = (uint8_t)(seq * 31 + j);
    if (len >= 4) {
        buf[0] = (uint8_t)seq;
        buf[1] = (uint8_t)(seq >> 8);
        buf[2] = (uint8_t)(seq >> 16);
        buf[3] = (uint8_t)(seq >> 24);
    }
}

static void check_numbered(struct side *sd, const struct anc_sctp_event *ev)
{
    CHECK(ev->len >= 4);
    uint32_t seq = rd32le(ev->data);
    if (sd->check_seq) {
        CHECK_EQ(seq, sd->next_seq);
        sd->next_seq++;
    } else {
        CHECK(seq < 128);
        CHECK(!(sd->seen_mask[seq / 64] & (1ull << (seq % 64))));
        sd->seen_mask[seq / 64] |= 1ull << (seq % 64);
    }
    for (size_t j = 4; j < ev->len; j++)
        CHECK_EQ(ev->data[j], (uint8_t)(seq * 31 + j));
}

static void on_event(struct side *sd, const struct anc_sctp_event *ev)
{
    switch (ev->type) {
    case ANC_SCTP_EV_CONNECTED:
        sd->connected = true;
        break;
    case ANC_SCTP_EV_CLOSED:
        sd->closed = true;
        break;
    case ANC_SCTP_EV_CHANNEL_OPEN:
        sd->n_open++;
        sd->last_open = *ev;
        snprintf(sd->label, sizeof(sd->label), "%s", ev->label);
        snprintf(sd->protocol, sizeof(sd->protocol), "%s", ev->protocol);
        break;
    case ANC_SCTP_EV_CHANNEL_CLOSED:
        CHECK(sd->n_closed < MAX_EVENTS);
        sd->closed_ids[sd->n_closed++] = ev->channel;
        break;
    case ANC_SCTP_EV_MESSAGE:
        sd->n_msg++;
        sd->n_binary += ev->is_binary;
        sd->n_empty += ev->len == 0;
        CHECK((ev->data == NULL) == (ev->len == 0));
        if (sd->check_seq || sd->check_any)
            check_numbered(sd, ev);
        free(sd->last);
        sd->last = ev->len ? malloc(ev->len) : NULL;
        if (ev->len)
            memcpy(sd->last, ev->data, ev->len);
        sd->last_len = ev->len;
        sd->last_channel = ev->channel;
        sd->last_binary = ev->is_binary;
        break;
    }
}

static int transfer(struct anc_sctp *from, struct anc_sctp *to, uint64_t now)
{
    struct anc_sctp_datagram d;
    int n = 0;
    while (anc_sctp_poll_transmit(from, &d)) {
        CHECK(d.len > 0 && d.len <= ANC_SCTP_MAX_PACKET);
        CHECK_EQ(anc_sctp_handle_data(to, now, d.data, d.len), 0);
        n++;
    }
    return n;
}

static void drain_events(struct side *sd)
{
    struct anc_sctp_event ev;
    while (anc_sctp_poll_event(sd->s, &ev))
        on_event(sd, &ev);
}

/* One loop iteration: deliver events, move packets both ways; when nothing moved, let the
 * fake clock reach the next timeout. Returns true if packets moved. */
static bool step(struct pair *p)
{
    drain_events(&p->a);
    drain_events(&p->b);
    int moved = transfer(p->a.s, p->b.s, p->now) + transfer(p->b.s, p->a.s, p->now);
    if (moved)
        return true;
    uint64_t t = anc_sctp_next_timeout(p->a.s, p->now);
    uint64_t tb = anc_sctp_next_timeout(p->b.s, p->now);
    t = tb < t ? tb : t;
    if (t == UINT64_MAX)
        t = p->now + ANC_SCTP_TICK_US;
    p->now = t > p->now ? t : p->now + 1000;
    CHECK_EQ(anc_sctp_handle_timeout(p->a.s, p->now), 0);
    CHECK_EQ(anc_sctp_handle_timeout(p->b.s, p->now), 0);
    return false;
}

/* Runs until cond holds, at most limit idle steps. */
#define RUN_UNTIL(p, cond)                                                                         \
    do {                                                                                           \
        int idle_ = 0;                                                                             \
        while (!(cond)) {                                                                          \
            if (!step(p))                                                                          \
                CHECK(++idle_ < 3000);                                                             \
        }                                                                                          \
    } while (0)

static void pair_init(struct pair *p, size_t max_a, size_t max_b)
{
    memset(p, 0, sizeof(*p));
    p->now = 1000000;
    struct anc_sctp_config ca = {.dtls_client = true, .max_message_size = max_a};
    struct anc_sctp_config cb = {.dtls_client = false, .max_message_size = max_b};
    CHECK_EQ(anc_sctp_new(&ca, &p->a.s), 0);
    CHECK_EQ(anc_sctp_new(&cb, &p->b.s), 0);
}

static void pair_connect(struct pair *p)
{
    CHECK_EQ(anc_sctp_connect(p->a.s, p->now), 0);
    CHECK_EQ(anc_sctp_connect(p->b.s, p->now), 0);
    RUN_UNTIL(p, p->a.connected && p->b.connected);
}

static void pair_destroy(struct pair *p)
{
    anc_sctp_free(p->a.s);
    anc_sctp_free(p->b.s);
    free(p->a.last);
    free(p->b.last);
}

/* a opens "input" (ordered, reliable); both sides see it open. */
static uint16_t open_input(struct pair *p)
{
    uint16_t id = 0xffff;
    int na = p->a.n_open, nb = p->b.n_open;
    CHECK_EQ(anc_sctp_open_channel(p->a.s, "input", "", true, -1, -1, &id), 0);
    RUN_UNTIL(p, p->a.n_open == na + 1 && p->b.n_open == nb + 1);
    CHECK_EQ(p->b.last_open.channel, id);
    CHECK(p->b.last_open.remote);
    CHECK_STREQ(p->b.label, "input");
    CHECK_STREQ(p->b.protocol, "");
    CHECK_EQ(p->b.last_open.channel_type, ANC_DCEP_CHANNEL_RELIABLE);
    CHECK_EQ(p->a.last_open.channel, id);
    CHECK(!p->a.last_open.remote);
    return id;
}

static size_t message_size(uint32_t i)
{
    if (i % 2000 == 1000)
        return 64 * 1024;
    return 4 + (i * 7919u) % 1197; /* 4..1200 */
}

static void send_retry(struct pair *p, struct side *from, uint16_t id, bool binary, const void *buf,
                       size_t len)
{
    int r;
    while ((r = anc_sctp_send(from->s, id, binary, buf, len)) == -EAGAIN)
        step(p);
    CHECK_EQ(r, 0);
}

TEST(free_null)
{
    anc_sctp_free(NULL);
}

TEST(connect_and_open_channel)
{
    struct pair p;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    uint16_t id = open_input(&p);
    CHECK_EQ(id % 2, 0); /* DTLS client: even */

    uint16_t id_b;
    CHECK_EQ(anc_sctp_open_channel(p.b.s, "chat", "json", true, -1, 1500, &id_b), 0);
    CHECK_EQ(id_b % 2, 1); /* DTLS server: odd */
    RUN_UNTIL(&p, p.a.n_open == 2 && p.b.n_open == 2);
    CHECK_EQ(p.a.last_open.channel, id_b);
    CHECK_STREQ(p.a.label, "chat");
    CHECK_STREQ(p.a.protocol, "json");
    CHECK_EQ(p.a.last_open.channel_type, ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED);
    CHECK_EQ(p.a.last_open.reliability, 1500);
    pair_destroy(&p);
}

TEST(open_before_connect)
{
    struct pair p;
    uint16_t id;
    pair_init(&p, 0, 0);
    CHECK_EQ(anc_sctp_open_channel(p.a.s, "early", "", true, -1, -1, &id), 0);
    CHECK_EQ(anc_sctp_send(p.a.s, id, true, "x", 1), -ENOTCONN);
    pair_connect(&p);
    RUN_UNTIL(&p, p.a.n_open == 1 && p.b.n_open == 1);
    CHECK_STREQ(p.b.label, "early");
    pair_destroy(&p);
}

TEST(ten_thousand_in_order)
{
    enum { N = 10000 };
    struct pair p;
    static uint8_t buf[64 * 1024];
    pair_init(&p, 0, 0);
    pair_connect(&p);
    uint16_t id = open_input(&p);
    p.b.check_seq = true;

    for (uint32_t i = 0; i < N; i++) {
        size_t len = message_size(i);
        fill(buf, len, i);
        send_retry(&p, &p.a, id, true, buf, len);
        if (i % 64 == 0)
            step(&p);
    }
    RUN_UNTIL(&p, p.b.n_msg == N);
    CHECK_EQ(p.b.next_seq, N);
    CHECK_EQ(p.b.n_binary, N);
    struct anc_sctp_stats st;
    anc_sctp_get_stats(p.a.s, &st);
    CHECK_EQ(st.messages_sent, N);
    anc_sctp_get_stats(p.b.s, &st);
    CHECK_EQ(st.messages_received, N);
    CHECK_EQ(st.dropped_oversize + st.dropped_no_channel + st.bad_dcep + st.bad_ppid, 0);
    pair_destroy(&p);
}

static void expect_message(struct pair *p, struct side *to, uint64_t n_before, bool binary,
                           const void *data, size_t len)
{
    RUN_UNTIL(p, to->n_msg == n_before + 1);
    CHECK_EQ(to->last_binary, binary);
    CHECK_EQ(to->last_len, len);
    if (len)
        CHECK(memcmp(to->last, data, len) == 0);
}

TEST(string_binary_and_empty)
{
    struct pair p;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    uint16_t id = open_input(&p);
    struct side *sides[2] = {&p.a, &p.b};

    for (int k = 0; k < 2; k++) {
        struct side *from = sides[k], *to = sides[1 - k];
        send_retry(&p, from, id, false, "hello", 5);
        expect_message(&p, to, to->n_msg, false, "hello", 5);
        send_retry(&p, from, id, true, "\x00\x01\x02", 3);
        expect_message(&p, to, to->n_msg, true, "\x00\x01\x02", 3);
        send_retry(&p, from, id, false, NULL, 0);
        expect_message(&p, to, to->n_msg, false, NULL, 0);
        send_retry(&p, from, id, true, "", 0);
        expect_message(&p, to, to->n_msg, true, NULL, 0);
        CHECK_EQ(to->n_empty, 2);
        CHECK_EQ(to->last_channel, id);
    }
    pair_destroy(&p);
}

TEST(unordered_partial_reliable)
{
    struct pair p;
    uint8_t buf[1000];
    uint16_t id;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    CHECK_EQ(anc_sctp_open_channel(p.a.s, "cursor", "", false, 0, -1, &id), 0);
    RUN_UNTIL(&p, p.b.n_open == 1 && p.a.n_open == 1);
    CHECK_EQ(p.b.last_open.channel_type, ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED);
    CHECK_EQ(p.b.last_open.reliability, 0);

    p.b.check_any = true; /* numbered, any order */
    for (uint32_t i = 0; i < 128; i++) {
        size_t len = 4 + (i * 13) % 900;
        fill(buf, len, i);
        send_retry(&p, &p.a, id, true, buf, len);
    }
    RUN_UNTIL(&p, p.b.n_msg == 128); /* nothing is lost in memory */
    CHECK_EQ(p.b.seen_mask[0], UINT64_MAX);
    CHECK_EQ(p.b.seen_mask[1], UINT64_MAX);
    pair_destroy(&p);
}

TEST(max_message_size)
{
    struct pair p;
    size_t max = ANC_SCTP_DEFAULT_MAX_MESSAGE_SIZE;
    uint8_t *big = malloc(max + 1);
    CHECK(big);
    /* b accepts only 100 KiB: a's 200 KiB message is dropped on receipt. */
    pair_init(&p, 0, 100 * 1024);
    pair_connect(&p);
    uint16_t id = open_input(&p);

    CHECK_EQ(anc_sctp_send(p.a.s, id, true, big, max + 1), -EMSGSIZE);
    CHECK_EQ(anc_sctp_send(p.b.s, id, true, big, 100 * 1024 + 1), -EMSGSIZE);

    /* b's maximum (larger than usrsctp's 64 KiB read) arrives whole, reassembled. The whole
     * buffer is filled: the 200 KiB message below is sent too (dropped only on receipt). */
    fill(big, max + 1, 7);
    send_retry(&p, &p.b, id, true, big, 100 * 1024);
    expect_message(&p, &p.a, 0, true, big, 100 * 1024);

    send_retry(&p, &p.a, id, true, big, 200 * 1024);
    send_retry(&p, &p.a, id, false, "after", 5);
    expect_message(&p, &p.b, 0, false, "after", 5);
    struct anc_sctp_stats st;
    anc_sctp_get_stats(p.b.s, &st);
    CHECK_EQ(st.dropped_oversize, 1);
    free(big);
    pair_destroy(&p);
}

/* The peer's a=max-message-size also bounds what we send (RFC 8841 §6.1). */
TEST(remote_max_message_size)
{
    struct pair p;
    static uint8_t buf[2048];
    memset(&p, 0, sizeof(p));
    p.now = 1000000;
    struct anc_sctp_config ca = {.dtls_client = true, .remote_max_message_size = 1024};
    struct anc_sctp_config cb = {.dtls_client = false};
    CHECK_EQ(anc_sctp_new(&ca, &p.a.s), 0);
    CHECK_EQ(anc_sctp_new(&cb, &p.b.s), 0);
    pair_connect(&p);
    uint16_t id = open_input(&p);
    CHECK_EQ(anc_sctp_send(p.a.s, id, true, buf, 1025), -EMSGSIZE);
    send_retry(&p, &p.a, id, true, buf, 1024);
    expect_message(&p, &p.b, 0, true, buf, 1024);
    pair_destroy(&p);
}

TEST(exact_max_size)
{
    struct pair p;
    size_t max = ANC_SCTP_DEFAULT_MAX_MESSAGE_SIZE;
    uint8_t *big = malloc(max);
    CHECK(big);
    pair_init(&p, 0, 0);
    pair_connect(&p);
    uint16_t id = open_input(&p);
    fill(big, max, 9);
    send_retry(&p, &p.a, id, true, big, max);
    expect_message(&p, &p.b, 0, true, big, max);
    free(big);
    pair_destroy(&p);
}

TEST(close_channel)
{
    struct pair p;
    uint16_t id2;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    uint16_t id = open_input(&p);
    CHECK_EQ(anc_sctp_open_channel(p.b.s, "other", "", true, -1, -1, &id2), 0);
    RUN_UNTIL(&p, p.a.n_open == 2 && p.b.n_open == 2);

    send_retry(&p, &p.a, id, true, "last", 4);
    CHECK_EQ(anc_sctp_close_channel(p.a.s, id), 0);
    CHECK_EQ(anc_sctp_send(p.a.s, id, true, "x", 1), -ENOENT);
    RUN_UNTIL(&p, p.a.n_closed == 1 && p.b.n_closed == 1);
    CHECK_EQ(p.a.closed_ids[0], id);
    CHECK_EQ(p.b.closed_ids[0], id);
    CHECK_EQ(p.b.n_msg, 1); /* data sent before the close still arrives */
    CHECK_EQ(anc_sctp_send(p.b.s, id, true, "x", 1), -ENOENT);

    /* The other channel still works, then closes from the other side. */
    send_retry(&p, &p.a, id2, false, "still", 5);
    expect_message(&p, &p.b, 1, false, "still", 5);
    CHECK_EQ(anc_sctp_close_channel(p.b.s, id2), 0);
    RUN_UNTIL(&p, p.a.n_closed == 2 && p.b.n_closed == 2);
    CHECK_EQ(p.a.closed_ids[1], id2);

    /* The stream id is free again. */
    uint16_t again;
    CHECK_EQ(anc_sctp_open_channel(p.a.s, "again", "", true, -1, -1, &again), 0);
    CHECK_EQ(again, id);
    RUN_UNTIL(&p, p.b.n_open == 3);
    CHECK_STREQ(p.b.label, "again");
    CHECK_EQ(anc_sctp_close_channel(p.a.s, 999), -ENOENT);
    pair_destroy(&p);
}

TEST(free_with_data_in_flight)
{
    struct pair p;
    static uint8_t buf[32 * 1024];
    pair_init(&p, 0, 0);
    pair_connect(&p);
    uint16_t id = open_input(&p);
    for (uint32_t i = 0; i < 40; i++) {
        fill(buf, sizeof(buf), i);
        if (anc_sctp_send(p.a.s, id, true, buf, sizeof(buf)) < 0)
            break;
    }
    /* Half of it delivered, the rest queued on either side, events unpolled. */
    transfer(p.a.s, p.b.s, p.now);
    pair_destroy(&p);
}

TEST(peer_gone)
{
    struct pair p;
    pair_init(&p, 0, 0);
    pair_connect(&p);
    open_input(&p);
    /* b vanishes without a word; a keeps ticking and its packets go nowhere. Nothing may
     * crash, and nothing of b's may be touched after its free. */
    anc_sctp_free(p.b.s);
    p.b.s = NULL;
    struct anc_sctp_datagram d;
    for (int i = 0; i < 100; i++) {
        p.now += ANC_SCTP_TICK_US;
        anc_sctp_handle_timeout(p.a.s, p.now);
        while (anc_sctp_poll_transmit(p.a.s, &d))
            ;
        drain_events(&p.a);
    }
    pair_destroy(&p);
}

/* Security review finding: a peer's OPEN with a label over 1 KiB, and OPENs beyond the channel cap,
 * are rejected by resetting that stream; the association and the channels already open keep
 * working. Side a plays a hostile browser allowed more channels than b. */
TEST(oversize_label_and_too_many_channels_rejected)
{
    struct pair p;
    memset(&p, 0, sizeof(p));
    p.now = 1000000;
    struct anc_sctp_config ca = {.dtls_client = true, .max_channels = 64};
    struct anc_sctp_config cb = {.dtls_client = false};
    CHECK_EQ(anc_sctp_new(&ca, &p.a.s), 0);
    CHECK_EQ(anc_sctp_new(&cb, &p.b.s), 0);
    pair_connect(&p);
    uint16_t input = open_input(&p);

    static char big[1500];
    memset(big, 'L', sizeof(big) - 1);
    uint16_t id;
    CHECK_EQ(anc_sctp_open_channel(p.a.s, big, "", true, -1, -1, &id), 0);
    /* b resets the stream instead of acknowledging: a sees the channel closed, never open. */
    RUN_UNTIL(&p, p.a.n_closed == 1);
    CHECK_EQ(p.a.closed_ids[0], id);
    CHECK_EQ(p.a.n_open, 1);
    CHECK_EQ(p.b.n_open, 1);
    struct anc_sctp_stats st;
    anc_sctp_get_stats(p.b.s, &st);
    CHECK_EQ(st.rejected_opens, 1);
    send_retry(&p, &p.a, input, true, "alive", 5);
    expect_message(&p, &p.b, 0, true, "alive", 5);

    /* Up to the cap (16, "input" included) channels open; every one beyond is rejected. */
    uint16_t ids[40];
    for (int i = 0; i < 40; i++)
        CHECK_EQ(anc_sctp_open_channel(p.a.s, "c", "", true, -1, -1, &ids[i]), 0);
    RUN_UNTIL(&p, p.a.n_open + p.a.n_closed == 1 + 1 + 40);
    CHECK_EQ(p.b.n_open, ANC_SCTP_MAX_CHANNELS);
    CHECK_EQ(p.a.n_open, ANC_SCTP_MAX_CHANNELS);
    anc_sctp_get_stats(p.b.s, &st);
    CHECK_EQ(st.rejected_opens, 1 + 40 - (ANC_SCTP_MAX_CHANNELS - 1));
    CHECK_EQ(p.b.n_closed, 0); /* rejected streams report nothing on b */
    /* b's own opens respect the cap too. */
    CHECK_EQ(anc_sctp_open_channel(p.b.s, "mine", "", true, -1, -1, &id), -ENOSPC);
    /* The channels that opened still carry messages, both ways. */
    send_retry(&p, &p.a, input, true, "still", 5);
    expect_message(&p, &p.b, 1, true, "still", 5);
    send_retry(&p, &p.b, ids[0], false, "back", 4);
    expect_message(&p, &p.a, 0, false, "back", 4);
    CHECK_EQ(p.b.n_msg, 2);
    pair_destroy(&p);
}
