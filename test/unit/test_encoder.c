#include <errno.h>
#include <stdint.h>

#include "media/encoder.h"
#include "media/pattern.h"
#include "rtc/h264_pack.h"
#include "test.h"

TEST(level)
{
    CHECK_EQ(anc_encoder_pick_level(720, 1280, 30, 0), 31);
    CHECK_EQ(anc_encoder_pick_level(1280, 720, 30, 0), 31);
    CHECK_EQ(anc_encoder_pick_level(1080, 1920, 30, 0), 40);
    CHECK_EQ(anc_encoder_pick_level(1080, 1920, 60, 0), 42);
    CHECK_EQ(anc_encoder_pick_level(176, 144, 15, 0), 10);
    CHECK_EQ(anc_encoder_pick_level(720, 1280, 30, 15000), 32); /* MaxBR of 3.1 is 14 Mbit/s */
    /* 4096 wide and 16 high fits MaxFS of 3.1 but not its sqrt(8 * MaxFS) width limit. */
    CHECK(anc_encoder_pick_level(4096, 16, 30, 0) > 31);
    CHECK_EQ(anc_encoder_pick_level(0, 16, 30, 0), -EINVAL);
    CHECK_EQ(anc_encoder_pick_level(16384, 16384, 30, 0), -EINVAL);
}

struct fixture {
    struct anc_encoder *enc;
    uint8_t *argb;
    int width, height, stride;
    struct anc_encoder_output out;
};

static void fixture_init(struct fixture *f, int width, int height, int kbps)
{
    struct anc_encoder_params p = {
        .width = width, .height = height, .fps = 30, .bitrate_kbps = kbps};
    memset(f, 0, sizeof(*f));
    CHECK_EQ(anc_encoder_new(&p, &f->enc), 0);
    f->width = width;
    f->height = height;
    f->stride = 4 * width;
    f->argb = malloc((size_t)f->stride * (size_t)height);
    CHECK(f->argb);
}

static void fixture_destroy(struct fixture *f)
{
    anc_encoder_output_destroy(&f->out);
    free(f->argb);
    anc_encoder_free(f->enc);
}

static size_t encode(struct fixture *f, int frame, bool force)
{
    anc_pattern_draw(f->argb, f->width, f->height, f->stride, (uint64_t)frame,
                     (uint64_t)frame * 33);
    CHECK_EQ(anc_encoder_encode_argb(f->enc, f->argb, f->stride, frame, force, &f->out), 1);
    return f->out.len;
}

/* The NAL unit types of the access unit in f->out, in order. */
static int nal_types(const struct fixture *f, int *types, int max)
{
    size_t pos = 0, len;
    const uint8_t *nal;
    int n = 0;
    while (n < max && anc_h264_next_nal(f->out.data, f->out.len, &pos, &nal, &len))
        types[n++] = nal[0] & 0x1f;
    return n;
}

static bool has_idr(const struct fixture *f)
{
    int t[16];
    int n = nal_types(f, t, 16);
    for (int i = 0; i < n; i++)
        if (t[i] == 5)
            return true;
    return false;
}

TEST(params_rejected)
{
    struct anc_encoder *enc = (void *)1;
    struct anc_encoder_params p = {.width = 721, .height = 1280, .fps = 30, .bitrate_kbps = 1000};
    CHECK_EQ(anc_encoder_new(&p, &enc), -EINVAL);
    CHECK(enc == NULL);
    p.width = 720;
    p.preset = "no-such-preset";
    CHECK_EQ(anc_encoder_new(&p, &enc), -EINVAL);
    anc_encoder_free(NULL);
    anc_encoder_output_destroy(NULL);
}

TEST(constrained_baseline_sps)
{
    struct fixture f;
    fixture_init(&f, 720, 1280, 2000);
    CHECK_EQ(anc_encoder_level(f.enc), 31);
    encode(&f, 0, false);
    CHECK(f.out.keyframe);
    size_t pos = 0, len;
    const uint8_t *nal;
    CHECK(anc_h264_next_nal(f.out.data, f.out.len, &pos, &nal, &len));
    CHECK_EQ(nal[0] & 0x1f, 7);
    CHECK(len >= 4);
    CHECK_EQ(nal[1], 66);        /* profile_idc: Baseline */
    CHECK((nal[2] & 0x80) != 0); /* constraint_set0 */
    CHECK((nal[2] & 0x40) != 0); /* constraint_set1: constrained baseline */
    CHECK_EQ(nal[3], 31);        /* level_idc */
    int t[16];
    int n = nal_types(&f, t, 16);
    CHECK(n >= 3);
    CHECK_EQ(t[0], 7);
    CHECK_EQ(t[1], 8);
    CHECK(has_idr(&f));
    fixture_destroy(&f);
}

TEST(level_1080x1920)
{
    struct fixture f;
    fixture_init(&f, 1080, 1920, 4000);
    CHECK_EQ(anc_encoder_level(f.enc), 40);
    encode(&f, 0, false);
    CHECK_EQ(f.out.data[4] & 0x1f, 7);
    CHECK_EQ(f.out.data[7], 40);
    fixture_destroy(&f);
}

TEST(keyframe_on_request)
{
    struct fixture f;
    fixture_init(&f, 320, 240, 500);
    encode(&f, 0, false);
    CHECK(f.out.keyframe && has_idr(&f));
    for (int i = 1; i < 5; i++) {
        encode(&f, i, false);
        CHECK(!f.out.keyframe && !has_idr(&f));
    }
    encode(&f, 5, true);
    CHECK(f.out.keyframe && has_idr(&f));
    int t[16];
    CHECK(nal_types(&f, t, 16) >= 3 && t[0] == 7 && t[1] == 8); /* headers repeated */
    encode(&f, 6, false);
    CHECK(!f.out.keyframe);
    anc_encoder_request_keyframe(f.enc);
    encode(&f, 7, false);
    CHECK(f.out.keyframe && has_idr(&f));
    encode(&f, 8, false);
    CHECK(!f.out.keyframe);
    fixture_destroy(&f);
}

TEST(bitrate_reconfig)
{
    struct fixture f;
    fixture_init(&f, 720, 1280, 4000);
    size_t high = 0, low = 0;
    for (int i = 0; i < 30; i++) {
        size_t n = encode(&f, i, false);
        if (i >= 10)
            high += n;
    }
    CHECK_EQ(anc_encoder_set_bitrate(f.enc, 300), 0);
    CHECK_EQ(anc_encoder_bitrate(f.enc), 300);
    for (int i = 30; i < 60; i++) {
        size_t n = encode(&f, i, false);
        if (i >= 40)
            low += n;
    }
    fprintf(stderr, "20 frames at 4000 kbps: %zu bytes; at 300 kbps: %zu bytes\n", high, low);
    CHECK(low * 3 < high);
    CHECK_EQ(anc_encoder_set_bitrate(f.enc, 0), -EINVAL);
    fixture_destroy(&f);
}

TEST(encode_i420)
{
    struct anc_encoder_params p = {.width = 64, .height = 48, .fps = 30, .bitrate_kbps = 200};
    struct anc_encoder *enc;
    CHECK_EQ(anc_encoder_new(&p, &enc), 0);
    uint8_t y[64 * 48], u[32 * 24], v[32 * 24];
    struct anc_encoder_output out = {0};
    for (int i = 0; i < 3; i++) {
        memset(y, 16 + 40 * i, sizeof(y));
        memset(u, 128, sizeof(u));
        memset(v, 128, sizeof(v));
        CHECK_EQ(anc_encoder_encode_i420(enc, y, 64, u, 32, v, 32, i, false, &out), 1);
        CHECK(out.len > 0);
        CHECK_EQ(out.keyframe, i == 0);
        CHECK_EQ(out.pts, i);
    }
    anc_encoder_output_destroy(&out);
    anc_encoder_free(enc);
}

TEST(pattern_deterministic)
{
    int w = 720, h = 1280;
    uint8_t *a = malloc((size_t)w * h * 4), *b = malloc((size_t)w * h * 4);
    CHECK(a && b);
    anc_pattern_draw(a, w, h, w * 4, 17, 3723004);
    anc_pattern_draw(b, w, h, w * 4, 17, 3723004);
    CHECK(memcmp(a, b, (size_t)w * h * 4) == 0);
    anc_pattern_draw(b, w, h, w * 4, 18, 3723004);
    CHECK(memcmp(a, b, (size_t)w * h * 4) != 0);
    anc_pattern_draw(b, w, h, w * 4, 17, 3723005);
    CHECK(memcmp(a, b, (size_t)w * h * 4) != 0);
    for (size_t i = 3; i < (size_t)w * h * 4; i += 4)
        CHECK_EQ(a[i], 0xff);
    anc_pattern_draw(a, 8, 8, 32, 1, 1); /* tiny: background only, no crash */
    free(a);
    free(b);
}
