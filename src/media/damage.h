/* The change gate of a capture: one X connection per display that watches the DAMAGE extension
 * on the root window, so a static screen makes no capture jobs at all.
 *
 * Loop thread only, including the Display * it exposes. The connection is driven by a uv_poll on
 * its socket: Xlib's queue is drained on every readable event and after every request made here.
 * A broken connection (Xvfb died) never exits the process: libX11's exit handler is replaced for
 * this Display, the damage object then reports changes on every take (capture rather than freeze)
 * and calls on_disconnect once; the owner closes it and opens a new one when the display is back.
 *
 * Process-wide side effect: the first anc_damage_open installs Xlib error and I/O error handlers
 * that log at debug level instead of printing and exiting (Xlib's handlers are global). */
#pragma once

#include <stdint.h>

#include <stdbool.h>
#include <X11/Xlib.h>
#include <uv.h>

#include "media/fb_capture.h"
#include "media/stream.h"

struct anc_damage;

typedef void (*anc_damage_disconnect_cb)(struct anc_damage *d, void *data);

/* Connects to display_name (":N"; a blocking connect to a local server that is known to be
 * ready) with cookie (ANC_DAMAGE_COOKIE_LEN bytes of MIT-MAGIC-COOKIE-1; NULL: XAUTHORITY's, as
 * any X client), checks the DAMAGE extension and starts watching. Loop thread only (the cookie is
 * Xlib's process-wide authorization while the connection is made). Returns 0 and a new object in *out
 * (caller closes it), -ECONNREFUSED when the display cannot be opened, -ENOTSUP without DAMAGE,
 * or a libuv error. A call that fails never calls on_disconnect. */
#define ANC_DAMAGE_COOKIE_LEN 16
int anc_damage_open(uv_loop_t *loop, const char *display_name, const uint8_t *cookie,
                    anc_damage_disconnect_cb on_disconnect, void *data, struct anc_damage **out);

/* True when anything was drawn since the previous take (or the connection is broken). */
bool anc_damage_take(struct anc_damage *d);

/* The connection, for other loop-thread users of the same display (XTest input). Call
 * anc_damage_dispatch after making requests on it so that events Xlib read meanwhile are handled.
 * NULL once the connection broke. */
Display *anc_damage_display(struct anc_damage *d);
void anc_damage_dispatch(struct anc_damage *d);

/* Every event on the connection other than DAMAGE's goes to fn (the clipboard's selection
 * events, input/xclip.h); fn NULL: they are dropped, as before any call. fn must not close d. */
typedef void (*anc_damage_event_cb)(XEvent *ev, void *data);
void anc_damage_set_event_cb(struct anc_damage *d, anc_damage_event_cb fn, void *data);

/* Stops watching and frees d once its poll handle is closed (the Display is closed then). d may
 * be NULL. on_disconnect is not called after this. */
void anc_damage_close(struct anc_damage *d);

/* A stream source over a framebuffer and a damage gate (struct owned by the caller, who keeps it
 * alive as long as the stream). changed() (loop thread) remaps the fb if Xvfb re-created it, then
 * asks the damage gate; with damage NULL (display restarting, or no DAMAGE) every tick captures.
 * draw() (worker thread) copies the fb into the stream's frame of width x height. fb must stay the
 * same object while the stream lives; damage may be swapped on the loop thread at any time. */
struct anc_capture_source {
    struct anc_fb *fb;
    struct anc_damage *damage;
    int width, height;
};

struct anc_stream_source anc_capture_stream_source(struct anc_capture_source *cs);
