#include "media/damage.h"

#include <errno.h>
#include <stdlib.h>
#include <X11/extensions/Xdamage.h>

#include "base/log.h"

struct anc_damage {
    uv_poll_t poll;
    Display *dpy;
    Damage damage;
    int event_base;
    bool damaged;  /* damage seen since the last take */
    bool broken;   /* the connection is dead (set from Xlib's exit handler) */
    bool reported; /* on_disconnect was called */
    bool closing;
    anc_damage_disconnect_cb on_disconnect;
    void *data;
    anc_damage_event_cb on_event;
    void *event_data;
};

static int on_x_error(Display *dpy, XErrorEvent *ev)
{
    (void)dpy;
    anc_debug("display: X error %u (request %u.%u)", ev->error_code, ev->request_code,
              ev->minor_code);
    return 0;
}

static int on_x_io_error(Display *dpy)
{
    (void)dpy;
    anc_debug("display: X connection lost");
    return 0;
}

/* Replaces libX11's default exit(1): Xlib returns from the failing call and the Display is then
 * only good for XCloseDisplay. */
static void on_x_io_exit(Display *dpy, void *data)
{
    (void)dpy;
    struct anc_damage *d = data;
    d->broken = true;
}

static void report_broken(struct anc_damage *d)
{
    if (!d->broken || d->reported || d->closing)
        return;
    d->reported = true;
    d->damaged = true;
    uv_poll_stop(&d->poll);
    if (d->on_disconnect)
        d->on_disconnect(d, d->data); /* may close d: nothing touches it after this */
}

/* Handles every queued event; subtracting the damage re-arms the NonEmpty report. */
static void drain(struct anc_damage *d)
{
    for (;;) {
        bool any = false;
        while (!d->broken && XPending(d->dpy) > 0) {
            XEvent ev;
            XNextEvent(d->dpy, &ev);
            if (ev.type == d->event_base + XDamageNotify)
                any = true;
            else if (d->on_event)
                d->on_event(&ev, d->event_data);
        }
        if (!any || d->broken)
            break;
        d->damaged = true;
        XDamageSubtract(d->dpy, d->damage, None, None);
        XFlush(d->dpy);
    }
    report_broken(d);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)events;
    struct anc_damage *d = p->data;
    if (status < 0)
        d->broken = true;
    drain(d);
}

static void install_handlers(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    XSetErrorHandler(on_x_error);
    XSetIOErrorHandler(on_x_io_error);
}

int anc_damage_open(uv_loop_t *loop, const char *display_name, const uint8_t *cookie,
                    anc_damage_disconnect_cb on_disconnect, void *data, struct anc_damage **out)
{
    install_handlers();
    struct anc_damage *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    int r = -ECONNREFUSED, error_base, major = 1, minor = 1;
    static char auth_name[] = "MIT-MAGIC-COOKIE-1";
    if (cookie)
        XSetAuthorization(auth_name, sizeof(auth_name) - 1, (char *)cookie, ANC_DAMAGE_COOKIE_LEN);
    d->dpy = XOpenDisplay(display_name);
    if (cookie)
        XSetAuthorization(NULL, 0, NULL, 0); /* back to XAUTHORITY for whoever comes next */
    if (!d->dpy)
        goto fail_free;
    XSetIOErrorExitHandler(d->dpy, on_x_io_exit, d);
    r = -ENOTSUP;
    if (!XDamageQueryExtension(d->dpy, &d->event_base, &error_base) ||
        !XDamageQueryVersion(d->dpy, &major, &minor))
        goto fail_display;
    d->damage = XDamageCreate(d->dpy, DefaultRootWindow(d->dpy), XDamageReportNonEmpty);
    XSync(d->dpy, False);
    r = uv_poll_init(loop, &d->poll, ConnectionNumber(d->dpy));
    if (r < 0)
        goto fail_display;
    d->poll.data = d;
    d->on_disconnect = on_disconnect;
    d->data = data;
    r = uv_poll_start(&d->poll, UV_READABLE | UV_DISCONNECT, on_poll);
    if (r < 0) {
        /* The handle is initialised: it must be closed, and the close frees d. */
        d->closing = true;
        anc_damage_close(d);
        return r;
    }
    *out = d;
    return 0;
fail_display:
    XCloseDisplay(d->dpy);
fail_free:
    free(d);
    return r;
}

bool anc_damage_take(struct anc_damage *d)
{
    drain(d); /* events a request of another user may have queued */
    bool r = d->damaged || d->broken;
    d->damaged = false;
    return r;
}

Display *anc_damage_display(struct anc_damage *d)
{
    return d->broken ? NULL : d->dpy;
}

void anc_damage_dispatch(struct anc_damage *d)
{
    drain(d);
}

void anc_damage_set_event_cb(struct anc_damage *d, anc_damage_event_cb fn, void *data)
{
    d->on_event = fn;
    d->event_data = data;
}

static void on_closed(uv_handle_t *h)
{
    struct anc_damage *d = h->data;
    /* After an I/O error XCloseDisplay only frees: it does not talk to the dead server. */
    XCloseDisplay(d->dpy);
    free(d);
}

void anc_damage_close(struct anc_damage *d)
{
    if (!d)
        return;
    d->closing = true;
    if (!d->broken && d->damage)
        XDamageDestroy(d->dpy, d->damage);
    uv_close((uv_handle_t *)&d->poll, on_closed);
}

static bool source_changed(void *src_data)
{
    struct anc_capture_source *cs = src_data;
    bool remapped = anc_fb_refresh(cs->fb) > 0;
    if (!cs->damage)
        return true;
    return anc_damage_take(cs->damage) || remapped;
}

static bool source_draw(void *src_data, uint8_t *argb, int stride, uint64_t frame, uint64_t time_ms)
{
    (void)frame;
    (void)time_ms;
    struct anc_capture_source *cs = src_data;
    anc_fb_copy(cs->fb, argb, stride, cs->width, cs->height);
    return true;
}

struct anc_stream_source anc_capture_stream_source(struct anc_capture_source *cs)
{
    return (struct anc_stream_source){
        .draw = source_draw, .changed = source_changed, .src_data = cs};
}
