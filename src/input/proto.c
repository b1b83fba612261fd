/* Input protocol v1 codec. Every read is bounded by len; nothing allocates. */
#include "input/proto.h"

#include <errno.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

int anc_input_utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    uint8_t b = s[0];
    size_t n;
    uint32_t v;

    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2;
        v = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        v = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        v = b & 0x07;
    } else {
        return -EBADMSG; /* continuation byte, C0/C1 (always overlong), or F5..FF */
    }
    if (len < n)
        return -EBADMSG;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -EBADMSG;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min_for_len[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return -EBADMSG;
    *cp = v;
    return (int)n;
}

int anc_input_utf8_validate(const uint8_t *s, size_t len)
{
    uint32_t cp;

    for (size_t off = 0; off < len;) {
        int n = anc_input_utf8_next(s + off, len - off, &cp);
        if (n < 0)
            return n;
        off += (size_t)n;
    }
    return 0;
}

static int check_touch(const struct anc_input_touch *t)
{
    if (t->action > ANC_INPUT_TOUCH_CANCEL || t->pointer_id > ANC_INPUT_POINTER_MAX)
        return -EBADMSG;
    return 0;
}

static int check_key(const struct anc_input_key *k)
{
    if (k->action > ANC_INPUT_KEY_UP || k->keycode > ANC_INPUT_KEYCODE_MAX)
        return -EBADMSG;
    return 0;
}

static int check_text(const struct anc_input_text *t)
{
    if (t->len == 0)
        return -EBADMSG;
    if (t->len > ANC_INPUT_TEXT_MAX)
        return -EMSGSIZE;
    return anc_input_utf8_validate(t->utf8, t->len);
}

static int check_control(const struct anc_input_control *c)
{
    if (c->op < ANC_INPUT_CTL_KEYFRAME || c->op > ANC_INPUT_CTL_MAX)
        return -EPROTONOSUPPORT;
    return 0;
}

static int check_clipboard(const struct anc_input_clipboard *c)
{
    if (c->len > ANC_INPUT_CLIPBOARD_MAX)
        return -EMSGSIZE;
    return anc_input_utf8_validate(c->utf8, c->len);
}

static int check_latency(const struct anc_input_latency *l)
{
    if (l->n == 0)
        return -EBADMSG;
    return l->n > ANC_INPUT_LATENCY_MAX ? -EMSGSIZE : 0;
}

static int decode_latency(const uint8_t *buf, size_t len, struct anc_input_latency *out)
{
    if ((len - 1) % 4 != 0)
        return -EBADMSG;
    out->samples = buf + 1;
    out->n = (len - 1) / 4;
    return check_latency(out);
}

uint32_t anc_input_latency_us(const struct anc_input_latency *l, size_t i)
{
    return get32(l->samples + 4 * i);
}

static int decode_fixed(const uint8_t *buf, size_t len, struct anc_input_msg *out)
{
    const uint8_t *p = buf + 1;

    switch (out->type) {
    case ANC_INPUT_TOUCH:
        if (len != ANC_INPUT_TOUCH_SIZE)
            return -EBADMSG;
        out->touch.action = p[0];
        out->touch.pointer_id = p[1];
        out->touch.x = get16(p + 2);
        out->touch.y = get16(p + 4);
        out->touch.pressure = get16(p + 6);
        return check_touch(&out->touch);
    case ANC_INPUT_KEY:
        if (len != ANC_INPUT_KEY_SIZE)
            return -EBADMSG;
        out->key.action = p[0];
        /* p[1..2] is reserved: senders write 0, receivers ignore it. */
        out->key.keycode = get32(p + 3);
        out->key.modifiers = get32(p + 7);
        return check_key(&out->key);
    default: /* ANC_INPUT_SCROLL */
        if (len != ANC_INPUT_SCROLL_SIZE)
            return -EBADMSG;
        out->scroll.dx = (int16_t)get16(p);
        out->scroll.dy = (int16_t)get16(p + 2);
        out->scroll.x = get16(p + 4);
        out->scroll.y = get16(p + 6);
        return 0;
    }
}

int anc_input_decode(const uint8_t *buf, size_t len, struct anc_input_msg *out)
{
    if (len == 0)
        return -EBADMSG;
    memset(out, 0, sizeof(*out));
    out->type = buf[0];
    switch (out->type) {
    case ANC_INPUT_TOUCH:
    case ANC_INPUT_KEY:
    case ANC_INPUT_SCROLL:
        return decode_fixed(buf, len, out);
    case ANC_INPUT_TEXT:
        out->text.utf8 = buf + 1;
        out->text.len = len - 1;
        return check_text(&out->text);
    case ANC_INPUT_CONTROL:
        if (len < ANC_INPUT_CONTROL_MIN_SIZE)
            return -EBADMSG;
        out->control.op = buf[1];
        out->control.payload = buf + 2;
        out->control.payload_len = len - 2;
        return check_control(&out->control);
    case ANC_INPUT_CLIPBOARD:
        if (len < ANC_INPUT_CLIPBOARD_MIN_SIZE)
            return -EBADMSG;
        out->clipboard.flags = buf[1];
        out->clipboard.utf8 = buf + 2;
        out->clipboard.len = len - 2;
        return check_clipboard(&out->clipboard);
    case ANC_INPUT_LATENCY:
        return decode_latency(buf, len, &out->latency);
    default:
        return -EPROTONOSUPPORT;
    }
}

size_t anc_input_encoded_size(const struct anc_input_msg *m)
{
    switch (m->type) {
    case ANC_INPUT_TOUCH:
        return ANC_INPUT_TOUCH_SIZE;
    case ANC_INPUT_KEY:
        return ANC_INPUT_KEY_SIZE;
    case ANC_INPUT_TEXT:
        return 1 + m->text.len;
    case ANC_INPUT_SCROLL:
        return ANC_INPUT_SCROLL_SIZE;
    case ANC_INPUT_CONTROL:
        return 2 + m->control.payload_len;
    case ANC_INPUT_CLIPBOARD:
        return ANC_INPUT_CLIPBOARD_MIN_SIZE + m->clipboard.len;
    case ANC_INPUT_LATENCY:
        return 1 + 4 * m->latency.n;
    default:
        return 0;
    }
}

static int check_msg(const struct anc_input_msg *m)
{
    switch (m->type) {
    case ANC_INPUT_TOUCH:
        return check_touch(&m->touch);
    case ANC_INPUT_KEY:
        return check_key(&m->key);
    case ANC_INPUT_TEXT:
        return check_text(&m->text);
    case ANC_INPUT_SCROLL:
        return 0;
    case ANC_INPUT_CONTROL:
        if (m->control.payload_len > 0 && !m->control.payload)
            return -EINVAL;
        return check_control(&m->control);
    case ANC_INPUT_CLIPBOARD:
        if (m->clipboard.len > 0 && !m->clipboard.utf8)
            return -EINVAL;
        return check_clipboard(&m->clipboard);
    case ANC_INPUT_LATENCY:
        if (!m->latency.samples)
            return -EINVAL;
        return check_latency(&m->latency);
    default:
        return -EINVAL;
    }
}

static void encode_body(const struct anc_input_msg *m, uint8_t *p)
{
    switch (m->type) {
    case ANC_INPUT_TOUCH:
        p[0] = m->touch.action;
        p[1] = m->touch.pointer_id;
        put16(p + 2, m->touch.x);
        put16(p + 4, m->touch.y);
        put16(p + 6, m->touch.pressure);
        break;
    case ANC_INPUT_KEY:
        p[0] = m->key.action;
        put16(p + 1, 0);
        put32(p + 3, m->key.keycode);
        put32(p + 7, m->key.modifiers);
        break;
    case ANC_INPUT_TEXT:
        memcpy(p, m->text.utf8, m->text.len);
        break;
    case ANC_INPUT_SCROLL:
        put16(p, (uint16_t)m->scroll.dx);
        put16(p + 2, (uint16_t)m->scroll.dy);
        put16(p + 4, m->scroll.x);
        put16(p + 6, m->scroll.y);
        break;
    case ANC_INPUT_CONTROL:
        p[0] = m->control.op;
        if (m->control.payload_len > 0)
            memcpy(p + 1, m->control.payload, m->control.payload_len);
        break;
    case ANC_INPUT_LATENCY:
        memcpy(p, m->latency.samples, 4 * m->latency.n);
        break;
    default: /* ANC_INPUT_CLIPBOARD */
        p[0] = m->clipboard.flags;
        if (m->clipboard.len > 0)
            memcpy(p + 1, m->clipboard.utf8, m->clipboard.len);
        break;
    }
}

ssize_t anc_input_encode(const struct anc_input_msg *m, uint8_t *buf, size_t cap)
{
    int r = check_msg(m);
    if (r < 0)
        return -EINVAL;
    size_t n = anc_input_encoded_size(m);
    if (cap < n)
        return -ENOBUFS;
    buf[0] = m->type;
    encode_body(m, buf + 1);
    return (ssize_t)n;
}

ssize_t anc_input_encode_out_clipboard(const uint8_t *utf8, size_t len, size_t max, uint8_t *buf,
                                       size_t cap)
{
    uint32_t cp;
    size_t n = 0;

    if (max < ANC_INPUT_OUT_HEADER_SIZE)
        return -EINVAL;
    size_t room = max - ANC_INPUT_OUT_HEADER_SIZE;
    while (n < len) {
        int c = anc_input_utf8_next(utf8 + n, len - n, &cp);
        if (c < 0 || n + (size_t)c > room)
            break;
        n += (size_t)c;
    }
    if (cap < ANC_INPUT_OUT_HEADER_SIZE + n)
        return -ENOBUFS;
    buf[0] = ANC_INPUT_OUT_CLIPBOARD;
    buf[1] = n < len ? ANC_INPUT_OUT_CLIPBOARD_TRUNCATED : 0;
    if (n > 0)
        memcpy(buf + ANC_INPUT_OUT_HEADER_SIZE, utf8, n);
    return (ssize_t)(ANC_INPUT_OUT_HEADER_SIZE + n);
}

ssize_t anc_input_encode_out_control(const char *controller_sid, unsigned flags, uint8_t *buf,
                                     size_t cap)
{
    size_t n = controller_sid ? strlen(controller_sid) : 0;
    if (n > ANC_INPUT_OUT_CONTROL_SID_MAX || flags > 0xff)
        return -EINVAL;
    if (cap < ANC_INPUT_OUT_HEADER_SIZE + n)
        return -ENOBUFS;
    buf[0] = ANC_INPUT_OUT_CONTROL;
    buf[1] = (uint8_t)flags;
    if (n > 0)
        memcpy(buf + ANC_INPUT_OUT_HEADER_SIZE, controller_sid, n);
    return (ssize_t)(ANC_INPUT_OUT_HEADER_SIZE + n);
}

ssize_t anc_input_encode_out_frame(uint32_t seq, uint32_t rtp_ts, uint8_t *buf, size_t cap)
{
    if (cap < ANC_INPUT_OUT_FRAME_SIZE)
        return -ENOBUFS;
    buf[0] = ANC_INPUT_OUT_FRAME;
    put32(buf + 1, seq);
    put32(buf + 5, rtp_ts);
    return ANC_INPUT_OUT_FRAME_SIZE;
}

int anc_input_decode_out_frame(const uint8_t *buf, size_t len, uint32_t *seq, uint32_t *rtp_ts)
{
    if (len != ANC_INPUT_OUT_FRAME_SIZE || buf[0] != ANC_INPUT_OUT_FRAME)
        return -EBADMSG;
    *seq = get32(buf + 1);
    *rtp_ts = get32(buf + 5);
    return 0;
}
