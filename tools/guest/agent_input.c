/* Control messages that become input: touch (a marker window per pointer, XTest for the primary
 * pointer), scroll, keys and text (XTest). */
#include <errno.h>
#include <stdio.h>

#include <X11/XKBlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XTest.h>
#include <X11/extensions/shape.h>
#include <X11/keysym.h>

#include "agent.h"

#define MARKER_SIZE 24

/* One colour per slot, so that two fingers are told apart in the video. */
static const unsigned long marker_rgb[AGENT_MAX_POINTERS] = {
    0xff3030, 0x30c030, 0x3070ff, 0xffc000, 0xc040ff,
    0x00d0d0, 0xff70c0, 0x905020, 0x808080, 0xffffff,
};

static Window make_marker(Display *dpy, int slot)
{
    XSetWindowAttributes a = {
        .override_redirect = True,
        .background_pixel = marker_rgb[slot], /* a TrueColor visual of depth 24 */
        .border_pixel = 0,
    };
    char name[32];
    Window w = XCreateWindow(dpy, DefaultRootWindow(dpy), 0, 0, MARKER_SIZE, MARKER_SIZE, 0,
                             CopyFromParent, InputOutput, CopyFromParent,
                             CWOverrideRedirect | CWBackPixel | CWBorderPixel, &a);
    /* An empty input region: clicks and the pointer-root keyboard focus go to the window below,
     * which is what the primary pointer's XTest events are meant for. */
    XShapeCombineRectangles(dpy, w, ShapeInput, 0, 0, NULL, 0, ShapeSet, Unsorted);
    snprintf(name, sizeof(name), "ancloud-touch-%d", slot);
    XStoreName(dpy, w, name);
    return w;
}

int agent_input_init(struct agent_input *in, Display *dpy)
{
    int ev, err, maj, min;
    *in = (struct agent_input){.dpy = dpy, .primary = -1};
    if (!XTestQueryExtension(dpy, &ev, &err, &maj, &min))
        return -ENOTSUP;
    in->width = DisplayWidth(dpy, DefaultScreen(dpy));
    in->height = DisplayHeight(dpy, DefaultScreen(dpy));
    for (int i = 0; i < AGENT_MAX_POINTERS; i++)
        in->ptr[i].marker = make_marker(dpy, i);
    xtype_init(&in->typer, dpy);
    return 0;
}

void agent_input_destroy(struct agent_input *in)
{
    for (int b = 1; b < 32; b++)
        if (in->buttons & (1u << b))
            XTestFakeButtonEvent(in->dpy, (unsigned)b, False, CurrentTime);
    for (int i = 0; i < AGENT_MAX_POINTERS; i++)
        if (in->ptr[i].marker)
            XDestroyWindow(in->dpy, in->ptr[i].marker);
    in->buttons = 0;
}

/* Position on the X screen for (x, y) on a w x h video; false when outside or unusable. */
static bool scale(const struct agent_input *in, int32_t x, int32_t y, int w, int h, int *sx,
                  int *sy)
{
    if (w <= 0 || h <= 0 || x < 0 || y < 0 || x >= w || y >= h)
        return false;
    *sx = (int)((int64_t)x * in->width / w);
    *sy = (int)((int64_t)y * in->height / h);
    return true;
}

static int find_slot(const struct agent_input *in, uint64_t id)
{
    for (int i = 0; i < AGENT_MAX_POINTERS; i++)
        if (in->ptr[i].down && in->ptr[i].id == id)
            return i;
    return -1;
}

static int free_slot(const struct agent_input *in)
{
    for (int i = 0; i < AGENT_MAX_POINTERS; i++)
        if (!in->ptr[i].down)
            return i;
    return -1;
}

static void button(struct agent_input *in, unsigned b, bool down)
{
    if (b == 0 || b > 31 || ((in->buttons >> b) & 1) == down)
        return;
    XTestFakeButtonEvent(in->dpy, b, down, CurrentTime);
    in->buttons ^= 1u << b;
}

/* Android buttons → X: primary 1, tertiary (middle) 2, secondary 3, back 8, forward 9. */
static unsigned x_button(uint32_t android)
{
    if (android & ANC_AMOTION_BUTTON_SECONDARY)
        return 3;
    if (android & ANC_AMOTION_BUTTON_TERTIARY)
        return 2;
    if (android & ANC_AMOTION_BUTTON_BACK)
        return 8;
    if (android & ANC_AMOTION_BUTTON_FORWARD)
        return 9;
    return 1;
}

static void pointer_down(struct agent_input *in, uint64_t id, int x, int y, uint32_t buttons)
{
    int s = find_slot(in, id);
    if (s < 0)
        s = free_slot(in);
    if (s < 0)
        return; /* an eleventh finger: Android drops it too */
    in->ptr[s].down = true;
    in->ptr[s].id = id;
    XMoveWindow(in->dpy, in->ptr[s].marker, x - MARKER_SIZE / 2, y - MARKER_SIZE / 2);
    XMapRaised(in->dpy, in->ptr[s].marker);
    if (in->primary < 0) {
        in->primary = s;
        XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
        button(in, x_button(buttons), true);
    }
}

static void pointer_move(struct agent_input *in, uint64_t id, int x, int y)
{
    int s = find_slot(in, id);
    if (s < 0)
        return;
    XMoveWindow(in->dpy, in->ptr[s].marker, x - MARKER_SIZE / 2, y - MARKER_SIZE / 2);
    XRaiseWindow(in->dpy, in->ptr[s].marker);
    if (s == in->primary)
        XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
}

static void pointer_up(struct agent_input *in, uint64_t id, int x, int y, bool moved)
{
    int s = find_slot(in, id);
    if (s < 0)
        return;
    in->ptr[s].down = false;
    XUnmapWindow(in->dpy, in->ptr[s].marker);
    if (s == in->primary) {
        if (moved)
            XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
        for (unsigned b = 1; b < 32; b++)
            button(in, b, false);
        in->primary = -1;
    }
}

void agent_input_touch(struct agent_input *in, const struct anc_agent_ctrl *m)
{
    int x = 0, y = 0;
    bool inside = scale(in, m->touch.x, m->touch.y, m->touch.width, m->touch.height, &x, &y);
    uint8_t action = m->touch.action & 0xff;
    switch (action) {
    case ANC_AMOTION_ACTION_DOWN:
    case ANC_AMOTION_ACTION_POINTER_DOWN:
        if (inside)
            pointer_down(in, m->touch.pointer_id, x, y, m->touch.buttons);
        break;
    case ANC_AMOTION_ACTION_MOVE:
        if (inside)
            pointer_move(in, m->touch.pointer_id, x, y);
        break;
    case ANC_AMOTION_ACTION_UP:
    case ANC_AMOTION_ACTION_POINTER_UP:
    case ANC_AMOTION_ACTION_CANCEL:
        pointer_up(in, m->touch.pointer_id, x, y, inside && action != ANC_AMOTION_ACTION_CANCEL);
        break;
    case ANC_AMOTION_ACTION_HOVER_MOVE:
    case ANC_AMOTION_ACTION_HOVER_ENTER:
    case ANC_AMOTION_ACTION_HOVER_EXIT:
        if (inside && in->primary < 0)
            XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
        break;
    case ANC_AMOTION_ACTION_BUTTON_PRESS:
    case ANC_AMOTION_ACTION_BUTTON_RELEASE:
        /* A mouse button other than the one that made the pointer go down. */
        if (inside)
            XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
        button(in, x_button(m->touch.action_button), action == ANC_AMOTION_ACTION_BUTTON_PRESS);
        break;
    default:
        AGENT_DEBUG("touch action %u ignored", action);
    }
    XFlush(in->dpy);
}

static void click(struct agent_input *in, unsigned b, int times)
{
    for (int i = 0; i < times; i++) {
        XTestFakeButtonEvent(in->dpy, b, True, CurrentTime);
        XTestFakeButtonEvent(in->dpy, b, False, CurrentTime);
    }
}

void agent_input_scroll(struct agent_input *in, const struct anc_agent_ctrl *m)
{
    int x = 0, y = 0;
    if (scale(in, m->scroll.x, m->scroll.y, m->scroll.width, m->scroll.height, &x, &y) &&
        in->primary < 0)
        XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
    /* ±32767 is 16 wheel notches (anc_agent_scroll_fp); a smaller non-zero amount is one. */
    int v = m->scroll.vscroll / 2048, h = m->scroll.hscroll / 2048;
    if (v == 0 && m->scroll.vscroll != 0)
        v = m->scroll.vscroll > 0 ? 1 : -1;
    if (h == 0 && m->scroll.hscroll != 0)
        h = m->scroll.hscroll > 0 ? 1 : -1;
    /* Android's AXIS_VSCROLL > 0 scrolls up (X button 4), AXIS_HSCROLL > 0 right (button 7). */
    click(in, v > 0 ? 4 : 5, v > 0 ? v : -v);
    click(in, h > 0 ? 7 : 6, h > 0 ? h : -h);
    XFlush(in->dpy);
}

void agent_input_text(struct agent_input *in, const uint8_t *utf8, size_t len)
{
    if (xtype_text(&in->typer, (const char *)utf8, len) < 0)
        AGENT_WARN("no spare keycode to type a character of the text");
}

void agent_input_ctrl_key(struct agent_input *in, KeySym ks)
{
    KeyCode ctrl = XKeysymToKeycode(in->dpy, XK_Control_L);
    KeyCode kc = XKeysymToKeycode(in->dpy, ks);
    if (!ctrl || !kc)
        return;
    XTestFakeKeyEvent(in->dpy, ctrl, True, CurrentTime);
    XTestFakeKeyEvent(in->dpy, kc, True, CurrentTime);
    XTestFakeKeyEvent(in->dpy, kc, False, CurrentTime);
    XTestFakeKeyEvent(in->dpy, ctrl, False, CurrentTime);
    XFlush(in->dpy);
}
