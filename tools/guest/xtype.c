/* XTest typing: see xtype.h. */
#include "xtype.h"

#include <stdio.h>

#include <X11/XKBlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "json.h"

void xtype_init(struct xtype *t, Display *dpy)
{
    t->dpy = dpy;
    t->nspare = 0;
    t->next_spare = 0;
}

void xtype_tap_keycode(struct xtype *t, KeyCode kc, bool shift)
{
    KeyCode sh = XKeysymToKeycode(t->dpy, XK_Shift_L);
    if (shift)
        XTestFakeKeyEvent(t->dpy, sh, True, CurrentTime);
    XTestFakeKeyEvent(t->dpy, kc, True, CurrentTime);
    XTestFakeKeyEvent(t->dpy, kc, False, CurrentTime);
    if (shift)
        XTestFakeKeyEvent(t->dpy, sh, False, CurrentTime);
    XSync(t->dpy, False);
}

/* Keycodes with no symbols at all are free to borrow. */
static void find_spares(struct xtype *t)
{
    int min, max, per;
    XDisplayKeycodes(t->dpy, &min, &max);
    KeySym *map = XGetKeyboardMapping(t->dpy, (KeyCode)min, max - min + 1, &per);
    if (!map)
        return;
    for (int kc = max; kc >= min && t->nspare < XTYPE_MAX_SPARE; kc--) {
        bool empty = true;
        for (int i = 0; i < per; i++)
            if (map[(kc - min) * per + i] != NoSymbol)
                empty = false;
        if (empty)
            t->spare[t->nspare++] = (KeyCode)kc;
    }
    XFree(map);
}

/* Restoring the mapping right after the key press would race with the client, which looks the
 * keycode up only when it reads the event; so spares are used round-robin and left mapped. */
static int type_remapped(struct xtype *t, KeySym ks)
{
    if (t->nspare == 0)
        find_spares(t);
    if (t->nspare == 0)
        return -1;
    KeyCode kc = t->spare[t->next_spare++ % t->nspare];
    KeySym syms[2] = {ks, ks};
    XChangeKeyboardMapping(t->dpy, kc, 2, syms, 1);
    XSync(t->dpy, False);
    xtype_tap_keycode(t, kc, false);
    return 0;
}

int xtype_keysym(struct xtype *t, KeySym ks)
{
    KeyCode kc = XKeysymToKeycode(t->dpy, ks);
    if (kc == 0)
        return type_remapped(t, ks);
    bool plain = XkbKeycodeToKeysym(t->dpy, kc, 0, 0) == ks;
    bool shifted = !plain && XkbKeycodeToKeysym(t->dpy, kc, 0, 1) == ks;
    if (!plain && !shifted)
        return type_remapped(t, ks);
    xtype_tap_keycode(t, kc, shifted);
    return 0;
}

KeySym xtype_keysym_for(uint32_t cp)
{
    if (cp == '\n')
        return XK_Return;
    if (cp == '\t')
        return XK_Tab;
    if (cp == '\b')
        return XK_BackSpace;
    if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff))
        return cp; /* Latin-1 keysyms equal their code points. */
    return 0x01000000 | cp;
}

int xtype_text(struct xtype *t, const char *s, size_t len)
{
    while (len > 0) {
        uint32_t cp;
        size_t n = demo_utf8_next(s, len, &cp);
        if (xtype_keysym(t, xtype_keysym_for(cp)) < 0)
            return -1;
        s += n;
        len -= n;
    }
    return 0;
}
