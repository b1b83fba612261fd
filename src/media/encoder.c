#include "media/encoder.h"

#include <errno.h>
#include <libyuv.h>
#include <stdlib.h>
#include <string.h>
#include <x264.h>

struct anc_encoder {
    x264_t *x264;
    x264_param_t param; /* the settings last applied, kept for reconfiguration */
    x264_picture_t pic; /* I420 planes owned by x264_picture_alloc, filled from ARGB */
    bool pic_allocated;
    bool keyframe_requested;
    int width, height;
};

/* H.264 Table A-1 limits: level_idc, MaxMBPS (MB/s), MaxFS (MBs), MaxBR (kbit/s, baseline). */
static const struct {
    int idc;
    long max_mbps, max_fs, max_br;
} levels[] = {
    {10, 1485, 99, 64},           {11, 3000, 396, 192},        {12, 6000, 396, 384},
    {13, 11880, 396, 768},        {20, 11880, 396, 2000},      {21, 19800, 792, 4000},
    {22, 20250, 1620, 4000},      {30, 40500, 1620, 10000},    {31, 108000, 3600, 14000},
    {32, 216000, 5120, 20000},    {40, 245760, 8192, 20000},   {41, 245760, 8192, 50000},
    {42, 522240, 8704, 50000},    {50, 589824, 22080, 135000}, {51, 983040, 36864, 240000},
    {52, 2073600, 36864, 240000},
};

int anc_encoder_pick_level(int width, int height, int fps, int bitrate_kbps)
{
    if (width <= 0 || height <= 0 || fps <= 0)
        return -EINVAL;
    long mbw = (width + 15) / 16, mbh = (height + 15) / 16, fs = mbw * mbh;
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        long max_fs = levels[i].max_fs;
        /* Each dimension in MBs must stay within sqrt(8 * MaxFS) (A.3.1 h, i). */
        if (fs > max_fs || mbw * mbw > 8 * max_fs || mbh * mbh > 8 * max_fs)
            continue;
        if (fs * fps > levels[i].max_mbps)
            continue;
        if (bitrate_kbps > 0 && bitrate_kbps > levels[i].max_br)
            continue;
        return levels[i].idc;
    }
    return -EINVAL;
}

static void set_rate(x264_param_t *x, int kbps, int fps)
{
    x->rc.i_rc_method = X264_RC_ABR;
    x->rc.i_bitrate = kbps;
    x->rc.i_vbv_max_bitrate = kbps;
    /* About one frame of buffer: low latency at the cost of quality swings. */
    x->rc.i_vbv_buffer_size = kbps / fps > 0 ? kbps / fps : 1;
}

static int fill_param(x264_param_t *x, const struct anc_encoder_params *p, int level)
{
    const char *preset = p->preset ? p->preset : "ultrafast";
    if (x264_param_default_preset(x, preset, "zerolatency") < 0)
        return -EINVAL;
    x->i_log_level = X264_LOG_ERROR;
    x->i_threads = p->threads > 0 ? p->threads : 1;
    x->b_sliced_threads = 0;
    x->i_width = p->width;
    x->i_height = p->height;
    x->i_csp = X264_CSP_I420;
    x->i_fps_num = (uint32_t)p->fps;
    x->i_fps_den = 1;
    x->i_timebase_num = 1;
    x->i_timebase_den = (uint32_t)p->fps;
    x->b_vfr_input = 0;
    x->i_level_idc = level;
    x->i_bframe = 0;
    x->i_keyint_max = p->fps * 10;
    x->i_keyint_min = p->fps;
    x->b_intra_refresh = 0;
    x->b_repeat_headers = 1;
    x->b_annexb = 1;
    x->b_aud = 0;
    set_rate(x, p->bitrate_kbps, p->fps);
    if (x264_param_apply_profile(x, "baseline") < 0)
        return -EINVAL;
    /* Baseline already implies both; kept explicit because browsers' decoders depend on it. */
    x->b_cabac = 0;
    x->analyse.b_transform_8x8 = 0;
    return 0;
}

int anc_encoder_new(const struct anc_encoder_params *p, struct anc_encoder **out)
{
    int r;
    *out = NULL;
    if (p->width <= 0 || p->height <= 0 || (p->width | p->height) & 1 || p->fps <= 0 ||
        p->bitrate_kbps <= 0)
        return -EINVAL;
    /* The level follows from geometry and frame rate only: later bitrate changes keep it. */
    int level = anc_encoder_pick_level(p->width, p->height, p->fps, 0);
    if (level < 0)
        return level;
    struct anc_encoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return -ENOMEM;
    enc->width = p->width;
    enc->height = p->height;
    r = fill_param(&enc->param, p, level);
    if (r < 0)
        goto fail;
    r = -ENOMEM;
    if (x264_picture_alloc(&enc->pic, X264_CSP_I420, p->width, p->height) < 0)
        goto fail;
    enc->pic_allocated = true;
    r = -EINVAL;
    enc->x264 = x264_encoder_open(&enc->param);
    if (!enc->x264)
        goto fail;
    *out = enc;
    return 0;
fail:
    anc_encoder_free(enc);
    return r;
}

void anc_encoder_free(struct anc_encoder *enc)
{
    if (!enc)
        return;
    if (enc->x264)
        x264_encoder_close(enc->x264);
    if (enc->pic_allocated)
        x264_picture_clean(&enc->pic);
    free(enc);
}

void anc_encoder_output_destroy(struct anc_encoder_output *out)
{
    if (!out)
        return;
    free(out->data);
    memset(out, 0, sizeof(*out));
}

static int output_reserve(struct anc_encoder_output *out, size_t need)
{
    if (need <= out->cap)
        return 0;
    size_t cap = out->cap ? out->cap : 65536;
    while (cap < need)
        cap *= 2;
    uint8_t *nd = realloc(out->data, cap);
    if (!nd)
        return -ENOMEM;
    out->data = nd;
    out->cap = cap;
    return 0;
}

static int encode_picture(struct anc_encoder *enc, x264_picture_t *in, int64_t pts,
                          bool force_keyframe, struct anc_encoder_output *out)
{
    x264_nal_t *nals;
    int n_nals;
    x264_picture_t pic_out;

    in->i_pts = pts;
    in->i_type = force_keyframe || enc->keyframe_requested ? X264_TYPE_IDR : X264_TYPE_AUTO;
    enc->keyframe_requested = false;
    int size = x264_encoder_encode(enc->x264, &nals, &n_nals, in, &pic_out);
    if (size < 0)
        return -EIO;
    out->len = 0;
    if (size == 0)
        return 0;
    if (output_reserve(out, (size_t)size) < 0)
        return -ENOMEM;
    for (int i = 0; i < n_nals; i++) {
        memcpy(out->data + out->len, nals[i].p_payload, (size_t)nals[i].i_payload);
        out->len += (size_t)nals[i].i_payload;
    }
    out->keyframe = pic_out.b_keyframe;
    out->pts = pic_out.i_pts;
    return 1;
}

int anc_encoder_encode_argb(struct anc_encoder *enc, const uint8_t *argb, int stride, int64_t pts,
                            bool force_keyframe, struct anc_encoder_output *out)
{
    x264_image_t *img = &enc->pic.img;
    if (ARGBToI420(argb, stride, img->plane[0], img->i_stride[0], img->plane[1], img->i_stride[1],
                   img->plane[2], img->i_stride[2], enc->width, enc->height) != 0)
        return -EINVAL;
    return encode_picture(enc, &enc->pic, pts, force_keyframe, out);
}

int anc_encoder_encode_i420(struct anc_encoder *enc, const uint8_t *y, int y_stride,
                            const uint8_t *u, int u_stride, const uint8_t *v, int v_stride,
                            int64_t pts, bool force_keyframe, struct anc_encoder_output *out)
{
    x264_picture_t pic;
    x264_picture_init(&pic);
    pic.img.i_csp = X264_CSP_I420;
    pic.img.i_plane = 3;
    /* x264 only reads the planes (it copies them into its own frame). */
    pic.img.plane[0] = (uint8_t *)y;
    pic.img.plane[1] = (uint8_t *)u;
    pic.img.plane[2] = (uint8_t *)v;
    pic.img.i_stride[0] = y_stride;
    pic.img.i_stride[1] = u_stride;
    pic.img.i_stride[2] = v_stride;
    return encode_picture(enc, &pic, pts, force_keyframe, out);
}

void anc_encoder_request_keyframe(struct anc_encoder *enc)
{
    enc->keyframe_requested = true;
}

int anc_encoder_set_bitrate(struct anc_encoder *enc, int kbps)
{
    if (kbps <= 0)
        return -EINVAL;
    x264_param_t x = enc->param;
    set_rate(&x, kbps, (int)x.i_fps_num);
    if (x264_encoder_reconfig(enc->x264, &x) < 0)
        return -EINVAL;
    enc->param = x;
    return 0;
}

int anc_encoder_level(const struct anc_encoder *enc)
{
    return enc->param.i_level_idc;
}

int anc_encoder_bitrate(const struct anc_encoder *enc)
{
    return enc->param.rc.i_bitrate;
}
