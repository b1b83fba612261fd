/* scrcpy-server 3.3.3: control messages (client → server) and device messages (server →
 * client), serialized and parsed. Layouts follow the server's ControlMessageReader and
 * DeviceMessageWriter of tag v3.3.3. */
#include "agent/proto.h"

#include <errno.h>
#include <string.h>

uint16_t anc_agent_u16fp(float f)
{
    if (!(f > 0.0f))
        return 0; /* also NaN */
    if (f >= 1.0f)
        return 0xffff;
    uint32_t u = (uint32_t)(f * 65536.0f);
    return u >= 0xffff ? 0xffff : (uint16_t)u;
}

int16_t anc_agent_scroll_fp(float v)
{
    float norm = v / 16.0f;
    if (!(norm == norm))
        return 0;
    if (norm <= -1.0f)
        return INT16_MIN;
    if (norm >= 1.0f)
        return INT16_MAX;
    int32_t i = (int32_t)(norm * 32768.0f);
    return i >= INT16_MAX ? INT16_MAX : (int16_t)i;
}

size_t anc_agent_utf8_chunk(const uint8_t *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    /* s[cut] is the first byte left out: a continuation byte means the cut splits a sequence. */
    while (cut > 0 && (s[cut] & 0xc0) == 0x80)
        cut--;
    return cut > 0 ? cut : max;
}

/* ---- Control messages ---- */

static ssize_t bounded(size_t len, size_t max, size_t fixed)
{
    return len > max ? -EMSGSIZE : (ssize_t)(fixed + len);
}

ssize_t anc_agent_ctrl_size(const struct anc_agent_ctrl *m)
{
    switch (m->type) {
    case ANC_AGENT_CTRL_INJECT_KEYCODE:
        return 14;
    case ANC_AGENT_CTRL_INJECT_TEXT:
        return bounded(m->text.len, ANC_AGENT_TEXT_MAX, 5);
    case ANC_AGENT_CTRL_INJECT_TOUCH_EVENT:
        return 32;
    case ANC_AGENT_CTRL_INJECT_SCROLL_EVENT:
        return 21;
    case ANC_AGENT_CTRL_BACK_OR_SCREEN_ON:
    case ANC_AGENT_CTRL_GET_CLIPBOARD:
    case ANC_AGENT_CTRL_SET_DISPLAY_POWER:
        return 2;
    case ANC_AGENT_CTRL_SET_CLIPBOARD:
        return bounded(m->set_clipboard.len, ANC_AGENT_CLIPBOARD_MAX, 14);
    case ANC_AGENT_CTRL_UHID_CREATE:
        if (m->uhid_create.name_len > ANC_AGENT_UHID_NAME_MAX)
            return -EMSGSIZE;
        return bounded(m->uhid_create.report_desc_len, UINT16_MAX, 10 + m->uhid_create.name_len);
    case ANC_AGENT_CTRL_UHID_INPUT:
        return bounded(m->uhid_input.len, UINT16_MAX, 5);
    case ANC_AGENT_CTRL_UHID_DESTROY:
        return 3;
    case ANC_AGENT_CTRL_START_APP:
        return bounded(m->start_app.len, ANC_AGENT_START_APP_MAX, 2);
    case ANC_AGENT_CTRL_EXPAND_NOTIFICATION_PANEL:
    case ANC_AGENT_CTRL_EXPAND_SETTINGS_PANEL:
    case ANC_AGENT_CTRL_COLLAPSE_PANELS:
    case ANC_AGENT_CTRL_ROTATE_DEVICE:
    case ANC_AGENT_CTRL_OPEN_HARD_KEYBOARD_SETTINGS:
    case ANC_AGENT_CTRL_RESET_VIDEO:
        return 1;
    default:
        return -EINVAL;
    }
}

static void put_position(uint8_t *p, int32_t x, int32_t y, uint16_t w, uint16_t h)
{
    anc_wr32(p, (uint32_t)x);
    anc_wr32(p + 4, (uint32_t)y);
    anc_wr16(p + 8, w);
    anc_wr16(p + 10, h);
}

/* Copies n bytes unless n is 0 (then src may be NULL). */
static void put_bytes(uint8_t *p, const uint8_t *src, size_t n)
{
    if (n)
        memcpy(p, src, n);
}

static void put_uhid_create(uint8_t *b, const struct anc_agent_ctrl *m)
{
    size_t nl = m->uhid_create.name_len;
    anc_wr16(b + 1, m->uhid_create.id);
    anc_wr16(b + 3, m->uhid_create.vendor_id);
    anc_wr16(b + 5, m->uhid_create.product_id);
    b[7] = (uint8_t)nl;
    put_bytes(b + 8, m->uhid_create.name, nl);
    anc_wr16(b + 8 + nl, (uint16_t)m->uhid_create.report_desc_len);
    put_bytes(b + 10 + nl, m->uhid_create.report_desc, m->uhid_create.report_desc_len);
}

ssize_t anc_agent_ctrl_serialize(const struct anc_agent_ctrl *m, uint8_t *b, size_t cap)
{
    ssize_t size = anc_agent_ctrl_size(m);
    if (size < 0)
        return size;
    if ((size_t)size > cap)
        return -ENOBUFS;
    b[0] = (uint8_t)m->type;
    switch (m->type) {
    case ANC_AGENT_CTRL_INJECT_KEYCODE:
        b[1] = m->key.action;
        anc_wr32(b + 2, (uint32_t)m->key.keycode);
        anc_wr32(b + 6, (uint32_t)m->key.repeat);
        anc_wr32(b + 10, (uint32_t)m->key.metastate);
        break;
    case ANC_AGENT_CTRL_INJECT_TEXT:
        anc_wr32(b + 1, (uint32_t)m->text.len);
        put_bytes(b + 5, m->text.utf8, m->text.len);
        break;
    case ANC_AGENT_CTRL_INJECT_TOUCH_EVENT:
        b[1] = m->touch.action;
        anc__agent_wr64(b + 2, m->touch.pointer_id);
        put_position(b + 10, m->touch.x, m->touch.y, m->touch.width, m->touch.height);
        anc_wr16(b + 22, m->touch.pressure);
        anc_wr32(b + 24, m->touch.action_button);
        anc_wr32(b + 28, m->touch.buttons);
        break;
    case ANC_AGENT_CTRL_INJECT_SCROLL_EVENT:
        put_position(b + 1, m->scroll.x, m->scroll.y, m->scroll.width, m->scroll.height);
        anc_wr16(b + 13, (uint16_t)m->scroll.hscroll);
        anc_wr16(b + 15, (uint16_t)m->scroll.vscroll);
        anc_wr32(b + 17, m->scroll.buttons);
        break;
    case ANC_AGENT_CTRL_BACK_OR_SCREEN_ON:
        b[1] = m->back_or_screen_on.action;
        break;
    case ANC_AGENT_CTRL_GET_CLIPBOARD:
        b[1] = m->get_clipboard.copy_key;
        break;
    case ANC_AGENT_CTRL_SET_DISPLAY_POWER:
        b[1] = m->display_power.on ? 1 : 0;
        break;
    case ANC_AGENT_CTRL_SET_CLIPBOARD:
        anc__agent_wr64(b + 1, m->set_clipboard.sequence);
        b[9] = m->set_clipboard.paste ? 1 : 0;
        anc_wr32(b + 10, (uint32_t)m->set_clipboard.len);
        put_bytes(b + 14, m->set_clipboard.utf8, m->set_clipboard.len);
        break;
    case ANC_AGENT_CTRL_UHID_CREATE:
        put_uhid_create(b, m);
        break;
    case ANC_AGENT_CTRL_UHID_INPUT:
        anc_wr16(b + 1, m->uhid_input.id);
        anc_wr16(b + 3, (uint16_t)m->uhid_input.len);
        put_bytes(b + 5, m->uhid_input.data, m->uhid_input.len);
        break;
    case ANC_AGENT_CTRL_UHID_DESTROY:
        anc_wr16(b + 1, m->uhid_destroy.id);
        break;
    case ANC_AGENT_CTRL_START_APP:
        b[1] = (uint8_t)m->start_app.len;
        put_bytes(b + 2, m->start_app.name, m->start_app.len);
        break;
    default:
        break; /* the types without a body */
    }
    return size;
}

/* Total length of the control message at p[0..n) (see anc__agent_len_fn). */
static ssize_t ctrl_len(const void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (n < 1)
        return 0;
    switch (p[0]) {
    case ANC_AGENT_CTRL_INJECT_TEXT:
        return n < 5 ? 0 : bounded(anc_rd32(p + 1), ANC_AGENT_TEXT_MAX, 5);
    case ANC_AGENT_CTRL_SET_CLIPBOARD:
        return n < 14 ? 0 : bounded(anc_rd32(p + 10), ANC_AGENT_CLIPBOARD_MAX, 14);
    case ANC_AGENT_CTRL_UHID_CREATE:
        if (n < 8 || n < 10u + p[7])
            return 0;
        return (ssize_t)(10u + p[7] + anc_rd16(p + 8 + p[7]));
    case ANC_AGENT_CTRL_UHID_INPUT:
        return n < 5 ? 0 : 5 + anc_rd16(p + 3);
    case ANC_AGENT_CTRL_START_APP:
        return n < 2 ? 0 : 2 + p[1];
    default: {
        /* The fixed-size types: their size does not depend on the body. */
        struct anc_agent_ctrl m = {.type = (enum anc_agent_ctrl_type)p[0]};
        ssize_t r = p[0] <= ANC_AGENT_CTRL_RESET_VIDEO ? anc_agent_ctrl_size(&m) : -EINVAL;
        return r < 0 ? -EPROTONOSUPPORT : r;
    }
    }
}

static void get_position(const uint8_t *p, int32_t *x, int32_t *y, uint16_t *w, uint16_t *h)
{
    *x = (int32_t)anc_rd32(p);
    *y = (int32_t)anc_rd32(p + 4);
    *w = anc_rd16(p + 8);
    *h = anc_rd16(p + 10);
}

static void get_uhid_create(const uint8_t *b, struct anc_agent_ctrl *m)
{
    size_t nl = b[7];
    m->uhid_create.id = anc_rd16(b + 1);
    m->uhid_create.vendor_id = anc_rd16(b + 3);
    m->uhid_create.product_id = anc_rd16(b + 5);
    m->uhid_create.name = b + 8;
    m->uhid_create.name_len = nl;
    m->uhid_create.report_desc_len = anc_rd16(b + 8 + nl);
    m->uhid_create.report_desc = b + 10 + nl;
}

/* Decodes a complete message whose length ctrl_len accepted. */
static void ctrl_decode(const uint8_t *b, struct anc_agent_ctrl *m)
{
    m->type = (enum anc_agent_ctrl_type)b[0];
    switch (m->type) {
    case ANC_AGENT_CTRL_INJECT_KEYCODE:
        m->key.action = b[1];
        m->key.keycode = (int32_t)anc_rd32(b + 2);
        m->key.repeat = (int32_t)anc_rd32(b + 6);
        m->key.metastate = (int32_t)anc_rd32(b + 10);
        break;
    case ANC_AGENT_CTRL_INJECT_TEXT:
        m->text.len = anc_rd32(b + 1);
        m->text.utf8 = b + 5;
        break;
    case ANC_AGENT_CTRL_INJECT_TOUCH_EVENT:
        m->touch.action = b[1];
        m->touch.pointer_id = anc__agent_rd64(b + 2);
        get_position(b + 10, &m->touch.x, &m->touch.y, &m->touch.width, &m->touch.height);
        m->touch.pressure = anc_rd16(b + 22);
        m->touch.action_button = anc_rd32(b + 24);
        m->touch.buttons = anc_rd32(b + 28);
        break;
    case ANC_AGENT_CTRL_INJECT_SCROLL_EVENT:
        get_position(b + 1, &m->scroll.x, &m->scroll.y, &m->scroll.width, &m->scroll.height);
        m->scroll.hscroll = (int16_t)anc_rd16(b + 13);
        m->scroll.vscroll = (int16_t)anc_rd16(b + 15);
        m->scroll.buttons = anc_rd32(b + 17);
        break;
    case ANC_AGENT_CTRL_BACK_OR_SCREEN_ON:
        m->back_or_screen_on.action = b[1];
        break;
    case ANC_AGENT_CTRL_GET_CLIPBOARD:
        m->get_clipboard.copy_key = b[1];
        break;
    case ANC_AGENT_CTRL_SET_DISPLAY_POWER:
        m->display_power.on = b[1] != 0; /* as the server's readBoolean */
        break;
    case ANC_AGENT_CTRL_SET_CLIPBOARD:
        m->set_clipboard.sequence = anc__agent_rd64(b + 1);
        m->set_clipboard.paste = b[9] != 0;
        m->set_clipboard.len = anc_rd32(b + 10);
        m->set_clipboard.utf8 = b + 14;
        break;
    case ANC_AGENT_CTRL_UHID_CREATE:
        get_uhid_create(b, m);
        break;
    case ANC_AGENT_CTRL_UHID_INPUT:
        m->uhid_input.id = anc_rd16(b + 1);
        m->uhid_input.len = anc_rd16(b + 3);
        m->uhid_input.data = b + 5;
        break;
    case ANC_AGENT_CTRL_UHID_DESTROY:
        m->uhid_destroy.id = anc_rd16(b + 1);
        break;
    case ANC_AGENT_CTRL_START_APP:
        m->start_app.len = b[1];
        m->start_app.name = b + 2;
        break;
    default:
        break;
    }
}

void anc_agent_ctrl_parser_init(struct anc_agent_ctrl_parser *p)
{
    anc__agent_framer_init(&p->fr);
}

void anc_agent_ctrl_parser_destroy(struct anc_agent_ctrl_parser *p)
{
    if (p)
        anc__agent_framer_destroy(&p->fr);
}

ssize_t anc_agent_ctrl_parser_feed(struct anc_agent_ctrl_parser *p, const uint8_t *buf, size_t len,
                                   struct anc_agent_ctrl *out)
{
    const uint8_t *m;
    size_t n;

    out->type = ANC_AGENT_CTRL_NONE;
    ssize_t used = anc__agent_framer_feed(&p->fr, buf, len, ctrl_len, NULL, &m, &n);
    if (used > 0 && m)
        ctrl_decode(m, out);
    return used;
}

/* ---- Device messages ---- */

ssize_t anc_agent_devmsg_serialize(const struct anc_agent_devmsg *m, uint8_t *b, size_t cap)
{
    ssize_t size;

    switch (m->type) {
    case ANC_AGENT_DEVMSG_CLIPBOARD:
        size = bounded(m->clipboard.len, ANC_AGENT_DEVICE_CLIPBOARD_MAX, 5);
        break;
    case ANC_AGENT_DEVMSG_ACK_CLIPBOARD:
        size = 9;
        break;
    case ANC_AGENT_DEVMSG_UHID_OUTPUT:
        size = bounded(m->uhid_output.len, UINT16_MAX, 5);
        break;
    default:
        return -EINVAL;
    }
    if (size < 0)
        return size;
    if ((size_t)size > cap)
        return -ENOBUFS;
    b[0] = (uint8_t)m->type;
    if (m->type == ANC_AGENT_DEVMSG_CLIPBOARD) {
        anc_wr32(b + 1, (uint32_t)m->clipboard.len);
        put_bytes(b + 5, m->clipboard.utf8, m->clipboard.len);
    } else if (m->type == ANC_AGENT_DEVMSG_ACK_CLIPBOARD) {
        anc__agent_wr64(b + 1, m->ack_clipboard.sequence);
    } else {
        anc_wr16(b + 1, m->uhid_output.id);
        anc_wr16(b + 3, (uint16_t)m->uhid_output.len);
        put_bytes(b + 5, m->uhid_output.data, m->uhid_output.len);
    }
    return size;
}

static ssize_t devmsg_len(const void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (n < 1)
        return 0;
    switch (p[0]) {
    case ANC_AGENT_DEVMSG_CLIPBOARD:
        return n < 5 ? 0 : bounded(anc_rd32(p + 1), ANC_AGENT_DEVICE_CLIPBOARD_MAX, 5);
    case ANC_AGENT_DEVMSG_ACK_CLIPBOARD:
        return 9;
    case ANC_AGENT_DEVMSG_UHID_OUTPUT:
        return n < 5 ? 0 : 5 + anc_rd16(p + 3);
    default:
        return -EPROTONOSUPPORT;
    }
}

void anc_agent_devmsg_parser_init(struct anc_agent_devmsg_parser *p)
{
    anc__agent_framer_init(&p->fr);
}

void anc_agent_devmsg_parser_destroy(struct anc_agent_devmsg_parser *p)
{
    if (p)
        anc__agent_framer_destroy(&p->fr);
}

ssize_t anc_agent_devmsg_parser_feed(struct anc_agent_devmsg_parser *p, const uint8_t *buf,
                                     size_t len, struct anc_agent_devmsg *out)
{
    const uint8_t *b;
    size_t n;

    out->type = ANC_AGENT_DEVMSG_NONE;
    ssize_t used = anc__agent_framer_feed(&p->fr, buf, len, devmsg_len, NULL, &b, &n);
    if (used <= 0 || !b)
        return used;
    out->type = (enum anc_agent_devmsg_type)b[0];
    if (out->type == ANC_AGENT_DEVMSG_CLIPBOARD) {
        out->clipboard.len = n - 5;
        out->clipboard.utf8 = b + 5;
    } else if (out->type == ANC_AGENT_DEVMSG_ACK_CLIPBOARD) {
        out->ack_clipboard.sequence = anc__agent_rd64(b + 1);
    } else {
        out->uhid_output.id = anc_rd16(b + 1);
        out->uhid_output.len = n - 5;
        out->uhid_output.data = b + 5;
    }
    return used;
}
