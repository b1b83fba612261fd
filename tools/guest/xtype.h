/* Typing through XTest, shared by xinject (tests) and ancloud-agent: keysyms the keymap has are
 * pressed with Shift when needed; any other character is typed by mapping its keysym onto a spare
 * keycode (one with no symbols) first, which is how CJK reaches a client without an IME. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <X11/Xlib.h>

#define XTYPE_MAX_SPARE 16

struct xtype {
    Display *dpy;
    KeyCode spare[XTYPE_MAX_SPARE];
    int nspare, next_spare;
};

void xtype_init(struct xtype *t, Display *dpy);

/* Presses and releases kc, with Shift held around it when shift is set. */
void xtype_tap_keycode(struct xtype *t, KeyCode kc, bool shift);
/* Types one keysym. Returns 0, or -1 when it is missing from the keymap and no keycode is spare. */
int xtype_keysym(struct xtype *t, KeySym ks);
/* The keysym that types code point cp (Return for '\n', Unicode keysyms beyond Latin-1). */
KeySym xtype_keysym_for(uint32_t cp);
/* Types len bytes of UTF-8 (invalid sequences as U+FFFD). Returns 0 or -1 as xtype_keysym. */
int xtype_text(struct xtype *t, const char *s, size_t len);
