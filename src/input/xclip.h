/* The X clipboard of a host-capture display (x11, linux kinds), both ways, on the daemon's own X
 * connection (the one media/damage.c drives; loop thread only):
 * - guest → page: XFixes tells when another client takes CLIPBOARD; its text is converted to
 *   UTF8_STRING onto a small unmapped window of ours and handed to on_text. INCR transfers are
 *   read chunk by chunk. At most ANC_CLIPRX_MAX bytes are kept: the rest is dropped and the text
 *   reported truncated. An owner that does not answer within ANC_XCLIP_TIMEOUT_MS is given up.
 * - page → guest: anc_xclip_set makes the window own CLIPBOARD and PRIMARY with a text and answer
 *   SelectionRequest for TARGETS, UTF8_STRING, STRING and TEXT (STRING gets the UTF-8 bytes too,
 *   as most toolkits do).
 * No call blocks except the XGetWindowProperty round trip that reads a converted text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <X11/Xlib.h>
#include <uv.h>

#define ANC_XCLIP_TIMEOUT_MS 2000

struct anc_xclip;

/* Another client's clipboard text (utf8[0..len), UTF-8 as the owner sent it, not NUL-terminated,
 * valid during the call); truncated: it was longer than ANC_CLIPRX_MAX and was cut. */
typedef void (*anc_xclip_text_cb)(const uint8_t *utf8, size_t len, bool truncated, void *data);

/* Starts watching CLIPBOARD on dpy (which the caller keeps owning and must keep open until
 * anc_xclip_free). Returns 0, -ENOTSUP without XFixes, -ENOMEM or a libuv error. */
int anc_xclip_new(uv_loop_t *loop, Display *dpy, anc_xclip_text_cb on_text, void *data,
                  struct anc_xclip **out);

/* Handles ev if it is one of ours (returns true). The owner of dpy calls it for every event. */
bool anc_xclip_event(struct anc_xclip *x, XEvent *ev);

/* Owns CLIPBOARD and PRIMARY with a copy of utf8[0..len) (len ≤ ANC_CLIPRX_MAX, else -EMSGSIZE).
 * Returns 0 or -ENOMEM. Flushes; the caller dispatches events afterwards. */
int anc_xclip_set(struct anc_xclip *x, const uint8_t *utf8, size_t len);

/* Stops; the object is freed once its timer is closed. display_alive: false when the connection
 * broke (then no X request is made). Accepts NULL. on_text is not called after this. */
void anc_xclip_free(struct anc_xclip *x, bool display_alive);
