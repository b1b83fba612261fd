/* A per-instance H.264 encoder: libyuv ARGB→I420 conversion and x264 (zerolatency, constrained
 * baseline, no B-frames, Annex-B with SPS/PPS repeated before every IDR). One encoder is used by
 * one thread at a time; it owns its x264 handle and I420 picture, the caller owns output buffers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct anc_encoder;

struct anc_encoder_params {
    int width, height;  /* even, > 0 */
    int fps;            /* > 0 */
    int bitrate_kbps;   /* > 0: ABR target, VBV max rate */
    const char *preset; /* NULL: "ultrafast" */
    int threads;        /* 0: 1 (the daemon runs a pool of single-threaded encoders) */
};

/* One encoded access unit. The caller owns it: zero-initialise, pass it to encode calls (which
 * grow data as needed), release with anc_encoder_output_destroy. */
struct anc_encoder_output {
    uint8_t *data; /* Annex-B: NAL units with start codes, as x264 writes them */
    size_t len, cap;
    bool keyframe; /* an IDR picture (preceded by SPS and PPS) */
    int64_t pts;
};

void anc_encoder_output_destroy(struct anc_encoder_output *out);

/* The lowest H.264 level_idc (e.g. 31 for 3.1) whose MaxFS, frame dimensions, MaxMBPS and (when
 * bitrate_kbps > 0) baseline MaxBR fit; -EINVAL when none does. */
int anc_encoder_pick_level(int width, int height, int fps, int bitrate_kbps);

/* Returns 0 and a new encoder in *out (caller frees), -EINVAL for bad parameters or an x264 that
 * rejects them, -ENOMEM. */
int anc_encoder_new(const struct anc_encoder_params *p, struct anc_encoder **out);
void anc_encoder_free(struct anc_encoder *enc);

/* Encodes one frame of libyuv "ARGB" (B,G,R,A bytes in memory: what X servers hand out on
 * little-endian hosts), width x height of the params, `stride` bytes per row. Returns 1 with the
 * access unit in *out, 0 if the encoder produced nothing for this frame, or a negative errno.
 * force_keyframe (or a pending anc_encoder_request_keyframe) makes this frame an IDR. pts counts
 * frames (time base 1/fps) and comes back in out->pts; rate control assumes a constant fps. */
int anc_encoder_encode_argb(struct anc_encoder *enc, const uint8_t *argb, int stride, int64_t pts,
                            bool force_keyframe, struct anc_encoder_output *out);

/* The same from planar I420 (strides in bytes). */
int anc_encoder_encode_i420(struct anc_encoder *enc, const uint8_t *y, int y_stride,
                            const uint8_t *u, int u_stride, const uint8_t *v, int v_stride,
                            int64_t pts, bool force_keyframe, struct anc_encoder_output *out);

/* The next encoded frame will be an IDR (e.g. after a PLI or FIR). */
void anc_encoder_request_keyframe(struct anc_encoder *enc);

/* Changes the target bitrate (and VBV) from the next frame on. Returns 0 or -EINVAL. */
int anc_encoder_set_bitrate(struct anc_encoder *enc, int kbps);

/* The level_idc the encoder signals, and its current bitrate in kbps. */
int anc_encoder_level(const struct anc_encoder *enc);
int anc_encoder_bitrate(const struct anc_encoder *enc);
