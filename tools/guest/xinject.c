/* xinject: a tiny XTest driver for tests (xdotool is not in our package list).
 *
 *   xinject [-d DISPLAY] CMD [ARGS]... [CMD [ARGS]...]
 *     move X Y            pointer to (X, Y)
 *     down [B] / up [B]   press / release button B (default 1)
 *     click X Y [B]       move, press, release
 *     drag X1 Y1 X2 Y2 N  press at 1, N intermediate moves to 2, release
 *     wheel up|down       one wheel step (buttons 4/5)
 *     key KEYSYM          press and release a named key (Return, BackSpace, a, ...)
 *     type TEXT           type UTF-8 TEXT; characters missing from the keymap are typed by
 *                         mapping them onto a spare keycode (left mapped: see type_remapped)
 *
 * Every command ends with XSync, so when xinject exits the server has queued all events. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "json.h"

#define MAX_SPARE 16

struct inj {
    Display *dpy;
    KeyCode spare[MAX_SPARE];
    int nspare, next_spare;
};

static int num(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0') {
        fprintf(stderr, "xinject: not a number: %s\n", s);
        exit(2);
    }
    return (int)v;
}

static void button(struct inj *in, int b, bool down)
{
    XTestFakeButtonEvent(in->dpy, (unsigned)b, down, CurrentTime);
    XSync(in->dpy, False);
}

static void move(struct inj *in, int x, int y)
{
    XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
    XSync(in->dpy, False);
}

static void tap_keycode(struct inj *in, KeyCode kc, bool shift)
{
    KeyCode sh = XKeysymToKeycode(in->dpy, XK_Shift_L);
    if (shift)
        XTestFakeKeyEvent(in->dpy, sh, True, CurrentTime);
    XTestFakeKeyEvent(in->dpy, kc, True, CurrentTime);
    XTestFakeKeyEvent(in->dpy, kc, False, CurrentTime);
    if (shift)
        XTestFakeKeyEvent(in->dpy, sh, False, CurrentTime);
    XSync(in->dpy, False);
}

/* Keycodes with no symbols at all are free to borrow. */
static void find_spares(struct inj *in)
{
    int min, max, per;
    XDisplayKeycodes(in->dpy, &min, &max);
    KeySym *map = XGetKeyboardMapping(in->dpy, (KeyCode)min, max - min + 1, &per);
    if (!map)
        return;
    for (int kc = max; kc >= min && in->nspare < MAX_SPARE; kc--) {
        bool empty = true;
        for (int i = 0; i < per; i++)
            if (map[(kc - min) * per + i] != NoSymbol)
                empty = false;
        if (empty)
            in->spare[in->nspare++] = (KeyCode)kc;
    }
    XFree(map);
}

/* Restoring the mapping right after the key press would race with the client, which looks the
 * keycode up only when it reads the event; so spares are used round-robin and left mapped. */
static int type_remapped(struct inj *in, KeySym ks)
{
    if (in->nspare == 0)
        find_spares(in);
    if (in->nspare == 0) {
        fprintf(stderr, "xinject: no spare keycode for keysym 0x%lx\n", (unsigned long)ks);
        return -1;
    }
    KeyCode kc = in->spare[in->next_spare++ % in->nspare];
    KeySym syms[2] = {ks, ks};
    XChangeKeyboardMapping(in->dpy, kc, 2, syms, 1);
    XSync(in->dpy, False);
    tap_keycode(in, kc, false);
    return 0;
}

static int type_keysym(struct inj *in, KeySym ks)
{
    KeyCode kc = XKeysymToKeycode(in->dpy, ks);
    if (kc == 0)
        return type_remapped(in, ks);
    bool plain = XkbKeycodeToKeysym(in->dpy, kc, 0, 0) == ks;
    bool shifted = !plain && XkbKeycodeToKeysym(in->dpy, kc, 0, 1) == ks;
    if (!plain && !shifted)
        return type_remapped(in, ks);
    tap_keycode(in, kc, shifted);
    return 0;
}

static KeySym keysym_for(uint32_t cp)
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

static int type_text(struct inj *in, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        uint32_t cp;
        size_t n = demo_utf8_next(s, len, &cp);
        if (type_keysym(in, keysym_for(cp)) < 0)
            return -1;
        s += n;
        len -= n;
    }
    return 0;
}

static int key(struct inj *in, const char *name)
{
    KeySym ks = XStringToKeysym(name);
    if (ks == NoSymbol) {
        fprintf(stderr, "xinject: unknown keysym %s\n", name);
        return -1;
    }
    return type_keysym(in, ks);
}

static bool has(int argc, int i, int n)
{
    if (i + n < argc)
        return true;
    fprintf(stderr, "xinject: missing arguments\n");
    exit(2);
}

static bool opt_num(int argc, char **argv, int i)
{
    return i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9';
}

static void drag(struct inj *in, int x1, int y1, int x2, int y2, int steps)
{
    move(in, x1, y1);
    button(in, 1, true);
    for (int s = 1; s <= steps; s++)
        move(in, x1 + (x2 - x1) * s / steps, y1 + (y2 - y1) * s / steps);
    button(in, 1, false);
}

/* Runs the command at argv[i]; returns the index of the next command, or -1 on error. */
static int command(struct inj *in, int argc, char **argv, int i)
{
    const char *c = argv[i];
    int b;
    if (strcmp(c, "move") == 0 && has(argc, i, 2)) {
        move(in, num(argv[i + 1]), num(argv[i + 2]));
        return i + 3;
    }
    if (strcmp(c, "down") == 0 || strcmp(c, "up") == 0) {
        b = opt_num(argc, argv, i) ? num(argv[i + 1]) : 1;
        button(in, b, c[0] == 'd');
        return i + 1 + opt_num(argc, argv, i);
    }
    if (strcmp(c, "click") == 0 && has(argc, i, 2)) {
        b = opt_num(argc, argv, i + 2) ? num(argv[i + 3]) : 1;
        move(in, num(argv[i + 1]), num(argv[i + 2]));
        button(in, b, true);
        button(in, b, false);
        return i + 3 + opt_num(argc, argv, i + 2);
    }
    if (strcmp(c, "drag") == 0 && has(argc, i, 5)) {
        drag(in, num(argv[i + 1]), num(argv[i + 2]), num(argv[i + 3]), num(argv[i + 4]),
             num(argv[i + 5]) > 0 ? num(argv[i + 5]) : 1);
        return i + 6;
    }
    if (strcmp(c, "wheel") == 0 && has(argc, i, 1)) {
        b = strcmp(argv[i + 1], "up") == 0 ? 4 : 5;
        button(in, b, true);
        button(in, b, false);
        return i + 2;
    }
    if (strcmp(c, "key") == 0 && has(argc, i, 1))
        return key(in, argv[i + 1]) < 0 ? -1 : i + 2;
    if (strcmp(c, "type") == 0 && has(argc, i, 1))
        return type_text(in, argv[i + 1]) < 0 ? -1 : i + 2;
    fprintf(stderr, "xinject: unknown command %s\n", c);
    return -1;
}

int main(int argc, char **argv)
{
    struct inj in = {0};
    const char *display = NULL;
    int i = 1, ev, err, maj, min;

    if (argc > 2 && strcmp(argv[1], "-d") == 0) {
        display = argv[2];
        i = 3;
    }
    if (i >= argc) {
        fputs("usage: xinject [-d DISPLAY] CMD [ARGS]... (see the source header)\n", stderr);
        return 2;
    }
    in.dpy = XOpenDisplay(display);
    if (!in.dpy) {
        fprintf(stderr, "xinject: cannot open display %s\n", display ? display : "(DISPLAY)");
        return 1;
    }
    if (!XTestQueryExtension(in.dpy, &ev, &err, &maj, &min)) {
        fprintf(stderr, "xinject: no XTest extension\n");
        XCloseDisplay(in.dpy);
        return 1;
    }
    while (i > 0 && i < argc)
        i = command(&in, argc, argv, i);
    XCloseDisplay(in.dpy);
    return i < 0 ? 1 : 0;
}
