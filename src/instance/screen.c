#include "instance/screen.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "input/cliprx.h"
#include "input/proto.h"
#include "input/xclip.h"
#include "input/xtest.h"
#include "instance/display.h"
#include "media/damage.h"
#include "media/fb_capture.h"

struct anc_screen {
    struct anc_screen_params p;
    char run_dir[4096];
    struct anc_screen_callbacks cbs;
    void *data;
    struct anc_display *display;
    char name[32];
    char socket_dir[4200];
    struct anc_capture_source cap;
    struct anc_stream *stream;
    struct anc_xtest *xtest;
    struct anc_xclip *xclip; /* NULL without XFixes */
    bool ready_reported, stopping, detaching;
    void (*done)(void *arg);
    void *done_arg;
};

static void drop_x(struct anc_screen *s)
{
    anc_xclip_free(s->xclip, s->cap.damage && anc_damage_display(s->cap.damage));
    s->xclip = NULL;
    anc_xtest_free(s->xtest);
    s->xtest = NULL;
    anc_damage_close(s->cap.damage);
    s->cap.damage = NULL;
}

static void on_damage_lost(struct anc_damage *d, void *data)
{
    struct anc_screen *s = data;
    (void)d;
    anc_warn("display %s: X connection lost", s->name);
    anc_xclip_free(s->xclip, false);
    s->xclip = NULL;
    anc_xtest_free(s->xtest);
    s->xtest = NULL;
    /* The damage object stays until closed; a NULL gate makes every tick capture meanwhile. */
    anc_damage_close(s->cap.damage);
    s->cap.damage = NULL;
}

static void on_x_event(XEvent *ev, void *data)
{
    struct anc_screen *s = data;
    if (s->xclip)
        anc_xclip_event(s->xclip, ev);
}

static void on_guest_clipboard(const uint8_t *utf8, size_t len, bool truncated, void *data)
{
    struct anc_screen *s = data;
    if (truncated)
        anc_warn("display %s: clipboard above %u bytes: cut to %zu", s->name, ANC_CLIPRX_MAX, len);
    if (s->cbs.on_clipboard)
        s->cbs.on_clipboard(s, (const char *)utf8, len, s->data);
}

/* Connects the X client side (DAMAGE + XTest + the clipboard); the framebuffer is opened once. */
static int connect_x(struct anc_screen *s)
{
    int r = anc_damage_open(s->p.loop, s->name, anc_display_cookie(s->display), on_damage_lost, s,
                            &s->cap.damage);
    if (r < 0)
        return r;
    Display *dpy = anc_damage_display(s->cap.damage);
    r = anc_xtest_new(dpy, s->p.stream.width, s->p.stream.height, &s->xtest);
    if (r < 0)
        anc_warn("display %s: no XTest (%s): input will be dropped", s->name, strerror(-r));
    r = anc_xclip_new(s->p.loop, dpy, on_guest_clipboard, s, &s->xclip);
    if (r < 0)
        anc_warn("display %s: no clipboard (%s)", s->name, strerror(-r));
    anc_damage_set_event_cb(s->cap.damage, on_x_event, s);
    return 0;
}

static int open_stream(struct anc_screen *s, const char *display_name)
{
    int r = anc_fb_open(anc_display_fb_path(s->display), &s->cap.fb);
    if (r < 0)
        return r;
    s->cap.width = s->p.stream.width;
    s->cap.height = s->p.stream.height;
    r = anc_stream_new(s->p.loop, s->p.pool, &s->p.stream, anc_capture_stream_source(&s->cap),
                       &s->stream);
    (void)display_name;
    return r;
}

static void on_display_ready(struct anc_display *d, const char *name, void *data)
{
    struct anc_screen *s = data;
    (void)d;
    snprintf(s->name, sizeof(s->name), "%s", name);
    if (s->stopping)
        return;
    if (s->p.display_only) {
        if (!s->ready_reported) {
            s->ready_reported = true;
            s->cbs.on_ready(s, s->data);
        }
        return;
    }
    drop_x(s);
    int r = connect_x(s);
    if (r == 0 && !s->stream)
        r = open_stream(s, name);
    if (r < 0) {
        char why[160];
        snprintf(why, sizeof(why), "display %s is up but cannot be captured: %s", name,
                 strerror(-r));
        if (!s->ready_reported) {
            s->ready_reported = true;
            s->cbs.on_failed(s, why, s->data);
        } else {
            anc_error("%s", why);
        }
        return;
    }
    if (!s->ready_reported) {
        s->ready_reported = true;
        s->cbs.on_ready(s, s->data);
    } else {
        anc_info("display %s is back after a restart", name);
        anc_stream_request_keyframe(s->stream);
    }
}

static void on_display_exit(struct anc_display *d, int64_t status, int sig, void *data)
{
    struct anc_screen *s = data;
    (void)d;
    anc_warn("Xvfb of display %s exited (status %lld, signal %d); restarting it", s->name,
             (long long)status, sig);
    if (!s->ready_reported) {
        s->ready_reported = true;
        s->cbs.on_failed(s, "Xvfb exited before it was ready", s->data);
    }
}

int anc_screen_start(const struct anc_screen_params *p, const struct anc_screen_callbacks *cbs,
                     void *data, struct anc_screen **out)
{
    struct anc_screen *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->p = *p;
    snprintf(s->run_dir, sizeof(s->run_dir), "%s", p->run_dir);
    s->p.run_dir = s->run_dir;
    snprintf(s->socket_dir, sizeof(s->socket_dir), "%s/X11-unix", s->run_dir);
    s->cbs = *cbs;
    s->data = data;
    struct anc_display_params dp = {.run_dir = s->run_dir,
                                    .width = p->stream.width,
                                    .height = p->stream.height,
                                    .adopt = p->adopt};
    struct anc_display_callbacks dc = {.on_ready = on_display_ready, .on_exit = on_display_exit};
    int r = anc_display_start(p->loop, &dp, &dc, s, &s->display);
    if (r < 0) {
        free(s);
        return r;
    }
    *out = s;
    return 0;
}

const char *anc_screen_display(const struct anc_screen *s)
{
    return s->name;
}

bool anc_screen_adopted(const struct anc_screen *s)
{
    return anc_display_adopted(s->display);
}

const char *anc_screen_xauthority(const struct anc_screen *s)
{
    return anc_display_xauthority(s->display);
}

const char *anc_screen_socket_dir(const struct anc_screen *s)
{
    return s->socket_dir;
}

struct anc_stream *anc_screen_stream(const struct anc_screen *s)
{
    return s->stream;
}

static int key_tap(struct anc_xtest *x, uint32_t code, uint8_t action)
{
    struct anc_input_msg k = {.type = ANC_INPUT_KEY};
    k.key.action = action;
    k.key.keycode = code;
    return anc_xtest_apply(x, &k);
}

/* Owns the selections with the page's text instead of typing it; paste: Ctrl+V, which the
 * server delivers after the ownership change (requests on one connection are in order). */
static int clipboard(struct anc_screen *s, const struct anc_input_clipboard *cb)
{
    if (!s->xclip)
        return -ENOTSUP;
    int r = anc_xclip_set(s->xclip, cb->utf8, cb->len);
    if (r < 0 || !(cb->flags & ANC_INPUT_CLIPBOARD_PASTE))
        return r;
    static const uint32_t seq[][2] = {{KEY_LEFTCTRL, ANC_INPUT_KEY_DOWN},
                                      {KEY_V, ANC_INPUT_KEY_DOWN},
                                      {KEY_V, ANC_INPUT_KEY_UP},
                                      {KEY_LEFTCTRL, ANC_INPUT_KEY_UP}};
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]) && r >= 0; i++)
        r = key_tap(s->xtest, seq[i][0], (uint8_t)seq[i][1]);
    return r;
}

int anc_screen_input(struct anc_screen *s, const struct anc_input_msg *m)
{
    if (!s->xtest)
        return -ENOTCONN;
    int r =
        m->type == ANC_INPUT_CLIPBOARD ? clipboard(s, &m->clipboard) : anc_xtest_apply(s->xtest, m);
    anc_damage_dispatch(s->cap.damage);
    return r;
}

static void on_display_stopped(void *arg)
{
    struct anc_screen *s = arg;
    void (*done)(void *) = s->done;
    void *done_arg = s->done_arg;
    free(s);
    if (done)
        done(done_arg);
}

static void on_stream_freed(void *arg)
{
    struct anc_screen *s = arg;
    s->stream = NULL;
    anc_fb_close(s->cap.fb); /* no worker uses it any more */
    s->cap.fb = NULL;
    if (s->detaching)
        anc_display_detach(s->display, on_display_stopped, s);
    else
        anc_display_stop(s->display, on_display_stopped, s);
}

void anc_screen_detach(struct anc_screen *s, void (*done)(void *arg), void *arg)
{
    if (s)
        s->detaching = true;
    anc_screen_stop(s, done, arg);
}

void anc_screen_stop(struct anc_screen *s, void (*done)(void *arg), void *arg)
{
    if (!s) {
        if (done)
            done(arg);
        return;
    }
    s->stopping = true;
    s->done = done;
    s->done_arg = arg;
    drop_x(s);
    anc_stream_close_then(s->stream, on_stream_freed, s);
}
