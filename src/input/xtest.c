/* XTest sink: input protocol v1 messages -> XTEST fake events on the caller's X connection. */
#include "input/xtest.h"

#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* With the evdev keycodes (what Xorg and Xvfb load by default on Linux) an X keycode is the
 * Linux KEY_* code plus 8. */
#define EVDEV_OFFSET 8
#define SPARE_MAX    16 /* keycodes we may remap for text; used round-robin by age (LRU) */
#define BTN_LEFT     1
#define BTN_UP       4
#define BTN_DOWN     5
#define BTN_LEFTWARD 6
#define BTN_RIGHTW   7

struct spare {
    KeyCode kc;
    KeySym sym;    /* NoSymbol while unused */
    uint64_t used; /* tick of last use, for LRU */
};

struct anc_xtest {
    Display *dpy;
    int screen;
    int w, h;
    int min_kc, max_kc;
    int per;     /* keysyms per keycode in map */
    KeySym *map; /* core keyboard mapping, (max_kc - min_kc + 1) * per; from XGetKeyboardMapping */
    int primary; /* pointer id driving the X pointer, -1 if none is down */
    int acc_x, acc_y; /* scroll remainders, |acc| < ANC_INPUT_SCROLL_NOTCH */
    uint8_t down[32]; /* X keycodes the sink holds pressed (bitmap) */
    struct spare spare[SPARE_MAX];
    int n_spare;
    uint64_t tick;
    int remaps_left;       /* of the text message being typed */
    uint64_t text_dropped; /* characters not typed: over the per-message remap cap */
};

static bool key_is_down(const struct anc_xtest *x, unsigned kc)
{
    return x->down[kc / 8] & (1u << (kc % 8));
}

static void key_set(struct anc_xtest *x, unsigned kc, bool on)
{
    if (on)
        x->down[kc / 8] |= (uint8_t)(1u << (kc % 8));
    else
        x->down[kc / 8] &= (uint8_t) ~(1u << (kc % 8));
}

/* Scans from the top for keycodes without any keysym: those become our spare keycodes. */
static void find_spares(struct anc_xtest *x)
{
    x->n_spare = 0;
    for (int kc = x->max_kc; kc >= x->min_kc && x->n_spare < SPARE_MAX; kc--) {
        const KeySym *syms = x->map + (size_t)(kc - x->min_kc) * (size_t)x->per;
        bool empty = true;
        for (int i = 0; i < x->per; i++)
            empty = empty && syms[i] == NoSymbol;
        if (!empty)
            continue;
        x->spare[x->n_spare].kc = (KeyCode)kc;
        x->spare[x->n_spare].sym = NoSymbol;
        x->spare[x->n_spare].used = 0;
        x->n_spare++;
    }
}

uint64_t anc_xtest_text_dropped(const struct anc_xtest *x)
{
    return x->text_dropped;
}

int anc_xtest_refresh_keymap(struct anc_xtest *x)
{
    int n = x->max_kc - x->min_kc + 1, per = 0;
    KeySym *map = XGetKeyboardMapping(x->dpy, (KeyCode)x->min_kc, n, &per);
    if (!map || per <= 0) {
        if (map)
            XFree(map);
        return -ENOMEM;
    }
    if (x->map)
        XFree(x->map);
    x->map = map;
    x->per = per;
    find_spares(x);
    return 0;
}

int anc_xtest_new(Display *dpy, int screen_w, int screen_h, struct anc_xtest **out)
{
    int ev, err, major, minor;

    if (!dpy || screen_w <= 0 || screen_h <= 0 || !out)
        return -EINVAL;
    if (!XTestQueryExtension(dpy, &ev, &err, &major, &minor))
        return -ENOTSUP;
    struct anc_xtest *x = calloc(1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    x->dpy = dpy;
    x->screen = DefaultScreen(dpy);
    x->w = screen_w;
    x->h = screen_h;
    x->primary = -1;
    XDisplayKeycodes(dpy, &x->min_kc, &x->max_kc);
    int r = anc_xtest_refresh_keymap(x);
    if (r < 0) {
        free(x);
        return r;
    }
    /* Fake input must keep working while some client grabs the server. */
    XTestGrabControl(dpy, True);
    *out = x;
    return 0;
}

void anc_xtest_set_size(struct anc_xtest *x, int screen_w, int screen_h)
{
    if (screen_w > 0 && screen_h > 0) {
        x->w = screen_w;
        x->h = screen_h;
    }
}

/* Restores remapped spare keycodes to "no keysym", so that the keymap is as we found it. */
static void restore_spares(struct anc_xtest *x)
{
    KeySym none[2] = {NoSymbol, NoSymbol};
    for (int i = 0; i < x->n_spare; i++)
        if (x->spare[i].sym != NoSymbol)
            XChangeKeyboardMapping(x->dpy, x->spare[i].kc, 2, none, 1);
}

void anc_xtest_free(struct anc_xtest *x)
{
    if (!x)
        return;
    if (x->primary >= 0)
        XTestFakeButtonEvent(x->dpy, BTN_LEFT, False, CurrentTime);
    for (unsigned kc = 0; kc < 256; kc++)
        if (key_is_down(x, kc))
            XTestFakeKeyEvent(x->dpy, kc, False, CurrentTime);
    restore_spares(x);
    XFlush(x->dpy);
    if (x->map)
        XFree(x->map);
    free(x);
}

/* 0 -> 0, 65535 -> size - 1 (for any size up to 65536), monotonic. */
static int scale(uint16_t v, int size)
{
    return (int)(((uint32_t)v * (uint32_t)size) >> 16);
}

static void motion(struct anc_xtest *x, uint16_t nx, uint16_t ny)
{
    XTestFakeMotionEvent(x->dpy, x->screen, scale(nx, x->w), scale(ny, x->h), CurrentTime);
}

static int apply_touch(struct anc_xtest *x, const struct anc_input_touch *t)
{
    int id = t->pointer_id;

    if (t->action == ANC_INPUT_TOUCH_DOWN && x->primary < 0) {
        motion(x, t->x, t->y);
        XTestFakeButtonEvent(x->dpy, BTN_LEFT, True, CurrentTime);
        x->primary = id;
        return ANC_INPUT_APPLIED;
    }
    if (id != x->primary)
        return ANC_INPUT_APPLIED; /* X11 has one pointer: later fingers are ignored */
    switch (t->action) {
    case ANC_INPUT_TOUCH_DOWN: /* a repeated down of the primary: treat as a move */
    case ANC_INPUT_TOUCH_MOVE:
        motion(x, t->x, t->y);
        break;
    case ANC_INPUT_TOUCH_UP:
        motion(x, t->x, t->y);
        /* fall through */
    default: /* ANC_INPUT_TOUCH_CANCEL: X has no cancel; release where the pointer is */
        XTestFakeButtonEvent(x->dpy, BTN_LEFT, False, CurrentTime);
        x->primary = -1;
        break;
    }
    return ANC_INPUT_APPLIED;
}

static void click(struct anc_xtest *x, unsigned button)
{
    XTestFakeButtonEvent(x->dpy, button, True, CurrentTime);
    XTestFakeButtonEvent(x->dpy, button, False, CurrentTime);
}

/* Adds delta to *acc (dropping a remainder of the other sign, so a reversal is immediate) and
 * clicks neg/pos once per whole notch. */
static void scroll_axis(struct anc_xtest *x, int *acc, int delta, unsigned neg, unsigned pos)
{
    if ((delta < 0 && *acc > 0) || (delta > 0 && *acc < 0))
        *acc = 0;
    *acc += delta;
    while (*acc <= -ANC_INPUT_SCROLL_NOTCH) {
        click(x, neg);
        *acc += ANC_INPUT_SCROLL_NOTCH;
    }
    while (*acc >= ANC_INPUT_SCROLL_NOTCH) {
        click(x, pos);
        *acc -= ANC_INPUT_SCROLL_NOTCH;
    }
}

static int apply_scroll(struct anc_xtest *x, const struct anc_input_scroll *s)
{
    /* While a finger drives the pointer, wheel events must not move it away. */
    if (x->primary < 0)
        motion(x, s->x, s->y);
    scroll_axis(x, &x->acc_y, s->dy, BTN_UP, BTN_DOWN);
    scroll_axis(x, &x->acc_x, s->dx, BTN_LEFTWARD, BTN_RIGHTW);
    return ANC_INPUT_APPLIED;
}

static int apply_key(struct anc_xtest *x, const struct anc_input_key *k)
{
    uint32_t kc = k->keycode + EVDEV_OFFSET;

    if (kc < (uint32_t)x->min_kc || kc > (uint32_t)x->max_kc)
        return -ENOTSUP;
    if (k->action == ANC_INPUT_KEY_DOWN) {
        /* A down while already down is the sender's autorepeat: press again. */
        XTestFakeKeyEvent(x->dpy, kc, True, CurrentTime);
        key_set(x, kc, true);
    } else if (key_is_down(x, kc)) {
        XTestFakeKeyEvent(x->dpy, kc, False, CurrentTime);
        key_set(x, kc, false);
    }
    return ANC_INPUT_APPLIED;
}

/* Finds sym in the cached mapping at group 1 level 1 (unshifted), else level 2 (shifted).
 * Returns the keycode (0 if none) and sets *shift. */
static KeyCode lookup(const struct anc_xtest *x, KeySym sym, bool *shift)
{
    for (int level = 0; level < 2 && level < x->per; level++) {
        for (int kc = x->min_kc; kc <= x->max_kc; kc++) {
            if (x->map[(size_t)(kc - x->min_kc) * (size_t)x->per + (size_t)level] == sym) {
                *shift = level == 1;
                return (KeyCode)kc;
            }
        }
    }
    return 0;
}

static void tap(struct anc_xtest *x, KeyCode kc, bool shift)
{
    KeyCode shift_kc = 0;
    bool dummy;

    if (shift)
        shift_kc = lookup(x, XK_Shift_L, &dummy);
    if (shift_kc)
        XTestFakeKeyEvent(x->dpy, shift_kc, True, CurrentTime);
    XTestFakeKeyEvent(x->dpy, kc, True, CurrentTime);
    XTestFakeKeyEvent(x->dpy, kc, False, CurrentTime);
    if (shift_kc)
        XTestFakeKeyEvent(x->dpy, shift_kc, False, CurrentTime);
}

/* The spare keycode bound to sym (marking it used), or 0. */
static KeyCode spare_lookup(struct anc_xtest *x, KeySym sym)
{
    for (int i = 0; i < x->n_spare; i++) {
        if (x->spare[i].sym == sym) {
            x->spare[i].used = ++x->tick;
            return x->spare[i].kc;
        }
    }
    return 0;
}

/* Binds sym to the least recently used spare keycode and returns it, or 0 if the keymap has no
 * spare keycode. */
static KeyCode remap(struct anc_xtest *x, KeySym sym)
{
    struct spare *victim = NULL;

    for (int i = 0; i < x->n_spare; i++)
        if (!victim || x->spare[i].used < victim->used)
            victim = &x->spare[i];
    if (!victim)
        return 0;
    KeySym syms[2] = {sym, sym};
    XChangeKeyboardMapping(x->dpy, victim->kc, 2, syms, 1);
    /* The one round trip of the sink: the server has applied the new mapping, and queued its
     * MappingNotify to every client, before it sees the fake key event that relies on it. */
    XSync(x->dpy, False);
    KeySym *row = x->map + (size_t)(victim->kc - x->min_kc) * (size_t)x->per;
    for (int i = 0; i < x->per; i++)
        row[i] = i < 2 ? sym : NoSymbol;
    victim->sym = sym;
    victim->used = ++x->tick;
    return victim->kc;
}

/* The keysym for a typed code point: Latin-1 keysyms equal the code point, others are
 * 0x01000000 + code point; newline and tab type Return and Tab; other controls type nothing. */
static KeySym keysym_for(uint32_t cp)
{
    if (cp == '\n' || cp == '\r')
        return XK_Return;
    if (cp == '\t')
        return XK_Tab;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return NoSymbol;
    if (cp < 0x100)
        return (KeySym)cp;
    return (KeySym)(0x01000000u | cp);
}

static int type_codepoint(struct anc_xtest *x, uint32_t cp)
{
    KeySym sym = keysym_for(cp);
    bool shift = false;

    if (sym == NoSymbol)
        return 0;
    /* A spare already bound to sym is in the cached map too; look there first for the LRU. */
    KeyCode kc = spare_lookup(x, sym);
    if (!kc)
        kc = lookup(x, sym, &shift);
    if (!kc && x->remaps_left <= 0) {
        x->text_dropped++;
        return -E2BIG;
    }
    if (!kc) {
        x->remaps_left--;
        kc = remap(x, sym);
    }
    if (!kc)
        return -ENOSPC;
    tap(x, kc, shift);
    return 0;
}

static int apply_text(struct anc_xtest *x, const struct anc_input_text *t)
{
    int ret = ANC_INPUT_APPLIED;
    uint32_t cp;

    /* Each remap is a keymap change every X client hears of, and a round trip: a message full of
     * characters outside the keymap must not buy thousands of them. */
    x->remaps_left = ANC_XTEST_TEXT_REMAPS_MAX;
    for (size_t off = 0; off < t->len;) {
        int n = anc_input_utf8_next(t->utf8 + off, t->len - off, &cp);
        if (n < 0)
            return n; /* cannot happen after anc_input_decode */
        off += (size_t)n;
        /* "\r\n" is one line break. */
        if (cp == '\r' && off < t->len && t->utf8[off] == '\n')
            continue;
        int r = type_codepoint(x, cp);
        if (r < 0 && ret != -E2BIG)
            ret = r;
    }
    return ret;
}

static int apply_control(struct anc_xtest *x, const struct anc_input_control *c)
{
    bool shift;

    switch (c->op) {
    case ANC_INPUT_CTL_KEYFRAME:
        return ANC_INPUT_KEYFRAME;
    case ANC_INPUT_CTL_BACK: {
        KeyCode kc = lookup(x, XK_Escape, &shift);
        if (!kc)
            return -ENOTSUP;
        tap(x, kc, shift);
        return ANC_INPUT_APPLIED;
    }
    default: /* rotate, home, app switch: no X11 meaning for a single-app display */
        return -ENOTSUP;
    }
}

int anc_xtest_apply(struct anc_xtest *x, const struct anc_input_msg *m)
{
    int r;

    switch (m->type) {
    case ANC_INPUT_TOUCH:
        r = apply_touch(x, &m->touch);
        break;
    case ANC_INPUT_KEY:
        r = apply_key(x, &m->key);
        break;
    case ANC_INPUT_TEXT:
        r = apply_text(x, &m->text);
        break;
    case ANC_INPUT_SCROLL:
        r = apply_scroll(x, &m->scroll);
        break;
    case ANC_INPUT_CONTROL:
        r = apply_control(x, &m->control);
        break;
    case ANC_INPUT_CLIPBOARD:
        /* Owning the X CLIPBOARD selection means answering SelectionRequest events for as long
         * as the text is wanted: not worth it for a single-app display. */
        return -ENOTSUP;
    default:
        return -EINVAL;
    }
    XFlush(x->dpy);
    return r;
}
