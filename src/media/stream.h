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
    struct anc_stream_viewer *next; /* stream-internal */
};

struct anc_stream_params {
    int width, height, fps, bitrate_kbps, min_bitrate_kbps, max_bitrate_kbps;
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

/* Returns 0 and a new stream (caller frees with anc_stream_close), or -errno. */
int anc_stream_new(uv_loop_t *loop, struct anc_encpool *pool, const struct anc_stream_params *p,
                   struct anc_stream_source source, struct anc_stream **out);

/* Adds or removes a viewer; a new viewer gets a keyframe next. */
void anc_stream_add_viewer(struct anc_stream *s, struct anc_stream_viewer *v);
void anc_stream_remove_viewer(struct anc_stream *s, struct anc_stream_viewer *v);

/* The next encoded frame will be an IDR (PLI, FIR, new viewer). */
void anc_stream_request_keyframe(struct anc_stream *s);

/* Viewer v's bandwidth estimate (REMB). One encode feeds every viewer, so the target follows the
 * lowest estimate among the viewers (the slowest link decides), within the configured bounds; a
 * viewer that leaves no longer holds it down. */
void anc_stream_viewer_estimate(struct anc_stream *s, struct anc_stream_viewer *v, uint64_t bps);

void anc_stream_get_stats(const struct anc_stream *s, struct anc_stream_stats *out);

/* Stops the timer and frees the stream once no encode job of it is in flight. Viewers must have
 * been removed. s may be NULL. */
void anc_stream_close(struct anc_stream *s);

/* The same, then done(arg) once the stream is freed: no worker uses its source any more, so the
 * source's resources (a mapped framebuffer) may go. s may be NULL: done runs at once. */
void anc_stream_close_then(struct anc_stream *s, void (*done)(void *arg), void *arg);
