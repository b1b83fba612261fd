/* ancloud-agent: the stand-in for scrcpy-server 3.3.3 on Linux guests (see agent.h).
 *
 *   DISPLAY=:0 ancloud-agent 3.3.3 scid=1a2b3c4d tunnel_forward=true audio=false ...
 *
 * Exits 0 when its client disconnects (as scrcpy-server does: the daemon starts a new one), 1
 * on a bad command line, an X display it cannot use, or a protocol error. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <X11/keysym.h>

#include "agent.h"

struct agent {
    struct agent_opts o;
    Display *dpy;
    int video_fd, audio_fd, control_fd;
    struct agent_outq vq, aq, cq;
    struct agent_video video;
    struct agent_input input;
    struct agent_clip clip;
    struct anc_agent_ctrl_parser parser;
    uint64_t t0_us, next_frame_us, frame_us;
    int exit_code; /* -1 while running */
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int x_error(Display *dpy, XErrorEvent *e)
{
    char msg[128];
    XGetErrorText(dpy, e->error_code, msg, sizeof(msg));
    /* A requestor window gone before its selection reply, and the like: not fatal. */
    AGENT_DEBUG("X error: %s (request %u)", msg, e->request_code);
    return 0;
}

static int x_io_error(Display *dpy)
{
    AGENT_ERROR("lost the X display %s", DisplayString(dpy));
    exit(1);
}

static void send_devmsg(struct agent *a, const struct anc_agent_devmsg *m, size_t len)
{
    uint8_t *buf = malloc(len + 16);
    ssize_t n = buf ? anc_agent_devmsg_serialize(m, buf, len + 16) : -ENOMEM;
    if (n < 0 || agent_outq_append(&a->cq, buf, (size_t)n) < 0)
        AGENT_WARN("device message %d dropped (%s)", m->type,
                   n < 0 ? strerror((int)-n) : "client not reading");
    free(buf);
}

static void send_clipboard(struct agent *a, const char *text, size_t len)
{
    struct anc_agent_devmsg m = {.type = ANC_AGENT_DEVMSG_CLIPBOARD};
    if (len > ANC_AGENT_DEVICE_CLIPBOARD_MAX)
        len = anc_agent_utf8_chunk((const uint8_t *)text, len, ANC_AGENT_DEVICE_CLIPBOARD_MAX);
    m.clipboard.utf8 = (const uint8_t *)text;
    m.clipboard.len = len;
    send_devmsg(a, &m, len);
}

static void get_clipboard(struct agent *a, uint8_t copy_key)
{
    const char *text;
    size_t len;
    if (copy_key == ANC_AGENT_COPY_KEY_COPY || copy_key == ANC_AGENT_COPY_KEY_CUT) {
        /* The app takes the selection in its own time; XFixes tells us, then we answer. */
        agent_input_ctrl_key(&a->input, copy_key == ANC_AGENT_COPY_KEY_COPY ? XK_c : XK_x);
        a->clip.want_reply = true;
        return;
    }
    if (agent_clip_get(&a->clip, &text, &len) == 1)
        send_clipboard(a, text, len);
}

static void set_clipboard(struct agent *a, const struct anc_agent_ctrl *m)
{
    if (agent_clip_set(&a->clip, m->set_clipboard.utf8, m->set_clipboard.len) < 0) {
        AGENT_WARN("clipboard: out of memory");
        return;
    }
    if (m->set_clipboard.paste)
        agent_input_ctrl_key(&a->input, XK_v);
    if (m->set_clipboard.sequence != 0) {
        struct anc_agent_devmsg ack = {.type = ANC_AGENT_DEVMSG_ACK_CLIPBOARD};
        ack.ack_clipboard.sequence = m->set_clipboard.sequence;
        send_devmsg(a, &ack, 0);
    }
}

static void dispatch(struct agent *a, const struct anc_agent_ctrl *m)
{
    switch (m->type) {
    case ANC_AGENT_CTRL_INJECT_KEYCODE:
        agent_input_key(&a->input, m);
        break;
    case ANC_AGENT_CTRL_INJECT_TEXT:
        agent_input_text(&a->input, m->text.utf8, m->text.len);
        break;
    case ANC_AGENT_CTRL_INJECT_TOUCH_EVENT:
        agent_input_touch(&a->input, m);
        break;
    case ANC_AGENT_CTRL_INJECT_SCROLL_EVENT:
        agent_input_scroll(&a->input, m);
        break;
    case ANC_AGENT_CTRL_GET_CLIPBOARD:
        get_clipboard(a, m->get_clipboard.copy_key);
        break;
    case ANC_AGENT_CTRL_SET_CLIPBOARD:
        set_clipboard(a, m);
        break;
    case ANC_AGENT_CTRL_RESET_VIDEO:
        AGENT_INFO("video reset: config and keyframe next");
        agent_video_reset(&a->video);
        a->next_frame_us = 0; /* now, not at the next tick */
        break;
    default:
        AGENT_INFO("control message %d accepted, nothing to do on X", m->type);
    }
}

/* Returns 0, 1 when the client closed the socket, or a negative errno. */
static int read_control(struct agent *a)
{
    uint8_t buf[65536];
    ssize_t n = recv(a->control_fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : 1;
    if (n == 0)
        return 1;
    for (size_t off = 0; off < (size_t)n;) {
        struct anc_agent_ctrl m;
        ssize_t used = anc_agent_ctrl_parser_feed(&a->parser, buf + off, (size_t)n - off, &m);
        if (used < 0)
            return (int)used;
        off += (size_t)used;
        if (m.type != ANC_AGENT_CTRL_NONE)
            dispatch(a, &m);
    }
    return 0;
}

/* The client never writes to the media sockets: readable means closed (or misbehaving). */
static bool media_closed(int fd)
{
    uint8_t buf[256];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

static void x_events(struct agent *a)
{
    while (XPending(a->dpy)) {
        XEvent ev;
        char *text;
        size_t len;
        XNextEvent(a->dpy, &ev);
        if (a->video_fd >= 0)
            agent_video_event(&a->video, &ev);
        if (a->control_fd >= 0 && agent_clip_event(&a->clip, &ev, &text, &len) == 1)
            send_clipboard(a, text, len);
    }
}

static int video_tick(struct agent *a)
{
    uint64_t now = mono_us();
    if (a->video_fd < 0 || now < a->next_frame_us)
        return 0;
    a->next_frame_us =
        a->next_frame_us + a->frame_us > now ? a->next_frame_us + a->frame_us : now + a->frame_us;
    return agent_video_tick(&a->video, now - a->t0_us, &a->vq, a->o.send_frame_meta);
}

static int poll_timeout(const struct agent *a)
{
    if (a->video_fd < 0)
        return -1;
    uint64_t now = mono_us();
    return a->next_frame_us <= now ? 0 : (int)((a->next_frame_us - now + 999) / 1000);
}

/* One turn of the loop: 1 when the client went away, negative errno on an error. */
static int turn(struct agent *a)
{
    struct pollfd p[4] = {
        {.fd = ConnectionNumber(a->dpy), .events = POLLIN},
        {.fd = a->control_fd, .events = POLLIN},
        {.fd = a->video_fd, .events = POLLIN},
        {.fd = a->audio_fd, .events = POLLIN},
    };
    struct agent_outq *q[4] = {NULL, &a->cq, &a->vq, &a->aq};
    int r;

    x_events(a);
    XFlush(a->dpy);
    for (int i = 1; i < 4; i++)
        if (p[i].fd >= 0 && agent_outq_pending(q[i]))
            p[i].events |= POLLOUT;
    if (poll(p, 4, poll_timeout(a)) < 0 && errno != EINTR)
        return -errno;
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        r = read_control(a);
        if (r != 0)
            return r;
    }
    for (int i = 2; i < 4; i++)
        if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) && media_closed(p[i].fd))
            return 1;
    r = video_tick(a);
    if (r < 0)
        return r;
    for (int i = 1; i < 4; i++)
        if (p[i].fd >= 0 && agent_outq_pending(q[i]) && agent_outq_flush(q[i], p[i].fd) < 0)
            return 1;
    return 0;
}

/* The bytes before the loop: dummy byte and device name on the first socket, codec meta. */
static int write_preamble(struct agent *a)
{
    int first = a->video_fd >= 0 ? 0 : a->audio_fd >= 0 ? 1 : 2;
    struct agent_outq *fq = first == 0 ? &a->vq : first == 1 ? &a->aq : &a->cq;
    uint8_t b[ANC_AGENT_DEVICE_NAME_SIZE];
    int r = 0;
    if (a->o.tunnel_forward && a->o.send_dummy_byte) {
        b[0] = ANC_AGENT_DUMMY_BYTE;
        r |= agent_outq_append(fq, b, 1);
    }
    if (a->o.send_device_meta) {
        char host[256] = "";
        if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
            snprintf(host, sizeof(host), "ancloud-agent");
        anc_agent_write_device_meta(b, host);
        r |= agent_outq_append(fq, b, sizeof(b));
    }
    if (a->video_fd >= 0 && a->o.send_codec_meta) {
        anc_agent_write_codec_meta(b, ANC_AGENT_CODEC_H264, (uint32_t)a->video.width,
                                   (uint32_t)a->video.height);
        r |= agent_outq_append(&a->vq, b, ANC_AGENT_CODEC_META_SIZE);
    }
    if (a->audio_fd >= 0 && a->o.send_codec_meta) {
        /* No audio here: scrcpy-server's answer when it cannot capture any. */
        anc_agent_write_disable(b, false);
        r |= agent_outq_append(&a->aq, b, 4);
    }
    return r < 0 ? -ENOMEM : 0;
}

static int setup(struct agent *a)
{
    const char *display = getenv("DISPLAY");
    int fps = a->o.max_fps > 0 ? (int)(a->o.max_fps + 0.5) : AGENT_DEFAULT_FPS;
    int r;

    if (!display || !*display)
        display = ":0";
    a->dpy = XOpenDisplay(display);
    if (!a->dpy) {
        AGENT_ERROR("cannot open X display %s", display);
        return -ENXIO;
    }
    XSetErrorHandler(x_error);
    XSetIOErrorHandler(x_io_error);
    if (a->o.video &&
        (r = agent_video_init(&a->video, a->dpy, fps < 1 ? 1 : fps, a->o.video_bit_rate)) < 0) {
        AGENT_ERROR("cannot encode the screen of %s: %s", display, strerror(-r));
        return r;
    }
    if (a->o.control) {
        if ((r = agent_input_init(&a->input, a->dpy)) < 0) {
            AGENT_ERROR("%s has no XTest extension", display);
            return r;
        }
        if (agent_clip_init(&a->clip, a->dpy) < 0)
            AGENT_WARN("%s has no XFixes: the guest's clipboard is not sent", display);
    }
    XSync(a->dpy, False);
    a->frame_us = 1000000u / (unsigned)(fps < 1 ? 1 : fps);
    agent_outq_init(&a->vq, (size_t)a->o.video_bit_rate / 8 * 2 + (4u << 20));
    agent_outq_init(&a->aq, 64);
    agent_outq_init(&a->cq, 4 * ANC_AGENT_MSG_MAX);
    anc_agent_ctrl_parser_init(&a->parser);
    r = agent_net_open(&a->o, &a->video_fd, &a->audio_fd, &a->control_fd);
    if (r < 0) {
        AGENT_ERROR("cannot open the scrcpy sockets: %s", strerror(-r));
        return r;
    }
    a->t0_us = mono_us();
    AGENT_INFO("client connected; %s %dx%d at %d fps", display, a->video.width, a->video.height,
               fps);
    return write_preamble(a);
}

static void teardown(struct agent *a)
{
    int fds[3] = {a->video_fd, a->audio_fd, a->control_fd};
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    anc_agent_ctrl_parser_destroy(&a->parser);
    agent_outq_destroy(&a->vq);
    agent_outq_destroy(&a->aq);
    agent_outq_destroy(&a->cq);
    if (a->dpy) {
        if (a->o.control) {
            agent_clip_destroy(&a->clip);
            agent_input_destroy(&a->input);
        }
        agent_video_destroy(&a->video);
        XCloseDisplay(a->dpy);
    }
}

int main(int argc, char **argv)
{
    struct agent a = {.video_fd = -1, .audio_fd = -1, .control_fd = -1};
    int r;

    if (agent_opts_parse(&a.o, argc, argv) < 0)
        return 1;
    r = setup(&a);
    if (r == 0) {
        while (r == 0)
            r = turn(&a);
        if (r < 0)
            AGENT_ERROR("stopping: %s", strerror(-r));
        else
            AGENT_INFO("client disconnected");
    }
    teardown(&a);
    return r < 0 ? 1 : 0;
}
