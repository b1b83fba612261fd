#include "agent/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/h264_sps.h"
#include "agent/keymap.h"

void anc_agent_client_init(struct anc_agent_client *c, uint64_t now_us, uint64_t bitrate_bps)
{
    memset(c, 0, sizeof(*c));
    anc_agent_stream_init(&c->video, ANC_AGENT_STREAM_DUMMY_BYTE | ANC_AGENT_STREAM_DEVICE_META, 0);
    anc_agent_devmsg_parser_init(&c->device);
    memset(c->pointer, -1, sizeof(c->pointer));
    c->ready_deadline_us = now_us + ANC_AGENT_CLIENT_READY_US;
    c->bitrate_bps = bitrate_bps;
}

void anc_agent_client_destroy(struct anc_agent_client *c)
{
    if (!c)
        return;
    anc_agent_stream_destroy(&c->video);
    anc_agent_devmsg_parser_destroy(&c->device);
    free(c->config);
    free(c->joined);
    c->config = c->joined = NULL;
}

/* ---- Events from the agent ---- */

static ssize_t fail(struct anc_agent_client *c, int code, const char *why, size_t consumed,
                    struct anc_agent_client_event *ev)
{
    c->error = code;
    ev->type = ANC_AGENT_CLIENT_EV_ERROR;
    ev->error.code = code;
    ev->error.why = why;
    return (ssize_t)consumed;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    uint8_t *n = realloc(*buf, need);
    if (!n)
        return -ENOMEM;
    *buf = n;
    *cap = need;
    return 0;
}

static ssize_t on_codec(struct anc_agent_client *c, const struct anc_agent_stream_event *se,
                        size_t used, struct anc_agent_client_event *ev)
{
    if (se->codec.codec_id == ANC_AGENT_CODEC_DISABLED)
        return fail(c, -ENODEV, "the agent disabled video (no usable H.264 encoder?)", used, ev);
    if (se->codec.codec_id == ANC_AGENT_CODEC_ERROR)
        return fail(c, -EIO, "the agent could not configure its video encoder", used, ev);
    if (se->codec.codec_id != ANC_AGENT_CODEC_H264)
        return fail(c, -EPROTONOSUPPORT, "the agent's video codec is not H.264", used, ev);
    c->width = se->codec.width;
    c->height = se->codec.height;
    c->ready = true;
    ev->type = ANC_AGENT_CLIENT_EV_READY;
    ev->ready.device = c->device_name;
    ev->ready.codec_id = se->codec.codec_id;
    ev->ready.width = c->width;
    ev->ready.height = c->height;
    return (ssize_t)used;
}

static ssize_t on_packet(struct anc_agent_client *c, const struct anc_agent_stream_event *se,
                         size_t used, struct anc_agent_client_event *ev)
{
    const uint8_t *data = se->packet.data;
    size_t len = se->packet.len;
    if (se->packet.config) {
        if (grow(&c->config, &c->config_cap, len) < 0)
            return fail(c, -ENOMEM, "out of memory for the codec config", used, ev);
        if (len)
            memcpy(c->config, data, len);
        c->config_len = len;
        /* After a rotation or a resize only the new SPS tells the new size; touches must carry
         * it, or the agent drops them. An SPS that does not parse keeps the size we had. */
        struct anc_h264_sps sps;
        if (c->ready && anc_h264_sps_find(data, len, &sps) == 0) {
            c->width = sps.width;
            c->height = sps.height;
        }
        return (ssize_t)used;
    }
    if (len == 0)
        return (ssize_t)used; /* nothing a packetizer could send */
    if (se->packet.keyframe && c->config_len) {
        if (grow(&c->joined, &c->joined_cap, c->config_len + len) < 0)
            return fail(c, -ENOMEM, "out of memory for a keyframe", used, ev);
        memcpy(c->joined, c->config, c->config_len);
        memcpy(c->joined + c->config_len, data, len);
        data = c->joined;
        len += c->config_len;
    }
    c->far_bytes += len;
    ev->type = ANC_AGENT_CLIENT_EV_AU;
    ev->au.data = data;
    ev->au.len = len;
    ev->au.keyframe = se->packet.keyframe;
    ev->au.pts_us = se->packet.pts;
    return (ssize_t)used;
}

static const char *stream_error(ssize_t r)
{
    if (r == -EMSGSIZE)
        return "the agent sent a video packet above 16 MiB";
    if (r == -ENOMEM)
        return "out of memory for a video packet";
    return "the agent's video stream is malformed (not scrcpy-server " ANC_AGENT_SCRCPY_VERSION
           "?)";
}

ssize_t anc_agent_client_feed_video(struct anc_agent_client *c, uint64_t now_us, const uint8_t *buf,
                                    size_t len, struct anc_agent_client_event *ev)
{
    (void)now_us;
    struct anc_agent_stream_event se;
    ev->type = ANC_AGENT_CLIENT_EV_NONE;
    if (c->error)
        return c->error;
    ssize_t used = anc_agent_stream_feed(&c->video, buf, len, &se);
    if (used < 0)
        return fail(c, (int)used, stream_error(used), len, ev);
    switch (se.type) {
    case ANC_AGENT_EV_DEVICE:
        memcpy(c->device_name, se.device.name, sizeof(c->device_name));
        for (char *p = c->device_name; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        return used;
    case ANC_AGENT_EV_CODEC:
        return on_codec(c, &se, (size_t)used, ev);
    case ANC_AGENT_EV_PACKET:
        return on_packet(c, &se, (size_t)used, ev);
    default:
        return used;
    }
}

ssize_t anc_agent_client_feed_control(struct anc_agent_client *c, uint64_t now_us,
                                      const uint8_t *buf, size_t len,
                                      struct anc_agent_client_event *ev)
{
    (void)now_us;
    struct anc_agent_devmsg m;
    ev->type = ANC_AGENT_CLIENT_EV_NONE;
    if (c->error)
        return c->error;
    ssize_t used = anc_agent_devmsg_parser_feed(&c->device, buf, len, &m);
    if (used < 0)
        return fail(c, (int)used, "the agent sent a malformed device message", len, ev);
    if (m.type == ANC_AGENT_DEVMSG_CLIPBOARD) {
        ev->type = ANC_AGENT_CLIENT_EV_CLIPBOARD;
        ev->clipboard.utf8 = m.clipboard.utf8;
        ev->clipboard.len = m.clipboard.len;
    } else if (m.type == ANC_AGENT_DEVMSG_ACK_CLIPBOARD) {
        c->clipboard_acked = m.ack_clipboard.sequence;
    }
    return used; /* UHID output is not asked for: ignored */
}

uint64_t anc_agent_client_next_timeout(const struct anc_agent_client *c)
{
    return c->ready || c->error ? UINT64_MAX : c->ready_deadline_us;
}

bool anc_agent_client_timeout(struct anc_agent_client *c, uint64_t now_us,
                              struct anc_agent_client_event *ev)
{
    ev->type = ANC_AGENT_CLIENT_EV_NONE;
    if (now_us < anc_agent_client_next_timeout(c))
        return false;
    fail(c, -ETIMEDOUT, "the agent sent no video header in time", 0, ev);
    return true;
}

/* ---- Bit rate ---- */

uint64_t anc_agent_client_estimate(struct anc_agent_client *c, uint64_t now_us, uint64_t bps)
{
    uint64_t cur = c->bitrate_bps;
    int dir = bps > cur * ANC_AGENT_BITRATE_FACTOR   ? 1
              : bps * ANC_AGENT_BITRATE_FACTOR < cur ? -1
                                                     : 0;
    if (dir != c->far_dir) {
        c->far_dir = dir;
        c->far_since_us = now_us;
        c->far_nearest_bps = bps;
        c->far_bytes = 0;
        return 0;
    }
    if (dir == 0)
        return 0;
    /* Restart at the estimate nearest the current rate seen while away: the cautious one. */
    if ((dir > 0 && bps < c->far_nearest_bps) || (dir < 0 && bps > c->far_nearest_bps))
        c->far_nearest_bps = bps;
    uint64_t held_us = now_us - c->far_since_us;
    if (held_us < ANC_AGENT_BITRATE_HOLD_US)
        return 0;
    uint64_t target = c->far_nearest_bps, sent_bps = c->far_bytes * 8 * 1000000 / held_us;
    c->far_since_us = now_us;
    c->far_nearest_bps = bps;
    c->far_bytes = 0;
    /* Sending less than the estimate: the stream, not the link, set the pace. */
    return dir < 0 && sent_bps <= target ? 0 : target;
}

/* ---- Input → control messages ---- */

static ssize_t put(const struct anc_agent_ctrl *m, uint8_t *out, size_t cap, size_t *off)
{
    ssize_t n = anc_agent_ctrl_serialize(m, out + *off, cap - *off);
    if (n < 0)
        return n;
    *off += (size_t)n;
    return 0;
}

/* A position normalized to 0..65535 over the frame → a pixel of a frame `size` wide. */
static int32_t scale(uint16_t v, uint32_t size)
{
    return (int32_t)(((uint64_t)v * (size - 1) + 32767) / 65535);
}

static ssize_t touch(struct anc_agent_client *c, const struct anc_input_touch *t, uint8_t *out,
                     size_t cap)
{
    if (!c->ready)
        return -EAGAIN;
    if (t->pointer_id > ANC_INPUT_POINTER_MAX)
        return -EINVAL;
    int8_t *slot = &c->pointer[t->pointer_id];
    uint8_t action;
    if (t->action == ANC_INPUT_TOUCH_DOWN) {
        action = ANC_AMOTION_ACTION_DOWN;
        for (int8_t id = 0; *slot < 0; id++) {
            bool used = false;
            for (size_t i = 0; i <= ANC_INPUT_POINTER_MAX; i++)
                used |= c->pointer[i] == id;
            if (!used)
                *slot = id;
        }
    } else if (*slot < 0) {
        return 0; /* a move or up of a pointer that is not down (its down came before READY) */
    } else {
        action =
            t->action == ANC_INPUT_TOUCH_MOVE ? ANC_AMOTION_ACTION_MOVE : ANC_AMOTION_ACTION_UP;
    }
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_TOUCH_EVENT};
    m.touch.action = action;
    m.touch.pointer_id = (uint64_t)*slot;
    m.touch.x = scale(t->x, c->width);
    m.touch.y = scale(t->y, c->height);
    m.touch.width = (uint16_t)c->width;
    m.touch.height = (uint16_t)c->height;
    m.touch.pressure = t->pressure;
    if (action == ANC_AMOTION_ACTION_UP)
        *slot = -1;
    return anc_agent_ctrl_serialize(&m, out, cap);
}

static ssize_t key(struct anc_agent_client *c, const struct anc_input_key *k, uint8_t *out,
                   size_t cap)
{
    int32_t code = anc_agent_keymap_android(k->keycode);
    if (code == ANC_AKEYCODE_UNKNOWN)
        return 0;
    bool down = k->action == ANC_INPUT_KEY_DOWN;
    /* A held key arrives as repeated downs: Android wants them counted. */
    c->key_repeat = down && c->key_down == k->keycode ? c->key_repeat + 1 : 0;
    c->key_down = down ? k->keycode : 0;
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_KEYCODE};
    m.key.action = down ? ANC_AKEY_ACTION_DOWN : ANC_AKEY_ACTION_UP;
    m.key.keycode = code;
    m.key.repeat = c->key_repeat;
    m.key.metastate = anc_agent_keymap_meta(k->modifiers);
    return anc_agent_ctrl_serialize(&m, out, cap);
}

static ssize_t text(const struct anc_input_text *t, uint8_t *out, size_t cap)
{
    size_t off = 0;
    for (size_t at = 0; at < t->len;) {
        struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_TEXT};
        m.text.utf8 = t->utf8 + at;
        m.text.len = anc_agent_utf8_chunk(t->utf8 + at, t->len - at, ANC_AGENT_TEXT_MAX);
        ssize_t r = put(&m, out, cap, &off);
        if (r < 0)
            return r;
        at += m.text.len;
    }
    return (ssize_t)off;
}

static ssize_t scroll(struct anc_agent_client *c, const struct anc_input_scroll *s, uint8_t *out,
                      size_t cap)
{
    if (!c->ready)
        return -EAGAIN;
    /* The DOM's deltaY > 0 scrolls down, Android's AXIS_VSCROLL > 0 up; both agree on x. */
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_SCROLL_EVENT};
    m.scroll.x = scale(s->x, c->width);
    m.scroll.y = scale(s->y, c->height);
    m.scroll.width = (uint16_t)c->width;
    m.scroll.height = (uint16_t)c->height;
    m.scroll.hscroll = anc_agent_scroll_fp((float)s->dx / ANC_INPUT_SCROLL_NOTCH);
    m.scroll.vscroll = anc_agent_scroll_fp(-(float)s->dy / ANC_INPUT_SCROLL_NOTCH);
    return anc_agent_ctrl_serialize(&m, out, cap);
}

static ssize_t press(int32_t code, uint8_t *out, size_t cap)
{
    size_t off = 0;
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_KEYCODE};
    m.key.keycode = code;
    m.key.action = ANC_AKEY_ACTION_DOWN;
    ssize_t r = put(&m, out, cap, &off);
    m.key.action = ANC_AKEY_ACTION_UP;
    if (r == 0)
        r = put(&m, out, cap, &off);
    return r < 0 ? r : (ssize_t)off;
}

static ssize_t control(const struct anc_input_control *ctl, uint8_t *out, size_t cap)
{
    struct anc_agent_ctrl rotate = {.type = ANC_AGENT_CTRL_ROTATE_DEVICE};
    switch (ctl->op) {
    case ANC_INPUT_CTL_KEYFRAME:
        return 0;
    case ANC_INPUT_CTL_ROTATE:
        return anc_agent_ctrl_serialize(&rotate, out, cap);
    case ANC_INPUT_CTL_BACK:
        return press(ANC_AKEYCODE_BACK, out, cap);
    case ANC_INPUT_CTL_HOME:
        return press(ANC_AKEYCODE_HOME, out, cap);
    case ANC_INPUT_CTL_APP_SWITCH:
        return press(ANC_AKEYCODE_APP_SWITCH, out, cap);
    case ANC_INPUT_CTL_POWER:
        return press(ANC_AKEYCODE_POWER, out, cap);
    case ANC_INPUT_CTL_MENU:
        return press(ANC_AKEYCODE_MENU, out, cap);
    case ANC_INPUT_CTL_VOLUME_UP:
        return press(ANC_AKEYCODE_VOLUME_UP, out, cap);
    case ANC_INPUT_CTL_VOLUME_DOWN:
        return press(ANC_AKEYCODE_VOLUME_DOWN, out, cap);
    default:
        return -EPROTONOSUPPORT;
    }
}

static ssize_t clipboard(struct anc_agent_client *c, const struct anc_input_clipboard *cb,
                         uint8_t *out, size_t cap)
{
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_SET_CLIPBOARD};
    m.set_clipboard.sequence = c->clipboard_seq + 1;
    m.set_clipboard.paste = cb->flags & ANC_INPUT_CLIPBOARD_PASTE;
    m.set_clipboard.utf8 = cb->utf8;
    m.set_clipboard.len = cb->len;
    ssize_t n = anc_agent_ctrl_serialize(&m, out, cap);
    if (n > 0)
        c->clipboard_seq++;
    return n;
}

ssize_t anc_agent_client_input(struct anc_agent_client *c, const struct anc_input_msg *m,
                               uint8_t *out, size_t cap)
{
    switch (m->type) {
    case ANC_INPUT_TOUCH:
        return touch(c, &m->touch, out, cap);
    case ANC_INPUT_KEY:
        return key(c, &m->key, out, cap);
    case ANC_INPUT_TEXT:
        return text(&m->text, out, cap);
    case ANC_INPUT_SCROLL:
        return scroll(c, &m->scroll, out, cap);
    case ANC_INPUT_CONTROL:
        return control(&m->control, out, cap);
    case ANC_INPUT_CLIPBOARD:
        return clipboard(c, &m->clipboard, out, cap);
    default:
        return -EPROTONOSUPPORT;
    }
}

ssize_t anc_agent_client_reset_video(uint8_t *out, size_t cap)
{
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_RESET_VIDEO};
    return anc_agent_ctrl_serialize(&m, out, cap);
}

ssize_t anc_agent_client_set_clipboard(const uint8_t *utf8, size_t len, bool paste, uint8_t *out,
                                       size_t cap)
{
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_SET_CLIPBOARD};
    m.set_clipboard.paste = paste;
    m.set_clipboard.utf8 = utf8;
    m.set_clipboard.len = len;
    return anc_agent_ctrl_serialize(&m, out, cap);
}
