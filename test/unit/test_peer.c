/* The RTC host and peer against an in-process "browser" assembled from our own DTLS client,
 * SRTP, SCTP and H.264 depacketizer, all through memory on a fake clock: ICE-lite checks, the
 * DTLS-SRTP handshake, video byte-exact through RTP, NACK retransmission, PLI/REMB feedback,
 * RTCP sender reports, data-channel messages, unvalidated addresses and consent expiry. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/h264_pack.h"
#include "rtc/host.h"
#include "rtc/ice.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/sctp.h"
#include "rtc/srtp.h"
#include "rtc/stun.h"
#include "test.h"

#define SRV_UFRAG "srvU"
#define SRV_PWD   "serverPassword0123456789"
#define CLI_UFRAG "cliU"
#define CLI_PWD   "clientPassword0123456789"

static uint64_t now = 1000000;
static struct anc_addr browser_addr, stranger_addr;
static struct anc_rtc_host *host;
static struct anc_dtls_ctx *srv_ctx, *cli_ctx;
static struct anc_cert *srv_cert, *cli_cert;
static int session_tag;

/* The browser side. */
static struct anc_dtls cli;
static struct anc_srtp *cli_srtp;
static struct anc_sctp *cli_sctp;
static struct anc_h264_depacketizer depack;
static uint8_t au_got[65536];
static size_t au_got_len;
static int drop_seq = -1; /* the browser loses this RTP sequence number once */
static uint16_t last_seq_seen;
static int srs_seen, rtp_seen;
static uint32_t video_ssrc;

static void browser_rtp(uint8_t *buf, size_t len)
{
    size_t n = len;
    if (anc_rtp_is_rtcp(buf, len)) {
        CHECK_EQ(anc_srtp_unprotect_rtcp(cli_srtp, buf, &n), 0);
        if (buf[1] == ANC_RTCP_SR)
            srs_seen++;
        return;
    }
    /* The header is in clear: a packet "lost on the way" never reaches SRTP. */
    uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
    rtp_seen++;
    if ((int)seq == drop_seq) {
        drop_seq = -2; /* lost once; the retransmission will pass */
        return;
    }
    CHECK_EQ(anc_srtp_unprotect_rtp(cli_srtp, buf, &n), 0);
    struct anc_rtp_header h;
    CHECK_EQ(anc_rtp_header_parse(buf, n, &h), 0);
    video_ssrc = h.ssrc;
    last_seq_seen = h.seq;
    const uint8_t *au;
    size_t au_len;
    if (anc_h264_depacketize(&depack, buf, n, &au, &au_len) == 1) {
        memcpy(au_got, au, au_len);
        au_got_len = au_len;
    }
}

/* Moves everything queued on both sides to the other, until quiet. */
static void pump(void)
{
    uint8_t buf[2048];
    size_t len;
    struct anc_addr to;
    for (int round = 0; round < 200; round++) {
        bool moved = false;
        while (anc_rtc_host_poll_transmit(host, buf, sizeof(buf), &len, &to)) {
            CHECK(anc_addr_equal(&to, &browser_addr));
            moved = true;
            if (buf[0] >= 20 && buf[0] <= 63) {
                anc_dtls_handle_datagram(&cli, now, buf, len);
            } else if (buf[0] >= 128 && buf[0] <= 191) {
                browser_rtp(buf, len);
            }
        }
        if (anc_dtls_state(&cli) == ANC_DTLS_CONNECTED && !cli_srtp) {
            struct anc_srtp_keys keys;
            CHECK_EQ(anc_dtls_export_srtp(&cli, &keys), 0);
            CHECK_EQ(anc_srtp_new(&keys, false, &cli_srtp), 0);
            struct anc_sctp_config sc = {.dtls_client = true};
            CHECK_EQ(anc_sctp_new(&sc, &cli_sctp), 0);
            CHECK_EQ(anc_sctp_connect(cli_sctp, now), 0);
        }
        uint8_t rec[ANC_DTLS_MAX_RECORD];
        int n;
        while ((n = anc_dtls_read(&cli, rec, sizeof(rec))) > 0)
            anc_sctp_handle_data(cli_sctp, now, rec, (size_t)n);
        struct anc_sctp_event ev;
        while (cli_sctp && anc_sctp_poll_event(cli_sctp, &ev))
            ;
        struct anc_sctp_datagram d;
        while (cli_sctp && anc_sctp_poll_transmit(cli_sctp, &d))
            anc_dtls_write(&cli, d.data, d.len);
        while (anc_dtls_poll_transmit(&cli, buf, sizeof(buf), &len)) {
            anc_rtc_host_handle_datagram(host, now, &browser_addr, buf, len);
            moved = true;
        }
        if (!moved)
            return;
    }
}

static void advance(uint64_t us)
{
    uint64_t end = now + us;
    while (now < end) {
        now += 10000;
        anc_sctp_tick(now);
        anc_rtc_host_handle_timeout(host, now);
        if (cli_sctp)
            anc_sctp_handle_timeout(cli_sctp, now);
        pump();
    }
}

static int send_check_ex(const char *username, const char *pwd, const struct anc_addr *from,
                         bool use_candidate);

static int send_check(const char *username, const char *pwd, const struct anc_addr *from)
{
    return send_check_ex(username, pwd, from, true);
}

static int send_check_ex(const char *username, const char *pwd, const struct anc_addr *from,
                         bool use_candidate)
{
    uint8_t req[256], txid[ANC_STUN_TXID_LEN];
    anc_stun_random_txid(txid);
    struct anc_stun_check c = {.username = username,
                               .key = (const uint8_t *)pwd,
                               .key_len = strlen(pwd),
                               .priority = 12345,
                               .controlling = true,
                               .tiebreaker = 42,
                               .use_candidate = use_candidate};
    int n = anc_stun_build_binding_request(req, sizeof(req), txid, &c);
    CHECK(n > 0);
    anc_rtc_host_handle_datagram(host, now, from, req, (size_t)n);
    /* Count the answers without consuming DTLS/RTP output. */
    int answers = 0;
    uint8_t buf[2048];
    size_t len;
    struct anc_addr to;
    while (anc_rtc_host_poll_transmit(host, buf, sizeof(buf), &len, &to)) {
        CHECK(buf[0] <= 3);
        struct anc_stun_msg m;
        CHECK_EQ(anc_stun_parse(&m, buf, len), 0);
        CHECK(anc_stun_verify_integrity(&m, (const uint8_t *)SRV_PWD, strlen(SRV_PWD)));
        struct anc_addr mapped;
        CHECK_EQ(anc_stun_get_xor_addr(&m, &mapped), 0);
        CHECK(anc_addr_equal(&mapped, from));
        answers++;
    }
    return answers;
}

static struct anc_rtc_host_event events[64];
static int n_events;

static void collect_events(void)
{
    struct anc_rtc_host_event ev;
    while (anc_rtc_host_poll_event(host, &ev)) {
        CHECK(ev.user == &session_tag);
        if (n_events < 64)
            events[n_events++] = ev;
        if (!ev.expired && ev.peer.type == ANC_PEER_EV_MESSAGE) {
            /* Message data is only valid until the next poll: check it here. */
            CHECK_EQ(ev.peer.len, 3);
            CHECK(memcmp(ev.peer.data, "\x05\x01\x00", 3) == 0);
            CHECK_STREQ(ev.peer.label, "input");
        }
    }
}

static int count_events(enum anc_peer_event_type t)
{
    int n = 0;
    for (int i = 0; i < n_events; i++)
        n += !events[i].expired && events[i].peer.type == t;
    return n;
}

static void setup(void)
{
    CHECK_EQ(anc_cert_new_ephemeral(&srv_cert), 0);
    CHECK_EQ(anc_cert_new_ephemeral(&cli_cert), 0);
    CHECK_EQ(anc_dtls_ctx_new(srv_cert, &srv_ctx), 0);
    CHECK_EQ(anc_dtls_ctx_new(cli_cert, &cli_ctx), 0);
    CHECK_EQ(anc_rtc_host_new(4, &host), 0);
    anc_addr_from_string(&browser_addr, "127.0.0.1", 50000);
    anc_addr_from_string(&stranger_addr, "127.0.0.1", 50001);
    struct anc_peer_config pc = {.dtls_ctx = srv_ctx,
                                 .dtls_server = true,
                                 .remote_fp_alg = "sha-256",
                                 .remote_fp = anc_cert_fingerprint(cli_cert),
                                 .h264_pt = 102,
                                 .video_ssrc = 0x1234abcd,
                                 .cname = "test",
                                 .datachannel = true,
                                 .wall_offset_us = 1700000000000000};
    struct anc_peer *peer;
    CHECK_EQ(anc_peer_new(&pc, now, &peer), 0);
    CHECK_EQ(
        anc_rtc_host_add(host, now, SRV_UFRAG, SRV_PWD, CLI_UFRAG, CLI_PWD, peer, &session_tag), 0);
    CHECK_EQ(anc_dtls_init(&cli, cli_ctx, false, "sha-256", anc_cert_fingerprint(srv_cert)), 0);
    CHECK_EQ(anc_h264_depacketizer_init(&depack, 0), 0);
}

static void teardown(void)
{
    anc_rtc_host_free(host);
    anc_sctp_free(cli_sctp);
    anc_srtp_free(cli_srtp);
    anc_dtls_destroy(&cli);
    anc_h264_depacketizer_destroy(&depack);
    anc_dtls_ctx_free(srv_ctx);
    anc_dtls_ctx_free(cli_ctx);
    anc_cert_free(srv_cert);
    anc_cert_free(cli_cert);
    host = NULL;
    cli_sctp = NULL;
    cli_srtp = NULL;
    memset(&cli, 0, sizeof(cli));
}

TEST(ice_checks_are_validated)
{
    setup();
    CHECK_EQ(send_check("nobody:" CLI_UFRAG, SRV_PWD, &browser_addr), 0);
    CHECK_EQ(send_check(SRV_UFRAG ":" CLI_UFRAG, "wrongPassword0123456789x", &browser_addr), 0);
    /* DTLS from an address ICE never validated is dropped. */
    uint8_t junk[40] = {22, 0xfe, 0xfd};
    anc_rtc_host_handle_datagram(host, now, &stranger_addr, junk, sizeof(junk));
    struct anc_rtc_host_stats st;
    anc_rtc_host_get_stats(host, &st);
    CHECK_EQ(st.dropped_unknown, 1);
    CHECK_EQ(st.dropped_invalid_stun, 2);
    CHECK_EQ(send_check(SRV_UFRAG ":" CLI_UFRAG, SRV_PWD, &browser_addr), 1);
}

TEST(dtls_srtp_and_datachannel_come_up)
{
    CHECK_EQ(anc_dtls_start(&cli, now), 0);
    pump();
    advance(200000);
    collect_events();
    CHECK_EQ(anc_dtls_state(&cli), ANC_DTLS_CONNECTED);
    CHECK_EQ(count_events(ANC_PEER_EV_CONNECTED), 1);
    CHECK_EQ(count_events(ANC_PEER_EV_DATACHANNEL_UP), 1);
    uint16_t id;
    CHECK_EQ(anc_sctp_open_channel(cli_sctp, "input", "", true, -1, -1, &id), 0);
    advance(50000);
    for (int i = 0; i < 20; i++)
        CHECK_EQ(anc_sctp_send(cli_sctp, id, true, "\x05\x01\x00", 3), 0);
    advance(100000);
    collect_events();
    CHECK_EQ(count_events(ANC_PEER_EV_CHANNEL_OPEN), 1);
    CHECK_EQ(count_events(ANC_PEER_EV_MESSAGE), 20);
}

/* A synthetic access unit: SPS, PPS and an IDR slice large enough for FU-A. */
static size_t make_au(uint8_t *au, size_t idr_len)
{
    static const uint8_t sps[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0x8c, 0x8d, 0x40};
    static const uint8_t pps[] = {0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80};
    size_t n = 0;
    memcpy(au + n, sps, sizeof(sps));
    n += sizeof(sps);
    memcpy(au + n, pps, sizeof(pps));
    n += sizeof(pps);
    memcpy(au + n, "\0\0\0\1\x65", 5);
    n += 5;
    for (size_t i = 0; i < idr_len; i++)
        au[n++] = (uint8_t)(1 + (i * 7) % 250); /* no start-code lookalikes */
    return n;
}

TEST(video_is_byte_exact_and_nack_retransmits)
{
    static uint8_t au[20000];
    size_t len = make_au(au, 15000);
    struct anc_peer *peer = anc_rtc_host_peer(host, &session_tag);
    int packets = anc_peer_send_video(peer, now, au, len, now);
    CHECK(packets > 10);
    pump();
    CHECK_EQ(au_got_len, len);
    CHECK(memcmp(au_got, au, len) == 0);

    /* The browser loses one packet of the next AU (which is then incomplete), NACKs it, and the
     * very packet comes again. */
    au_got_len = 0;
    uint16_t lost = (uint16_t)(last_seq_seen + 3);
    drop_seq = lost;
    anc_peer_send_video(peer, now, au, len, now + 33333);
    pump();
    CHECK_EQ(drop_seq, -2);
    CHECK_EQ(au_got_len, 0);
    uint8_t fb[256];
    int n = anc_rtcp_build_nack(fb, sizeof(fb) - 64, 1, video_ssrc, &lost, 1);
    CHECK(n > 0);
    size_t fb_len = (size_t)n;
    CHECK_EQ(anc_srtp_protect_rtcp(cli_srtp, fb, &fb_len, sizeof(fb)), 0);
    int before = rtp_seen;
    anc_rtc_host_handle_datagram(host, now, &browser_addr, fb, fb_len);
    pump();
    CHECK_EQ(rtp_seen, before + 1);
    CHECK_EQ(last_seq_seen, lost);
    struct anc_peer_stats st;
    anc_peer_get_stats(peer, &st);
    CHECK_EQ(st.nacks, 1);
    CHECK_EQ(st.retransmits, 1);
}

static void send_feedback(int (*build)(uint8_t *, size_t))
{
    uint8_t fb[256];
    int n = build(fb, sizeof(fb) - 64);
    CHECK(n > 0);
    size_t len = (size_t)n;
    CHECK_EQ(anc_srtp_protect_rtcp(cli_srtp, fb, &len, sizeof(fb)), 0);
    anc_rtc_host_handle_datagram(host, now, &browser_addr, fb, len);
    pump();
}

static int build_pli(uint8_t *buf, size_t cap)
{
    return anc_rtcp_build_pli(buf, cap, 1, video_ssrc);
}

static int build_remb(uint8_t *buf, size_t cap)
{
    return anc_rtcp_build_remb(buf, cap, 1, 1500000, &video_ssrc, 1);
}

TEST(pli_and_remb_become_events)
{
    n_events = 0;
    send_feedback(build_pli);
    send_feedback(build_remb);
    collect_events();
    CHECK_EQ(count_events(ANC_PEER_EV_KEYFRAME), 1);
    CHECK_EQ(count_events(ANC_PEER_EV_BITRATE), 1);
    for (int i = 0; i < n_events; i++)
        if (events[i].peer.type == ANC_PEER_EV_BITRATE)
            CHECK(events[i].peer.bitrate_bps >= 1400000 && events[i].peer.bitrate_bps <= 1500000);
    /* A tampered RTCP packet is counted and changes nothing. */
    uint8_t bad[64] = {0x81, 206, 0, 2};
    anc_rtc_host_handle_datagram(host, now, &browser_addr, bad, 40);
    struct anc_peer_stats st;
    anc_peer_get_stats(anc_rtc_host_peer(host, &session_tag), &st);
    CHECK_EQ(st.srtp_errors, 1);
}

TEST(sender_reports_every_second)
{
    int before = srs_seen;
    /* Keep consent alive while time passes. */
    for (int i = 0; i < 3; i++) {
        advance(1000000);
        CHECK_EQ(send_check(SRV_UFRAG ":" CLI_UFRAG, SRV_PWD, &browser_addr), 1);
    }
    CHECK(srs_seen - before >= 3);
}

TEST(consent_expires_after_30s_without_checks)
{
    n_events = 0;
    advance(31000000);
    collect_events();
    bool expired = false;
    for (int i = 0; i < n_events; i++)
        expired = expired || events[i].expired;
    CHECK(expired);
    anc_rtc_host_remove(host, now, &session_tag);
    CHECK_EQ(anc_rtc_host_sessions(host), 0);
    /* No farewell either: RFC 7675 allows nothing more to an address without consent. */
    pump();
    CHECK_EQ(anc_dtls_state(&cli), ANC_DTLS_CONNECTED);
    CHECK_EQ(send_check(SRV_UFRAG ":" CLI_UFRAG, SRV_PWD, &browser_addr), 0);
    teardown();
}

/* A fresh host with one session whose browser is nominated at browser_addr and connected. */
static void connect_browser(void)
{
    setup();
    n_events = 0;
    rtp_seen = 0;
    drop_seq = -1;
    CHECK_EQ(send_check(SRV_UFRAG ":" CLI_UFRAG, SRV_PWD, &browser_addr), 1);
    CHECK_EQ(anc_dtls_start(&cli, now), 0);
    pump();
    advance(200000);
    collect_events();
    CHECK_EQ(count_events(ANC_PEER_EV_CONNECTED), 1);
}

static bool expired_seen(void)
{
    for (int i = 0; i < n_events; i++)
        if (events[i].expired)
            return true;
    return false;
}

/* Security review finding: pair A (browser_addr) is nominated; afterwards valid checks come only
 * from address B (stranger_addr), never nominating it. They must not keep media flowing to A:
 * 30 s after A's last check the session expires and nothing more reaches A, and B is never used. */
TEST(consent_belongs_to_the_selected_pair)
{
    static uint8_t au[20000];
    size_t len = make_au(au, 15000);
    connect_browser();
    struct anc_peer *peer = anc_rtc_host_peer(host, &session_tag);
    CHECK(anc_peer_send_video(peer, now, au, len, now) > 10);
    pump();
    CHECK(rtp_seen > 10);
    uint64_t nominated = now - 200000;
    while (now < nominated + 35000000) {
        advance(5000000);
        collect_events();
        int answers = send_check_ex(SRV_UFRAG ":" CLI_UFRAG, SRV_PWD, &stranger_addr, false);
        /* B is answered (validated) while the session lives, never afterwards. */
        CHECK_EQ(answers, expired_seen() ? 0 : 1);
    }
    collect_events();
    CHECK(expired_seen());
    int before = rtp_seen;
    CHECK(anc_peer_send_video(peer, now, au, len, now) > 10);
    pump(); /* would CHECK-fail on anything sent to B */
    CHECK_EQ(rtp_seen, before);
    anc_rtc_host_remove(host, now, &session_tag);
    pump();
    teardown();
}

/* Security review finding: a NACK flood (every sequence number in the history, a thousand NACK
 * packets a second) costs a bounded number of retransmitted bytes and packets, and no sequence
 * number is resent twice within a round trip (100 ms: no RTCP report gave one). Prints CPU time
 * and bytes for the record. */
static uint64_t first_seen_us[65536], resent_us[65536];

TEST(nack_flood_is_bounded)
{
    static uint8_t au[20000];
    size_t len = make_au(au, 15000);
    connect_browser();
    struct anc_peer *peer = anc_rtc_host_peer(host, &session_tag);
    memset(first_seen_us, 0, sizeof(first_seen_us));
    memset(resent_us, 0, sizeof(resent_us));
    uint64_t media_bytes = 0, rtx_bytes = 0, rtx_packets = 0, nacked = 0, too_soon = 0;
    uint16_t first_seq = 0, newest = 0;
    bool any = false;
    double cpu_ms = 0;
    const uint64_t warm_us = 2000000, flood_us = 2000000;
    uint64_t start = now;
    uint8_t buf[2048], fb[1500];
    size_t n;
    struct anc_addr to;
    /* 30 fps for warm_us, then the same while NACKs flood in. */
    for (uint64_t frame = 0; now < start + warm_us + flood_us; frame++) {
        bool flooding = now >= start + warm_us;
        CHECK(anc_peer_send_video(peer, now, au, len, now) > 0);
        for (int step = 0; step < 33; step++) {
            now += 1000;
            if (flooding && any) {
                /* One NACK packet naming every sequence number sent so far (at most the
                 * history), about 1000 of them a second. */
                uint16_t seqs[2048];
                size_t count = 0;
                for (uint16_t q = first_seq; count < 2048; q++) {
                    seqs[count++] = q;
                    if (q == newest)
                        break;
                }
                if (count > 1400 / 8 * 17)
                    count = 1400 / 8 * 17;
                int m = anc_rtcp_build_nack(fb, sizeof(fb) - 64, 1, video_ssrc,
                                            seqs + (size_t)(newest - first_seq + 1) - count, count);
                CHECK(m > 0);
                size_t fb_len = (size_t)m;
                CHECK_EQ(anc_srtp_protect_rtcp(cli_srtp, fb, &fb_len, sizeof(fb)), 0);
                struct timespec t0, t1;
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
                anc_rtc_host_handle_datagram(host, now, &browser_addr, fb, fb_len);
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
                cpu_ms += (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
                nacked += count;
            }
            /* The browser's side, from the clear RTP header only. */
            while (anc_rtc_host_poll_transmit(host, buf, sizeof(buf), &n, &to)) {
                if (!(buf[0] >= 128 && buf[0] <= 191) || anc_rtp_is_rtcp(buf, n))
                    continue;
                uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
                if (!first_seen_us[seq]) {
                    first_seen_us[seq] = now;
                    media_bytes += n;
                    if (!any)
                        first_seq = seq;
                    any = true;
                    newest = seq;
                    continue;
                }
                rtx_bytes += n;
                rtx_packets++;
                if (resent_us[seq] && now - resent_us[seq] < ANC_PEER_RTX_DEFAULT_RTT_US)
                    too_soon++;
                resent_us[seq] = now;
            }
        }
        anc_rtc_host_handle_timeout(host, now);
    }
    double secs = (double)flood_us / 1e6;
    double media_rate = (double)media_bytes / ((double)(warm_us + flood_us) / 1e6);
    double share = media_rate * ANC_PEER_RTX_SHARE_PCT / 100;
    double rate = share > ANC_PEER_RTX_MIN_BYTES_PER_S ? share : ANC_PEER_RTX_MIN_BYTES_PER_S;
    /* The bucket holds ANC_PEER_RTX_BURST_US of budget; SRTP adds its tag to each packet. */
    double budget = rate * 1.1 * (secs + ANC_PEER_RTX_BURST_US / 1e6) + 1500;
    printf("nack flood: %.0f s, %llu seqs NACKed; media %.0f B/s; retransmitted %llu packets, "
           "%llu bytes (budget %.0f); resent within an RTT: %llu; host CPU %.1f ms\n",
           secs, (unsigned long long)nacked, media_rate, (unsigned long long)rtx_packets,
           (unsigned long long)rtx_bytes, budget, (unsigned long long)too_soon, cpu_ms);
    fflush(stdout);
    CHECK(nacked > 1000000);
    CHECK(rtx_packets > 0);
    CHECK((double)rtx_bytes <= budget);
    CHECK_EQ(too_soon, 0);
    anc_rtc_host_remove(host, now, &session_tag);
    teardown();
}

/* Security review finding: a peer whose DTLS handshake never completes (here: the browser sends
 * one ClientHello and goes quiet, while ICE consent stays fresh) fails after the deadline, so its
 * owner closes it and frees what it holds. */
TEST(dtls_deadline_ends_a_half_open_peer)
{
    setup();
    n_events = 0;
    CHECK_EQ(send_check(SRV_UFRAG ":" CLI_UFRAG, SRV_PWD, &browser_addr), 1);
    CHECK_EQ(anc_dtls_start(&cli, now), 0);
    uint8_t buf[2048];
    size_t len;
    CHECK(anc_dtls_poll_transmit(&cli, buf, sizeof(buf), &len));
    anc_rtc_host_handle_datagram(host, now, &browser_addr, buf, len);
    uint64_t hello = now;
    bool failed = false;
    struct anc_addr to;
    while (now < hello + ANC_PEER_DTLS_DEADLINE_US + 2000000 && !failed) {
        now += 500000;
        if ((now - hello) % 5000000 == 0)
            CHECK_EQ(send_check(SRV_UFRAG ":" CLI_UFRAG, SRV_PWD, &browser_addr), 1);
        anc_rtc_host_handle_timeout(host, now);
        while (anc_rtc_host_poll_transmit(host, buf, sizeof(buf), &len, &to))
            ; /* the server's flights are lost */
        struct anc_rtc_host_event ev;
        while (anc_rtc_host_poll_event(host, &ev))
            if (!ev.expired && ev.peer.type == ANC_PEER_EV_FAILED) {
                CHECK_EQ(ev.peer.error, -ETIMEDOUT);
                failed = true;
            }
    }
    CHECK(failed);
    CHECK(now >= hello + ANC_PEER_DTLS_DEADLINE_US);
    CHECK(now <= hello + ANC_PEER_DTLS_DEADLINE_US + 500000);
    /* Nothing more is due from it: no busy timer while its owner gets round to closing it. */
    CHECK(anc_rtc_host_next_timeout(host, now) > now);
    anc_rtc_host_remove(host, now, &session_tag);
    CHECK_EQ(anc_rtc_host_sessions(host), 0);
    teardown();
}
