/* ancloudd as the client of one run of the in-guest agent (scrcpy-server 3.3.3, started with
 * tunnel_forward=true, send_device_meta=true, audio=false, video_codec=h264), sans-IO.
 *
 * It is fed the bytes of the two sockets (video: dummy byte, device name, codec meta, packets;
 * control: device messages) with the time, and gives back events; it turns the daemon's input
 * messages (input/proto.h) into control-message bytes for the control socket. One client lives
 * for one connection: a restarted agent gets a new one. Nothing here does I/O or logs.
 *
 * Events point into the client or into the caller's chunk; they are valid until the next call
 * on the client (and while the chunk is). Errors are sticky: the first one comes as an
 * ANC_AGENT_CLIENT_EV_ERROR event, after which every feed returns its code. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/proto.h"
#include "input/proto.h"

/* The agent must have sent its codec meta this long after the client starts; an agent that
 * hangs before (an encoder that never configures) is then reported, not waited for forever. */
#define ANC_AGENT_CLIENT_READY_US (15 * UINT64_C(1000000))

/* The largest output of one anc_agent_client_input call (a SET_CLIPBOARD of the largest input
 * clipboard message; a 4096-byte text message cut into 300-byte INJECT_TEXT messages is less);
 * give it a buffer this big and it never fails for room. */
#define ANC_AGENT_CLIENT_INPUT_MAX     (ANC_AGENT_SET_CLIPBOARD_HEADER + ANC_INPUT_CLIPBOARD_MAX)
#define ANC_AGENT_SET_CLIPBOARD_HEADER 14 /* type, u64 sequence, u8 paste, u32 length */

/* Bit-rate policy (anc_agent_client_estimate). scrcpy-server has no message that changes the
 * bit rate: the only way is to restart the agent with a new video_bit_rate, which costs every
 * viewer about a second of frozen picture and a keyframe. So the agent's bit rate follows the
 * viewers' estimates only when they stay more than ANC_AGENT_BITRATE_FACTOR times away from
 * it, in the same direction, for ANC_AGENT_BITRATE_HOLD_US: a passing dip or a brief burst of
 * headroom never restarts it. A low estimate lowers the rate only when the agent actually sent
 * more than that estimate over the hold period: a mostly static screen sends little, and the
 * browser's estimate of a link that carries little stays low without saying anything about the
 * link (restarting then would only cost a keyframe and a frozen second). */
#define ANC_AGENT_BITRATE_FACTOR  2
#define ANC_AGENT_BITRATE_HOLD_US (5 * UINT64_C(1000000))

enum anc_agent_client_event_type {
    ANC_AGENT_CLIENT_EV_NONE = 0,
    /* The codec meta arrived: the stream is H.264 of width x height. Once. */
    ANC_AGENT_CLIENT_EV_READY,
    /* One access unit, Annex-B. A keyframe carries the last config packet (SPS/PPS) ahead of
     * it, so every keyframe can start a decoder (a new viewer's first frame). */
    ANC_AGENT_CLIENT_EV_AU,
    /* The device's clipboard changed (UTF-8, not NUL-terminated). */
    ANC_AGENT_CLIENT_EV_CLIPBOARD,
    /* The connection is unusable: code (negative errno) and a sentence for the log. Once. */
    ANC_AGENT_CLIENT_EV_ERROR,
};

struct anc_agent_client_event {
    enum anc_agent_client_event_type type;
    union {
        struct {
            const char *device; /* the device name, control characters replaced by '?' */
            uint32_t codec_id;  /* ANC_AGENT_CODEC_H264 */
            uint32_t width, height;
        } ready;
        struct {
            const uint8_t *data;
            size_t len;
            bool keyframe;
            uint64_t pts_us; /* the agent's presentation time, µs */
        } au;
        struct {
            const uint8_t *utf8;
            size_t len;
        } clipboard;
        struct {
            int code;
            const char *why;
        } error;
    };
};

struct anc_agent_client {
    struct anc_agent_stream video;
    struct anc_agent_devmsg_parser device;
    char device_name[ANC_AGENT_DEVICE_NAME_SIZE + 1];
    /* 0 until READY; then the codec meta's, then each config packet's SPS's (agent/h264_sps.h):
     * the size touch and wheel positions are scaled to. */
    uint32_t width, height;
    bool ready;
    int error; /* sticky, negative errno */
    uint64_t ready_deadline_us;
    uint8_t *config; /* the last config packet (owned) */
    size_t config_len, config_cap;
    uint8_t *joined; /* config + keyframe (owned) */
    size_t joined_cap;
    /* Browser pointer id (0..9) → the pointer id on the wire (0..9) while it is down, else -1:
     * a finger keeps one small id for its whole stroke, and ids are reused lowest first. */
    int8_t pointer[ANC_INPUT_POINTER_MAX + 1];
    uint32_t key_down;        /* the Linux key code last pressed, for the repeat count */
    uint64_t clipboard_seq;   /* the last SET_CLIPBOARD sequence sent (they start at 1) */
    uint64_t clipboard_acked; /* the last one the agent acknowledged (ACK_CLIPBOARD) */
    int32_t key_repeat;
    uint64_t bitrate_bps; /* the agent's video_bit_rate */
    uint64_t far_since_us, far_nearest_bps;
    uint64_t far_bytes; /* access-unit bytes delivered since far_since_us */
    int far_dir;        /* 0: the estimates are near the bit rate; 1 above; -1 below */
};

/* now_us: any monotonic µs clock, the same for every call. bitrate_bps: the video_bit_rate the
 * agent was started with. */
void anc_agent_client_init(struct anc_agent_client *c, uint64_t now_us, uint64_t bitrate_bps);
void anc_agent_client_destroy(struct anc_agent_client *c); /* accepts NULL */

/* Feed bytes of the video socket, or of the control socket (device messages). Each call
 * consumes bytes up to the end of at most one event and fills *ev; returns the bytes consumed
 * (> 0 when len > 0; call again with the rest), or after an ERROR event its code (sticky). */
ssize_t anc_agent_client_feed_video(struct anc_agent_client *c, uint64_t now_us, const uint8_t *buf,
                                    size_t len, struct anc_agent_client_event *ev);
ssize_t anc_agent_client_feed_control(struct anc_agent_client *c, uint64_t now_us,
                                      const uint8_t *buf, size_t len,
                                      struct anc_agent_client_event *ev);

/* When anc_agent_client_timeout wants to run (UINT64_MAX: never; after READY or an error). */
uint64_t anc_agent_client_next_timeout(const struct anc_agent_client *c);
/* Returns true with an ERROR event (-ETIMEDOUT) when READY did not come in time. */
bool anc_agent_client_timeout(struct anc_agent_client *c, uint64_t now_us,
                              struct anc_agent_client_event *ev);

/* Control-message bytes for one input message into out (cap bytes): returns how many (0: the
 * message needs nothing sent), -EAGAIN for touch or wheel before READY (positions are scaled to
 * the video size, and the agent drops events of any other size), -ENOBUFS if cap is too small
 * (never with ANC_AGENT_CLIENT_INPUT_MAX), -EPROTONOSUPPORT for an unknown type or control op.
 *   touch    → INJECT_TOUCH_EVENT; a cancel is sent as an up (the agent would keep the pointer)
 *   key      → INJECT_KEYCODE through agent/keymap.h (keys Android lacks send nothing)
 *   text     → INJECT_TEXT in chunks of at most 300 bytes, cut between characters
 *   wheel    → INJECT_SCROLL_EVENT (a notch is 1.0; down is negative on Android)
 *   control  → back, home, app switch, power, menu, volume up/down: their key pressed and
 *              released; rotate: ROTATE_DEVICE; keyframe: nothing here (0), the caller asks the
 *              stream, whose rate-limited request ends in anc_agent_client_reset_video.
 *   clipboard → SET_CLIPBOARD with the next sequence number (the agent acknowledges it with
 *              ACK_CLIPBOARD: clipboard_acked) and the paste flag. */
ssize_t anc_agent_client_input(struct anc_agent_client *c, const struct anc_input_msg *m,
                               uint8_t *out, size_t cap);

/* RESET_VIDEO (the agent restarts capture and encoder: a new config packet and keyframe).
 * Returns the bytes written (1) or -ENOBUFS. */
ssize_t anc_agent_client_reset_video(uint8_t *out, size_t cap);

/* SET_CLIPBOARD with no acknowledgement asked; paste: also paste it into the focused field.
 * Returns the bytes written, -ENOBUFS, or -EMSGSIZE above ANC_AGENT_CLIPBOARD_MAX. */
ssize_t anc_agent_client_set_clipboard(const uint8_t *utf8, size_t len, bool paste, uint8_t *out,
                                       size_t cap);

/* One bandwidth estimate (the viewers' lowest) at now_us. Returns 0, or the bit rate to restart
 * the agent at when the policy above says so (then again only after another hold period). */
uint64_t anc_agent_client_estimate(struct anc_agent_client *c, uint64_t now_us, uint64_t bps);
