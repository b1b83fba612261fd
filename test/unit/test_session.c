/* The session layer over the real sans-IO RTC host, with a fake transport (clock, flush, port)
 * instead of the UDP port, and recorded browser offers. */
#include <errno.h>
#include <uv.h>

#include "base/config.h"
#include "base/metrics.h"
#include "instance/instance.h"
#include "instance/session.h"
#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/host.h"
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
