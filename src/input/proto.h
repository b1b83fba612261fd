/* Data-channel input protocol v1 (docs/input-protocol.md): the codec for the binary messages the
 * browser sends on the data channel labelled "input". One data-channel message is one input
 * message; every integer is little-endian. Pure functions on caller-owned buffers: nothing here
 * allocates, and decoded fields that point into the input buffer are borrowed (valid only while
 * that buffer is). Counting and dropping bad messages is the caller's business. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Message types (first byte). */
#define ANC_INPUT_TOUCH     1
#define ANC_INPUT_KEY       2
#define ANC_INPUT_TEXT      3
#define ANC_INPUT_SCROLL    4
#define ANC_INPUT_CONTROL   5
#define ANC_INPUT_CLIPBOARD 6  /* page → guest: set the guest's clipboard (and paste it) */
#define ANC_INPUT_LATENCY   16 /* page → daemon: input-to-present samples (not for the guest) */

/* Messages the daemon sends to the page on the same channel: types 128 and up, so that the two
 * directions never share a number. */
#define ANC_INPUT_OUT_CLIPBOARD 128 /* the guest's clipboard changed */
#define ANC_INPUT_OUT_CONTROL   129 /* who holds control of the instance (docs/api.md) */
#define ANC_INPUT_OUT_FRAME     130 /* the first frame captured after an input (docs/api.md) */

/* Frame message: 1 type byte + u32 seq (the session's count of messages received on the channel
 * when the newest input it answers arrived, 1-based) + u32 the RTP timestamp of the first frame
 * sent that was captured after that input was injected. It answers every earlier input too. */
#define ANC_INPUT_OUT_FRAME_SIZE 9
/* Latency report: 1 type byte + 1..ANC_INPUT_LATENCY_MAX u32 samples, microseconds from the
 * page's send of an input to the presentation of the frame that answered it. */
#define ANC_INPUT_LATENCY_MAX 64

/* Control message: 1 type byte + 1 flags byte + the controller's session id (ASCII, none when
 * nobody holds control). */
#define ANC_INPUT_OUT_CONTROL_YOU     (1u << 0) /* the receiving session holds control */
#define ANC_INPUT_OUT_CONTROL_CAN     (1u << 1) /* the receiving session may be given control */
#define ANC_INPUT_OUT_CONTROL_SID_MAX 64

/* Exact sizes of the fixed-size messages, type byte included. */
#define ANC_INPUT_TOUCH_SIZE  9
#define ANC_INPUT_KEY_SIZE    12
#define ANC_INPUT_SCROLL_SIZE 9
/* Text: 1 type byte + 1..ANC_INPUT_TEXT_MAX bytes of UTF-8. Control: at least type + op. */
#define ANC_INPUT_TEXT_MAX         4096
#define ANC_INPUT_CONTROL_MIN_SIZE 2
/* Clipboard: 1 type byte + 1 flags byte + 0..ANC_INPUT_CLIPBOARD_MAX bytes of UTF-8 (a message
 * of at most 64 KiB, well under every browser's data-channel max-message-size). */
#define ANC_INPUT_CLIPBOARD_MIN_SIZE 2
#define ANC_INPUT_CLIPBOARD_MAX      (65536 - 2)
#define ANC_INPUT_CLIPBOARD_PASTE    (1u << 0) /* flags: also paste it into the focused field */
/* Guest clipboard to the page: 1 type byte + 1 flags byte + UTF-8, cut (on a character
 * boundary) to the channel's message limit and then flagged truncated. */
#define ANC_INPUT_OUT_CLIPBOARD_TRUNCATED (1u << 0)
#define ANC_INPUT_OUT_HEADER_SIZE         2
/* The largest valid message (a clipboard message of ANC_INPUT_CLIPBOARD_MAX bytes); control
 * messages may be longer on the wire, but v1 receivers ignore their payload. */
#define ANC_INPUT_MAX_SIZE (ANC_INPUT_CLIPBOARD_MIN_SIZE + ANC_INPUT_CLIPBOARD_MAX)

/* Touch actions. */
#define ANC_INPUT_TOUCH_DOWN   0
#define ANC_INPUT_TOUCH_MOVE   1
#define ANC_INPUT_TOUCH_UP     2
#define ANC_INPUT_TOUCH_CANCEL 3
#define ANC_INPUT_POINTER_MAX  9 /* pointer ids are 0..9 */

/* Key actions; key codes are Linux KEY_* codes (linux/input-event-codes.h), at most KEY_MAX. */
#define ANC_INPUT_KEY_DOWN    0
#define ANC_INPUT_KEY_UP      1
#define ANC_INPUT_KEYCODE_MAX 0x2ff

/* Modifier bits of a key message: the sender's modifier state when the key event happened
 * (after it, for the modifier keys themselves). Bits 8..31 are reserved: senders send 0 and
 * receivers ignore them. */
#define ANC_INPUT_MOD_SHIFT      (1u << 0)
#define ANC_INPUT_MOD_CTRL       (1u << 1)
#define ANC_INPUT_MOD_ALT        (1u << 2)
#define ANC_INPUT_MOD_META       (1u << 3)
#define ANC_INPUT_MOD_CAPSLOCK   (1u << 4)
#define ANC_INPUT_MOD_NUMLOCK    (1u << 5)
#define ANC_INPUT_MOD_ALTGR      (1u << 6)
#define ANC_INPUT_MOD_SCROLLLOCK (1u << 7)

/* Control operations. */
#define ANC_INPUT_CTL_KEYFRAME    1
#define ANC_INPUT_CTL_ROTATE      2
#define ANC_INPUT_CTL_BACK        3
#define ANC_INPUT_CTL_HOME        4
#define ANC_INPUT_CTL_APP_SWITCH  5
#define ANC_INPUT_CTL_POWER       6
#define ANC_INPUT_CTL_MENU        7
#define ANC_INPUT_CTL_VOLUME_UP   8
#define ANC_INPUT_CTL_VOLUME_DOWN 9
#define ANC_INPUT_CTL_MAX         ANC_INPUT_CTL_VOLUME_DOWN

/* One wheel notch, in scroll delta units (the same unit as the DOM's WheelEvent in Chromium). */
#define ANC_INPUT_SCROLL_NOTCH 120

struct anc_input_touch {
    uint8_t action;     /* ANC_INPUT_TOUCH_* */
    uint8_t pointer_id; /* 0..ANC_INPUT_POINTER_MAX */
    uint16_t x, y;      /* 0..65535 over the video frame: 0 = left/top, 65535 = right/bottom */
    uint16_t pressure;  /* 0..65535 = 0.0..1.0 */
};

struct anc_input_key {
    uint8_t action;     /* ANC_INPUT_KEY_* */
    uint32_t keycode;   /* Linux KEY_*, 0..ANC_INPUT_KEYCODE_MAX */
    uint32_t modifiers; /* ANC_INPUT_MOD_* */
};

struct anc_input_text {
    const uint8_t *utf8; /* valid UTF-8, not NUL-terminated; borrowed */
    size_t len;          /* 1..ANC_INPUT_TEXT_MAX */
};

struct anc_input_scroll {
    int16_t dx, dy; /* ANC_INPUT_SCROLL_NOTCH per notch; dy < 0 up, dx < 0 left */
    uint16_t x, y;  /* pointer position, normalized like a touch */
};

struct anc_input_control {
    uint8_t op;             /* ANC_INPUT_CTL_* */
    const uint8_t *payload; /* bytes after op (ignored by v1 receivers); borrowed */
    size_t payload_len;
};

struct anc_input_clipboard {
    uint8_t flags;       /* ANC_INPUT_CLIPBOARD_PASTE; other bits reserved: sent 0, ignored */
    const uint8_t *utf8; /* valid UTF-8, not NUL-terminated; borrowed */
    size_t len;          /* 0..ANC_INPUT_CLIPBOARD_MAX */
};

struct anc_input_latency {
    const uint8_t *samples; /* n little-endian u32 (anc_input_latency_us); borrowed */
    size_t n;               /* 1..ANC_INPUT_LATENCY_MAX */
};

struct anc_input_msg {
    uint8_t type; /* ANC_INPUT_* */
    union {
        struct anc_input_touch touch;
        struct anc_input_key key;
        struct anc_input_text text;
        struct anc_input_scroll scroll;
        struct anc_input_control control;
        struct anc_input_clipboard clipboard;
        struct anc_input_latency latency;
    };
};

/* What a sink's apply function asks of its caller (negative errno on failure). */
#define ANC_INPUT_APPLIED  0 /* injected, or deliberately ignored (a second pointer on X11) */
#define ANC_INPUT_KEYFRAME 1 /* a control keyframe request: the caller asks the encoder for one */

/* Sample i (< l->n) of a latency report, in microseconds. */
uint32_t anc_input_latency_us(const struct anc_input_latency *l, size_t i);

/* Daemon → page: an ANC_INPUT_OUT_FRAME message into buf (cap bytes). Returns
 * ANC_INPUT_OUT_FRAME_SIZE or -ENOBUFS. */
ssize_t anc_input_encode_out_frame(uint32_t seq, uint32_t rtp_ts, uint8_t *buf, size_t cap);
/* Its inverse (what the page does): 0, or -EBADMSG for another type or length. */
int anc_input_decode_out_frame(const uint8_t *buf, size_t len, uint32_t *seq, uint32_t *rtp_ts);

/* Decodes one message. Returns 0, -EBADMSG when malformed (wrong length, action out of range,
 * pointer id > 9, key code > KEY_MAX, invalid UTF-8, a latency report without samples or with a
 * partial one), -EMSGSIZE for text longer than ANC_INPUT_TEXT_MAX, clipboard text longer than
 * ANC_INPUT_CLIPBOARD_MAX or a report of more than ANC_INPUT_LATENCY_MAX samples, -EPROTONOSUPPORT for
 * an unknown type or control op. On success, text, clipboard and control payload point into buf.
 * out is unspecified after a failure. */
int anc_input_decode(const uint8_t *buf, size_t len, struct anc_input_msg *out);

/* Encoded size of m (0 if m's type is unknown). */
size_t anc_input_encoded_size(const struct anc_input_msg *m);

/* Encodes m into buf (cap bytes). Returns the bytes written, -ENOBUFS if cap is too small,
 * -EINVAL if m would not decode (same checks as anc_input_decode). Key messages get a zero
 * reserved field. */
ssize_t anc_input_encode(const struct anc_input_msg *m, uint8_t *buf, size_t cap);

/* Decodes the UTF-8 sequence at the start of s (len > 0): stores the code point in *cp and
 * returns its length in bytes (1..4), or -EBADMSG for a truncated, overlong or otherwise
 * invalid sequence, a surrogate (U+D800..U+DFFF) or a value above U+10FFFF. */
int anc_input_utf8_next(const uint8_t *s, size_t len, uint32_t *cp);

/* 0 if s[0..len) is valid UTF-8 (len may be 0), else -EBADMSG. */
int anc_input_utf8_validate(const uint8_t *s, size_t len);

/* Daemon → page: the guest's clipboard as an ANC_INPUT_OUT_CLIPBOARD message into buf (cap
 * bytes), cut on a UTF-8 boundary to at most max bytes in all (max ≥ ANC_INPUT_OUT_HEADER_SIZE;
 * the channel's message limit) and then flagged ANC_INPUT_OUT_CLIPBOARD_TRUNCATED. Invalid
 * UTF-8 in utf8 is cut at the first bad sequence, also flagged. Returns the bytes written,
 * -EINVAL when max is below the header, -ENOBUFS when cap is below what would be written. */
/* Daemon → page: an ANC_INPUT_OUT_CONTROL message into buf (cap bytes): flags, then
 * controller_sid (NULL or "": nobody; at most ANC_INPUT_OUT_CONTROL_SID_MAX bytes). Returns its
 * length, -EINVAL or -ENOBUFS. */
ssize_t anc_input_encode_out_control(const char *controller_sid, unsigned flags, uint8_t *buf,
                                     size_t cap);

ssize_t anc_input_encode_out_clipboard(const uint8_t *utf8, size_t len, size_t max, uint8_t *buf,
                                       size_t cap);
