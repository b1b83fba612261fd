/* An instance's screen: its Xvfb display, the framebuffer capture with the DAMAGE gate, the
 * stream that encodes it, and the XTest sink for input. Shared by every kind whose guest draws on
 * an X display (x11 apps on the host, Linux guests in containers). Loop thread only. */
#pragma once

#include <stdbool.h>

#include "media/stream.h"

struct anc_screen;
struct anc_encpool;
struct anc_input_msg;

struct anc_screen_params {
    uv_loop_t *loop;
    struct anc_encpool *pool;
    const char *run_dir; /* the instance's runtime directory (exists) */
    struct anc_stream_params stream;
    bool adopt; /* take over the Xvfb a previous daemon left running (display.h) */
    /* Xvfb only: the guest's own agent captures it, so no framebuffer, no stream, no X
     * connection (anc_screen_stream is NULL, anc_screen_input -ENOTCONN). */
    bool display_only;
};

struct anc_screen_callbacks {
    /* The display is ready and the stream exists. Called once. */
    void (*on_ready)(struct anc_screen *s, void *data);
    /* The display failed to start (why says how); the screen must still be stopped. */
    void (*on_failed)(struct anc_screen *s, const char *why, void *data);
    /* Another X client took the display's CLIPBOARD: its text (utf8[0..len), not NUL-terminated,
     * valid during the call, at most ANC_CLIPRX_MAX bytes: longer text is cut and logged).
     * May be NULL. */
    void (*on_clipboard)(struct anc_screen *s, const char *utf8, size_t len, void *data);
};

/* Starts Xvfb; on_ready or on_failed follows. Returns 0 or -errno (then no callback). */
int anc_screen_start(const struct anc_screen_params *p, const struct anc_screen_callbacks *cbs,
                     void *data, struct anc_screen **out);

/* ":N", the X socket directory (for a bind mount into a container) and the stream; valid after
 * on_ready. */
const char *anc_screen_display(const struct anc_screen *s);
const char *anc_screen_socket_dir(const struct anc_screen *s);
/* The display's xauth file (0600): XAUTHORITY for the guest's X clients. */
const char *anc_screen_xauthority(const struct anc_screen *s);
struct anc_stream *anc_screen_stream(const struct anc_screen *s);
/* The display is a previous daemon's Xvfb, taken over (params.adopt), so its clients live on. */
bool anc_screen_adopted(const struct anc_screen *s);

/* Injects one input message through XTest. A clipboard message makes the daemon own the
 * display's CLIPBOARD and PRIMARY with its text (input/xclip.h), and with the paste flag then
 * taps Ctrl+V. Returns ANC_INPUT_APPLIED / ANC_INPUT_KEYFRAME or -errno (-ENOTCONN while the
 * display restarts, -ENOTSUP for a clipboard message on a display without XFixes). */
int anc_screen_input(struct anc_screen *s, const struct anc_input_msg *m);

/* Closes the stream (waiting for its jobs), the X connection, the framebuffer and Xvfb; then
 * done(arg). s may be NULL. */
void anc_screen_stop(struct anc_screen *s, void (*done)(void *arg), void *arg);
/* The same, but Xvfb keeps running for a later daemon to adopt (anc_display_detach). */
void anc_screen_detach(struct anc_screen *s, void (*done)(void *arg), void *arg);
