/* The X CLIPBOARD selection both ways: the client's text is served from an unmapped window that
 * owns the selection; another client taking it over (seen through XFixes) is asked for its
 * UTF8_STRING, which goes to the client as a CLIPBOARD device message. INCR transfers (texts
 * above the server's request size) are not supported. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xatom.h>
#include <X11/extensions/Xfixes.h>

#include "agent.h"

int agent_clip_init(struct agent_clip *c, Display *dpy)
{
    int ev, err;
    *c = (struct agent_clip){.dpy = dpy};
    c->win = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), -10, -10, 1, 1, 0, 0, 0);
    XStoreName(dpy, c->win, "ancloud-agent-clipboard");
    c->clipboard = XInternAtom(dpy, "CLIPBOARD", False);
    c->utf8 = XInternAtom(dpy, "UTF8_STRING", False);
    c->targets = XInternAtom(dpy, "TARGETS", False);
    c->prop = XInternAtom(dpy, "ANCLOUD_CLIPBOARD", False);
    c->incr = XInternAtom(dpy, "INCR", False);
    if (!XFixesQueryExtension(dpy, &ev, &err))
        return -ENOTSUP;
    c->xfixes_event = ev;
    XFixesSelectSelectionInput(dpy, DefaultRootWindow(dpy), c->clipboard,
                               XFixesSetSelectionOwnerNotifyMask);
    return 0;
}

void agent_clip_destroy(struct agent_clip *c)
{
    if (c->win)
        XDestroyWindow(c->dpy, c->win);
    c->win = 0;
    free(c->text);
    c->text = NULL;
}

int agent_clip_set(struct agent_clip *c, const uint8_t *utf8, size_t len)
{
    char *t = malloc(len + 1);
    if (!t)
        return -ENOMEM;
    memcpy(t, utf8, len);
    t[len] = '\0';
    free(c->text);
    c->text = t;
    c->len = len;
    XSetSelectionOwner(c->dpy, c->clipboard, c->win, CurrentTime);
    XFlush(c->dpy);
    return 0;
}

static void request(struct agent_clip *c, Time when)
{
    XDeleteProperty(c->dpy, c->win, c->prop);
    XConvertSelection(c->dpy, c->clipboard, c->utf8, c->prop, c->win, when);
    XFlush(c->dpy);
}

int agent_clip_get(struct agent_clip *c, const char **text, size_t *len)
{
    Window owner = XGetSelectionOwner(c->dpy, c->clipboard);
    if (owner == c->win && c->text) {
        *text = c->text;
        *len = c->len;
        return 1;
    }
    if (owner == None)
        return -ENOENT;
    c->want_reply = true;
    request(c, CurrentTime);
    return 0;
}

/* Answers another client's SelectionRequest for the text this agent owns. */
static void serve(struct agent_clip *c, const XSelectionRequestEvent *rq)
{
    XSelectionEvent reply = {
        .type = SelectionNotify,
        .requestor = rq->requestor,
        .selection = rq->selection,
        .target = rq->target,
        .property = rq->property ? rq->property : rq->target, /* an obsolete client: None */
        .time = rq->time,
    };
    if (rq->selection != c->clipboard || !c->text) {
        reply.property = None;
    } else if (rq->target == c->targets) {
        Atom targets[] = {c->targets, c->utf8, XA_STRING};
        XChangeProperty(c->dpy, rq->requestor, reply.property, XA_ATOM, 32, PropModeReplace,
                        (const unsigned char *)targets, 3);
    } else if (rq->target == c->utf8 || rq->target == XA_STRING) {
        /* STRING should be Latin-1; clients that ask for it get the UTF-8 bytes, as many
         * toolkits do. */
        XChangeProperty(c->dpy, rq->requestor, reply.property, rq->target, 8, PropModeReplace,
                        (const unsigned char *)c->text, (int)c->len);
    } else {
        reply.property = None;
    }
    XSendEvent(c->dpy, rq->requestor, False, NoEventMask, (XEvent *)&reply);
    XFlush(c->dpy);
}

/* Reads the converted text off our window. Returns 1 with it in c->text, 0 when none came. */
static int receive(struct agent_clip *c, const XSelectionEvent *sn, char **text, size_t *len)
{
    Atom type;
    int format;
    unsigned long n, after;
    unsigned char *data = NULL;
    bool asked = c->want_reply;
    c->want_reply = false;
    if (sn->property == None)
        return 0;
    if (XGetWindowProperty(c->dpy, c->win, c->prop, 0, ANC_AGENT_DEVICE_CLIPBOARD_MAX / 4, True,
                           AnyPropertyType, &type, &format, &n, &after, &data) != Success)
        return 0;
    int r = 0;
    if (type == c->incr) {
        AGENT_WARN("clipboard: INCR transfers are not supported; text not sent");
    } else if (format == 8 && (type == c->utf8 || type == XA_STRING)) {
        char *t = malloc(n + 1);
        if (t) {
            memcpy(t, data, n);
            t[n] = '\0';
            /* The same text again (an echo of ours) is not news unless GET_CLIPBOARD asked. */
            if (asked || !c->text || c->len != n || memcmp(c->text, t, n) != 0) {
                r = 1;
            }
            free(c->text);
            c->text = t;
            c->len = n;
            *text = t;
            *len = n;
        }
    }
    if (data)
        XFree(data);
    return r;
}

int agent_clip_event(struct agent_clip *c, XEvent *ev, char **text, size_t *len)
{
    if (c->xfixes_event && ev->type == c->xfixes_event + XFixesSelectionNotify) {
        const XFixesSelectionNotifyEvent *fx = (const XFixesSelectionNotifyEvent *)ev;
        if (fx->selection == c->clipboard && fx->owner != None && fx->owner != c->win)
            request(c, fx->selection_timestamp);
        return 0;
    }
    if (ev->type == SelectionRequest && ev->xselectionrequest.owner == c->win) {
        serve(c, &ev->xselectionrequest);
        return 0;
    }
    if (ev->type == SelectionClear && ev->xselectionclear.window == c->win)
        return 0; /* another client took over: its XFixes notification follows */
    if (ev->type == SelectionNotify && ev->xselection.requestor == c->win)
        return receive(c, &ev->xselection, text, len);
    return 0;
}
