/* The picture size in an H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1), for the agent
 * client: scrcpy-server sends its codec meta (with the size) once, so after a rotation or a
 * `wm size` only the new SPS of the next config packet says how big the frames now are. Pure
 * functions on caller-owned bytes, every read bounded; nothing allocates. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The RBSP bytes read at most (after emulation prevention is removed): far more than any SPS
 * needs up to its frame cropping, scaling lists included (at most about 800 bytes). */
#define ANC_H264_SPS_RBSP_MAX 2048
/* Sizes above this many pixels a side are refused as malformed. */
#define ANC_H264_SPS_SIZE_MAX 16384

struct anc_h264_sps {
    uint8_t profile_idc, level_idc;
    uint32_t chroma_format_idc; /* 0..3 (1 unless a high profile says otherwise) */
    uint32_t width, height;     /* the displayed size: coded size minus the frame cropping */
};

/* Parses one SPS NAL unit (nal[0] is the NAL header, type 7; emulation prevention bytes still
 * in). Returns 0, -EINVAL when it is not an SPS NAL, -EBADMSG when malformed or truncated (a
 * value out of its range, a crop as large as the picture, a side above ANC_H264_SPS_SIZE_MAX). */
int anc_h264_sps_parse(const uint8_t *nal, size_t len, struct anc_h264_sps *out);

/* Finds the first SPS in an Annex-B buffer (start codes 00 00 01 or 00 00 00 01) and parses it.
 * Returns anc_h264_sps_parse's result for it, or -ENOENT when buf holds none. */
int anc_h264_sps_find(const uint8_t *buf, size_t len, struct anc_h264_sps *out);
