/* XTest sink against a real Xvfb: the test starts its own server (-displayfd, no sleeps), opens
 * one connection for the sink and one for a full-screen window that records what arrives. */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "input/proto.h"
#include "input/xtest.h"
#include "test.h"

#define XVFB "/usr/bin/Xvfb"
#define W    800
#define H    600

/* Linux KEY_* codes used here (linux/input-event-codes.h). */
#define KEY_A         30
#define KEY_B         48
#define KEY_LEFTSHIFT 42

static struct {
    pid_t pid;
    Display *sink_dpy, *dpy;
    Window win;
} fx;

static void fixture_stop(void)
{
    if (fx.sink_dpy)
        XCloseDisplay(fx.sink_dpy);
    if (fx.dpy)
        XCloseDisplay(fx.dpy);
    fx.sink_dpy = fx.dpy = NULL;
    if (fx.pid > 0) {
        kill(fx.pid, SIGTERM);
        CHECK_EQ(waitpid(fx.pid, NULL, 0), fx.pid);
        fx.pid = 0;
    }
}

/* Starts Xvfb on a free display; returns the display number it wrote to the -displayfd pipe. */
static int xvfb_start(void)
{
    int p[2];
    CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    fx.pid = fork();
    CHECK(fx.pid >= 0);
    if (fx.pid == 0) {
        char fdstr[16];
        int fd = dup(p[1]); /* without O_CLOEXEC: Xvfb writes the display number to it */
        int null = open("/dev/null", O_WRONLY);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphan server if the test aborts */
        dup2(null, 1);
        dup2(null, 2);
        snprintf(fdstr, sizeof(fdstr), "%d", fd);
        execl(XVFB, "Xvfb", "-displayfd", fdstr, "-screen", "0", "800x600x24", "-nolisten", "tcp",
              "-noreset", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[32];
    size_t len = 0;
    while (len < sizeof(buf) - 1) {
        ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        CHECK(n > 0); /* EOF: Xvfb died before it was ready */
        len += (size_t)n;
        if (memchr(buf, '\n', len))
            break;
    }
    close(p[0]);
    buf[len] = 0;
    return atoi(buf);
}

/* Next event within timeout_ms (false on timeout); keeps Xlib's keymap current. */
static bool next_event(XEvent *ev, int timeout_ms)
{
    while (!XPending(fx.dpy)) {
        struct pollfd pfd = {.fd = ConnectionNumber(fx.dpy), .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms) <= 0)
            return false;
    }
    XNextEvent(fx.dpy, ev);
    if (ev->type == MappingNotify)
        XRefreshKeyboardMapping(&ev->xmapping);
    return true;
}

static void wait_for(int type, XEvent *ev)
{
    do
        CHECK(next_event(ev, 5000));
    while (ev->type != type);
}

static void fixture_start(void)
{
    if (fx.pid > 0)
        return;
    if (access(XVFB, X_OK) != 0)
        ANC_SKIP("needs Xvfb");
    char name[32];
    snprintf(name, sizeof(name), ":%d", xvfb_start());
    atexit(fixture_stop);
    fx.sink_dpy = XOpenDisplay(name);
    fx.dpy = XOpenDisplay(name);
    CHECK(fx.sink_dpy && fx.dpy);

    XSetWindowAttributes a = {.override_redirect = True,
                              .event_mask = ButtonPressMask | ButtonReleaseMask |
                                            PointerMotionMask | KeyPressMask | KeyReleaseMask |
                                            StructureNotifyMask | ExposureMask};
    fx.win = XCreateWindow(fx.dpy, DefaultRootWindow(fx.dpy), 0, 0, W, H, 0, CopyFromParent,
                           InputOutput, CopyFromParent, CWOverrideRedirect | CWEventMask, &a);
    XMapRaised(fx.dpy, fx.win);
    XEvent ev;
    wait_for(MapNotify, &ev);
    wait_for(Expose, &ev);
    XSetInputFocus(fx.dpy, fx.win, RevertToParent, CurrentTime);
    XSync(fx.dpy, False);
}

static struct anc_xtest *sink_new(void)
{
    struct anc_xtest *x = NULL;
    fixture_start();
    CHECK_EQ(anc_xtest_new(fx.sink_dpy, W, H, &x), 0);
    return x;
}

static int touch(struct anc_xtest *x, uint8_t action, uint8_t id, uint16_t nx, uint16_t ny)
{
    struct anc_input_msg m = {.type = ANC_INPUT_TOUCH,
                              .touch = {.action = action, .pointer_id = id, .x = nx, .y = ny}};
    return anc_xtest_apply(x, &m);
}

static int key(struct anc_xtest *x, uint8_t action, uint32_t code)
{
    struct anc_input_msg m = {.type = ANC_INPUT_KEY, .key = {.action = action, .keycode = code}};
    return anc_xtest_apply(x, &m);
}

static int text(struct anc_xtest *x, const char *s)
{
    struct anc_input_msg m;
    uint8_t buf[ANC_INPUT_MAX_SIZE];
    buf[0] = ANC_INPUT_TEXT;
    memcpy(buf + 1, s, strlen(s));
    CHECK_EQ(anc_input_decode(buf, 1 + strlen(s), &m), 0);
    return anc_xtest_apply(x, &m);
}

static int scroll(struct anc_xtest *x, int16_t dx, int16_t dy)
{
    struct anc_input_msg m = {.type = ANC_INPUT_SCROLL,
                              .scroll = {.dx = dx, .dy = dy, .x = 32768, .y = 32768}};
    return anc_xtest_apply(x, &m);
}

static void check_near(int got, int want)
{
    CHECK(got >= want - 1 && got <= want + 1);
}

/* The keysym of the next KeyPress (modifier keys such as the sink's Shift are skipped), and the
 * Latin-1 text XLookupString makes of it in *str. */
static KeySym next_keysym(char *str, size_t cap)
{
    XEvent ev;
    KeySym sym;
    for (;;) {
        wait_for(KeyPress, &ev);
        int n = XLookupString(&ev.xkey, str, (int)cap - 1, &sym, NULL);
        str[n > 0 ? n : 0] = 0;
        if (!IsModifierKey(sym))
            return sym;
    }
}

TEST(touch_drives_pointer)
{
    struct anc_xtest *x = sink_new();
    XEvent ev;

    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_DOWN, 0, 16384, 32768), ANC_INPUT_APPLIED);
    wait_for(ButtonPress, &ev);
    CHECK_EQ(ev.xbutton.button, 1);
    check_near(ev.xbutton.x, W / 4);
    check_near(ev.xbutton.y, H / 2);

    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_MOVE, 0, 32768, 16384), ANC_INPUT_APPLIED);
    wait_for(MotionNotify, &ev);
    check_near(ev.xmotion.x, W / 2);
    check_near(ev.xmotion.y, H / 4);

    /* A second finger is ignored: nothing arrives before the first finger's next move. */
    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_DOWN, 1, 49152, 49152), ANC_INPUT_APPLIED);
    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_MOVE, 1, 40000, 40000), ANC_INPUT_APPLIED);
    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_UP, 1, 40000, 40000), ANC_INPUT_APPLIED);
    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_MOVE, 0, 0, 0), ANC_INPUT_APPLIED);
    do {
        CHECK(next_event(&ev, 5000));
        CHECK(ev.type != ButtonPress && ev.type != ButtonRelease);
    } while (ev.type != MotionNotify);
    CHECK_EQ(ev.xmotion.x, 0);
    CHECK_EQ(ev.xmotion.y, 0);

    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_UP, 0, 0, 0), ANC_INPUT_APPLIED);
    wait_for(ButtonRelease, &ev);
    CHECK_EQ(ev.xbutton.button, 1);

    /* The far corner maps to the last pixel; a cancel releases the button too. */
    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_DOWN, 3, 65535, 65535), ANC_INPUT_APPLIED);
    wait_for(ButtonPress, &ev);
    CHECK_EQ(ev.xbutton.x, W - 1);
    CHECK_EQ(ev.xbutton.y, H - 1);
    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_CANCEL, 3, 0, 0), ANC_INPUT_APPLIED);
    wait_for(ButtonRelease, &ev);
    CHECK_EQ(ev.xbutton.x, W - 1);
    anc_xtest_free(x);
}

TEST(free_releases_button)
{
    struct anc_xtest *x = sink_new();
    XEvent ev;

    CHECK_EQ(touch(x, ANC_INPUT_TOUCH_DOWN, 0, 100, 100), ANC_INPUT_APPLIED);
    wait_for(ButtonPress, &ev);
    anc_xtest_free(x);
    wait_for(ButtonRelease, &ev);
    CHECK_EQ(ev.xbutton.button, 1);
    anc_xtest_free(NULL);
}

TEST(key_a)
{
    struct anc_xtest *x = sink_new();
    char s[16];
    XEvent ev;

    CHECK_EQ(key(x, ANC_INPUT_KEY_DOWN, KEY_A), ANC_INPUT_APPLIED);
    CHECK_EQ(key(x, ANC_INPUT_KEY_UP, KEY_A), ANC_INPUT_APPLIED);
    CHECK_EQ(next_keysym(s, sizeof(s)), XK_a);
    CHECK_STREQ(s, "a");
    wait_for(KeyRelease, &ev);

    /* Shift held through its own key events. */
    key(x, ANC_INPUT_KEY_DOWN, KEY_LEFTSHIFT);
    key(x, ANC_INPUT_KEY_DOWN, KEY_A);
    key(x, ANC_INPUT_KEY_UP, KEY_A);
    key(x, ANC_INPUT_KEY_UP, KEY_LEFTSHIFT);
    CHECK_EQ(next_keysym(s, sizeof(s)), XK_A);
    CHECK_STREQ(s, "A");

    /* A key code the display cannot have; a key-up of a key not held is ignored. */
    CHECK_EQ(key(x, ANC_INPUT_KEY_DOWN, 0x2ff), -ENOTSUP);
    CHECK_EQ(key(x, ANC_INPUT_KEY_UP, KEY_B), ANC_INPUT_APPLIED);

    /* Keys still held are released by free. */
    key(x, ANC_INPUT_KEY_DOWN, KEY_B);
    CHECK_EQ(next_keysym(s, sizeof(s)), XK_b);
    anc_xtest_free(x);
    do
        wait_for(KeyRelease, &ev);
    while (XLookupKeysym(&ev.xkey, 0) != XK_b);
}

TEST(text_hello_world)
{
    static const KeySym want[] = {XK_h,      XK_e,       XK_l,       XK_l,       XK_o,
                                  XK_space,  0x01004e16, 0x0100754c, XK_H,       XK_exclam,
                                  XK_eacute, XK_Return,  XK_Tab,     0x01004e16, 0x0101f600};
    struct anc_xtest *x = sink_new();
    char s[16];

    CHECK_EQ(text(x, "hello 世界"), ANC_INPUT_APPLIED);
    CHECK_EQ(text(x, "H!é\r\n\t世😀"), ANC_INPUT_APPLIED);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        KeySym got = next_keysym(s, sizeof(s));
        if (got != want[i])
            fprintf(stderr, "keysym %zu: got 0x%lx want 0x%lx\n", i, got, want[i]);
        CHECK(got == want[i]);
    }
    CHECK_STREQ(s, ""); /* not Latin-1: no text from XLookupString, only the keysym */
    anc_xtest_free(x);
}

TEST(scroll_buttons)
{
    struct anc_xtest *x = sink_new();
    XEvent ev;

    CHECK_EQ(scroll(x, 0, -120), ANC_INPUT_APPLIED);
    wait_for(ButtonPress, &ev);
    CHECK_EQ(ev.xbutton.button, 4);
    check_near(ev.xbutton.x, W / 2);
    wait_for(ButtonRelease, &ev);
    CHECK_EQ(ev.xbutton.button, 4);

    /* Remainders accumulate: two half notches make one click; then right by one notch. */
    CHECK_EQ(scroll(x, 0, 60), ANC_INPUT_APPLIED);
    CHECK_EQ(scroll(x, 0, 60), ANC_INPUT_APPLIED);
    CHECK_EQ(scroll(x, 120, 0), ANC_INPUT_APPLIED);
    wait_for(ButtonPress, &ev);
    CHECK_EQ(ev.xbutton.button, 5);
    wait_for(ButtonPress, &ev);
    CHECK_EQ(ev.xbutton.button, 7);
    anc_xtest_free(x);
}

TEST(control_ops)
{
    struct anc_xtest *x = sink_new();
    struct anc_input_msg m = {.type = ANC_INPUT_CONTROL};
    char s[16];

    m.control.op = ANC_INPUT_CTL_KEYFRAME;
    CHECK_EQ(anc_xtest_apply(x, &m), ANC_INPUT_KEYFRAME);
    m.control.op = ANC_INPUT_CTL_ROTATE;
    CHECK_EQ(anc_xtest_apply(x, &m), -ENOTSUP);
    m.control.op = ANC_INPUT_CTL_HOME;
    CHECK_EQ(anc_xtest_apply(x, &m), -ENOTSUP);
    m.control.op = ANC_INPUT_CTL_APP_SWITCH;
    CHECK_EQ(anc_xtest_apply(x, &m), -ENOTSUP);
    m.control.op = ANC_INPUT_CTL_BACK;
    CHECK_EQ(anc_xtest_apply(x, &m), ANC_INPUT_APPLIED);
    CHECK_EQ(next_keysym(s, sizeof(s)), XK_Escape);
    m.type = 99;
    CHECK_EQ(anc_xtest_apply(x, &m), -EINVAL);
    anc_xtest_free(x);
}

TEST(new_rejects_bad_args)
{
    struct anc_xtest *x = NULL;
    fixture_start();
    CHECK_EQ(anc_xtest_new(NULL, W, H, &x), -EINVAL);
    CHECK_EQ(anc_xtest_new(fx.sink_dpy, 0, H, &x), -EINVAL);
    CHECK(x == NULL);
}

/* Security review finding: every character outside the keymap costs a keymap change (heard by
 * every X client) and a round trip. A text message of 200 distinct such characters gets at most
 * ANC_XTEST_TEXT_REMAPS_MAX of them; the rest are dropped and counted, and the call says so. */
TEST(text_remaps_capped_per_message)
{
    struct anc_xtest *x = sink_new();
    char s[16], msg[200 * 3 + 1];
    size_t n = 0;
    for (unsigned i = 0; i < 200; i++) {
        unsigned cp = 0x4e00 + i; /* CJK ideographs: never in Xvfb's keymap */
        msg[n++] = (char)(0xe0 | cp >> 12);
        msg[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
        msg[n++] = (char)(0x80 | (cp & 0x3f));
    }
    msg[n] = 0;
    XSync(fx.dpy, False);
    XEvent ev;
    while (next_event(&ev, 0))
        ; /* earlier tests' leftovers */
    int r = text(x, msg);
    /* What arrived: one KeyPress per typed character, each of them needed its own remap. */
    XSync(fx.dpy, False);
    int presses = 0;
    while (next_event(&ev, 200)) {
        if (ev.type == KeyPress) {
            KeySym sym;
            XLookupString(&ev.xkey, s, sizeof(s) - 1, &sym, NULL);
            presses += !IsModifierKey(sym);
        }
    }
    printf("200 characters outside the keymap: %d typed, result %d\n", presses, r);
    CHECK_EQ(r, -E2BIG);
    CHECK_EQ(presses, ANC_XTEST_TEXT_REMAPS_MAX);
    CHECK_EQ(anc_xtest_text_dropped(x), 200 - ANC_XTEST_TEXT_REMAPS_MAX);
    /* The cap is per message: the next one types again. */
    CHECK_EQ(text(x, "a世"), ANC_INPUT_APPLIED);
    CHECK_EQ(next_keysym(s, sizeof(s)), XK_a);
    CHECK_EQ(next_keysym(s, sizeof(s)), 0x01004e16);
    anc_xtest_free(x);
}
