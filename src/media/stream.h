/* A stream: one instance's picture source, capture timer and encoder, feeding every viewer of
 * that instance (one encode per instance, whatever the number of viewers).
 *
 * Loop thread only, except the source's draw() and the encoder, which run inside an encoder-pool
 * job: the stream hands them to the job and gets them back with the completion, so no two threads
 * ever use them at once. The capture timer runs only while the stream has viewers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "media/encoder.h"
#include "media/encpool.h"

struct anc_stream;

/* What produces pictures. changed() runs on the loop thread at each capture tick and gates the
 * tick: false means the screen is known unchanged and no job is made at all (NULL: always
 * capture). draw() runs on a worker thread and may only use src_data and the frame buffer; it
 * returns false when the picture did not change since the last call (nothing to send). */
struct anc_stream_source {
    bool (*draw)(void *src_data, uint8_t *argb, int stride, uint64_t frame, uint64_t time_ms);
    bool (*changed)(void *src_data);
    void *src_data;
};

/* A viewer receives every encoded access unit (valid only during the call) with its capture time
 * (CLOCK_MONOTONIC µs, the clock of uv_hrtime()). */
struct anc_stream_viewer {
    void (*on_frame)(struct anc_stream_viewer *v, const struct anc_encoder_output *au,
                     uint64_t capture_us);
    uint64_t estimate_bps;          /* stream-internal: its last REMB, 0 before the first */
    bool controller;                /* anc_stream_viewer_set_controller */
    struct anc_stream_viewer *next; /* stream-internal */
};

struct anc_stream_params {
    int width, height, fps, bitrate_kbps, min_bitrate_kbps, max_bitrate_kbps;
    bool bitrate_lowest; /* [stream] bitrate_policy = lowest: the slowest viewer decides */
    const char *preset;
};

struct anc_stream_stats {
    uint64_t frames_captured, frames_encoded, frames_skipped_unchanged, frames_replaced;
    uint64_t ticks_idle; /* ticks that made no job: changed() said nothing changed */
    uint64_t bytes_encoded, keyframes;
    double last_encode_ms;
    int bitrate_kbps;
    int viewers;
};

/* A still of an encoded stream's current picture (the screenshot route), taken without the
 * encoder: the source draws the picture into a buffer of the still's own on a libuv threadpool
 * worker, where work() then reads it (argb: width x height, stride bytes a row, valid only during
 * the call; NULL when no buffer could be had); done() follows on the loop thread with 0, or
 * -ECANCELED when the threadpool dropped the work (work() did not run). The source's draw() may
 * thus run on two threads at once, each with its own buffer: sources must allow it (pattern and
 * framebuffer capture do). The caller embeds the struct in its own and owns it; the stream is
 * freed only after the done() of every still. */
struct anc_stream_still {
    void (*work)(struct anc_stream_still *st, const uint8_t *argb, int stride, int width,
                 int height);
    void (*done)(struct anc_stream_still *st, int status);
    /* stream-internal */
    uv_work_t req;
    struct anc_stream *stream;
    uint64_t frame, time_ms;
};

/* At most this many stills of one stream in flight: each holds a frame-sized buffer. */
#define ANC_STREAM_MAX_STILLS 4

/* Starts a still. Returns 0 (done() follows), -ENOTSUP for a pass-through stream (nothing
 * decodes its H.264), -EBUSY when ANC_STREAM_MAX_STILLS are in flight, -ESHUTDOWN once the
 * stream is closing, or a libuv error; after an error, no callback. */
int anc_stream_still(struct anc_stream *s, struct anc_stream_still *st);

/* Returns 0 and a new stream (caller frees with anc_stream_close), or -errno. */
int anc_stream_new(uv_loop_t *loop, struct anc_encpool *pool, const struct anc_stream_params *p,
                   struct anc_stream_source source, struct anc_stream **out);

/* A pass-through stream carries H.264 that something else encodes (the in-guest agent): no
 * encoder, no capture timer. Its owner pushes access units; keyframe requests and the viewers'
 * bandwidth estimates go back to the owner through these ops (loop thread, never from inside
 * anc_stream_push_au). */
struct anc_stream_passthrough_ops {
    /* A viewer needs a keyframe (PLI, FIR, a new viewer). Rate-limited by the stream: at most
     * once a second; a request inside that second is deferred to its end, never lost. */
    void (*request_keyframe)(void *arg);
    /* The lowest estimate among the viewers, clamped to [min, max]_bitrate_kbps of the params,
     * on every REMB (about once a second per viewer). While the stream is idle (nothing pushed
     * for a second) estimates below the current bit rate are not passed on: they measure the
     * lack of traffic, not of bandwidth. NULL: ignored. */
    void (*estimate)(void *arg, uint64_t bps);
};

/* Returns 0 and a new pass-through stream (caller frees with anc_stream_close), or -ENOMEM.
 * Only p's bitrate fields are used (bitrate_kbps: the initial bit rate in the stats). ops is
 * borrowed and must outlive the stream. */
int anc_stream_new_passthrough(uv_loop_t *loop, const struct anc_stream_params *p,
                               const struct anc_stream_passthrough_ops *ops, void *arg,
                               struct anc_stream **out);

/* Hands one access unit to every viewer, as an encoded one would be: Annex-B with start codes,
 * a keyframe (IDR) preceded by its SPS and PPS. data is only read during the call. capture_us:
 * CLOCK_MONOTONIC µs (the RTP timestamp derives from it). Pass-through streams only. */
void anc_stream_push_au(struct anc_stream *s, const uint8_t *data, size_t len, bool keyframe,
                        uint64_t capture_us);

/* The H.264 profile of what a pass-through stream carries: the three bytes after the NAL header
 * of the last SPS pushed (profile_idc, the constraint_set flags, level_idc; e.g. 0x640029 for
 * High 4.1). False before the first SPS, and always for an encoded stream: our encoder's
 * constrained baseline is what a viewer's answer assumes when no profile is given. */
bool anc_stream_profile(const struct anc_stream *s, uint32_t *profile_level_id);

/* The bit rate the owner now encodes at (e.g. after restarting the agent), for the stats. */
void anc_stream_set_bitrate(struct anc_stream *s, int kbps);

/* Adds or removes a viewer; a new viewer gets a keyframe next. */
void anc_stream_add_viewer(struct anc_stream *s, struct anc_stream_viewer *v);
void anc_stream_remove_viewer(struct anc_stream *s, struct anc_stream_viewer *v);

/* A viewer wants a keyframe (PLI, FIR, the page's keyframe message). Granted at most once a
 * second per stream: a request inside that second is deferred to its end, never lost. Returns
 * false when it merged into a request already pending (the caller counts those). */
bool anc_stream_request_keyframe(struct anc_stream *s);

/* Viewer v's bandwidth estimate (REMB). One encode feeds every viewer, so the target follows the
 * controller's estimate (the viewer marked with anc_stream_viewer_set_controller), or the lowest
 * among the viewers when none is marked or has an estimate yet, or always with
 * params.bitrate_lowest; within the configured bounds. A viewer that leaves no longer counts. */
void anc_stream_viewer_estimate(struct anc_stream *s, struct anc_stream_viewer *v, uint64_t bps);

/* Marks v (added or not yet) as the controller or not; the target follows at once. */
void anc_stream_viewer_set_controller(struct anc_stream *s, struct anc_stream_viewer *v,
                                      bool controller);

void anc_stream_get_stats(const struct anc_stream *s, struct anc_stream_stats *out);

/* Stops the timer and frees the stream once no encode job of it is in flight. Viewers must have
 * been removed. s may be NULL. */
void anc_stream_close(struct anc_stream *s);

/* The same, then done(arg) once the stream is freed: no worker uses its source any more, so the
 * source's resources (a mapped framebuffer) may go. s may be NULL: done runs at once. */
void anc_stream_close_then(struct anc_stream *s, void (*done)(void *arg), void *arg);
