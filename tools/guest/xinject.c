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

#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "xtype.h"

struct inj {
    Display *dpy;
    struct xtype typer;
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

static int type_text(struct inj *in, const char *s)
{
    if (xtype_text(&in->typer, s, strlen(s)) < 0) {
        fprintf(stderr, "xinject: no spare keycode to type %s\n", s);
        return -1;
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
    if (xtype_keysym(&in->typer, ks) < 0) {
        fprintf(stderr, "xinject: no spare keycode for %s\n", name);
        return -1;
    }
    return 0;
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
    xtype_init(&in.typer, in.dpy);
    while (i > 0 && i < argc)
        i = command(&in, argc, argv, i);
    XCloseDisplay(in.dpy);
    return i < 0 ? 1 : 0;
}
