/* H.264 SPS → picture size. Exp-Golomb reads are bounded by the RBSP; values are checked against
 * the ranges of H.264 7.4.2.1.1 so that nothing downstream overflows. */
#include "agent/h264_sps.h"

#include <errno.h>
#include <stdbool.h>

#define NAL_SPS 7

struct bits {
    const uint8_t *p;
    size_t len, pos; /* in bits */
    bool overrun;
};

static uint32_t bit(struct bits *b)
{
    if (b->pos >= b->len * 8) {
        b->overrun = true;
        return 0;
    }
    uint32_t v = (b->p[b->pos / 8] >> (7 - b->pos % 8)) & 1;
    b->pos++;
    return v;
}

static uint32_t u(struct bits *b, unsigned n)
{
    uint32_t v = 0;
    while (n--)
        v = (v << 1) | bit(b);
    return v;
}

/* ue(v); a value above 2^32 - 2 (32 or more leading zeros) marks the reader overrun. */
static uint32_t ue(struct bits *b)
{
    unsigned zeros = 0;
    while (!bit(b) && !b->overrun) {
        if (++zeros > 31) {
            b->overrun = true;
            return 0;
        }
    }
    if (b->overrun)
        return 0;
    return (uint32_t)(((uint64_t)1 << zeros) - 1 + u(b, zeros));
}

static int32_t se(struct bits *b)
{
    uint32_t k = ue(b);
    return k & 1 ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

/* Copies the RBSP (emulation prevention bytes 00 00 03 → 00 00) of nal[1..len), at most cap. */
static size_t unescape(const uint8_t *nal, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0, zeros = 0;
    for (size_t i = 1; i < len && n < cap; i++) {
        if (zeros >= 2 && nal[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = nal[i] == 0 ? zeros + 1 : 0;
        out[n++] = nal[i];
    }
    return n;
}

static void skip_scaling_list(struct bits *b, unsigned size)
{
    int32_t last = 8, next = 8;
    for (unsigned j = 0; j < size && !b->overrun; j++) {
        if (next != 0) {
            int32_t delta = se(b);
            if (delta < -128 || delta > 127)
                b->overrun = true;
            next = (last + delta + 256) % 256;
        }
        last = next == 0 ? last : next;
    }
}

static bool high_profile(uint8_t p)
{
    static const uint8_t high[] = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135};
    for (size_t i = 0; i < sizeof(high); i++)
        if (p == high[i])
            return true;
    return false;
}

/* chroma_format_idc .. the scaling lists of a high profile. Returns false when malformed. */
static bool high_fields(struct bits *b, struct anc_h264_sps *out, bool *separate_planes)
{
    out->chroma_format_idc = ue(b);
    if (out->chroma_format_idc > 3)
        return false;
    if (out->chroma_format_idc == 3)
        *separate_planes = bit(b);
    if (ue(b) > 6 || ue(b) > 6) /* bit_depth_luma_minus8, bit_depth_chroma_minus8 */
        return false;
    bit(b);       /* qpprime_y_zero_transform_bypass_flag */
    if (bit(b)) { /* seq_scaling_matrix_present_flag */
        unsigned lists = out->chroma_format_idc != 3 ? 8 : 12;
        for (unsigned i = 0; i < lists && !b->overrun; i++)
            if (bit(b))
                skip_scaling_list(b, i < 6 ? 16 : 64);
    }
    return !b->overrun;
}

static bool poc_fields(struct bits *b)
{
    uint32_t type = ue(b);
    if (type == 0)
        return ue(b) <= 12; /* log2_max_pic_order_cnt_lsb_minus4 */
    if (type != 1)
        return type == 2;
    bit(b); /* delta_pic_order_always_zero_flag */
    se(b);  /* offset_for_non_ref_pic */
    se(b);  /* offset_for_top_to_bottom_field */
    uint32_t n = ue(b);
    if (n > 255)
        return false;
    for (uint32_t i = 0; i < n && !b->overrun; i++)
        se(b);
    return !b->overrun;
}

/* The size from pic_width_in_mbs_minus1 to the frame cropping (7.4.2.1.1, table 6-1). */
static bool size_fields(struct bits *b, struct anc_h264_sps *out, bool separate_planes)
{
    uint64_t w_mbs = (uint64_t)ue(b) + 1, h_units = (uint64_t)ue(b) + 1;
    uint32_t frame_mbs_only = bit(b);
    if (!frame_mbs_only)
        bit(b); /* mb_adaptive_frame_field_flag */
    bit(b);     /* direct_8x8_inference_flag */
    uint64_t crop[4] = {0, 0, 0, 0};
    if (bit(b))
        for (int i = 0; i < 4; i++)
            crop[i] = ue(b);
    if (b->overrun)
        return false;
    uint32_t cat = separate_planes ? 0 : out->chroma_format_idc;
    uint64_t sub_w = cat == 1 || cat == 2 ? 2 : 1, sub_h = cat == 1 ? 2 : 1;
    uint64_t unit_x = cat == 0 ? 1 : sub_w, unit_y = (cat == 0 ? 1 : sub_h) * (2 - frame_mbs_only);
    uint64_t w = w_mbs * 16, h = h_units * 16 * (2 - frame_mbs_only);
    uint64_t cw = unit_x * (crop[0] + crop[1]), ch = unit_y * (crop[2] + crop[3]);
    if (w > ANC_H264_SPS_SIZE_MAX || h > ANC_H264_SPS_SIZE_MAX || cw >= w || ch >= h)
        return false;
    out->width = (uint32_t)(w - cw);
    out->height = (uint32_t)(h - ch);
    return true;
}

int anc_h264_sps_parse(const uint8_t *nal, size_t len, struct anc_h264_sps *out)
{
    uint8_t rbsp[ANC_H264_SPS_RBSP_MAX];
    bool separate_planes = false;

    if (len < 1 || (nal[0] & 0x80) || (nal[0] & 0x1f) != NAL_SPS)
        return -EINVAL;
    struct bits b = {.p = rbsp, .len = unescape(nal, len, rbsp, sizeof(rbsp))};
    *out = (struct anc_h264_sps){.chroma_format_idc = 1};
    out->profile_idc = (uint8_t)u(&b, 8);
    u(&b, 8); /* constraint flags */
    out->level_idc = (uint8_t)u(&b, 8);
    if (ue(&b) > 31) /* seq_parameter_set_id */
        return -EBADMSG;
    if (high_profile(out->profile_idc) && !high_fields(&b, out, &separate_planes))
        return -EBADMSG;
    if (ue(&b) > 12 || !poc_fields(&b)) /* log2_max_frame_num_minus4, then POC */
        return -EBADMSG;
    ue(&b);  /* max_num_ref_frames */
    bit(&b); /* gaps_in_frame_num_value_allowed_flag */
    return size_fields(&b, out, separate_planes) ? 0 : -EBADMSG;
}

int anc_h264_sps_find(const uint8_t *buf, size_t len, struct anc_h264_sps *out)
{
    for (size_t i = 0; i + 3 < len; i++) {
        if (buf[i] != 0 || buf[i + 1] != 0 || buf[i + 2] != 1)
            continue;
        size_t start = i + 3, end = start;
        while (end + 2 < len && !(buf[end] == 0 && buf[end + 1] == 0 && buf[end + 2] <= 1))
            end++;
        if (end + 2 >= len)
            end = len;
        if ((buf[start] & 0x1f) == NAL_SPS)
            return anc_h264_sps_parse(buf + start, end - start, out);
        i = end - 1;
    }
    return -ENOENT;
}
