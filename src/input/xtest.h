/* The XTest input sink: injects decoded input protocol v1 messages into an X11 display through
 * the XTEST extension (single pointer + core keyboard). Loop thread only. The normal path only
 * queues requests and XFlush()es; the one round trip is when text needs a keysym that the
 * keymap lacks (see anc_xtest_apply). Behaviour in detail: docs/input-protocol.md. */
#pragma once

#include <X11/Xlib.h>

#include "input/proto.h"

struct anc_xtest;

/* Keymap changes one text message may cause (characters the keymap lacks are typed through a
 * spare keycode remapped for them); characters needing more are dropped and counted. */
#define ANC_XTEST_TEXT_REMAPS_MAX 32

/* Creates a sink on dpy, an open connection the caller keeps owning (it must outlive the sink).
 * screen_w/screen_h (> 0) is the pixel size that normalized coordinates map onto: 0 -> 0 and
 * 65535 -> size - 1, px = (x * size) >> 16. Reads the keyboard mapping once (a round trip).
 * Returns 0, -EINVAL, -ENOTSUP without the XTEST extension, or -ENOMEM. */
int anc_xtest_new(Display *dpy, int screen_w, int screen_h, struct anc_xtest **out);

/* Releases every key and button the sink holds down, flushes, frees. Accepts NULL. Does not
 * close the display. */
void anc_xtest_free(struct anc_xtest *x);

/* Injects m. Returns ANC_INPUT_APPLIED (also for input deliberately ignored: pointers other than
 * the first, key-up of a key not held), ANC_INPUT_KEYFRAME for a keyframe request (the caller
 * acts), -ENOTSUP for control ops that mean nothing on X11 (rotate, home, app switch, power,
 * menu, volume), for clipboard messages (the sink owns no X selection) and for key
 * codes beyond the display's keycode range, -ENOSPC when text needed a keysym the keymap lacks
 * and no spare keycode was free (the other characters are still typed), -E2BIG when a text
 * message needed more than ANC_XTEST_TEXT_REMAPS_MAX remaps (the characters beyond the cap
 * that need one are dropped and counted, the rest typed), -EINVAL for an unknown type. */
int anc_xtest_apply(struct anc_xtest *x, const struct anc_input_msg *m);

/* Characters dropped so far by the per-message remap cap. */
uint64_t anc_xtest_text_dropped(const struct anc_xtest *x);

/* Re-reads the keyboard mapping (a round trip). The owner of dpy calls this when it sees a
 * MappingNotify that the sink did not cause; remapped spare keycodes are forgotten. */
int anc_xtest_refresh_keymap(struct anc_xtest *x);

/* Changes the size normalized coordinates map onto (after the display was resized). */
void anc_xtest_set_size(struct anc_xtest *x, int screen_w, int screen_h);
