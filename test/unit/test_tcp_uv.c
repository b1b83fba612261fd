/* The ICE-TCP glue on loopback with the real host: a framed connectivity check is answered framed
 * on the same connection, garbage and pre-ICE media close a connection, connections past the cap
 * are refused, and everything closes with nothing left on the loop. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/stun.h"
#include "rtc/tcp_uv.h"
#include "test.h"
#include "test_uv.h"

#define SRV_UFRAG "srvU"
#define SRV_PWD   "serverPassword0123456789"
#define CLI_UFRAG "cliU"
#define CLI_PWD   "clientPassword0123456789"

static uv_loop_t loop;
static struct anc_rtc_host *host;
static struct anc_rtc_udp *udp;
static struct anc_rtc_tcp *tcp;
static struct anc_cert *cert;
static struct anc_dtls_ctx *ctx;
static int session_tag, closed;

static void on_event(void *arg, const struct anc_rtc_host_event *ev)
{
    (void)arg;
    (void)ev;
}

static void on_closed(void *arg)
{
    (void)arg;
    closed++;
}

static int client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(anc_rtc_tcp_port(tcp))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static struct anc_rtc_tcp_stats stats(void)
{
    struct anc_rtc_tcp_stats s;
    anc_rtc_tcp_get_stats(tcp, &s);
    return s;
}

/* Runs the loop until the counter stat() points at reaches want (or 2 s pass). */
static void run_until(const uint64_t *(*stat)(void), uint64_t want)
{
    uint64_t end = uv_hrtime() / 1000000u + 2000;
    while (*stat() < want && uv_hrtime() / 1000000u < end)
        anc_test_run_until(&loop, NULL, 0, 5);
}

static struct anc_rtc_tcp_stats snap;
static const uint64_t *packets_out(void)
{
    snap = stats();
    return &snap.packets_out;
}
static const uint64_t *garbage(void)
{
    snap = stats();
    return &snap.closed_garbage;
}
static const uint64_t *refused(void)
{
    snap = stats();
    return &snap.refused;
}

/* The peer closed the connection: recv sees EOF or a reset. */
static bool closed_by_peer(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1000) != 1)
        return false;
    char b[16];
    ssize_t n = recv(fd, b, sizeof(b), 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void setup(void)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    CHECK_EQ(anc_cert_new_ephemeral(&cert), 0);
    CHECK_EQ(anc_dtls_ctx_new(cert, &ctx), 0);
    CHECK_EQ(anc_rtc_host_new(4, &host), 0);
    struct anc_peer_config pc = {.dtls_ctx = ctx,
                                 .dtls_server = true,
                                 .remote_fp_alg = "sha-256",
                                 .remote_fp = anc_cert_fingerprint(cert),
                                 .h264_pt = 102,
                                 .video_ssrc = 0x1234abcd,
                                 .cname = "test",
                                 .datachannel = false,
                                 .wall_offset_us = 1700000000000000};
    struct anc_peer *peer;
    uint64_t now = uv_hrtime() / 1000;
    CHECK_EQ(anc_peer_new(&pc, now, &peer), 0);
    CHECK_EQ(
        anc_rtc_host_add(host, now, SRV_UFRAG, SRV_PWD, CLI_UFRAG, CLI_PWD, peer, &session_tag), 0);
    CHECK_EQ(anc_rtc_udp_start(&loop, "127.0.0.1", 0, host, on_event, NULL, &udp), 0);
    CHECK_EQ(anc_rtc_tcp_start(&loop, "127.0.0.1", 0, 3, host, udp, &tcp), 0);
    CHECK(anc_rtc_tcp_port(tcp) > 0);
}

static void teardown(void)
{
    anc_rtc_tcp_close(tcp, on_closed, NULL);
    anc_rtc_udp_close(udp, on_closed, NULL);
    CHECK(anc_test_run_until(&loop, &closed, 2, 2000));
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ(uv_loop_close(&loop), 0);
    anc_rtc_host_free(host);
    anc_dtls_ctx_free(ctx);
    anc_cert_free(cert);
}

TEST(check_answered_on_the_connection_garbage_closed_cap_kept)
{
    setup();
    /* A framed connectivity check, as Chromium's active TCP candidate sends it. */
    int a = client();
    uint8_t req[300], txid[ANC_STUN_TXID_LEN];
    anc_stun_random_txid(txid);
    struct anc_stun_check c = {.username = SRV_UFRAG ":" CLI_UFRAG,
                               .key = (const uint8_t *)SRV_PWD,
                               .key_len = strlen(SRV_PWD),
                               .priority = 12345,
                               .controlling = true,
                               .tiebreaker = 42,
                               .use_candidate = true};
    int n = anc_stun_build_binding_request(req + 2, sizeof(req) - 2, txid, &c);
    CHECK(n > 0);
    req[0] = (uint8_t)(n >> 8);
    req[1] = (uint8_t)n;
    /* Split in two writes: the framer joins them. */
    CHECK_EQ(write(a, req, 7), 7);
    anc_test_run_until(&loop, NULL, 0, 20);
    CHECK_EQ(write(a, req + 7, (size_t)n + 2 - 7), n + 2 - 7);
    run_until(packets_out, 1);
    CHECK_EQ(stats().packets_in, 1);
    CHECK_EQ(stats().packets_out, 1);
    uint8_t resp[512];
    ssize_t got = recv(a, resp, sizeof(resp), 0);
    CHECK(got > 2);
    CHECK_EQ((resp[0] << 8 | resp[1]) + 2, got);
    struct anc_stun_msg m;
    CHECK_EQ(anc_stun_parse(&m, resp + 2, (size_t)got - 2), 0);
    CHECK(anc_stun_verify_integrity(&m, (const uint8_t *)SRV_PWD, strlen(SRV_PWD)));
    CHECK(memcmp(resp + 2 + 8, txid, ANC_STUN_TXID_LEN) == 0);

    /* Garbage, and media before ICE, close the connection at once. */
    int g = client();
    CHECK_EQ(write(g, "GET / HTTP/1.1\r\n", 16), 16);
    run_until(garbage, 1);
    CHECK(closed_by_peer(g));
    int r = client();
    static const uint8_t rtp[] = {0, 4, 0x80, 0x60, 0, 1};
    CHECK_EQ(write(r, rtp, sizeof(rtp)), (ssize_t)sizeof(rtp));
    run_until(garbage, 2);
    CHECK(closed_by_peer(r));

    /* The cap is 3: with `a` open, two more fit and the fourth is refused. */
    int more[3] = {client(), client(), client()};
    run_until(refused, 1);
    CHECK_EQ(stats().refused, 1);
    CHECK_EQ(stats().open, 3);
    CHECK(closed_by_peer(more[2]));
    for (int i = 0; i < 3; i++)
        close(more[i]);
    close(a);
    close(g);
    close(r);
    teardown();
}
