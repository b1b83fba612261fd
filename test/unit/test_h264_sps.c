/* The SPS size parser against SPS that x264 wrote (baseline portrait and landscape, a cropped
 * 1080x1920, a High-profile interlaced one) and against hand-built ones for what x264 never
 * writes (scaling lists, POC type 1, 4:4:4 with separate planes). */
#include <errno.h>

#include "agent/h264_sps.h"
#include "test.h"

/* x264 (ultrafast, baseline) 720x1280 and 1280x720: no cropping. Both carry an emulation
 * prevention byte (00 00 03) in their VUI. */
static const uint8_t sps_720x1280[] = {0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x1f, 0xda,
                                       0x02, 0xd0, 0x28, 0x68, 0x40, 0x00, 0x00, 0x03, 0x00,
                                       0x40, 0x00, 0x00, 0x0c, 0x83, 0xc6, 0x0c, 0xa8};
static const uint8_t sps_1280x720[] = {0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x1f, 0xda,
                                       0x01, 0x40, 0x16, 0xe8, 0x40, 0x00, 0x00, 0x03, 0x00,
                                       0x40, 0x00, 0x00, 0x0c, 0x83, 0xc6, 0x0c, 0xa8};
/* x264 1080x1920: 68 macroblocks wide (1088), cropped by 8 on the right. */
static const uint8_t sps_1080x1920[] = {0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x28, 0xda, 0x01,
                                        0x10, 0x0f, 0x1e, 0x5e, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
                                        0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x2a};
/* x264 (medium, High, interlaced) 1080x1920: frame_mbs_only_flag 0, so the height is in field
 * macroblock pairs (60 × 32) and the crop unit doubles vertically. */
static const uint8_t sps_high_interlaced[] = {
    0x00, 0x00, 0x00, 0x01, 0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x44, 0x07, 0x8f, 0x2f,
    0x08, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x90, 0xf8, 0xb1, 0x6c, 0xb0};

static void check_size(const uint8_t *buf, size_t len, uint32_t w, uint32_t h)
{
    struct anc_h264_sps sps;
    CHECK_EQ(anc_h264_sps_find(buf, len, &sps), 0);
    CHECK_EQ(sps.width, w);
    CHECK_EQ(sps.height, h);
}

TEST(x264_sizes)
{
    check_size(sps_720x1280, sizeof(sps_720x1280), 720, 1280);
    check_size(sps_1280x720, sizeof(sps_1280x720), 1280, 720);
    check_size(sps_1080x1920, sizeof(sps_1080x1920), 1080, 1920);
    check_size(sps_high_interlaced, sizeof(sps_high_interlaced), 1080, 1920);
    struct anc_h264_sps sps;
    CHECK_EQ(anc_h264_sps_parse(sps_high_interlaced + 4, sizeof(sps_high_interlaced) - 4, &sps), 0);
    CHECK_EQ(sps.profile_idc, 100);
    CHECK_EQ(sps.level_idc, 40);
    CHECK_EQ(sps.chroma_format_idc, 1);
}

TEST(sps_among_other_nals)
{
    /* An AUD, then the SPS after a 3-byte start code, then a PPS. */
    uint8_t buf[64] = {0x00, 0x00, 0x00, 0x01, 0x09, 0xf0, 0x00, 0x00, 0x01};
    size_t n = 9;
    memcpy(buf + n, sps_1280x720 + 4, sizeof(sps_1280x720) - 4);
    n += sizeof(sps_1280x720) - 4;
    static const uint8_t pps[] = {0x00, 0x00, 0x00, 0x01, 0x68, 0xce, 0x3c, 0x80};
    memcpy(buf + n, pps, sizeof(pps));
    n += sizeof(pps);
    check_size(buf, n, 1280, 720);
    struct anc_h264_sps sps;
    CHECK_EQ(anc_h264_sps_find(pps, sizeof(pps), &sps), -ENOENT);
    CHECK_EQ(anc_h264_sps_find(buf, 0, &sps), -ENOENT);
    CHECK_EQ(anc_h264_sps_parse(pps + 4, sizeof(pps) - 4, &sps), -EINVAL);
}

TEST(every_truncation_fails_cleanly)
{
    struct anc_h264_sps sps;
    /* Up to the end of frame cropping every byte matters; the VUI after it does not. */
    for (size_t n = 4; n < 13; n++) {
        int r = anc_h264_sps_find(sps_1080x1920, n, &sps);
        CHECK(r == -EBADMSG || r == -ENOENT);
    }
    check_size(sps_1080x1920, 15, 1080, 1920);
}

/* ---- Hand-built SPS ---- */

struct writer {
    uint8_t buf[256];
    size_t bits;
};

static void put_bit(struct writer *w, unsigned v)
{
    if (v)
        w->buf[w->bits / 8] |= (uint8_t)(0x80 >> (w->bits % 8));
    w->bits++;
}

static void put_u(struct writer *w, uint32_t v, unsigned n)
{
    while (n--)
        put_bit(w, (v >> n) & 1);
}

static void put_ue(struct writer *w, uint32_t v)
{
    unsigned n = 0;
    while (((uint64_t)v + 1) >> (n + 1))
        n++;
    put_u(w, 0, n);
    put_u(w, v + 1, n + 1);
}

static void put_se(struct writer *w, int32_t v)
{
    put_ue(w, v > 0 ? (uint32_t)(2 * v - 1) : (uint32_t)(-2 * v));
}

/* The NAL of a written RBSP: header 0x67, emulation prevention inserted, stop bit. */
static size_t to_nal(struct writer *w, uint8_t *out)
{
    put_bit(w, 1);
    size_t len = (w->bits + 7) / 8, n = 0, zeros = 0;
    out[n++] = 0x67;
    for (size_t i = 0; i < len; i++) {
        if (zeros >= 2 && w->buf[i] <= 3) {
            out[n++] = 3;
            zeros = 0;
        }
        zeros = w->buf[i] == 0 ? zeros + 1 : 0;
        out[n++] = w->buf[i];
    }
    return n;
}

/* profile 100, 4:2:0 or 4:4:4, every scaling list present (4x4 with varied deltas, 8x8 "use
 * the default" at once), POC type 1 with a cycle, then the size fields. */
static size_t high_sps(uint8_t *out, uint32_t chroma, uint32_t w_mbs, uint32_t h_units,
                       bool frame_mbs_only, const uint32_t crop[4])
{
    struct writer w = {0};
    put_u(&w, 100, 8);
    put_u(&w, 0, 8);
    put_u(&w, 31, 8);
    put_ue(&w, 0);      /* sps id */
    put_ue(&w, chroma); /* chroma_format_idc */
    if (chroma == 3)
        put_bit(&w, 1); /* separate_colour_plane_flag */
    put_ue(&w, 2);      /* bit depths */
    put_ue(&w, 2);
    put_bit(&w, 0);
    put_bit(&w, 1); /* seq_scaling_matrix_present_flag */
    for (unsigned i = 0; i < (chroma == 3 ? 12u : 8u); i++) {
        put_bit(&w, 1);
        if (i < 6) {
            for (int j = 0; j < 16; j++)
                put_se(&w, j % 2 ? -(int32_t)(j * 7) : (int32_t)(j * 8)); /* up to ±127 */
        } else {
            put_se(&w, -8); /* nextScale 0: the default list, nothing more */
        }
    }
    put_ue(&w, 0); /* log2_max_frame_num_minus4 */
    put_ue(&w, 1); /* pic_order_cnt_type 1 */
    put_bit(&w, 0);
    put_se(&w, -3);
    put_se(&w, 5);
    put_ue(&w, 3);
    for (int i = 0; i < 3; i++)
        put_se(&w, i - 1);
    put_ue(&w, 4); /* max_num_ref_frames */
    put_bit(&w, 0);
    put_ue(&w, w_mbs - 1);
    put_ue(&w, h_units - 1);
    put_bit(&w, frame_mbs_only);
    if (!frame_mbs_only)
        put_bit(&w, 1);
    put_bit(&w, 1);
    put_bit(&w, crop != NULL);
    for (int i = 0; crop && i < 4; i++)
        put_ue(&w, crop[i]);
    put_bit(&w, 0); /* no VUI */
    return to_nal(&w, out);
}

TEST(scaling_lists_poc_type_1_and_cropping)
{
    uint8_t nal[512];
    struct anc_h264_sps sps;
    /* 1080x1920 as 68x120 macroblocks, 4:2:0: crop units are 2 pixels; right 4 → 8 pixels. */
    const uint32_t crop_right[4] = {0, 4, 0, 0};
    size_t n = high_sps(nal, 1, 68, 120, true, crop_right);
    CHECK_EQ(anc_h264_sps_parse(nal, n, &sps), 0);
    CHECK_EQ(sps.width, 1080);
    CHECK_EQ(sps.height, 1920);
    /* 4:4:4 with separate planes: ChromaArrayType 0, crop units of 1 (2 rows interlaced). */
    const uint32_t crop_all[4] = {1, 2, 3, 4};
    n = high_sps(nal, 3, 80, 23, false, crop_all);
    CHECK_EQ(anc_h264_sps_parse(nal, n, &sps), 0);
    CHECK_EQ(sps.chroma_format_idc, 3);
    CHECK_EQ(sps.width, 80 * 16 - 3);
    CHECK_EQ(sps.height, 23 * 32 - 2 * 7);
    /* A crop that eats the picture, a side above the limit. */
    const uint32_t crop_too_much[4] = {0, 0, 320, 320};
    n = high_sps(nal, 1, 40, 40, true, crop_too_much);
    CHECK_EQ(anc_h264_sps_parse(nal, n, &sps), -EBADMSG);
    n = high_sps(nal, 1, 1025, 40, true, NULL);
    CHECK_EQ(anc_h264_sps_parse(nal, n, &sps), -EBADMSG);
    n = high_sps(nal, 1, 1024, 1024, true, NULL);
    CHECK_EQ(anc_h264_sps_parse(nal, n, &sps), 0);
    CHECK_EQ(sps.width, 16384);
}

TEST(malformed)
{
    struct anc_h264_sps sps;
    /* 33 leading zeros for the sps id: no exp-Golomb value that big. */
    static const uint8_t long_ue[] = {0x67, 0x42, 0xc0, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
    CHECK_EQ(anc_h264_sps_parse(long_ue, sizeof(long_ue), &sps), -EBADMSG);
    static const uint8_t forbidden[] = {0xe7, 0x42, 0xc0, 0x1f, 0xda};
    CHECK_EQ(anc_h264_sps_parse(forbidden, sizeof(forbidden), &sps), -EINVAL);
    CHECK_EQ(anc_h264_sps_parse(forbidden, 0, &sps), -EINVAL);
    /* Only zeros after the header: every read runs out. */
    static const uint8_t zeros[64] = {0x67};
    CHECK_EQ(anc_h264_sps_parse(zeros, sizeof(zeros), &sps), -EBADMSG);
}
