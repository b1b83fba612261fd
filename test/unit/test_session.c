/* The session layer over the real sans-IO RTC host, with a fake transport (clock, flush, port)
 * instead of the UDP port, and recorded browser offers. */
#include <errno.h>
#include <uv.h>

#include "base/config.h"
#include "base/metrics.h"
#include "instance/instance.h"
#include "instance/session.h"
#include "media/stream.h"
#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/host.h"
#include "rtc/sctp.h"
#include "rtc/stun.h"
#include "test.h"

struct fixture {
    uv_loop_t loop;
    struct anc_config cfg;
    struct anc_metrics *metrics;
    struct anc_cert *cert;
    struct anc_dtls_ctx *dtls;
    struct anc_rtc_host *host;
    struct anc_sessions *s;
    uint64_t now_us;
    int flushes;
    int closed;
    struct anc_instance inst;
};

static uint64_t fake_now(void *arg)
{
    struct fixture *f = arg;
    return f->now_us;
}

static void fake_flush(void *arg)
{
    struct fixture *f = arg;
    f->flushes++;
}

static int fake_port(void *arg)
{
    (void)arg;
    return 40000;
}

static void setup(struct fixture *f, int max_sessions)
{
    memset(f, 0, sizeof(*f));
    CHECK_EQ(uv_loop_init(&f->loop), 0);
    anc_config_defaults(&f->cfg);
    f->cfg.max_sessions = max_sessions;
    f->now_us = 1000000;
    f->metrics = anc_metrics_new();
    CHECK_EQ(anc_cert_new_ephemeral(&f->cert), 0);
    CHECK_EQ(anc_dtls_ctx_new(f->cert, &f->dtls), 0);
    CHECK_EQ(anc_rtc_host_new((size_t)max_sessions + 8, &f->host), 0);
    const char *cands[] = {"127.0.0.1"};
    struct anc_sessions_deps deps = {
        .cfg = &f->cfg,
        .metrics = f->metrics,
        .host = f->host,
        .dtls = f->dtls,
        .cert = f->cert,
        .candidates = cands,
        .n_candidates = 1,
        .io = {fake_now, fake_flush, fake_port, f},
    };
    CHECK_EQ(anc_sessions_new(&deps, &f->s), 0);
    snprintf(f->inst.id, sizeof(f->inst.id), "0123456789ab");
    f->inst.state = ANC_STATE_RUNNING;
}

static void on_closed(void *arg)
{
    struct fixture *f = arg;
    f->closed++;
}

static void teardown(struct fixture *f)
{
    anc_sessions_close(f->s, on_closed, f);
    CHECK_EQ(f->closed, 1);
    CHECK_EQ(anc_rtc_host_sessions(f->host), 0);
    anc_rtc_host_free(f->host);
    anc_dtls_ctx_free(f->dtls);
    anc_cert_free(f->cert);
    anc_metrics_free(f->metrics);
    CHECK_EQ(uv_loop_close(&f->loop), 0);
}

static char *read_offer(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/sdp/%s", anc_test_data_dir(), name);
    FILE *in = fopen(path, "rb");
    CHECK(in);
    char *buf = malloc(65536);
    CHECK(buf);
    *len = fread(buf, 1, 65535, in);
    buf[*len] = '\0';
    fclose(in);
    return buf;
}

/* Creates a session from a recorded offer; returns anc_sessions_create's result. */
static int offer(struct fixture *f, const char *file, struct anc_whep_result *res)
{
    size_t len;
    char *sdp = read_offer(file, &len);
    int r = anc_sessions_create(f->s, &f->inst, sdp, len, res);
    free(sdp);
    return r;
}

TEST(offer_is_answered)
{
    struct fixture f;
    struct anc_whep_result res;
    setup(&f, 4);
    int flushes = f.flushes;
    CHECK_EQ(offer(&f, "chrome-156-recvonly-h264-datachannel.sdp", &res), 0);
    CHECK_EQ(strlen(res.sid), ANC_SESSION_ID_LEN);
    CHECK(res.answer);
    CHECK(strncmp(res.answer, "v=0\r\n", 5) == 0);
    char fp[200];
    snprintf(fp, sizeof(fp), "a=fingerprint:sha-256 %s", anc_cert_fingerprint(f.cert));
    CHECK(strstr(res.answer, fp));
    CHECK(strstr(res.answer, "127.0.0.1 40000 typ host"));
    CHECK(strstr(res.answer, "a=msid:0123456789ab "));
    CHECK(f.flushes > flushes); /* what the host queued is sent at once */
    free(res.answer);

    CHECK_EQ(anc_sessions_count(f.s), 1);
    CHECK_EQ(anc_rtc_host_sessions(f.host), 1);
    CHECK_EQ(f.inst.viewers, 1);
    json_t *o = anc_sessions_get_json(f.s, res.sid);
    CHECK(o);
    CHECK_STREQ(json_string_value(json_object_get(o, "id")), res.sid);
    CHECK_STREQ(json_string_value(json_object_get(o, "instance")), "0123456789ab");
    CHECK_STREQ(json_string_value(json_object_get(o, "state")), "connecting");
    json_decref(o);
    json_t *a = anc_sessions_list_json(f.s);
    CHECK_EQ(json_array_size(a), 1);
    json_decref(a);
    CHECK(!anc_sessions_get_json(f.s, "ffffffffffffffff"));
    teardown(&f);
}

TEST(unusable_offer_is_einval_with_a_reason)
{
    struct fixture f;
    struct anc_whep_result res;
    setup(&f, 4);
    const char bad[] = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
    CHECK_EQ(anc_sessions_create(f.s, &f.inst, bad, sizeof(bad) - 1, &res), -EINVAL);
    CHECK(res.error[0]);
    CHECK(!res.answer);
    /* A browser that cannot receive H.264. */
    CHECK_EQ(offer(&f, "firefox-153esr-recvonly-stock-no-h264.sdp", &res), -EINVAL);
    CHECK(res.error[0]);
    CHECK_EQ(anc_sessions_count(f.s), 0);
    CHECK_EQ(f.inst.viewers, 0);
    teardown(&f);
}

static void no_keyframe(void *arg)
{
    (void)arg;
}

static const struct anc_stream_passthrough_ops quiet_ops = {no_keyframe, NULL};

/* An instance whose pass-through stream carried a High 4.1 SPS: the answer states 640029 on the
 * offer's High payload type, and an offer without one is a 400 that names the profile. */
TEST(passthrough_stream_profile_is_answered)
{
    static const uint8_t high_au[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x29, 0xac,
                                      0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00};
    struct fixture f;
    struct anc_whep_result res;
    struct anc_stream_params p = {.bitrate_kbps = 1000};
    setup(&f, 4);
    CHECK_EQ(anc_stream_new_passthrough(&f.loop, &p, &quiet_ops, NULL, &f.inst.stream), 0);
    anc_stream_push_au(f.inst.stream, high_au, sizeof(high_au), true, 1);

    /* The recorded Chromium offers no High (profile_idc 100) payload type. */
    CHECK_EQ(offer(&f, "chrome-156-recvonly-h264-datachannel.sdp", &res), -EINVAL);
    CHECK(strstr(res.error, "compatible with the stream's High (profile-level-id 640029)"));
    CHECK(!res.answer);

    size_t len;
    char *sdp = read_offer("chrome-156-recvonly-h264-datachannel.sdp", &len);
    char *at = strstr(sdp, "profile-level-id=4d001f");
    CHECK(at);
    memcpy(at, "profile-level-id=64001f", 23);
    CHECK_EQ(anc_sessions_create(f.s, &f.inst, sdp, len, &res), 0);
    free(sdp);
    CHECK(strstr(res.answer, "m=video 9 UDP/TLS/RTP/SAVPF 116\r\n"));
    CHECK(strstr(res.answer, "a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;"
                             "profile-level-id=640029\r\n"));
    free(res.answer);

    anc_stream_close(f.inst.stream);
    f.inst.stream = NULL;
    uv_run(&f.loop, UV_RUN_DEFAULT);
    teardown(&f);
}

TEST(max_sessions_full_is_enospc)
{
    struct fixture f;
    struct anc_whep_result res;
    setup(&f, 2);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(offer(&f, "firefox-153esr-recvonly-h264-datachannel.sdp", &res), 0);
        free(res.answer);
    }
    CHECK_EQ(offer(&f, "chrome-156-recvonly-h264-video-only.sdp", &res), -ENOSPC);
    CHECK(strstr(res.error, "max_sessions"));
    CHECK_EQ(anc_sessions_count(f.s), 2);
    /* SIGHUP may raise the limit: it is read at each offer. */
    f.cfg.max_sessions = 3;
    CHECK_EQ(offer(&f, "chrome-156-recvonly-h264-video-only.sdp", &res), 0);
    free(res.answer);
    teardown(&f);
}

TEST(end_instance_and_delete)
{
    struct fixture f;
    struct anc_whep_result res;
    struct anc_instance other = {.id = "ba9876543210", .state = ANC_STATE_RUNNING};
    setup(&f, 4);
    char sid[ANC_SESSION_ID_LEN + 1];
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(offer(&f, "chrome-156-recvonly-h264-datachannel.sdp", &res), 0);
        free(res.answer);
    }
    size_t len;
    char *sdp = read_offer("chrome-156-recvonly-h264-datachannel.sdp", &len);
    CHECK_EQ(anc_sessions_create(f.s, &other, sdp, len, &res), 0);
    free(sdp);
    free(res.answer);
    memcpy(sid, res.sid, sizeof(sid));
    CHECK_EQ(anc_sessions_count(f.s), 3);

    anc_sessions_end_instance(f.s, &f.inst);
    CHECK_EQ(anc_sessions_count(f.s), 1);
    CHECK_EQ(f.inst.viewers, 0);
    CHECK_EQ(other.viewers, 1);
    CHECK_EQ(anc_rtc_host_sessions(f.host), 1);

    CHECK_EQ(anc_sessions_delete(f.s, "ffffffffffffffff"), -ENOENT);
    CHECK_EQ(anc_sessions_delete(f.s, sid), 0);
    CHECK_EQ(anc_sessions_delete(f.s, sid), -ENOENT);
    CHECK_EQ(anc_sessions_count(f.s), 0);
    CHECK_EQ(other.viewers, 0);
    teardown(&f);
}

/* At shutdown the root lets go of its sessions before the instances stop; a guest that dies in
 * between is still reported to it, with no sessions left (issue 8, defect b). */
TEST(end_instance_without_sessions_is_safe)
{
    struct anc_instance inst = {.id = "0123456789ab", .state = ANC_STATE_RUNNING};
    anc_sessions_end_instance(NULL, &inst);
    CHECK_EQ(inst.viewers, 0);
}

TEST(close_ends_every_session)
{
    struct fixture f;
    struct anc_whep_result res;
    setup(&f, 4);
    CHECK_EQ(offer(&f, "chrome-156-recvonly-h264-datachannel.sdp", &res), 0);
    free(res.answer);
    teardown(&f); /* checks the done callback and an empty host */
    CHECK_EQ(f.inst.viewers, 0);

    f.closed = 0;
    anc_sessions_close(NULL, on_closed, &f);
    CHECK_EQ(f.closed, 1);
}

/* ---- A browser in memory: ICE check, DTLS client, SCTP, the "input" channel ---- */

struct browser {
    struct anc_cert *cert;
    struct anc_dtls_ctx *ctx;
    struct anc_dtls dtls;
    struct anc_sctp *sctp;
    struct anc_addr addr;
    uint16_t input;
    uint8_t got[4][512]; /* messages received on "input" (control messages aside) */
    size_t got_len[4];
    int n_got;
    uint8_t control[80]; /* the last ANC_INPUT_OUT_CONTROL message */
    size_t control_len;
    int n_control;
};

static void check_control(const struct browser *b, unsigned flags, const char *sid);

/* Every connected browser: pump() routes the host's datagrams by address. */
static struct browser *browsers[4];
static int n_browsers;

/* The offer with its fingerprint replaced by the browser's (the recorded browser's is not ours). */
static char *offer_for(const struct browser *b, size_t *len)
{
    char *sdp = read_offer("chrome-156-recvonly-h264-datachannel.sdp", len);
    const char *fp = anc_cert_fingerprint(b->cert);
    for (char *p = sdp; (p = strstr(p, "a=fingerprint:sha-256 ")); p++) {
        p += strlen("a=fingerprint:sha-256 ");
        CHECK_EQ(strcspn(p, "\r\n"), strlen(fp));
        memcpy(p, fp, strlen(fp));
    }
    return sdp;
}

static void answer_attr(const char *answer, const char *name, char *out, size_t cap)
{
    const char *p = strstr(answer, name);
    CHECK(p);
    p += strlen(name);
    size_t n = strcspn(p, "\r\n");
    CHECK(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void browser_events(struct browser *b)
{
    struct anc_sctp_event ev;
    while (b->sctp && anc_sctp_poll_event(b->sctp, &ev)) {
        if (ev.type != ANC_SCTP_EV_MESSAGE || ev.channel != b->input)
            continue;
        CHECK(ev.is_binary);
        if (ev.len > 0 && ev.data[0] == 129) {
            CHECK(ev.len <= sizeof(b->control));
            memcpy(b->control, ev.data, ev.len);
            b->control_len = ev.len;
            b->n_control++;
            continue;
        }
        if (b->n_got >= 4)
            continue;
        CHECK(ev.len <= sizeof(b->got[0]));
        memcpy(b->got[b->n_got], ev.data, ev.len);
        b->got_len[b->n_got++] = ev.len;
    }
}

static struct browser *browser_at(struct browser *b, const struct anc_addr *to)
{
    for (int i = 0; i < n_browsers; i++)
        if (anc_addr_equal(&browsers[i]->addr, to))
            return browsers[i];
    return b;
}

/* One browser's side: DTLS records in, SCTP, DTLS records out to the host. */
static bool browser_side(struct fixture *f, struct browser *b)
{
    uint8_t buf[2048];
    size_t len;
    bool moved = false;
    if (anc_dtls_state(&b->dtls) == ANC_DTLS_CONNECTED && !b->sctp) {
        struct anc_sctp_config sc = {.dtls_client = true};
        CHECK_EQ(anc_sctp_new(&sc, &b->sctp), 0);
        CHECK_EQ(anc_sctp_connect(b->sctp, f->now_us), 0);
    }
    uint8_t rec[ANC_DTLS_MAX_RECORD];
    int n;
    while ((n = anc_dtls_read(&b->dtls, rec, sizeof(rec))) > 0)
        anc_sctp_handle_data(b->sctp, f->now_us, rec, (size_t)n);
    browser_events(b);
    struct anc_sctp_datagram d;
    while (b->sctp && anc_sctp_poll_transmit(b->sctp, &d))
        anc_dtls_write(&b->dtls, d.data, d.len);
    while (anc_dtls_poll_transmit(&b->dtls, buf, sizeof(buf), &len)) {
        anc_rtc_host_handle_datagram(f->host, f->now_us, &b->addr, buf, len);
        moved = true;
    }
    return moved;
}

/* Moves datagrams both ways and hands host events to the sessions, until quiet. b is the browser
 * being connected (not yet in browsers[]). */
static void pump(struct fixture *f, struct browser *b)
{
    uint8_t buf[2048];
    size_t len;
    struct anc_addr to;
    for (int round = 0; round < 200; round++) {
        bool moved = false;
        struct anc_rtc_host_event ev;
        while (anc_rtc_host_poll_event(f->host, &ev))
            anc_sessions_on_host_event(f->s, &ev);
        while (anc_rtc_host_poll_transmit(f->host, buf, sizeof(buf), &len, &to)) {
            moved = true;
            struct browser *dst = browser_at(b, &to);
            if (buf[0] >= 20 && buf[0] <= 63)
                anc_dtls_handle_datagram(&dst->dtls, f->now_us, buf, len);
        }
        bool b_known = false;
        for (int i = 0; i < n_browsers; i++) {
            moved |= browser_side(f, browsers[i]);
            b_known |= browsers[i] == b;
        }
        if (!b_known)
            moved |= browser_side(f, b);
        if (!moved)
            return;
    }
}

static void advance(struct fixture *f, struct browser *b, uint64_t us)
{
    uint64_t end = f->now_us + us;
    while (f->now_us < end) {
        f->now_us += 10000;
        anc_sctp_tick(f->now_us);
        anc_rtc_host_handle_timeout(f->host, f->now_us);
        for (int i = 0; i < n_browsers; i++)
            if (browsers[i] != b && browsers[i]->sctp)
                anc_sctp_handle_timeout(browsers[i]->sctp, f->now_us);
        if (b->sctp)
            anc_sctp_handle_timeout(b->sctp, f->now_us);
        pump(f, b);
    }
}

/* Offers as who, checks ICE, completes DTLS and SCTP, opens "input": a connected viewer of
 * f->inst from 127.0.0.1:port. */
static void browser_connect_as(struct fixture *f, struct browser *b, char *sid,
                               const struct anc_session_who *who, uint16_t port)
{
    memset(b, 0, sizeof(*b));
    CHECK_EQ(anc_cert_new_ephemeral(&b->cert), 0);
    CHECK_EQ(anc_dtls_ctx_new(b->cert, &b->ctx), 0);
    anc_addr_from_string(&b->addr, "127.0.0.1", port);
    size_t len;
    char *sdp = offer_for(b, &len);
    struct anc_whep_result res;
    CHECK_EQ(anc_sessions_create_as(f->s, &f->inst, who, sdp, len, &res), 0);
    free(sdp);
    memcpy(sid, res.sid, sizeof(res.sid));
    char ufrag[64], pwd[64], user[160], fp[200];
    answer_attr(res.answer, "a=ice-ufrag:", ufrag, sizeof(ufrag));
    answer_attr(res.answer, "a=ice-pwd:", pwd, sizeof(pwd));
    answer_attr(res.answer, "a=fingerprint:sha-256 ", fp, sizeof(fp));
    free(res.answer);

    uint8_t req[256], txid[ANC_STUN_TXID_LEN];
    snprintf(user, sizeof(user), "%s:db1e", ufrag);
    anc_stun_random_txid(txid);
    struct anc_stun_check c = {.username = user,
                               .key = (const uint8_t *)pwd,
                               .key_len = strlen(pwd),
                               .priority = 12345,
                               .controlling = true,
                               .tiebreaker = 42,
                               .use_candidate = true};
    int n = anc_stun_build_binding_request(req, sizeof(req), txid, &c);
    CHECK(n > 0);
    anc_rtc_host_handle_datagram(f->host, f->now_us, &b->addr, req, (size_t)n);
    CHECK_EQ(anc_dtls_init(&b->dtls, b->ctx, false, "sha-256", fp), 0);
    CHECK_EQ(anc_dtls_start(&b->dtls, f->now_us), 0);
    pump(f, b);
    advance(f, b, 200000);
    CHECK_EQ(anc_dtls_state(&b->dtls), ANC_DTLS_CONNECTED);
    CHECK(b->sctp);
    CHECK_EQ(anc_sctp_open_channel(b->sctp, "input", "", true, -1, -1, &b->input), 0);
    advance(f, b, 100000);
    browsers[n_browsers++] = b;
}

static void browser_connect(struct fixture *f, struct browser *b, char *sid)
{
    static const struct anc_session_who admin = {.admin = true, .control = true};
    browser_connect_as(f, b, sid, &admin, 50000);
}

static void browser_free(struct browser *b)
{
    for (int i = 0; i < n_browsers; i++)
        if (browsers[i] == b)
            browsers[i] = browsers[--n_browsers];
    anc_sctp_free(b->sctp);
    anc_dtls_destroy(&b->dtls);
    anc_dtls_ctx_free(b->ctx);
    anc_cert_free(b->cert);
}

static json_t *input_json(struct fixture *f, const char *sid)
{
    json_t *o = anc_sessions_get_json(f->s, sid);
    CHECK(o);
    json_t *in = json_incref(json_object_get(o, "input"));
    json_decref(o);
    return in;
}

/* The guest's clipboard reaches the page as one message on the "input" channel, byte-exact;
 * viewers of other instances get nothing. */
TEST(guest_clipboard_goes_to_the_page)
{
    struct fixture f;
    struct browser b;
    char sid[ANC_SESSION_ID_LEN + 1];
    struct anc_instance other = {.id = "ba9876543210", .state = ANC_STATE_RUNNING};
    setup(&f, 4);
    browser_connect(&f, &b, sid);

    /* A page → guest message first: the session learns the channel from it or from its open. */
    CHECK_EQ(anc_sctp_send(b.sctp, b.input, true, "\x05\x01", 2), 0);
    advance(&f, &b, 50000);
    json_t *in = input_json(&f, sid);
    CHECK_EQ(json_integer_value(json_object_get(in, "messages")), 1);
    json_decref(in);

    anc_sessions_clipboard(f.s, &other, "nope", 4);
    anc_sessions_clipboard(f.s, &f.inst, "h\xc3\xa9!", 4);
    advance(&f, &b, 50000);
    CHECK_EQ(b.n_got, 1);
    static const uint8_t want[] = {0x80, 0x00, 'h', 0xc3, 0xa9, '!'};
    CHECK_EQ(b.got_len[0], sizeof(want));
    CHECK(memcmp(b.got[0], want, sizeof(want)) == 0);
    in = input_json(&f, sid);
    CHECK_EQ(json_integer_value(json_object_get(in, "sent")), 2); /* the control message too */
    CHECK_EQ(json_integer_value(json_object_get(in, "not_sent")), 0);
    check_control(&b, 0x3, sid);
    json_decref(in);

    anc_sessions_clipboard(NULL, &f.inst, "x", 1); /* shutting down: nobody to tell */
    teardown(&f);
    browser_free(&b);
}

/* ---- Roles: one controller per instance ---- */

static int guest_inputs; /* messages that reached the (fake) guest */

static int fake_guest_input(struct anc_instance *inst, const struct anc_input_msg *m)
{
    (void)inst;
    (void)m;
    guest_inputs++;
    return 0;
}

static const uint8_t tap[] = {1, 0, 0, 0x00, 0x80, 0x00, 0x80, 0xff, 0xff};

static void send_tap(struct fixture *f, struct browser *b)
{
    CHECK_EQ(anc_sctp_send(b->sctp, b->input, true, tap, sizeof(tap)), 0);
    advance(f, b, 30000);
}

static struct anc_session_who token_who(const char *tid, bool control)
{
    struct anc_session_who w = {.control = control};
    snprintf(w.token_id, sizeof(w.token_id), "%s", tid);
    return w;
}

/* The page's last control message: flags and the controller's sid. */
static void check_control(const struct browser *b, unsigned flags, const char *sid)
{
    CHECK(b->n_control > 0);
    CHECK_EQ(b->control[0], 129);
    CHECK_EQ(b->control[1], flags);
    CHECK_EQ(b->control_len, 2 + strlen(sid));
    CHECK(memcmp(b->control + 2, sid, strlen(sid)) == 0);
}

static long long input_field(struct fixture *f, const char *sid, const char *name)
{
    json_t *in = input_json(f, sid);
    long long v = json_integer_value(json_object_get(in, name));
    json_decref(in);
    return v;
}

/* A view-role session's input never reaches the guest (counted as refused); its keyframe
 * message still counts as a keyframe request; the control-role session's taps do arrive. */
TEST(view_role_input_never_reaches_the_guest)
{
    struct fixture f;
    struct browser a, b;
    char sa[ANC_SESSION_ID_LEN + 1], sb[ANC_SESSION_ID_LEN + 1];
    setup(&f, 4);
    f.inst.input = fake_guest_input;
    guest_inputs = 0;
    struct anc_session_who wa = token_who("aaaaaaaaaaaaaaaa", true);
    struct anc_session_who wb = token_who("bbbbbbbbbbbbbbbb", false);
    browser_connect_as(&f, &b, sb, &wb, 50001); /* the spectator comes first */
    browser_connect_as(&f, &a, sa, &wa, 50002);
    check_control(&b, 0x0, sa);
    check_control(&a, 0x3, sa);

    send_tap(&f, &b);
    send_tap(&f, &b);
    CHECK_EQ(guest_inputs, 0);
    CHECK_EQ(input_field(&f, sb, "refused"), 2);
    CHECK_EQ(anc_sctp_send(b.sctp, b.input, true, "\x05\x01", 2), 0); /* keyframe request */
    advance(&f, &b, 30000);
    CHECK_EQ(input_field(&f, sb, "refused"), 2);
    send_tap(&f, &a);
    CHECK_EQ(guest_inputs, 1);
    CHECK_EQ(input_field(&f, sa, "refused"), 0);

    teardown(&f);
    browser_free(&a);
    browser_free(&b);
}

/* Hand-off: only the controller's token (or the admin) gives control, only to a control-capable
 * session; every page is told; taps follow control; when the controller leaves, the oldest
 * control-capable session left takes it; with none left, nobody holds it. */
TEST(control_hands_off_and_passes_on)
{
    struct fixture f;
    struct browser a, b, c;
    char sa[ANC_SESSION_ID_LEN + 1], sb[ANC_SESSION_ID_LEN + 1], sc[ANC_SESSION_ID_LEN + 1];
    setup(&f, 4);
    f.inst.input = fake_guest_input;
    guest_inputs = 0;
    struct anc_session_who wa = token_who("aaaaaaaaaaaaaaaa", true);
    struct anc_session_who wb = token_who("bbbbbbbbbbbbbbbb", true);
    struct anc_session_who wc = token_who("cccccccccccccccc", false);
    struct anc_session_who admin = {.admin = true, .control = true};
    browser_connect_as(&f, &a, sa, &wa, 50001);
    browser_connect_as(&f, &b, sb, &wb, 50002);
    browser_connect_as(&f, &c, sc, &wc, 50003);
    check_control(&a, 0x3, sa);
    check_control(&b, 0x2, sa);
    check_control(&c, 0x0, sa);

    CHECK_EQ(anc_sessions_give_control(f.s, sb, &wc), -EACCES); /* a spectator */
    CHECK_EQ(anc_sessions_give_control(f.s, sb, &wb), -EACCES); /* not the controller yet */
    CHECK_EQ(anc_sessions_give_control(f.s, sc, &wa), -EPERM);  /* a view token */
    CHECK_EQ(anc_sessions_give_control(f.s, "ffffffffffffffff", &wa), -ENOENT);
    CHECK_EQ(anc_sessions_give_control(f.s, sb, &wa), 0);
    advance(&f, &a, 30000);
    check_control(&a, 0x2, sb);
    check_control(&b, 0x3, sb);
    check_control(&c, 0x0, sb);
    send_tap(&f, &a);
    CHECK_EQ(guest_inputs, 0);
    send_tap(&f, &b);
    CHECK_EQ(guest_inputs, 1);
    CHECK_EQ(anc_sessions_give_control(f.s, sa, &admin), 0);
    advance(&f, &a, 30000);
    check_control(&b, 0x2, sa);
    CHECK_EQ(anc_sessions_give_control(f.s, sb, &wa), 0);
    advance(&f, &a, 30000);

    CHECK_EQ(anc_sessions_delete(f.s, sb), 0); /* the controller leaves: the oldest left */
    advance(&f, &a, 30000);
    check_control(&a, 0x3, sa);
    check_control(&c, 0x0, sa);
    CHECK_EQ(anc_sessions_delete(f.s, sa), 0);
    advance(&f, &c, 30000);
    check_control(&c, 0x0, "");
    send_tap(&f, &c);
    CHECK_EQ(guest_inputs, 1);

    teardown(&f);
    browser_free(&a);
    browser_free(&b);
    browser_free(&c);
}

/* Revoking a token ends its sessions only. */
TEST(end_token_ends_its_sessions)
{
    struct fixture f;
    struct browser a, b;
    char sa[ANC_SESSION_ID_LEN + 1], sb[ANC_SESSION_ID_LEN + 1];
    setup(&f, 4);
    struct anc_session_who wa = token_who("aaaaaaaaaaaaaaaa", true);
    struct anc_session_who wb = token_who("bbbbbbbbbbbbbbbb", false);
    browser_connect_as(&f, &a, sa, &wa, 50001);
    browser_connect_as(&f, &b, sb, &wb, 50002);
    CHECK_EQ(anc_sessions_end_token(f.s, "cccccccccccccccc"), 0);
    CHECK_EQ(anc_sessions_end_token(f.s, ""), 0);
    CHECK_EQ(anc_sessions_end_token(f.s, "aaaaaaaaaaaaaaaa"), 1);
    CHECK_EQ(anc_sessions_count(f.s), 1);
    struct anc_session_who got;
    CHECK_EQ(anc_sessions_who(f.s, sa, &got, NULL, 0), -ENOENT);
    CHECK_EQ(anc_sessions_who(f.s, sb, &got, NULL, 0), 0);
    CHECK_STREQ(got.token_id, "bbbbbbbbbbbbbbbb");
    teardown(&f);
    browser_free(&a);
    browser_free(&b);
}
