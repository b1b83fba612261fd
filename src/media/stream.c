#include "media/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The one job of a stream: it carries the encoder, the source and the frame buffer to a worker
 * and back. A second (pending) job only waits, so sharing those between the two is safe. */
struct stream_job {
    struct anc_encjob base;
    struct anc_stream *stream;
    uint64_t frame, time_ms, capture_us;
    bool force_keyframe;
    int new_bitrate_kbps; /* 0: unchanged */
    /* Results, written by the worker. */
    int status; /* 1 encoded, 0 nothing, < 0 error */
    bool unchanged;
    double encode_ms;
};

struct anc_stream {
    uv_loop_t *loop;
    struct anc_encpool *pool;
    struct anc_encslot slot;
    uv_timer_t timer;
    struct anc_stream_params params;
    struct anc_stream_source source;
    struct anc_encoder *enc;
    struct anc_encoder_output out; /* filled by the running job, read in its completion */
    uint8_t *argb;
    int stride;
    struct anc_stream_viewer *viewers;
    struct anc_stream_stats stats;
    uint64_t frame;
    bool want_keyframe;
    int refine_left;          /* ticks still encoded after the last change (REFINE_FRAMES) */
    uint64_t last_encoded_ms; /* uv_now of the last encoded frame, 0 before the first */
    int target_kbps, applied_kbps;
    bool closing, timer_closed, cancelling;
    int stills; /* anc_stream_still in flight */
    /* Pass-through streams: no encoder, pool or capture; the timer defers keyframe requests. */
    const struct anc_stream_passthrough_ops *pt;
    void *pt_arg;
    uint64_t kf_last_ms;  /* uv_now of the last request passed on */
    bool kf_asked;        /* one was passed on (kf_last_ms is valid) */
    bool kf_deferred;     /* one waits for the timer */
    uint32_t sps_profile; /* of the last SPS pushed: profile_idc, flags, level_idc; 0: none */
    void (*on_freed)(void *arg);
    void *on_freed_arg;
};

static uint64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void job_work(struct anc_encjob *base)
{
    struct stream_job *j = (struct stream_job *)base;
    struct anc_stream *s = j->stream;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (j->new_bitrate_kbps)
        anc_encoder_set_bitrate(s->enc, j->new_bitrate_kbps);
    bool changed = s->source.draw(s->source.src_data, s->argb, s->stride, j->frame, j->time_ms);
    if (!changed && !j->force_keyframe) {
        j->unchanged = true;
        j->status = 0;
        return;
    }
    j->status = anc_encoder_encode_argb(s->enc, s->argb, s->stride, (int64_t)j->frame,
                                        j->force_keyframe, &s->out);
    clock_gettime(CLOCK_MONOTONIC, &b);
    j->encode_ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static void stream_free(struct anc_stream *s)
{
    void (*done)(void *) = s->on_freed;
    void *arg = s->on_freed_arg;
    anc_encoder_free(s->enc);
    anc_encoder_output_destroy(&s->out);
    free(s->argb);
    free(s);
    if (done)
        done(arg);
}

static void job_done(struct anc_encjob *base, int status)
{
    struct stream_job *j = (struct stream_job *)base;
    struct anc_stream *s = j->stream;
    if (status == 0 && j->unchanged) {
        s->stats.frames_skipped_unchanged++;
    } else if (status == 0 && j->status > 0) {
        s->stats.frames_encoded++;
        s->last_encoded_ms = uv_now(s->loop);
        s->stats.bytes_encoded += s->out.len;
        s->stats.last_encode_ms = j->encode_ms;
        if (s->out.keyframe)
            s->stats.keyframes++;
        for (struct anc_stream_viewer *v = s->viewers; v;) {
            struct anc_stream_viewer *next = v->next; /* a viewer may leave from its callback */
            v->on_frame(v, &s->out, j->capture_us);
            v = next;
        }
    } else if (status == -ECANCELED) {
        s->stats.frames_replaced++;
        if (j->force_keyframe)
            s->want_keyframe = true; /* the request must survive the replaced frame */
    }
    free(j);
    if (s->closing && s->timer_closed && !s->cancelling && anc_encslot_idle(&s->slot) &&
        s->stills == 0)
        stream_free(s);
}

static const struct anc_encjob_ops job_ops = {job_work, job_done};

/* After the screen stops changing, a few more frames of the same picture: at a low bitrate the
 * one frame of a change is coarse (a tap's marker smeared), and these P-frames refine it to a
 * clean picture, then cost next to nothing. Without them a static screen would keep showing the
 * coarse frame until it changes again. */
#define REFINE_FRAMES 8
/* A stream that sent nothing for this long is idle: the receiver's estimate sinks then for lack
 * of traffic, not of bandwidth, and must not lower the target. */
#define IDLE_MS 1000

/* Viewers' keyframe requests (PLI, FIR, the page's keyframe message) are granted at most once a
 * second per stream: a storm from one spectator must not make every frame an IDR for everyone.
 * A request inside the second waits for its end; later ones merge into it. A new viewer's
 * keyframe (want_keyframe) is not limited. */
#define KEYFRAME_MS 1000

static bool keyframe_due(const struct anc_stream *s, uint64_t now)
{
    return s->want_keyframe ||
           (s->kf_deferred && (!s->kf_asked || now - s->kf_last_ms >= KEYFRAME_MS));
}

static void on_tick(uv_timer_t *t)
{
    struct anc_stream *s = t->data;
    uint64_t now = uv_now(s->loop);
    bool keyframe = keyframe_due(s, now);
    if (s->source.changed && !keyframe) {
        if (s->source.changed(s->source.src_data)) {
            s->refine_left = REFINE_FRAMES;
        } else if (s->refine_left > 0) {
            s->refine_left--;
        } else {
            s->stats.ticks_idle++;
            return;
        }
    }
    struct stream_job *j = calloc(1, sizeof(*j));
    if (!j)
        return;
    j->base.ops = &job_ops;
    j->stream = s;
    j->frame = s->frame++;
    j->capture_us = clock_us(CLOCK_MONOTONIC);
    j->time_ms = clock_us(CLOCK_REALTIME) / 1000;
    j->force_keyframe = keyframe;
    if (keyframe) {
        s->want_keyframe = s->kf_deferred = false;
        s->kf_asked = true;
        s->kf_last_ms = now;
    }
    if (s->target_kbps != s->applied_kbps) {
        j->new_bitrate_kbps = s->target_kbps;
        s->applied_kbps = s->target_kbps;
    }
    s->stats.frames_captured++;
    anc_encpool_submit(s->pool, &s->slot, &j->base);
}

int anc_stream_new(uv_loop_t *loop, struct anc_encpool *pool, const struct anc_stream_params *p,
                   struct anc_stream_source source, struct anc_stream **out)
{
    struct anc_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->pool = pool;
    s->params = *p;
    s->source = source;
    s->stride = p->width * 4;
    s->target_kbps = s->applied_kbps = p->bitrate_kbps;
    s->stats.bitrate_kbps = p->bitrate_kbps;
    s->argb = malloc((size_t)s->stride * (size_t)p->height);
    struct anc_encoder_params ep = {.width = p->width,
                                    .height = p->height,
                                    .fps = p->fps,
                                    .bitrate_kbps = p->bitrate_kbps,
                                    .preset = p->preset};
    int r = s->argb ? anc_encoder_new(&ep, &s->enc) : -ENOMEM;
    if (r < 0) {
        stream_free(s);
        return r;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    *out = s;
    return 0;
}

static void still_work(uv_work_t *req)
{
    struct anc_stream_still *st = req->data;
    struct anc_stream *s = st->stream;
    int w = s->params.width, h = s->params.height;
    uint8_t *argb = malloc((size_t)w * 4u * (size_t)h);
    if (!argb) {
        st->work(st, NULL, 0, w, h);
        return;
    }
    s->source.draw(s->source.src_data, argb, w * 4, st->frame, st->time_ms);
    st->work(st, argb, w * 4, w, h);
    free(argb);
}

static void still_done(uv_work_t *req, int status)
{
    struct anc_stream_still *st = req->data;
    struct anc_stream *s = st->stream;
    s->stills--;
    st->done(st, status);
    if (s->closing && s->timer_closed && !s->cancelling && anc_encslot_idle(&s->slot) &&
        s->stills == 0)
        stream_free(s);
}

int anc_stream_still(struct anc_stream *s, struct anc_stream_still *st)
{
    if (s->pt)
        return -ENOTSUP;
    if (s->closing)
        return -ESHUTDOWN;
    if (s->stills >= ANC_STREAM_MAX_STILLS)
        return -EBUSY;
    st->stream = s;
    st->frame = s->frame ? s->frame - 1 : 0; /* the last frame captured, if any */
    st->time_ms = clock_us(CLOCK_REALTIME) / 1000;
    st->req.data = st;
    int r = uv_queue_work(s->loop, &st->req, still_work, still_done);
    if (r < 0)
        return r;
    s->stills++;
    return 0;
}

static void follow_estimates(struct anc_stream *s);

/* Pass-through keyframe requests: a PLI/FIR storm (every viewer, every lost packet) must not
 * turn into an encoder restart each time, so at most one request a second reaches the owner. */
#define PT_KEYFRAME_MS 1000

static void pt_keyframe_now(struct anc_stream *s)
{
    s->kf_deferred = false;
    s->kf_asked = true;
    s->kf_last_ms = uv_now(s->loop);
    s->pt->request_keyframe(s->pt_arg);
}

static void on_pt_keyframe_timer(uv_timer_t *t)
{
    struct anc_stream *s = t->data;
    if (s->kf_deferred && !s->closing)
        pt_keyframe_now(s);
}

static bool pt_request_keyframe(struct anc_stream *s)
{
    uint64_t now = uv_now(s->loop);
    if (!s->kf_asked || now - s->kf_last_ms >= PT_KEYFRAME_MS) {
        pt_keyframe_now(s);
    } else if (!s->kf_deferred) {
        s->kf_deferred = true;
        uv_timer_start(&s->timer, on_pt_keyframe_timer, s->kf_last_ms + PT_KEYFRAME_MS - now, 0);
    } else {
        return false;
    }
    return true;
}

int anc_stream_new_passthrough(uv_loop_t *loop, const struct anc_stream_params *p,
                               const struct anc_stream_passthrough_ops *ops, void *arg,
                               struct anc_stream **out)
{
    struct anc_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->params = *p;
    s->pt = ops;
    s->pt_arg = arg;
    s->target_kbps = s->applied_kbps = p->bitrate_kbps;
    s->stats.bitrate_kbps = p->bitrate_kbps;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    *out = s;
    return 0;
}

/* The NAL after the next start code at or after *pos; *pos moves past its header. NULL: none. */
static const uint8_t *next_nal(const uint8_t *data, size_t len, size_t *pos)
{
    for (size_t i = *pos; i + 3 < len; i++) {
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
            *pos = i + 4;
            return data + i + 3;
        }
    }
    return NULL;
}

/* The profile of an AU's SPS (NAL type 7), looked for before its first slice only: an encoder
 * puts parameter sets first. Its three bytes after the NAL header need no emulation prevention
 * removed: a 00 00 03 before level_idc would take a profile_idc of 0, which no profile has. */
static uint32_t sps_profile(const uint8_t *data, size_t len)
{
    size_t pos = 0;
    for (const uint8_t *nal; (nal = next_nal(data, len, &pos));) {
        unsigned type = nal[0] & 0x1f;
        if (type >= 1 && type <= 5)
            return 0;
        if (type == 7 && (size_t)(nal - data) + 4 <= len && nal[1] != 0)
            return (uint32_t)nal[1] << 16 | (uint32_t)nal[2] << 8 | nal[3];
    }
    return 0;
}

void anc_stream_push_au(struct anc_stream *s, const uint8_t *data, size_t len, bool keyframe,
                        uint64_t capture_us)
{
    uint32_t profile = sps_profile(data, len);
    if (profile)
        s->sps_profile = profile;
    /* Viewers take a const output; the cast lends them the caller's bytes for the call only. */
    struct anc_encoder_output au = {.data = (uint8_t *)data,
                                    .len = len,
                                    .cap = len,
                                    .keyframe = keyframe,
                                    .pts = (int64_t)s->stats.frames_encoded};
    s->stats.frames_captured++;
    s->stats.frames_encoded++;
    s->stats.bytes_encoded += len;
    s->stats.keyframes += keyframe;
    s->last_encoded_ms = uv_now(s->loop);
    for (struct anc_stream_viewer *v = s->viewers; v;) {
        struct anc_stream_viewer *next = v->next; /* a viewer may leave from its callback */
        v->on_frame(v, &au, capture_us);
        v = next;
    }
}

bool anc_stream_profile(const struct anc_stream *s, uint32_t *profile_level_id)
{
    if (!s->pt || !s->sps_profile)
        return false;
    *profile_level_id = s->sps_profile;
    return true;
}

void anc_stream_set_bitrate(struct anc_stream *s, int kbps)
{
    s->target_kbps = s->applied_kbps = kbps;
    s->stats.bitrate_kbps = kbps;
}

void anc_stream_add_viewer(struct anc_stream *s, struct anc_stream_viewer *v)
{
    v->estimate_bps = 0;
    v->next = s->viewers;
    s->viewers = v;
    s->stats.viewers++;
    if (s->pt) {
        pt_request_keyframe(s);
        return;
    }
    s->want_keyframe = true;
    if (s->stats.viewers == 1) {
        uint64_t period = 1000u / (unsigned)s->params.fps;
        uv_timer_start(&s->timer, on_tick, 0, period ? period : 1);
    }
}

void anc_stream_remove_viewer(struct anc_stream *s, struct anc_stream_viewer *v)
{
    for (struct anc_stream_viewer **pp = &s->viewers; *pp; pp = &(*pp)->next) {
        if (*pp == v) {
            *pp = v->next;
            s->stats.viewers--;
            v->estimate_bps = 0;
            follow_estimates(s);
            break;
        }
    }
    if (s->stats.viewers == 0) {
        uv_timer_stop(&s->timer);
        s->kf_deferred = false;
    }
}

bool anc_stream_request_keyframe(struct anc_stream *s)
{
    if (s->pt)
        return pt_request_keyframe(s);
    bool merged = s->kf_deferred || s->want_keyframe;
    s->kf_deferred = true;
    return !merged;
}

static void follow_estimates(struct anc_stream *s)
{
    uint64_t bps = 0, controller_bps = 0;
    for (struct anc_stream_viewer *v = s->viewers; v; v = v->next) {
        if (v->estimate_bps && (!bps || v->estimate_bps < bps))
            bps = v->estimate_bps;
        if (v->controller)
            controller_bps = v->estimate_bps;
    }
    if (!s->params.bitrate_lowest && controller_bps)
        bps = controller_bps; /* spectators watch at the controller's rate */
    if (!bps)
        return; /* no estimate yet: the configured bitrate stays */
    long kbps = (long)(bps / 1000u);
    if (kbps < s->params.min_bitrate_kbps)
        kbps = s->params.min_bitrate_kbps;
    if (s->params.max_bitrate_kbps > 0 && kbps > s->params.max_bitrate_kbps)
        kbps = s->params.max_bitrate_kbps;
    if (kbps < s->target_kbps &&
        (!s->last_encoded_ms || uv_now(s->loop) - s->last_encoded_ms > IDLE_MS))
        return; /* idle: see IDLE_MS */
    if (s->pt) {
        /* The owner decides whether the change is worth an encoder restart. */
        if (s->pt->estimate)
            s->pt->estimate(s->pt_arg, (uint64_t)kbps * 1000u);
        return;
    }
    /* Small changes are not worth an encoder reconfiguration. */
    long diff = kbps - s->target_kbps;
    if (diff < 0)
        diff = -diff;
    if (diff * 20 < s->target_kbps)
        return;
    s->target_kbps = (int)kbps;
    s->stats.bitrate_kbps = (int)kbps;
}

void anc_stream_viewer_estimate(struct anc_stream *s, struct anc_stream_viewer *v, uint64_t bps)
{
    v->estimate_bps = bps;
    follow_estimates(s);
}

void anc_stream_viewer_set_controller(struct anc_stream *s, struct anc_stream_viewer *v,
                                      bool controller)
{
    v->controller = controller;
    for (struct anc_stream_viewer *w = s->viewers; w; w = w->next)
        if (w == v) {
            follow_estimates(s);
            break;
        }
}

void anc_stream_get_stats(const struct anc_stream *s, struct anc_stream_stats *out)
{
    *out = s->stats;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct anc_stream *s = h->data;
    s->timer_closed = true;
    /* A running job frees the stream from its completion; otherwise it is freed here. */
    s->cancelling = true;
    bool idle = anc_encslot_cancel(s->pool, &s->slot);
    s->cancelling = false;
    if (idle && s->stills == 0)
        stream_free(s);
}

void anc_stream_close(struct anc_stream *s)
{
    anc_stream_close_then(s, NULL, NULL);
}

void anc_stream_close_then(struct anc_stream *s, void (*done)(void *arg), void *arg)
{
    if (!s) {
        if (done)
            done(arg);
        return;
    }
    s->on_freed = done;
    s->on_freed_arg = arg;
    s->closing = true;
    s->viewers = NULL;
    s->slot.closing = true;
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}
