/* ancloud-agent: a stand-in for scrcpy-server 3.3.3 on a Linux guest. It serves the guest's own
 * X display over the pinned protocol (src/agent/proto.h) so that ancloudd's Android path runs
 * on hosts without binder: video is the root window captured with XGetImage and encoded with
 * x264, control messages become XTest input, touch markers and the X CLIPBOARD selection.
 *
 * One thread, one poll() loop (agent.c); each concern in its own file: options (agent_opts.c),
 * sockets and bounded output queues (agent_net.c), capture and encode (agent_video.c), touch and
 * keys (agent_input.c), clipboard (agent_clip.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <X11/Xlib.h>
#include <X11/extensions/Xdamage.h>
#include <x264.h>

#include "agent/proto.h"
#include "xtype.h"

/* ---- logging (stderr; scrcpy-server's log_level names) ---- */

enum agent_log_level {
    AGENT_LOG_VERBOSE,
    AGENT_LOG_DEBUG,
    AGENT_LOG_INFO,
    AGENT_LOG_WARN,
    AGENT_LOG_ERROR
};

extern enum agent_log_level agent_log_level;
void agent_log(enum agent_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define AGENT_DEBUG(...) agent_log(AGENT_LOG_DEBUG, __VA_ARGS__)
#define AGENT_INFO(...)  agent_log(AGENT_LOG_INFO, __VA_ARGS__)
#define AGENT_WARN(...)  agent_log(AGENT_LOG_WARN, __VA_ARGS__)
#define AGENT_ERROR(...) agent_log(AGENT_LOG_ERROR, __VA_ARGS__)

/* ---- options (agent_opts.c) ---- */

struct agent_opts {
    int64_t scid; /* -1: none, the socket is then plain "scrcpy" */
    bool tunnel_forward, video, audio, control;
    bool send_device_meta, send_dummy_byte, send_codec_meta, send_frame_meta;
    int video_bit_rate; /* bits per second */
    double max_fps;     /* 0: the default frame rate (AGENT_DEFAULT_FPS) */
};

#define AGENT_DEFAULT_FPS 30

/* Parses argv[1..argc) (version, then key=value). Returns 0, or -EINVAL after printing why
 * (wrong version, a bad value, an unsupported codec). Unknown keys are warned about and ignored. */
int agent_opts_parse(struct agent_opts *o, int argc, char **argv);

/* ---- sockets and output queues (agent_net.c) ---- */

/* Bytes waiting for a non-blocking socket. Appends beyond `limit` pending bytes are refused, so
 * a client that does not read costs bounded memory and never blocks the loop. */
struct agent_outq {
    uint8_t *buf;
    size_t off, len, cap; /* pending bytes are buf[off..len) */
    size_t limit;
};

void agent_outq_init(struct agent_outq *q, size_t limit);
void agent_outq_destroy(struct agent_outq *q);
size_t agent_outq_pending(const struct agent_outq *q);
/* Appends all of data or nothing: 0, -ENOBUFS (over the limit) or -ENOMEM. */
int agent_outq_append(struct agent_outq *q, const void *data, size_t len);
/* Writes what the socket takes now. Returns 0 (maybe with bytes left) or a negative errno
 * (-EPIPE, -ECONNRESET: the client went away). */
int agent_outq_flush(struct agent_outq *q, int fd);

/* Opens the scrcpy sockets in the server's order (video, audio, control; the enabled ones):
 * listens on the abstract socket and accepts them with tunnel_forward, else connects to it.
 * Sets the fds to -1 for disabled ones (all I/O on them later uses MSG_DONTWAIT). Blocks until
 * the client has connected them all. Returns 0 or a negative errno. */
int agent_net_open(const struct agent_opts *o, int *video_fd, int *audio_fd, int *control_fd);

/* ---- capture and encode (agent_video.c) ---- */

struct agent_video {
    Display *dpy;
    int width, height; /* of the stream: the X screen, cut to even sizes */
    int fps, bit_rate;
    x264_t *x264;
    x264_picture_t pic;
    uint8_t *last; /* the previous capture, to skip frames that did not change */
    size_t last_len;
    Damage damage;    /* of the root window; None without the DAMAGE extension */
    int damage_event; /* DAMAGE's first event code */
    bool damaged;     /* the screen may have changed since the last capture */
    int repeats;      /* encodes of the unchanged picture still due (agent_video.c) */
    uint64_t last_frame_us;
    int64_t frame_no;
    uint64_t last_idr_us;
    bool send_config; /* the next packet out is preceded by SPS/PPS */
    bool force_idr;   /* the next frame is encoded as an IDR even if unchanged */
};

/* Opens x264 for the screen of dpy and asks DAMAGE to report changes to it, so that an unchanged
 * screen is not captured at all (without DAMAGE every tick captures and compares). Returns 0,
 * -EINVAL (screen too small or not 24/32 bit) or -ENOMEM. */
int agent_video_init(struct agent_video *v, Display *dpy, int fps, int bit_rate);
void agent_video_destroy(struct agent_video *v); /* accepts a zeroed struct */
/* RESET_VIDEO, or a client that fell behind: a config packet, then an IDR. */
void agent_video_reset(struct agent_video *v);
/* Handles an X event for the video: a DAMAGE report marks the screen as changed. */
void agent_video_event(struct agent_video *v, const XEvent *ev);
/* Captures and encodes one frame at now_us (µs since start, the PTS) and appends the packets to
 * q with their headers (with_meta). Skips unchanged frames (no damage reported, or the same
 * pixels). When q is full the frame is dropped
 * and the stream resumes with an IDR. Returns 0 or a negative errno (a failed capture or encoder). */
int agent_video_tick(struct agent_video *v, uint64_t now_us, struct agent_outq *q, bool with_meta);

/* ---- touch, keys and text (agent_input.c) ---- */

#define AGENT_MAX_POINTERS 10

struct agent_pointer {
    bool down;
    uint64_t id;
    Window marker; /* shown at the pointer while it is down */
};

struct agent_input {
    Display *dpy;
    int width, height; /* the X screen */
    struct agent_pointer ptr[AGENT_MAX_POINTERS];
    int primary;      /* the slot driving the X pointer and button 1, -1: none */
    unsigned buttons; /* X buttons (1 << n) held by XTest */
    struct xtype typer;
};

int agent_input_init(struct agent_input *in, Display *dpy);
void agent_input_destroy(struct agent_input *in);
void agent_input_touch(struct agent_input *in, const struct anc_agent_ctrl *m);
void agent_input_scroll(struct agent_input *in, const struct anc_agent_ctrl *m);
void agent_input_key(struct agent_input *in, const struct anc_agent_ctrl *m);
void agent_input_text(struct agent_input *in, const uint8_t *utf8, size_t len);
/* Presses Ctrl+keysym (paste, copy, cut). */
void agent_input_ctrl_key(struct agent_input *in, KeySym ks);
/* The X keysym for an Android key code, NoSymbol when there is none. */
KeySym agent_keysym_for_android(int32_t keycode);

/* ---- clipboard (agent_clip.c) ---- */

struct agent_clip {
    Display *dpy;
    Window win; /* owns CLIPBOARD for the client's text; receives conversions */
    Atom clipboard, utf8, targets, prop, incr;
    int xfixes_event; /* XFixes' first event code */
    char *text;       /* the client's text while this agent owns CLIPBOARD */
    size_t len;
    bool want_reply; /* a GET_CLIPBOARD waits for a conversion */
};

/* Returns 0, or -ENOTSUP without XFixes (then only client → guest works), -ENOMEM. */
int agent_clip_init(struct agent_clip *c, Display *dpy);
void agent_clip_destroy(struct agent_clip *c);
/* SET_CLIPBOARD: owns CLIPBOARD with the text. Returns 0 or -ENOMEM. */
int agent_clip_set(struct agent_clip *c, const uint8_t *utf8, size_t len);
/* GET_CLIPBOARD: the text when this agent owns the selection (*len set, returns 1), else asks
 * the owner and returns 0 (the text comes later through agent_clip_event), -ENOENT: no owner. */
int agent_clip_get(struct agent_clip *c, const char **text, size_t *len);
/* Handles an X event for the clipboard. Returns 1 with a guest text to send in *text and *len
 * (valid until the next call; caller does not free), 0 when the event was handled or not ours. */
int agent_clip_event(struct agent_clip *c, XEvent *ev, char **text, size_t *len);
