#include "input/xclip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <X11/Xatom.h>
#include <X11/extensions/Xfixes.h>

#include "base/log.h"
#include "input/cliprx.h"

enum rx_state {
    RX_IDLE,
    RX_CONVERTING, /* XConvertSelection sent, waiting for its SelectionNotify */
    RX_INCR,       /* an INCR transfer: waiting for the owner's next chunk */
};

struct anc_xclip {
    uv_timer_t timer; /* the deadline of the transfer in progress */
    Display *dpy;
    Window win;   /* owns the selections we set, and listens for XFixes */
    Window rxwin; /* the requestor of the transfer in progress, None: idle. A window of its own per
                   * transfer: an owner still sending an abandoned INCR transfer (cut at the cap,
                   * timed out) writes into a window that is gone, never into the next transfer's
                   * property. */
    Atom clipboard, utf8, targets, text, incr, prop;
    int xfixes_event;
    anc_xclip_text_cb on_text;
    void *data;
    enum rx_state rx_state;
    struct anc_cliprx rx;
    uint8_t *own; /* the text we own the selections with, NULL: none */
    size_t own_len;
};

static void rx_stop(struct anc_xclip *x)
{
    x->rx_state = RX_IDLE;
    anc_cliprx_reset(&x->rx);
    uv_timer_stop(&x->timer);
    if (x->rxwin != None) {
        XDestroyWindow(x->dpy, x->rxwin);
        XFlush(x->dpy);
        x->rxwin = None;
    }
}

static void on_timeout(uv_timer_t *t)
{
    struct anc_xclip *x = t->data;
    anc_debug("clipboard: the owner did not answer within %d ms; given up", ANC_XCLIP_TIMEOUT_MS);
    rx_stop(x);
}

static void arm(struct anc_xclip *x)
{
    uv_timer_start(&x->timer, on_timeout, ANC_XCLIP_TIMEOUT_MS, 0);
}

static void deliver(struct anc_xclip *x)
{
    size_t n = anc_cliprx_text_len(&x->rx);
    bool truncated = x->rx.truncated;
    if (x->on_text)
        x->on_text(x->rx.buf ? x->rx.buf : (const uint8_t *)"", n, truncated, x->data);
    rx_stop(x);
}

static void request(struct anc_xclip *x, Time when)
{
    rx_stop(x);
    x->rxwin = XCreateSimpleWindow(x->dpy, DefaultRootWindow(x->dpy), -10, -10, 1, 1, 0, 0, 0);
    XSelectInput(x->dpy, x->rxwin, PropertyChangeMask); /* INCR chunks */
    XConvertSelection(x->dpy, x->clipboard, x->utf8, x->prop, x->rxwin, when);
    XFlush(x->dpy);
    x->rx_state = RX_CONVERTING;
    arm(x);
}

/* Reads (and deletes) the property the owner wrote, appending a text to x->rx: at most what still
 * fits under the cap, plus a little to tell that there was more. Returns 0 with its type and
 * length (bytes), or -EIO / -ENOMEM. */
static int read_prop(struct anc_xclip *x, Atom *type, unsigned long *len)
{
    int format, r = 0;
    unsigned long after;
    unsigned char *data = NULL;
    long want = (long)((x->rx.cap - x->rx.len) / 4 + 1);
    if (XGetWindowProperty(x->dpy, x->rxwin, x->prop, 0, want, True, AnyPropertyType, type, &format,
                           len, &after, &data) != Success)
        return -EIO;
    if (after > 0)
        XDeleteProperty(x->dpy, x->rxwin, x->prop); /* Xlib deletes only a property read whole */
    if (*type != x->incr && format == 8 && *len > 0)
        r = anc_cliprx_append(&x->rx, data, *len);
    if (*type != x->incr && after > 0)
        x->rx.truncated = true;
    if (format != 8)
        *len = 0;
    if (data)
        XFree(data);
    return r < 0 ? r : 0;
}

static void on_converted(struct anc_xclip *x, const XSelectionEvent *sn)
{
    /* Not matched by time: owners are not all careful to copy the request's into the reply. */
    if (x->rx_state != RX_CONVERTING || sn->selection != x->clipboard ||
        (sn->property != None && sn->property != x->prop))
        return; /* not the answer to a request in progress */
    if (sn->property == None) {
        anc_debug("clipboard: the owner refused UTF8_STRING");
        rx_stop(x);
        return;
    }
    Atom type;
    unsigned long len;
    if (read_prop(x, &type, &len) < 0 || type == None) {
        rx_stop(x);
    } else if (type == x->incr) {
        x->rx_state = RX_INCR; /* reading the property (deleting it) asked for the first chunk */
        arm(x);
    } else {
        deliver(x);
    }
}

static void on_chunk(struct anc_xclip *x, const XPropertyEvent *pe)
{
    if (x->rx_state != RX_INCR || pe->atom != x->prop || pe->state != PropertyNewValue)
        return;
    Atom type;
    unsigned long len;
    if (read_prop(x, &type, &len) < 0) {
        rx_stop(x);
    } else if (len == 0 || x->rx.truncated) {
        /* The end (an empty chunk), or the cap: the owner's further chunks are ignored. */
        deliver(x);
    } else {
        arm(x);
    }
}

/* Answers another client's SelectionRequest for the text we own. */
static void serve(struct anc_xclip *x, const XSelectionRequestEvent *rq)
{
    XSelectionEvent reply = {
        .type = SelectionNotify,
        .requestor = rq->requestor,
        .selection = rq->selection,
        .target = rq->target,
        .property = rq->property ? rq->property : rq->target, /* an obsolete client: None */
        .time = rq->time,
    };
    if (!x->own || (rq->selection != x->clipboard && rq->selection != XA_PRIMARY)) {
        reply.property = None;
    } else if (rq->target == x->targets) {
        Atom targets[] = {x->targets, x->utf8, XA_STRING, x->text};
        XChangeProperty(x->dpy, rq->requestor, reply.property, XA_ATOM, 32, PropModeReplace,
                        (const unsigned char *)targets, 4);
    } else if (rq->target == x->utf8 || rq->target == XA_STRING || rq->target == x->text) {
        Atom type = rq->target == x->text ? x->utf8 : rq->target;
        XChangeProperty(x->dpy, rq->requestor, reply.property, type, 8, PropModeReplace, x->own,
                        (int)x->own_len);
    } else {
        reply.property = None; /* MULTIPLE and the rest: refused */
    }
    XSendEvent(x->dpy, rq->requestor, False, NoEventMask, (XEvent *)&reply);
    XFlush(x->dpy);
}

bool anc_xclip_event(struct anc_xclip *x, XEvent *ev)
{
    if (ev->type == x->xfixes_event + XFixesSelectionNotify) {
        const XFixesSelectionNotifyEvent *fx = (const XFixesSelectionNotifyEvent *)ev;
        if (fx->selection == x->clipboard && fx->owner != None && fx->owner != x->win)
            request(x, fx->selection_timestamp);
        return true;
    }
    switch (ev->type) {
    case SelectionRequest:
        if (ev->xselectionrequest.owner != x->win)
            return false;
        serve(x, &ev->xselectionrequest);
        return true;
    case SelectionNotify:
        if (x->rxwin == None || ev->xselection.requestor != x->rxwin)
            return false; /* not ours, or for a transfer given up (its window is gone) */
        on_converted(x, &ev->xselection);
        return true;
    case PropertyNotify:
        if (x->rxwin == None || ev->xproperty.window != x->rxwin)
            return false;
        on_chunk(x, &ev->xproperty);
        return true;
    case SelectionClear:
        /* Another client took a selection over: for CLIPBOARD its XFixes notification follows. */
        return ev->xselectionclear.window == x->win;
    default:
        return false;
    }
}

int anc_xclip_set(struct anc_xclip *x, const uint8_t *utf8, size_t len)
{
    if (len > ANC_CLIPRX_MAX)
        return -EMSGSIZE;
    uint8_t *t = malloc(len + 1);
    if (!t)
        return -ENOMEM;
    if (len > 0)
        memcpy(t, utf8, len);
    free(x->own);
    x->own = t;
    x->own_len = len;
    XSetSelectionOwner(x->dpy, x->clipboard, x->win, CurrentTime);
    XSetSelectionOwner(x->dpy, XA_PRIMARY, x->win, CurrentTime);
    XFlush(x->dpy);
    return 0;
}

int anc_xclip_new(uv_loop_t *loop, Display *dpy, anc_xclip_text_cb on_text, void *data,
                  struct anc_xclip **out)
{
    int ev, err, major = 5, minor = 0;
    if (!XFixesQueryExtension(dpy, &ev, &err) || !XFixesQueryVersion(dpy, &major, &minor))
        return -ENOTSUP;
    struct anc_xclip *x = calloc(1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    int r = uv_timer_init(loop, &x->timer);
    if (r < 0) {
        free(x);
        return r;
    }
    x->timer.data = x;
    x->dpy = dpy;
    x->xfixes_event = ev;
    x->on_text = on_text;
    x->data = data;
    anc_cliprx_init(&x->rx, ANC_CLIPRX_MAX);
    x->clipboard = XInternAtom(dpy, "CLIPBOARD", False);
    x->utf8 = XInternAtom(dpy, "UTF8_STRING", False);
    x->targets = XInternAtom(dpy, "TARGETS", False);
    x->text = XInternAtom(dpy, "TEXT", False);
    x->incr = XInternAtom(dpy, "INCR", False);
    x->prop = XInternAtom(dpy, "ANCLOUD_CLIPBOARD", False);
    x->win = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), -10, -10, 1, 1, 0, 0, 0);
    XStoreName(dpy, x->win, "ancloud-clipboard");
    XFixesSelectSelectionInput(dpy, DefaultRootWindow(dpy), x->clipboard,
                               XFixesSetSelectionOwnerNotifyMask);
    XFlush(dpy);
    *out = x;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    struct anc_xclip *x = h->data;
    anc_cliprx_destroy(&x->rx);
    free(x->own);
    free(x);
}

void anc_xclip_free(struct anc_xclip *x, bool display_alive)
{
    if (!x)
        return;
    x->on_text = NULL;
    uv_timer_stop(&x->timer);
    if (display_alive) {
        if (x->rxwin != None)
            XDestroyWindow(x->dpy, x->rxwin);
        XFixesSelectSelectionInput(x->dpy, DefaultRootWindow(x->dpy), x->clipboard, 0);
        XDestroyWindow(x->dpy, x->win); /* gives up the selections it owns */
        XFlush(x->dpy);
    }
    uv_close((uv_handle_t *)&x->timer, on_closed);
}
