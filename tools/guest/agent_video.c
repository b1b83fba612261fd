/* Capture (XGetImage of the root window: no XShm, the container has its own IPC namespace; only
 * when DAMAGE reported a change, as a full-screen read costs more than the encode of a static
 * frame),
 * ARGB → I420 with libyuv, and x264 with the settings scrcpy asks of MediaCodec: constrained
 * baseline, low latency, a keyframe every 10 s. SPS/PPS go out once as a config packet (and
 * again after a reset), not in front of every IDR. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xutil.h>
#include <libyuv.h>

#include "agent.h"

#define KEYFRAME_INTERVAL_US (10 * 1000000ull)
/* A change is coded within the rate's budget for one frame, which can leave it blurred; since
 * unchanged frames are skipped nothing would sharpen it. As MediaCodec does for scrcpy-server
 * (KEY_REPEAT_PREVIOUS_FRAME_AFTER, 100 ms), the last picture is encoded again after 100 ms
 * without change, here a few times rather than for ever. */
#define REPEAT_AFTER_US 100000ull
#define REPEAT_COUNT    3

static int open_encoder(struct agent_video *v)
{
    x264_param_t p;
    if (x264_param_default_preset(&p, "ultrafast", "zerolatency") < 0)
        return -EINVAL;
    p.i_threads = 1;
    p.i_log_level = agent_log_level <= AGENT_LOG_DEBUG ? X264_LOG_INFO : X264_LOG_WARNING;
    p.i_width = v->width;
    p.i_height = v->height;
    p.i_csp = X264_CSP_I420;
    p.i_fps_num = (uint32_t)v->fps;
    p.i_fps_den = 1;
    /* Keyframes are forced by time in agent_video_tick: frames that did not change are skipped,
     * so a frame count says nothing about time. */
    p.i_keyint_max = X264_KEYINT_MAX_INFINITE;
    p.b_repeat_headers = 0;
    p.b_annexb = 1;
    p.rc.i_rc_method = X264_RC_ABR;
    p.rc.i_bitrate = v->bit_rate / 1000;
    p.rc.i_vbv_max_bitrate = v->bit_rate / 1000;
    p.rc.i_vbv_buffer_size = v->bit_rate / 1000 / v->fps > 0 ? v->bit_rate / 1000 / v->fps : 1;
    if (x264_param_apply_profile(&p, "baseline") < 0)
        return -EINVAL;
    v->x264 = x264_encoder_open(&p);
    if (!v->x264)
        return -EINVAL;
    if (x264_picture_alloc(&v->pic, X264_CSP_I420, v->width, v->height) < 0) {
        x264_encoder_close(v->x264);
        v->x264 = NULL;
        return -ENOMEM;
    }
    return 0;
}

int agent_video_init(struct agent_video *v, Display *dpy, int fps, int bit_rate)
{
    *v = (struct agent_video){.dpy = dpy, .fps = fps, .bit_rate = bit_rate};
    int scr = DefaultScreen(dpy);
    /* I420 halves both sizes: an odd last row or column is left out. */
    v->width = DisplayWidth(dpy, scr) & ~1;
    v->height = DisplayHeight(dpy, scr) & ~1;
    if (v->width < 16 || v->height < 16 || DefaultDepth(dpy, scr) < 24)
        return -EINVAL;
    int r = open_encoder(v);
    if (r < 0)
        return r;
    v->send_config = true;
    v->force_idr = true;
    v->damaged = true;
    int err;
    if (XDamageQueryExtension(dpy, &v->damage_event, &err))
        v->damage = XDamageCreate(dpy, DefaultRootWindow(dpy), XDamageReportNonEmpty);
    return 0;
}

void agent_video_event(struct agent_video *v, const XEvent *ev)
{
    if (v->damage == None || ev->type != v->damage_event + XDamageNotify)
        return;
    v->damaged = true;
    /* Re-arms the NonEmpty report: the next change after this one is reported again. */
    XDamageSubtract(v->dpy, v->damage, None, None);
}

void agent_video_destroy(struct agent_video *v)
{
    if (v->damage != None)
        XDamageDestroy(v->dpy, v->damage);
    v->damage = None;
    if (v->x264) {
        x264_picture_clean(&v->pic);
        x264_encoder_close(v->x264);
        v->x264 = NULL;
    }
    free(v->last);
    v->last = NULL;
}

void agent_video_reset(struct agent_video *v)
{
    v->send_config = true;
    v->force_idr = true;
}

static int append_packet(struct agent_outq *q, bool with_meta, uint64_t pts, bool config, bool key,
                         const uint8_t *data, size_t len)
{
    uint8_t hdr[ANC_AGENT_FRAME_HEADER_SIZE];
    if (with_meta) {
        int r = anc_agent_write_frame_header(hdr, config ? 0 : pts, config, key, len);
        if (r < 0)
            return r;
        /* Header and data together or not at all: the queue never holds half a packet. */
        if (agent_outq_pending(q) + sizeof(hdr) + len > q->limit)
            return -ENOBUFS;
        r = agent_outq_append(q, hdr, sizeof(hdr));
        if (r < 0)
            return r;
    }
    return agent_outq_append(q, data, len);
}

static int append_config(struct agent_video *v, struct agent_outq *q, bool with_meta)
{
    x264_nal_t *nals;
    int n;
    int size = x264_encoder_headers(v->x264, &nals, &n);
    if (size < 0)
        return -EIO;
    /* x264 lays the NAL payloads out back to back: one buffer from the first. */
    return append_packet(q, with_meta, 0, true, false, nals[0].p_payload, (size_t)size);
}

/* Returns 1 when the frame differs from the previous one (and remembers it), 0 when not. */
static int changed(struct agent_video *v, const XImage *img)
{
    size_t len = (size_t)img->bytes_per_line * (size_t)v->height;
    if (v->last && v->last_len == len && memcmp(v->last, img->data, len) == 0)
        return 0;
    if (v->last_len != len) {
        free(v->last);
        v->last = malloc(len);
        v->last_len = v->last ? len : 0;
    }
    if (v->last)
        memcpy(v->last, img->data, len);
    return 1;
}

/* Encodes v->pic (the last capture, converted). */
static int encode(struct agent_video *v, uint64_t now_us, bool idr, struct agent_outq *q,
                  bool with_meta)
{
    x264_picture_t out;
    x264_nal_t *nals;
    int n;
    v->last_frame_us = now_us;
    v->pic.i_pts = v->frame_no++;
    v->pic.i_type = idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
    int size = x264_encoder_encode(v->x264, &nals, &n, &v->pic, &out);
    if (size < 0)
        return -EIO;
    if (size == 0)
        return 0;
    if (out.b_keyframe)
        v->last_idr_us = now_us;
    return append_packet(q, with_meta, now_us, false, out.b_keyframe, nals[0].p_payload,
                         (size_t)size);
}

static int repeat(struct agent_video *v, uint64_t now_us, struct agent_outq *q, bool with_meta)
{
    if (v->repeats == 0 || now_us - v->last_frame_us < REPEAT_AFTER_US)
        return 0;
    v->repeats--;
    int r = encode(v, now_us, false, q, with_meta);
    if (r == -ENOBUFS) {
        v->force_idr = true;
        r = 0;
    }
    return r;
}

int agent_video_tick(struct agent_video *v, uint64_t now_us, struct agent_outq *q, bool with_meta)
{
    bool idr = v->force_idr || now_us - v->last_idr_us >= KEYFRAME_INTERVAL_US;
    if (!v->damaged && !idr)
        return repeat(v, now_us, q, with_meta);
    /* Cleared before the capture: a change reported from here on is captured at the next tick. */
    v->damaged = v->damage == None;
    XImage *img = XGetImage(v->dpy, DefaultRootWindow(v->dpy), 0, 0, (unsigned)v->width,
                            (unsigned)v->height, AllPlanes, ZPixmap);
    if (!img)
        return -EIO;
    if (img->bits_per_pixel != 32) {
        XDestroyImage(img);
        return -EINVAL;
    }
    int r = 0;
    if (!changed(v, img) && !idr)
        goto out;
    /* A frame that does not fit is dropped; the next one that fits must be an IDR (with the
     * config first if it was owed), or the client would decode against a missing reference. */
    if (v->send_config) {
        r = append_config(v, q, with_meta);
        if (r == -ENOBUFS) {
            r = 0;
            goto out;
        }
        if (r < 0)
            goto out;
        v->send_config = false;
    }
    ARGBToI420((const uint8_t *)img->data, img->bytes_per_line, v->pic.img.plane[0],
               v->pic.img.i_stride[0], v->pic.img.plane[1], v->pic.img.i_stride[1],
               v->pic.img.plane[2], v->pic.img.i_stride[2], v->width, v->height);
    v->repeats = REPEAT_COUNT;
    r = encode(v, now_us, idr, q, with_meta);
    if (r == -ENOBUFS) {
        v->force_idr = true;
        r = 0;
        goto out;
    }
    if (r == 0 && idr)
        v->force_idr = false;
out:
    XDestroyImage(img);
    return r;
}
