/* The wire protocol of scrcpy-server 3.3.3 (the in-guest agent), both directions, sans-IO.
 *
 * ancloudd is the client: it parses the video stream and device messages and serializes
 * control messages. The stand-in agent is the server: it writes the stream and device messages
 * and parses control messages. Every integer is big-endian. The protocol is internal to scrcpy
 * and changes between versions; this module speaks 3.3.3 only (checked against the server's
 * ControlMessageReader, DeviceMessageWriter, Streamer and DesktopConnection of tag v3.3.3).
 *
 * Parsers are incremental: feed them any chunking of the stream. A feed consumes bytes up to the
 * end of at most one message and returns how many; call it again with the rest. What a parsed
 * message points to lies in the caller's chunk when the message was wholly inside it, otherwise
 * in a buffer the parser owns; either way it is valid until the next feed or destroy (and while
 * the caller's chunk is). A parse error is sticky. Nothing here does I/O or logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/framer.h"

#define ANC_AGENT_SCRCPY_VERSION "3.3.3"

/* ---- Android constants (NDK input.h) used on the wire ---- */

/* Key actions (AKEY_EVENT_ACTION_*). */
#define ANC_AKEY_ACTION_DOWN     0
#define ANC_AKEY_ACTION_UP       1
#define ANC_AKEY_ACTION_MULTIPLE 2

/* Motion actions (AMOTION_EVENT_ACTION_*). scrcpy-server sends the pointer index in the high
 * byte itself: clients send DOWN/UP/MOVE per pointer id and it derives POINTER_DOWN/UP. */
#define ANC_AMOTION_ACTION_DOWN           0
#define ANC_AMOTION_ACTION_UP             1
#define ANC_AMOTION_ACTION_MOVE           2
#define ANC_AMOTION_ACTION_CANCEL         3
#define ANC_AMOTION_ACTION_OUTSIDE        4
#define ANC_AMOTION_ACTION_POINTER_DOWN   5
#define ANC_AMOTION_ACTION_POINTER_UP     6
#define ANC_AMOTION_ACTION_HOVER_MOVE     7
#define ANC_AMOTION_ACTION_SCROLL         8
#define ANC_AMOTION_ACTION_HOVER_ENTER    9
#define ANC_AMOTION_ACTION_HOVER_EXIT     10
#define ANC_AMOTION_ACTION_BUTTON_PRESS   11
#define ANC_AMOTION_ACTION_BUTTON_RELEASE 12

/* Button bits (AMOTION_EVENT_BUTTON_*). */
#define ANC_AMOTION_BUTTON_PRIMARY          0x01
#define ANC_AMOTION_BUTTON_SECONDARY        0x02
#define ANC_AMOTION_BUTTON_TERTIARY         0x04
#define ANC_AMOTION_BUTTON_BACK             0x08
#define ANC_AMOTION_BUTTON_FORWARD          0x10
#define ANC_AMOTION_BUTTON_STYLUS_PRIMARY   0x20
#define ANC_AMOTION_BUTTON_STYLUS_SECONDARY 0x40

/* Meta state bits (AMETA_*). */
#define ANC_AMETA_NONE           0
#define ANC_AMETA_SHIFT_ON       0x01
#define ANC_AMETA_ALT_ON         0x02
#define ANC_AMETA_SYM_ON         0x04
#define ANC_AMETA_FUNCTION_ON    0x08
#define ANC_AMETA_ALT_LEFT_ON    0x10
#define ANC_AMETA_ALT_RIGHT_ON   0x20
#define ANC_AMETA_SHIFT_LEFT_ON  0x40
#define ANC_AMETA_SHIFT_RIGHT_ON 0x80
#define ANC_AMETA_CTRL_ON        0x1000
#define ANC_AMETA_CTRL_LEFT_ON   0x2000
#define ANC_AMETA_CTRL_RIGHT_ON  0x4000
#define ANC_AMETA_META_ON        0x10000
#define ANC_AMETA_META_LEFT_ON   0x20000
#define ANC_AMETA_META_RIGHT_ON  0x40000
#define ANC_AMETA_CAPS_LOCK_ON   0x100000
#define ANC_AMETA_NUM_LOCK_ON    0x200000
#define ANC_AMETA_SCROLL_LOCK_ON 0x400000

/* Pointer ids with a meaning to the server; any other id is a real finger (≤ 10 at once). */
#define ANC_AGENT_POINTER_MOUSE          UINT64_C(0xffffffffffffffff) /* -1 */
#define ANC_AGENT_POINTER_GENERIC_FINGER UINT64_C(0xfffffffffffffffe) /* -2 */
#define ANC_AGENT_POINTER_VIRTUAL_FINGER UINT64_C(0xfffffffffffffffd) /* -3 */

/* ---- Video stream (server → client, the video socket) ---- */

/* With tunnel_forward the first socket starts with this byte; then, with send_device_meta, the
 * first socket carries the device name: 64 bytes, NUL-padded, at most 63 of them text. */
#define ANC_AGENT_DUMMY_BYTE       0x00
#define ANC_AGENT_DEVICE_NAME_SIZE 64

/* Codec ids (4 ASCII bytes). The ids 0 and 1 in the codec id's place end the stream: 0 means
 * the server disabled it, 1 a configuration error; no width or height follows them. */
#define ANC_AGENT_CODEC_H264     UINT32_C(0x68323634) /* "h264" */
#define ANC_AGENT_CODEC_H265     UINT32_C(0x68323635) /* "h265" */
#define ANC_AGENT_CODEC_AV1      UINT32_C(0x00617631) /* "\0av1" */
#define ANC_AGENT_CODEC_DISABLED UINT32_C(0)
#define ANC_AGENT_CODEC_ERROR    UINT32_C(1)

#define ANC_AGENT_CODEC_META_SIZE    12                  /* u32 codec id, u32 width, u32 height */
#define ANC_AGENT_FRAME_HEADER_SIZE  12                  /* u64 pts and flags, u32 size */
#define ANC_AGENT_FLAG_CONFIG        (UINT64_C(1) << 63) /* codec config (SPS/PPS); pts bits 0 */
#define ANC_AGENT_FLAG_KEYFRAME      (UINT64_C(1) << 62)
#define ANC_AGENT_PTS_MASK           (ANC_AGENT_FLAG_KEYFRAME - 1)
#define ANC_AGENT_PACKET_MAX_DEFAULT (16u << 20)

/* What the stream parser expects before the codec meta (the scrcpy-server options). */
#define ANC_AGENT_STREAM_DUMMY_BYTE  0x1 /* tunnel_forward=true and this is the first socket */
#define ANC_AGENT_STREAM_DEVICE_META 0x2 /* send_device_meta=true and this is the first socket */

enum anc_agent_stream_event_type {
    ANC_AGENT_EV_NONE = 0, /* the bytes went into a partial message */
    ANC_AGENT_EV_DUMMY,
    ANC_AGENT_EV_DEVICE,
    ANC_AGENT_EV_CODEC, /* codec_id 0 or 1: the stream ends here (see ANC_AGENT_CODEC_*) */
    ANC_AGENT_EV_PACKET,
};

struct anc_agent_stream_event {
    enum anc_agent_stream_event_type type;
    union {
        struct {
            char name[ANC_AGENT_DEVICE_NAME_SIZE + 1]; /* NUL-terminated copy, not validated */
        } device;
        struct {
            uint32_t codec_id, width, height; /* width/height 0 when codec_id is 0 or 1 */
        } codec;
        struct {
            uint64_t pts; /* microseconds; 0 for config packets */
            bool config, keyframe;
            const uint8_t *data; /* borrowed, see the top of this file */
            size_t len;
        } packet;
    };
};

enum anc__agent_stream_state {
    ANC__AGENT_ST_DUMMY,
    ANC__AGENT_ST_DEVICE,
    ANC__AGENT_ST_CODEC,
    ANC__AGENT_ST_PACKET,
    ANC__AGENT_ST_END, /* after a disabled/error codec id: no byte may follow */
};

struct anc_agent_stream {
    struct anc__agent_framer fr;
    enum anc__agent_stream_state state;
    bool skip_device; /* no device meta after the dummy byte */
    size_t max_packet;
};

/* flags: ANC_AGENT_STREAM_*. max_packet: the largest payload accepted (0: the 16 MiB
 * default). Nothing is allocated until a message straddles two feeds. */
void anc_agent_stream_init(struct anc_agent_stream *s, unsigned flags, size_t max_packet);
void anc_agent_stream_destroy(struct anc_agent_stream *s); /* accepts NULL */

/* Consumes buf[0..len) up to the end of at most one event and fills *ev (ev->type NONE when
 * none completed). Returns the bytes consumed, > 0 whenever len > 0; or, sticky: -EBADMSG (a
 * dummy byte that is not 0, width or height 0 or above 65535, config and keyframe together, a
 * config packet with a pts, any byte after a disabled/error codec id), -EMSGSIZE (a packet above
 * max_packet), -ENOMEM. Unknown codec ids are passed on: the caller decides. */
ssize_t anc_agent_stream_feed(struct anc_agent_stream *s, const uint8_t *buf, size_t len,
                              struct anc_agent_stream_event *ev);

/* Server side: fills the 64-byte device meta with name, cut to 63 bytes on a UTF-8 boundary. */
void anc_agent_write_device_meta(uint8_t out[ANC_AGENT_DEVICE_NAME_SIZE], const char *name);
void anc_agent_write_codec_meta(uint8_t out[ANC_AGENT_CODEC_META_SIZE], uint32_t codec_id,
                                uint32_t width, uint32_t height);
/* The 4 bytes that replace the codec meta when the server gives up on the stream. */
void anc_agent_write_disable(uint8_t out[4], bool error);
/* A config packet's header carries no pts. Returns 0, or -EINVAL when pts has a flag bit set
 * or size exceeds UINT32_MAX. */
int anc_agent_write_frame_header(uint8_t out[ANC_AGENT_FRAME_HEADER_SIZE], uint64_t pts,
                                 bool config, bool keyframe, size_t size);

/* ---- Control messages (client → server, the control socket) ---- */

enum anc_agent_ctrl_type {
    ANC_AGENT_CTRL_NONE = -1, /* a parser's "no message yet" */
    ANC_AGENT_CTRL_INJECT_KEYCODE = 0,
    ANC_AGENT_CTRL_INJECT_TEXT = 1,
    ANC_AGENT_CTRL_INJECT_TOUCH_EVENT = 2,
    ANC_AGENT_CTRL_INJECT_SCROLL_EVENT = 3,
    ANC_AGENT_CTRL_BACK_OR_SCREEN_ON = 4,
    ANC_AGENT_CTRL_EXPAND_NOTIFICATION_PANEL = 5,
    ANC_AGENT_CTRL_EXPAND_SETTINGS_PANEL = 6,
    ANC_AGENT_CTRL_COLLAPSE_PANELS = 7,
    ANC_AGENT_CTRL_GET_CLIPBOARD = 8,
    ANC_AGENT_CTRL_SET_CLIPBOARD = 9,
    ANC_AGENT_CTRL_SET_DISPLAY_POWER = 10,
    ANC_AGENT_CTRL_ROTATE_DEVICE = 11,
    ANC_AGENT_CTRL_UHID_CREATE = 12,
    ANC_AGENT_CTRL_UHID_INPUT = 13,
    ANC_AGENT_CTRL_UHID_DESTROY = 14,
    ANC_AGENT_CTRL_OPEN_HARD_KEYBOARD_SETTINGS = 15,
    ANC_AGENT_CTRL_START_APP = 16,
    ANC_AGENT_CTRL_RESET_VIDEO = 17, /* restarts capture and encoder: a new config + keyframe */
};

#define ANC_AGENT_MSG_MAX       (1u << 18) /* the server's and client's MESSAGE_MAX_SIZE */
#define ANC_AGENT_TEXT_MAX      300        /* INJECT_TEXT */
#define ANC_AGENT_CLIPBOARD_MAX (ANC_AGENT_MSG_MAX - 14) /* SET_CLIPBOARD text */
#define ANC_AGENT_UHID_NAME_MAX 255
#define ANC_AGENT_START_APP_MAX 255
#define ANC_AGENT_COPY_KEY_NONE 0 /* GET_CLIPBOARD: press nothing first */
#define ANC_AGENT_COPY_KEY_COPY 1
#define ANC_AGENT_COPY_KEY_CUT  2

/* Unsigned 16-bit fixed point as scrcpy encodes pressure: f in [0, 1] → f·65536, 1.0 → 0xffff.
 * Values outside [0, 1] are clamped. */
uint16_t anc_agent_u16fp(float f);
/* Scroll amounts: v in [-16, 16] (clamped) → v/16·32768, 16 → 0x7fff. */
int16_t anc_agent_scroll_fp(float v);

/* One control message. Byte arrays are borrowed (not NUL-terminated). */
struct anc_agent_ctrl {
    enum anc_agent_ctrl_type type;
    union {
        struct {
            uint8_t action;                     /* ANC_AKEY_ACTION_* */
            int32_t keycode, repeat, metastate; /* AKEYCODE_*, repeat count, ANC_AMETA_* */
        } key;
        struct {
            const uint8_t *utf8;
            size_t len; /* ≤ ANC_AGENT_TEXT_MAX */
        } text;
        struct {
            uint8_t action; /* ANC_AMOTION_ACTION_* */
            uint64_t pointer_id;
            int32_t x, y;
            uint16_t width, height;          /* the video size the position refers to */
            uint16_t pressure;               /* anc_agent_u16fp() */
            uint32_t action_button, buttons; /* ANC_AMOTION_BUTTON_* */
        } touch;
        struct {
            int32_t x, y;
            uint16_t width, height;
            int16_t hscroll, vscroll; /* anc_agent_scroll_fp() */
            uint32_t buttons;
        } scroll;
        struct {
            uint8_t action; /* ANC_AKEY_ACTION_* */
        } back_or_screen_on;
        struct {
            uint8_t copy_key; /* ANC_AGENT_COPY_KEY_* */
        } get_clipboard;
        struct {
            uint64_t sequence; /* 0: no ACK_CLIPBOARD wanted */
            bool paste;
            const uint8_t *utf8;
            size_t len; /* ≤ ANC_AGENT_CLIPBOARD_MAX */
        } set_clipboard;
        struct {
            bool on;
        } display_power;
        struct {
            uint16_t id, vendor_id, product_id;
            const uint8_t *name;
            size_t name_len; /* ≤ 255 */
            const uint8_t *report_desc;
            size_t report_desc_len; /* ≤ 65535 */
        } uhid_create;
        struct {
            uint16_t id;
            const uint8_t *data;
            size_t len; /* ≤ 65535 */
        } uhid_input;
        struct {
            uint16_t id;
        } uhid_destroy;
        struct {
            const uint8_t *name;
            size_t len; /* ≤ 255 */
        } start_app;
    };
};

/* Serialized size of m, or -EINVAL (unknown type), -EMSGSIZE (a field above its bound). */
ssize_t anc_agent_ctrl_size(const struct anc_agent_ctrl *m);
/* Serializes m into buf (cap bytes). Returns the bytes written, -ENOBUFS if cap is too small,
 * or anc_agent_ctrl_size()'s errors. Text is never truncated: split it first. */
ssize_t anc_agent_ctrl_serialize(const struct anc_agent_ctrl *m, uint8_t *buf, size_t cap);

/* The length of the longest prefix of s[0..len) that is at most max bytes and does not end
 * inside a UTF-8 sequence, for cutting text into INJECT_TEXT chunks (max ≥ 4). When the cut
 * would leave nothing (invalid UTF-8), cuts at max. */
size_t anc_agent_utf8_chunk(const uint8_t *s, size_t len, size_t max);

/* Server side: the incremental control message parser of the stand-in agent. */
struct anc_agent_ctrl_parser {
    struct anc__agent_framer fr;
};

void anc_agent_ctrl_parser_init(struct anc_agent_ctrl_parser *p);
void anc_agent_ctrl_parser_destroy(struct anc_agent_ctrl_parser *p); /* accepts NULL */
/* Like anc_agent_stream_feed: *out->type is ANC_AGENT_CTRL_NONE until a message completes.
 * Sticky errors: -EPROTONOSUPPORT (unknown type), -EMSGSIZE (text above 300 bytes, a message
 * above ANC_AGENT_MSG_MAX), -ENOMEM. */
ssize_t anc_agent_ctrl_parser_feed(struct anc_agent_ctrl_parser *p, const uint8_t *buf, size_t len,
                                   struct anc_agent_ctrl *out);

/* ---- Device messages (server → client, the control socket) ---- */

enum anc_agent_devmsg_type {
    ANC_AGENT_DEVMSG_NONE = -1,
    ANC_AGENT_DEVMSG_CLIPBOARD = 0,
    ANC_AGENT_DEVMSG_ACK_CLIPBOARD = 1,
    ANC_AGENT_DEVMSG_UHID_OUTPUT = 2,
};

#define ANC_AGENT_DEVICE_CLIPBOARD_MAX (ANC_AGENT_MSG_MAX - 5)

struct anc_agent_devmsg {
    enum anc_agent_devmsg_type type;
    union {
        struct {
            const uint8_t *utf8;
            size_t len; /* ≤ ANC_AGENT_DEVICE_CLIPBOARD_MAX */
        } clipboard;
        struct {
            uint64_t sequence;
        } ack_clipboard;
        struct {
            uint16_t id;
            const uint8_t *data;
            size_t len; /* ≤ 65535 */
        } uhid_output;
    };
};

/* Server side. Returns the bytes written, -ENOBUFS, -EINVAL (unknown type), -EMSGSIZE. */
ssize_t anc_agent_devmsg_serialize(const struct anc_agent_devmsg *m, uint8_t *buf, size_t cap);

/* Client side: the incremental device message parser of ancloudd. */
struct anc_agent_devmsg_parser {
    struct anc__agent_framer fr;
};

void anc_agent_devmsg_parser_init(struct anc_agent_devmsg_parser *p);
void anc_agent_devmsg_parser_destroy(struct anc_agent_devmsg_parser *p); /* accepts NULL */
/* Sticky errors: -EPROTONOSUPPORT (unknown type), -EMSGSIZE (clipboard above the bound),
 * -ENOMEM. */
ssize_t anc_agent_devmsg_parser_feed(struct anc_agent_devmsg_parser *p, const uint8_t *buf,
                                     size_t len, struct anc_agent_devmsg *out);
