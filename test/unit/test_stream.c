#include <errno.h>
#include <stdlib.h>

#include "media/pattern.h"
#include "media/stream.h"
#include "test.h"

static int draws;
static bool changing = true;

static bool draw(void *data, uint8_t *argb, int stride, uint64_t frame, uint64_t time_ms)
{
    (void)data;
    draws++;
    if (!changing && draws > 1)
        return false;
    anc_pattern_draw(argb, 64, 48, stride, frame, time_ms);
    return true;
}

struct counting_viewer {
    struct anc_stream_viewer base;
    int frames, keyframes;
    bool first_was_key;
};

static void on_frame(struct anc_stream_viewer *v, const struct anc_encoder_output *au,
                     uint64_t capture_us)
{
    struct counting_viewer *cv = (struct counting_viewer *)v;
    CHECK(au->len > 0);
    CHECK(capture_us > 0);
    if (cv->frames == 0)
        cv->first_was_key = au->keyframe;
    cv->frames++;
    cv->keyframes += au->keyframe;
}

static struct anc_stream *stream;
static struct anc_encpool pool;
static struct counting_viewer v1 = {.base.on_frame = on_frame}, v2 = {.base.on_frame = on_frame};
static bool pool_closed;
static bool lowest_policy; /* [stream] bitrate_policy = lowest for the next run */

static void on_pool_closed(struct anc_encpool *p)
{
    (void)p;
    pool_closed = true;
}

static const struct anc_stream_params test_params = {.width = 64,
                                                     .height = 48,
                                                     .fps = 50,
                                                     .bitrate_kbps = 300,
                                                     .min_bitrate_kbps = 100,
                                                     .max_bitrate_kbps = 1000};

static void close_stream(uv_timer_t *t)
{
    uint32_t profile;
    CHECK(!anc_stream_profile(stream, &profile)); /* an encoded stream states none */
    anc_stream_close(stream);
    anc_encpool_close(&pool, on_pool_closed);
    uv_close((uv_handle_t *)t, NULL);
}

static void on_stop(uv_timer_t *t)
{
    anc_stream_remove_viewer(stream, &v1.base);
    anc_stream_remove_viewer(stream, &v2.base);
    close_stream(t);
}

/* A stream of src with two fresh viewers v1 and v2 on a pool of `threads`; at(timer) runs after
 * ms and must close the stream (close_stream). Under valgrind, where encoding is far slower, it
 * runs 5 times as long: every check is of frames that must have come by then, or must not come
 * at all, so a longer run weakens none. */
static void run_stream(struct anc_stream_source src, int threads, uv_timer_cb at, uint64_t ms)
{
    uv_loop_t loop;
    uv_timer_t t;
    struct anc_stream_params p = test_params;
    p.bitrate_lowest = lowest_policy;
    uv_loop_init(&loop);
    pool_closed = false;
    CHECK_EQ(anc_encpool_init(&pool, &loop, threads), 0);
    CHECK_EQ(anc_stream_new(&loop, &pool, &p, src, &stream), 0);
    v1 = (struct counting_viewer){.base.on_frame = on_frame};
    v2 = (struct counting_viewer){.base.on_frame = on_frame};
    anc_stream_add_viewer(stream, &v1.base);
    anc_stream_add_viewer(stream, &v2.base);
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, at, getenv("ANC_UNDER_VALGRIND") ? ms * 5 : ms, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(pool_closed);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static void run_for(uint64_t ms)
{
    run_stream((struct anc_stream_source){draw, NULL, NULL}, 2, on_stop, ms);
}

/* One encode feeds every viewer; the first frame a viewer gets is a keyframe. */
TEST(one_encoder_feeds_every_viewer)
{
    run_for(400);
    CHECK(v1.frames >= 10);
    CHECK_EQ(v1.frames, v2.frames);
    CHECK(v1.first_was_key);
    CHECK(v2.first_was_key);
}

/* A source that reports no change produces no frames after the first keyframe. */
TEST(unchanged_source_sends_nothing)
{
    changing = false;
    draws = 0;
    run_for(300); /* with fresh viewers */
    CHECK(draws >= 5);
    CHECK_EQ(v1.frames, 1);
    CHECK_EQ(v1.keyframes, 1);
}

/* The target follows the lowest viewer estimate (REMB) within [min, max]; small changes are
 * ignored; a viewer that leaves no longer holds the bitrate down. Checked from a timer once
 * frames flow (an idle stream's estimates may not lower it: below). */
static int kbps_now(void)
{
    struct anc_stream_stats st;
    anc_stream_get_stats(stream, &st);
    return st.bitrate_kbps;
}

static void check_estimates(uv_timer_t *t)
{
    CHECK(v1.frames > 0);
    anc_stream_viewer_estimate(stream, &v1.base, 800000);
    CHECK_EQ(kbps_now(), 800);
    anc_stream_viewer_estimate(stream, &v2.base, 250000); /* the slower link decides */
    CHECK_EQ(kbps_now(), 250);
    anc_stream_viewer_estimate(stream, &v1.base, 5000000); /* above b: b still decides */
    CHECK_EQ(kbps_now(), 250);
    anc_stream_viewer_estimate(stream, &v2.base, 255000); /* 2 %: not worth a reconfiguration */
    CHECK_EQ(kbps_now(), 250);
    anc_stream_viewer_estimate(stream, &v2.base, 20000); /* clamped to the minimum */
    CHECK_EQ(kbps_now(), 100);
    anc_stream_remove_viewer(stream, &v2.base); /* a alone: its 5 Mbit/s, clamped to the maximum */
    CHECK_EQ(kbps_now(), 1000);
    anc_stream_remove_viewer(stream, &v1.base);
    close_stream(t);
}

TEST(bitrate_follows_the_slowest_viewer)
{
    changing = true;
    run_stream((struct anc_stream_source){draw, NULL, NULL}, 1, check_estimates, 200);
}

/* With a controller, its estimate sets the bitrate, not the slowest spectator's; unmarked, the
 * lowest decides again. */
static void check_controller_estimates(uv_timer_t *t)
{
    CHECK(v1.frames > 0);
    anc_stream_viewer_set_controller(stream, &v1.base, true);
    anc_stream_viewer_estimate(stream, &v2.base, 250000); /* no controller estimate yet */
    CHECK_EQ(kbps_now(), 250);
    anc_stream_viewer_estimate(stream, &v1.base, 800000);
    CHECK_EQ(kbps_now(), 800);
    anc_stream_viewer_estimate(stream, &v2.base, 150000); /* a slow spectator */
    CHECK_EQ(kbps_now(), 800);
    anc_stream_viewer_set_controller(stream, &v1.base, false);
    CHECK_EQ(kbps_now(), 150);
    anc_stream_viewer_set_controller(stream, &v2.base, true); /* hand-off */
    CHECK_EQ(kbps_now(), 150);
    anc_stream_viewer_set_controller(stream, &v2.base, false);
    anc_stream_viewer_set_controller(stream, &v1.base, true);
    CHECK_EQ(kbps_now(), 800);
    on_stop(t);
}

TEST(bitrate_follows_the_controller)
{
    changing = true;
    lowest_policy = false;
    run_stream((struct anc_stream_source){draw, NULL, NULL}, 1, check_controller_estimates, 200);
}

/* bitrate_policy = lowest: the controller's estimate does not win. */
static void check_lowest_policy(uv_timer_t *t)
{
    CHECK(v1.frames > 0);
    anc_stream_viewer_set_controller(stream, &v1.base, true);
    anc_stream_viewer_estimate(stream, &v1.base, 800000);
    anc_stream_viewer_estimate(stream, &v2.base, 150000);
    CHECK_EQ(kbps_now(), 150);
    on_stop(t);
}

TEST(bitrate_policy_lowest_follows_the_slowest)
{
    changing = true;
    lowest_policy = true;
    run_stream((struct anc_stream_source){draw, NULL, NULL}, 1, check_lowest_policy, 200);
    lowest_policy = false;
}

/* A spectator's PLI flood (a request every 5 ms for 2.2 s) yields at most one keyframe a second:
 * the new viewers' keyframe at 0, then one at about 1 s and 2 s; the others merge (false). */
static uint64_t flood_start;
static int flood_merged, flood_granted;

static void flood(uv_timer_t *t)
{
    uint64_t now = uv_now(t->loop);
    if (!flood_start)
        flood_start = now;
    if (now - flood_start >= 2200) {
        on_stop(t);
        return;
    }
    if (anc_stream_request_keyframe(stream))
        flood_granted++;
    else
        flood_merged++;
    uv_timer_start(t, flood, 5, 0);
}

TEST(pli_flood_yields_at_most_one_keyframe_a_second)
{
    changing = true;
    flood_start = 0;
    flood_merged = flood_granted = 0;
    run_stream((struct anc_stream_source){draw, NULL, NULL}, 1, flood, 5);
    printf("flood: %d frames, %d keyframes, %d requests taken, %d merged\n", v1.frames,
           v1.keyframes, flood_granted, flood_merged);
    CHECK(v1.frames >= 40);
    CHECK(v1.keyframes >= 2); /* deferred requests are granted, not lost */
    CHECK(v1.keyframes <= 3);
    CHECK(flood_merged > 100);
}

/* A screen source (changed() gates ticks): one change, then REFINE_FRAMES more frames of the
 * same picture, then nothing; an estimate that arrives while idle does not lower the bitrate, one
 * that raises it does. */
static int changes_left;

static bool changed_once(void *data)
{
    (void)data;
    return changes_left > 0 && changes_left--;
}

static void check_idle(uv_timer_t *t)
{
    CHECK_EQ(v1.frames, 1 + 1 + 8); /* the new viewers' keyframe, the change, 8 refinements */
    CHECK_EQ(kbps_now(), 300);
    anc_stream_viewer_estimate(stream, &v1.base, 120000);
    CHECK_EQ(kbps_now(), 300); /* idle for > 1 s: the sinking estimate is ignored */
    anc_stream_viewer_estimate(stream, &v1.base, 600000);
    CHECK_EQ(kbps_now(), 600);
    anc_stream_remove_viewer(stream, &v1.base);
    anc_stream_remove_viewer(stream, &v2.base);
    close_stream(t);
}

TEST(static_screen_refines_then_idles)
{
    changing = true;
    changes_left = 1;
    run_stream((struct anc_stream_source){draw, changed_once, NULL}, 1, check_idle, 1600);
}

/* ---- Pass-through streams (H.264 encoded elsewhere: the in-guest agent) ---- */

static uv_loop_t *pt_loop;
static struct {
    int keyframe_requests;
    uint64_t requests_ms[8];
    int estimates;
    uint64_t last_bps;
} owner;

static void pt_request_keyframe(void *arg)
{
    CHECK(arg == &owner);
    if (owner.keyframe_requests < 8)
        owner.requests_ms[owner.keyframe_requests] = uv_now(pt_loop);
    owner.keyframe_requests++;
}

static void pt_estimate(void *arg, uint64_t bps)
{
    CHECK(arg == &owner);
    owner.estimates++;
    owner.last_bps = bps;
}

static const struct anc_stream_passthrough_ops pt_ops = {pt_request_keyframe, pt_estimate};

static const uint8_t idr_au[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f,
                                 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
                                 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00};
static const uint8_t p_au[] = {0, 0, 0, 1, 0x41, 0x9a, 0x02};

struct copying_viewer {
    struct anc_stream_viewer base;
    int frames, keyframes;
    uint8_t last[64];
    size_t last_len;
    uint64_t last_capture_us;
};

static void copy_frame(struct anc_stream_viewer *v, const struct anc_encoder_output *au,
                       uint64_t capture_us)
{
    struct copying_viewer *cv = (struct copying_viewer *)v;
    cv->frames++;
    cv->keyframes += au->keyframe;
    CHECK(au->len <= sizeof(cv->last));
    memcpy(cv->last, au->data, au->len);
    cv->last_len = au->len;
    cv->last_capture_us = capture_us;
}

static struct copying_viewer c1, c2;

static void pt_check(uv_timer_t *t)
{
    /* Two new viewers inside one second: the second request waits for the timer. */
    CHECK_EQ(owner.keyframe_requests, 2);
    CHECK(owner.requests_ms[1] - owner.requests_ms[0] >= 1000);
    anc_stream_request_keyframe(stream); /* just after the last one: deferred again */
    anc_stream_remove_viewer(stream, &c1.base);
    anc_stream_remove_viewer(stream, &c2.base); /* no viewer: the deferred request is dropped */
    anc_stream_close(stream);
    uv_close((uv_handle_t *)t, NULL);
}

/* Pushed access units reach every viewer unchanged, with their capture time; the stats count
 * them; keyframe requests reach the owner at most once a second, none lost. */
TEST(passthrough_forwards_aus_and_rate_limits_keyframes)
{
    uv_loop_t loop;
    uv_timer_t t;
    struct anc_stream_params p = {
        .bitrate_kbps = 2000, .min_bitrate_kbps = 200, .max_bitrate_kbps = 8000};
    uv_loop_init(&loop);
    pt_loop = &loop;
    memset(&owner, 0, sizeof(owner));
    c1 = (struct copying_viewer){.base.on_frame = copy_frame};
    c2 = (struct copying_viewer){.base.on_frame = copy_frame};
    CHECK_EQ(anc_stream_new_passthrough(&loop, &p, &pt_ops, &owner, &stream), 0);
    anc_stream_add_viewer(stream, &c1.base);
    CHECK_EQ(owner.keyframe_requests, 1); /* a new viewer asks at once */
    anc_stream_push_au(stream, idr_au, sizeof(idr_au), true, 1234);
    anc_stream_add_viewer(stream, &c2.base);
    anc_stream_request_keyframe(stream); /* PLI storm: all merged into one deferred request */
    anc_stream_request_keyframe(stream);
    CHECK_EQ(owner.keyframe_requests, 1);
    anc_stream_push_au(stream, p_au, sizeof(p_au), false, 5678);
    CHECK_EQ(c1.frames, 2);
    CHECK_EQ(c1.keyframes, 1);
    CHECK_EQ(c2.frames, 1);
    CHECK_EQ(c2.last_len, sizeof(p_au));
    CHECK(memcmp(c2.last, p_au, sizeof(p_au)) == 0);
    CHECK_EQ(c2.last_capture_us, 5678);

    struct anc_stream_stats st;
    anc_stream_get_stats(stream, &st);
    CHECK_EQ(st.frames_encoded, 2);
    CHECK_EQ(st.keyframes, 1);
    CHECK_EQ(st.bytes_encoded, sizeof(idr_au) + sizeof(p_au));
    CHECK_EQ(st.bitrate_kbps, 2000);
    CHECK_EQ(st.viewers, 2);

    /* Estimates: the slowest viewer, clamped, go to the owner, who decides. */
    anc_stream_viewer_estimate(stream, &c1.base, 3000000);
    CHECK_EQ(owner.last_bps, 3000000);
    anc_stream_viewer_estimate(stream, &c2.base, 50000);
    CHECK_EQ(owner.last_bps, 200000);
    anc_stream_viewer_estimate(stream, &c1.base, 90000000);
    CHECK_EQ(owner.last_bps, 200000);
    anc_stream_viewer_estimate(stream, &c2.base, 90000000);
    CHECK_EQ(owner.last_bps, 8000000);
    anc_stream_set_bitrate(stream, 8000);
    anc_stream_get_stats(stream, &st);
    CHECK_EQ(st.bitrate_kbps, 8000);

    uv_timer_init(&loop, &t);
    uv_timer_start(&t, pt_check, 1100, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(owner.keyframe_requests, 2);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

/* Closing with a keyframe request deferred frees everything; nothing fires after. */
TEST(passthrough_close_with_deferred_request)
{
    uv_loop_t loop;
    struct anc_stream_params p = {.bitrate_kbps = 1000};
    uv_loop_init(&loop);
    pt_loop = &loop;
    memset(&owner, 0, sizeof(owner));
    c1 = (struct copying_viewer){.base.on_frame = copy_frame};
    CHECK_EQ(anc_stream_new_passthrough(&loop, &p, &pt_ops, &owner, &stream), 0);
    anc_stream_add_viewer(stream, &c1.base);
    anc_stream_request_keyframe(stream);
    anc_stream_remove_viewer(stream, &c1.base);
    anc_stream_close(stream);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(owner.keyframe_requests, 1);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

/* A pass-through stream remembers the profile of the last SPS it carried (profile_idc, the
 * constraint_set flags, level_idc), wherever it sits before the AU's first slice. */
static const uint8_t high_au[] = {0, 0, 0, 1,    0x09, 0xf0,                   /* AUD */
                                  0, 0, 0, 1,    0x67, 0x64, 0x00, 0x29, 0xac, /* SPS High 4.1 */
                                  0, 0, 0, 1,    0x68, 0xee, 0x3c, 0xb0,       /* PPS */
                                  0, 0, 1, 0x65, 0x88, 0x84, 0x00};            /* IDR */
static const uint8_t main_au[] = {0,    0,    1,    0x67, 0x4d, 0x00, 0x28, 0xe9, 0,    0,    1,
                                  0x68, 0xce, 0x3c, 0x80, 0,    0,    1,    0x65, 0x88, 0x84, 0x00};
/* An SPS after the first slice is not looked for; one cut short is ignored. */
static const uint8_t late_sps_au[] = {0, 0, 0, 1,    0x41, 0x9a, 0x02, 0,
                                      0, 0, 1, 0x67, 0x42, 0xe0, 0x1f};
static const uint8_t short_sps_au[] = {0, 0, 0, 1, 0x67, 0x42, 0xe0};

TEST(passthrough_profile_follows_the_sps)
{
    uv_loop_t loop;
    struct anc_stream_params p = {.bitrate_kbps = 1000};
    uint32_t profile = 0;
    uv_loop_init(&loop);
    pt_loop = &loop;
    memset(&owner, 0, sizeof(owner));
    CHECK_EQ(anc_stream_new_passthrough(&loop, &p, &pt_ops, &owner, &stream), 0);
    CHECK(!anc_stream_profile(stream, &profile)); /* no SPS yet */
    anc_stream_push_au(stream, p_au, sizeof(p_au), false, 1);
    CHECK(!anc_stream_profile(stream, &profile));
    anc_stream_push_au(stream, idr_au, sizeof(idr_au), true, 2);
    CHECK(anc_stream_profile(stream, &profile));
    CHECK_EQ(profile, 0x42c01f);
    anc_stream_push_au(stream, high_au, sizeof(high_au), true, 3);
    CHECK(anc_stream_profile(stream, &profile));
    CHECK_EQ(profile, 0x640029);
    anc_stream_push_au(stream, p_au, sizeof(p_au), false, 4);
    anc_stream_push_au(stream, late_sps_au, sizeof(late_sps_au), false, 5);
    anc_stream_push_au(stream, short_sps_au, sizeof(short_sps_au), false, 6);
    CHECK(anc_stream_profile(stream, &profile));
    CHECK_EQ(profile, 0x640029);
    anc_stream_push_au(stream, main_au, sizeof(main_au), true, 7);
    CHECK(anc_stream_profile(stream, &profile));
    CHECK_EQ(profile, 0x4d0028);

    /* x264's own keyframe passed through: constrained baseline (constraint_set0 and 1) at the
     * level our encoder signals. */
    struct anc_encoder *enc;
    struct anc_encoder_params ep = {.width = 64, .height = 48, .fps = 30, .bitrate_kbps = 300};
    CHECK_EQ(anc_encoder_new(&ep, &enc), 0);
    uint8_t *argb = calloc(64 * 48, 4);
    CHECK(argb);
    anc_pattern_draw(argb, 64, 48, 64 * 4, 0, 0);
    struct anc_encoder_output out = {0};
    CHECK_EQ(anc_encoder_encode_argb(enc, argb, 64 * 4, 0, true, &out), 1);
    CHECK(out.keyframe);
    anc_stream_push_au(stream, out.data, out.len, true, 8);
    CHECK(anc_stream_profile(stream, &profile));
    CHECK_EQ(profile >> 8, 0x42c0);
    CHECK_EQ(profile & 0xff, (uint32_t)anc_encoder_level(enc));
    anc_encoder_output_destroy(&out);
    anc_encoder_free(enc);
    free(argb);

    anc_stream_close(stream);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

/* Stills: the source's current picture reaches work() on a threadpool worker (the test card of
 * the still's frame and time, exactly), without viewers or the encoder; at most
 * ANC_STREAM_MAX_STILLS at once; a stream closed with stills in flight is freed only after their
 * done(), which still gets its picture. */
struct test_still {
    struct anc_stream_still base;
    bool same;
    int status, done_order;
};

static int stills_done, stream_freed_after;
static uv_sem_t stills_go; /* the workers wait for it: the close comes while they run */

static bool card(void *data, uint8_t *argb, int stride, uint64_t frame, uint64_t time_ms)
{
    (void)data;
    anc_pattern_draw(argb, 64, 48, stride, frame, time_ms);
    return true;
}

static void still_work(struct anc_stream_still *st, const uint8_t *argb, int stride, int w, int h)
{
    struct test_still *ts = (struct test_still *)st;
    uint8_t want[64 * 48 * 4];
    uv_sem_wait(&stills_go);
    CHECK(argb && w == 64 && h == 48 && stride == 64 * 4);
    anc_pattern_draw(want, 64, 48, 64 * 4, st->frame, st->time_ms);
    ts->same = memcmp(want, argb, sizeof(want)) == 0;
}

static void still_done(struct anc_stream_still *st, int status)
{
    struct test_still *ts = (struct test_still *)st;
    ts->status = status;
    ts->done_order = ++stills_done;
}

static void on_stream_freed(void *arg)
{
    (void)arg;
    stream_freed_after = stills_done;
}

static void release_stills(uv_timer_t *t)
{
    for (int i = 0; i < ANC_STREAM_MAX_STILLS; i++)
        uv_sem_post(&stills_go);
    uv_close((uv_handle_t *)t, NULL);
}

TEST(stills_draw_the_current_picture_and_hold_the_close)
{
    uv_loop_t loop;
    uv_timer_t go;
    struct test_still st[ANC_STREAM_MAX_STILLS + 1];
    memset(st, 0, sizeof(st));
    uv_loop_init(&loop);
    CHECK_EQ(uv_sem_init(&stills_go, 0), 0);
    uv_timer_init(&loop, &go);
    uv_timer_start(&go, release_stills, 100, 0);
    pool_closed = false;
    stills_done = 0;
    stream_freed_after = -1;
    CHECK_EQ(anc_encpool_init(&pool, &loop, 1), 0);
    CHECK_EQ(anc_stream_new(&loop, &pool, &test_params,
                            (struct anc_stream_source){card, NULL, NULL}, &stream),
             0);
    for (int i = 0; i <= ANC_STREAM_MAX_STILLS; i++) {
        st[i].base.work = still_work;
        st[i].base.done = still_done;
        int r = anc_stream_still(stream, &st[i].base);
        CHECK_EQ(r, i < ANC_STREAM_MAX_STILLS ? 0 : -EBUSY);
    }
    anc_stream_close_then(stream, on_stream_freed, NULL);
    struct test_still late = {.base = {.work = still_work, .done = still_done}};
    CHECK_EQ(anc_stream_still(stream, &late.base), -ESHUTDOWN);
    anc_encpool_close(&pool, on_pool_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(stills_done, ANC_STREAM_MAX_STILLS);
    CHECK_EQ(stream_freed_after, ANC_STREAM_MAX_STILLS);
    for (int i = 0; i < ANC_STREAM_MAX_STILLS; i++) {
        CHECK_EQ(st[i].status, 0);
        CHECK(st[i].same);
    }
    CHECK_EQ(st[ANC_STREAM_MAX_STILLS].done_order, 0);
    CHECK(pool_closed);
    CHECK_EQ(uv_loop_close(&loop), 0);
    uv_sem_destroy(&stills_go);

    /* A pass-through stream's H.264 is never decoded here: no still. */
    struct anc_stream_params p = {.bitrate_kbps = 1000};
    uv_loop_init(&loop);
    CHECK_EQ(anc_stream_new_passthrough(&loop, &p, &pt_ops, &owner, &stream), 0);
    CHECK_EQ(anc_stream_still(stream, &late.base), -ENOTSUP);
    anc_stream_close(stream);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
