/* The agent client against a fake scrcpy-server built from the proto writers (fed whole and a
 * byte at a time) and against literal control-message bytes. */
#include <errno.h>
#include <stdlib.h>

#include "agent/client.h"
#include "agent/keymap.h"
#include "test.h"

#define CHECK_BYTES(buf, n, lit)                                                                   \
    do {                                                                                           \
        CHECK_EQ((n), sizeof(lit));                                                                \
        CHECK(memcmp((buf), (lit), sizeof(lit)) == 0);                                             \
    } while (0)

static const uint8_t sps_pps[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0xda,
                                  0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80};
static const uint8_t idr[] = {0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33};
static const uint8_t pframe[] = {0, 0, 0, 1, 0x41, 0x9a, 0x02};

/* What scrcpy-server writes on the video socket: dummy byte, name, codec meta, config, IDR, P. */
static size_t fake_server_video(uint8_t *out, uint32_t codec)
{
    size_t n = 0;
    out[n++] = ANC_AGENT_DUMMY_BYTE;
    anc_agent_write_device_meta(out + n, "redroid\x01x");
    n += ANC_AGENT_DEVICE_NAME_SIZE;
    if (codec == ANC_AGENT_CODEC_DISABLED || codec == ANC_AGENT_CODEC_ERROR) {
        anc_agent_write_disable(out + n, codec == ANC_AGENT_CODEC_ERROR);
        return n + 4;
    }
    anc_agent_write_codec_meta(out + n, codec, 720, 1280);
    n += ANC_AGENT_CODEC_META_SIZE;
    CHECK_EQ(anc_agent_write_frame_header(out + n, 0, true, false, sizeof(sps_pps)), 0);
    memcpy(out + n + ANC_AGENT_FRAME_HEADER_SIZE, sps_pps, sizeof(sps_pps));
    n += ANC_AGENT_FRAME_HEADER_SIZE + sizeof(sps_pps);
    CHECK_EQ(anc_agent_write_frame_header(out + n, 1000, false, true, sizeof(idr)), 0);
    memcpy(out + n + ANC_AGENT_FRAME_HEADER_SIZE, idr, sizeof(idr));
    n += ANC_AGENT_FRAME_HEADER_SIZE + sizeof(idr);
    CHECK_EQ(anc_agent_write_frame_header(out + n, 34333, false, false, sizeof(pframe)), 0);
    memcpy(out + n + ANC_AGENT_FRAME_HEADER_SIZE, pframe, sizeof(pframe));
    return n + ANC_AGENT_FRAME_HEADER_SIZE + sizeof(pframe);
}

struct seen {
    int ready, aus, keyframes, errors;
    char device[80];
    uint32_t w, h;
    uint8_t au[2][64];
    size_t au_len[2];
    uint64_t pts[2];
    int error;
};

static void record(struct seen *s, const struct anc_agent_client_event *ev)
{
    switch (ev->type) {
    case ANC_AGENT_CLIENT_EV_READY:
        s->ready++;
        snprintf(s->device, sizeof(s->device), "%s", ev->ready.device);
        CHECK_EQ(ev->ready.codec_id, ANC_AGENT_CODEC_H264);
        s->w = ev->ready.width;
        s->h = ev->ready.height;
        break;
    case ANC_AGENT_CLIENT_EV_AU:
        CHECK(s->aus < 2 && ev->au.len <= 64);
        memcpy(s->au[s->aus], ev->au.data, ev->au.len);
        s->au_len[s->aus] = ev->au.len;
        s->pts[s->aus] = ev->au.pts_us;
        s->keyframes += ev->au.keyframe;
        s->aus++;
        break;
    case ANC_AGENT_CLIENT_EV_ERROR:
        s->errors++;
        s->error = ev->error.code;
        CHECK(ev->error.why && *ev->error.why);
        break;
    default:
        break;
    }
}

static void feed_video(struct anc_agent_client *c, const uint8_t *b, size_t n, size_t step,
                       struct seen *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t off = 0; off < n;) {
        struct anc_agent_client_event ev;
        size_t chunk = n - off < step ? n - off : step;
        ssize_t used = anc_agent_client_feed_video(c, 0, b + off, chunk, &ev);
        if (used < 0)
            break;
        CHECK(used > 0 && (size_t)used <= chunk);
        off += (size_t)used;
        record(s, &ev);
    }
}

TEST(ready_then_keyframes_carry_the_config)
{
    uint8_t wire[512];
    size_t n = fake_server_video(wire, ANC_AGENT_CODEC_H264);
    for (size_t step = 1; step <= n; step = step == 1 ? n : n + 1) {
        struct anc_agent_client c;
        struct seen s;
        anc_agent_client_init(&c, 0, 4000000);
        CHECK_EQ(anc_agent_client_next_timeout(&c), ANC_AGENT_CLIENT_READY_US);
        feed_video(&c, wire, n, step, &s);
        CHECK_EQ(s.ready, 1);
        CHECK_STREQ(s.device, "redroid?x");
        CHECK_EQ(s.w, 720);
        CHECK_EQ(s.h, 1280);
        CHECK_EQ(s.aus, 2);
        CHECK_EQ(s.keyframes, 1);
        CHECK_EQ(s.au_len[0], sizeof(sps_pps) + sizeof(idr));
        CHECK(memcmp(s.au[0], sps_pps, sizeof(sps_pps)) == 0);
        CHECK(memcmp(s.au[0] + sizeof(sps_pps), idr, sizeof(idr)) == 0);
        CHECK_EQ(s.pts[0], 1000);
        CHECK_EQ(s.au_len[1], sizeof(pframe));
        CHECK(memcmp(s.au[1], pframe, sizeof(pframe)) == 0);
        CHECK_EQ(s.pts[1], 34333);
        CHECK_EQ(anc_agent_client_next_timeout(&c), UINT64_MAX);
        anc_agent_client_destroy(&c);
    }
}

TEST(disabled_error_and_foreign_codecs_end_the_connection)
{
    static const struct {
        uint32_t codec;
        int code;
    } cases[] = {{ANC_AGENT_CODEC_DISABLED, -ENODEV},
                 {ANC_AGENT_CODEC_ERROR, -EIO},
                 {ANC_AGENT_CODEC_H265, -EPROTONOSUPPORT}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t wire[512];
        size_t n = fake_server_video(wire, cases[i].codec);
        struct anc_agent_client c;
        struct seen s;
        anc_agent_client_init(&c, 0, 4000000);
        feed_video(&c, wire, n, n, &s);
        CHECK_EQ(s.ready, 0);
        CHECK_EQ(s.errors, 1);
        CHECK_EQ(s.error, cases[i].code);
        struct anc_agent_client_event ev;
        CHECK_EQ(anc_agent_client_feed_video(&c, 0, wire, 1, &ev), cases[i].code); /* sticky */
        CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_NONE);
        anc_agent_client_destroy(&c);
    }
}

TEST(malformed_stream_and_missing_header)
{
    struct anc_agent_client c;
    struct anc_agent_client_event ev;
    static const uint8_t bad_dummy[] = {0x07};
    anc_agent_client_init(&c, 100, 4000000);
    CHECK_EQ(anc_agent_client_feed_video(&c, 0, bad_dummy, 1, &ev), 1);
    CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_ERROR);
    CHECK_EQ(ev.error.code, -EBADMSG);
    anc_agent_client_destroy(&c);

    anc_agent_client_init(&c, 100, 4000000);
    CHECK(!anc_agent_client_timeout(&c, 99 + ANC_AGENT_CLIENT_READY_US, &ev));
    CHECK(anc_agent_client_timeout(&c, 100 + ANC_AGENT_CLIENT_READY_US, &ev));
    CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_ERROR);
    CHECK_EQ(ev.error.code, -ETIMEDOUT);
    CHECK_EQ(anc_agent_client_next_timeout(&c), UINT64_MAX);
    anc_agent_client_destroy(&c);
}

/* A client that saw the codec meta of 720x1280. */
static void ready_client(struct anc_agent_client *c)
{
    uint8_t wire[512];
    struct seen s;
    size_t n = fake_server_video(wire, ANC_AGENT_CODEC_H264);
    anc_agent_client_init(c, 0, 4000000);
    feed_video(c, wire, n, n, &s);
    CHECK_EQ(s.ready, 1);
}

static ssize_t input(struct anc_agent_client *c, struct anc_input_msg m, uint8_t *out)
{
    return anc_agent_client_input(c, &m, out, ANC_AGENT_CLIENT_INPUT_MAX);
}

static struct anc_input_msg touch(uint8_t action, uint8_t id, uint16_t x, uint16_t y)
{
    return (struct anc_input_msg){
        .type = ANC_INPUT_TOUCH,
        .touch = {.action = action, .pointer_id = id, .x = x, .y = y, .pressure = 0xffff}};
}

/* Browser pointer 3 down at the far corner → wire pointer 0 at (719,1279) on 720x1280. */
static const uint8_t touch_corner[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xcf, 0x00, 0x00,
    0x04, 0xff, 0x02, 0xd0, 0x05, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* Browser pointer 7 moving at the origin → wire pointer 1. */
static const uint8_t touch_move_origin[] = {
    0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0xd0, 0x05, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

TEST(touch_maps_pointers_and_scales_positions)
{
    struct anc_agent_client c;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
    anc_agent_client_init(&c, 0, 4000000);
    CHECK_EQ(input(&c, touch(ANC_INPUT_TOUCH_DOWN, 3, 0, 0), out), -EAGAIN); /* no size yet */
    anc_agent_client_destroy(&c);

    ready_client(&c);
    CHECK_BYTES(out, input(&c, touch(ANC_INPUT_TOUCH_DOWN, 3, 65535, 65535), out), touch_corner);
    CHECK_EQ(input(&c, touch(ANC_INPUT_TOUCH_DOWN, 7, 0, 0), out), 32);
    CHECK_EQ(out[9], 1); /* the second finger */
    CHECK_BYTES(out, input(&c, touch(ANC_INPUT_TOUCH_MOVE, 7, 0, 0), out), touch_move_origin);
    CHECK_EQ(input(&c, touch(ANC_INPUT_TOUCH_UP, 3, 0, 0), out), 32);
    CHECK_EQ(out[1], ANC_AMOTION_ACTION_UP);
    CHECK_EQ(out[9], 0);
    CHECK_EQ(input(&c, touch(ANC_INPUT_TOUCH_MOVE, 3, 0, 0), out), 0); /* not down: nothing */
    CHECK_EQ(input(&c, touch(ANC_INPUT_TOUCH_DOWN, 5, 32768, 0), out), 32);
    CHECK_EQ(out[9], 0); /* the lowest free id again */
    CHECK_EQ(anc_rd32(out + 10), 360);
    CHECK_EQ(input(&c, touch(ANC_INPUT_TOUCH_CANCEL, 7, 0, 0), out), 32);
    CHECK_EQ(out[1], ANC_AMOTION_ACTION_UP); /* a cancel ends the pointer on the agent too */
    CHECK_EQ(out[9], 1);
    anc_agent_client_destroy(&c);
}

/* x264's SPS of 1280x720 and a PPS: the config packet after the agent rotated its screen. */
static const uint8_t landscape_config[] = {0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x1f, 0xda,
                                           0x01, 0x40, 0x16, 0xe8, 0x40, 0x00, 0x00, 0x03, 0x00,
                                           0x40, 0x00, 0x00, 0x0c, 0x83, 0xc6, 0x0c, 0xa8, 0x00,
                                           0x00, 0x00, 0x01, 0x68, 0xce, 0x3c, 0x80};

static void feed_config(struct anc_agent_client *c, const uint8_t *config, size_t len)
{
    uint8_t wire[128];
    struct seen s;
    CHECK(len + ANC_AGENT_FRAME_HEADER_SIZE <= sizeof(wire));
    CHECK_EQ(anc_agent_write_frame_header(wire, 0, true, false, len), 0);
    memcpy(wire + ANC_AGENT_FRAME_HEADER_SIZE, config, len);
    feed_video(c, wire, ANC_AGENT_FRAME_HEADER_SIZE + len, 5, &s);
    CHECK_EQ(s.errors, 0);
}

/* scrcpy-server sends its codec meta once: after a rotation only the new SPS tells the size. */
TEST(a_new_sps_changes_the_touch_size)
{
    struct anc_agent_client c;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
    ready_client(&c);
    CHECK_EQ(c.width, 720); /* its SPS is cut short: the codec meta's size stays */
    feed_config(&c, landscape_config, sizeof(landscape_config));
    CHECK_EQ(c.width, 1280);
    CHECK_EQ(c.height, 720);
    CHECK_EQ(input(&c, touch(ANC_INPUT_TOUCH_DOWN, 0, 65535, 65535), out), 32);
    CHECK_EQ(anc_rd32(out + 10), 1279);
    CHECK_EQ(anc_rd32(out + 14), 719);
    CHECK_EQ(anc_rd16(out + 18), 1280);
    CHECK_EQ(anc_rd16(out + 20), 720);
    /* A config packet whose SPS does not parse keeps the last size. */
    feed_config(&c, sps_pps, sizeof(sps_pps));
    CHECK_EQ(c.width, 1280);
    CHECK_EQ(c.height, 720);
    anc_agent_client_destroy(&c);
}

/* KEY_A (30) down with Shift: AKEYCODE_A, repeat 0, then 1 when held, SHIFT_ON|SHIFT_LEFT_ON. */
static const uint8_t key_a_down[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41};
static const uint8_t key_a_repeat[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00,
                                       0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x41};
static const uint8_t key_a_up[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x1d, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static struct anc_input_msg key(uint8_t action, uint32_t code, uint32_t mods)
{
    return (struct anc_input_msg){.type = ANC_INPUT_KEY,
                                  .key = {.action = action, .keycode = code, .modifiers = mods}};
}

TEST(keys_through_the_keymap)
{
    struct anc_agent_client c;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
    anc_agent_client_init(&c, 0, 4000000); /* keys need no video size */
    CHECK_BYTES(out, input(&c, key(ANC_INPUT_KEY_DOWN, 30, ANC_INPUT_MOD_SHIFT), out), key_a_down);
    CHECK_BYTES(out, input(&c, key(ANC_INPUT_KEY_DOWN, 30, ANC_INPUT_MOD_SHIFT), out),
                key_a_repeat);
    CHECK_BYTES(out, input(&c, key(ANC_INPUT_KEY_UP, 30, 0), out), key_a_up);
    CHECK_EQ(input(&c, key(ANC_INPUT_KEY_DOWN, 183 /* KEY_F13 */, 0), out), 0);
    anc_agent_client_destroy(&c);
}

TEST(text_is_cut_into_300_byte_messages_between_characters)
{
    struct anc_agent_client c;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX], text[ANC_INPUT_TEXT_MAX];
    anc_agent_client_init(&c, 0, 4000000);
    /* 'a' then 2-byte 'é' (c3 a9) repeated: byte 300 would split the 150th 'é'. */
    text[0] = 'a';
    for (size_t i = 1; i + 1 < 700; i += 2) {
        text[i] = 0xc3;
        text[i + 1] = 0xa9;
    }
    struct anc_input_msg m = {.type = ANC_INPUT_TEXT, .text = {.utf8 = text, .len = 699}};
    ssize_t n = input(&c, m, out);
    CHECK_EQ(n, 3 * 5 + 699);
    CHECK_EQ(out[0], ANC_AGENT_CTRL_INJECT_TEXT);
    CHECK_EQ(anc_rd32(out + 1), 299);
    CHECK_EQ(out[5 + 299], ANC_AGENT_CTRL_INJECT_TEXT);
    CHECK_EQ(anc_rd32(out + 5 + 299 + 1), 300);
    CHECK_EQ(anc_rd32(out + 2 * 5 + 599 + 1), 100);
    /* The largest text fits the documented bound. */
    memset(text, 'x', sizeof(text));
    m.text.len = sizeof(text);
    CHECK(input(&c, m, out) > 0);
    CHECK_EQ(anc_agent_client_input(&c, &m, out, 100), -ENOBUFS);
    anc_agent_client_destroy(&c);
}

/* Wheel one notch down at the origin: vscroll −1/16 of the range (0xf800), no buttons. */
static const uint8_t scroll_down[] = {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x02, 0xd0, 0x05, 0x00, 0x00,
                                      0x00, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t back_press[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t rotate[] = {0x0b};
static const uint8_t reset_video[] = {0x11};
static const uint8_t clip_paste[] = {0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 'h',  'i'};

static struct anc_input_msg control(uint8_t op)
{
    return (struct anc_input_msg){.type = ANC_INPUT_CONTROL, .control = {.op = op}};
}

TEST(wheel_controls_clipboard_reset)
{
    struct anc_agent_client c;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
    ready_client(&c);
    struct anc_input_msg w = {.type = ANC_INPUT_SCROLL, .scroll = {.dy = ANC_INPUT_SCROLL_NOTCH}};
    CHECK_BYTES(out, input(&c, w, out), scroll_down);
    CHECK_BYTES(out, input(&c, control(ANC_INPUT_CTL_BACK), out), back_press);
    CHECK_BYTES(out, input(&c, control(ANC_INPUT_CTL_ROTATE), out), rotate);
    CHECK_EQ(input(&c, control(ANC_INPUT_CTL_HOME), out), 28);
    CHECK_EQ(anc_rd32(out + 2), ANC_AKEYCODE_HOME);
    CHECK_EQ(input(&c, control(ANC_INPUT_CTL_APP_SWITCH), out), 28);
    CHECK_EQ(anc_rd32(out + 16), ANC_AKEYCODE_APP_SWITCH);
    CHECK_EQ(input(&c, control(ANC_INPUT_CTL_KEYFRAME), out), 0);
    CHECK_EQ(input(&c, control(99), out), -EPROTONOSUPPORT);
    CHECK_EQ(input(&c, (struct anc_input_msg){.type = 42}, out), -EPROTONOSUPPORT);
    CHECK_BYTES(out, anc_agent_client_reset_video(out, sizeof(out)), reset_video);
    CHECK_BYTES(out,
                anc_agent_client_set_clipboard((const uint8_t *)"hi", 2, true, out, sizeof(out)),
                clip_paste);
    anc_agent_client_destroy(&c);
}

/* POWER (26) pressed and released: INJECT_KEYCODE down then up, repeat 0, no meta. */
static const uint8_t power_press[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1a,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
/* SET_CLIPBOARD sequence 1, paste, "hé"; then sequence 2, no paste, empty. */
static const uint8_t set_clip_1[] = {0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                                     0x01, 0x00, 0x00, 0x00, 0x03, 'h',  0xc3, 0xa9};
static const uint8_t set_clip_2[] = {0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00};

TEST(phone_buttons_are_key_presses)
{
    static const struct {
        uint8_t op;
        int32_t code;
    } buttons[] = {
        {ANC_INPUT_CTL_BACK, ANC_AKEYCODE_BACK},
        {ANC_INPUT_CTL_HOME, ANC_AKEYCODE_HOME},
        {ANC_INPUT_CTL_APP_SWITCH, ANC_AKEYCODE_APP_SWITCH},
        {ANC_INPUT_CTL_POWER, ANC_AKEYCODE_POWER},
        {ANC_INPUT_CTL_MENU, ANC_AKEYCODE_MENU},
        {ANC_INPUT_CTL_VOLUME_UP, ANC_AKEYCODE_VOLUME_UP},
        {ANC_INPUT_CTL_VOLUME_DOWN, ANC_AKEYCODE_VOLUME_DOWN},
    };
    struct anc_agent_client c;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
    anc_agent_client_init(&c, 0, 4000000); /* buttons need no video size */
    CHECK_BYTES(out, input(&c, control(ANC_INPUT_CTL_POWER), out), power_press);
    for (size_t i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++) {
        CHECK_EQ(input(&c, control(buttons[i].op), out), 28);
        CHECK_EQ(out[0], ANC_AGENT_CTRL_INJECT_KEYCODE);
        CHECK_EQ(out[1], ANC_AKEY_ACTION_DOWN);
        CHECK_EQ(anc_rd32(out + 2), (uint32_t)buttons[i].code);
        CHECK_EQ(out[15], ANC_AKEY_ACTION_UP);
        CHECK_EQ(anc_rd32(out + 16), (uint32_t)buttons[i].code);
    }
    CHECK_EQ(
        anc_agent_client_input(
            &c, &(struct anc_input_msg){.type = ANC_INPUT_CONTROL, .control = {.op = 6}}, out, 27),
        -ENOBUFS);
    anc_agent_client_destroy(&c);
}

TEST(page_clipboard_is_set_clipboard_with_a_sequence)
{
    struct anc_agent_client c;
    struct anc_agent_client_event ev;
    uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
    anc_agent_client_init(&c, 0, 4000000);
    struct anc_input_msg m = {
        .type = ANC_INPUT_CLIPBOARD,
        .clipboard = {.flags = ANC_INPUT_CLIPBOARD_PASTE, .utf8 = set_clip_1 + 14, .len = 3}};
    CHECK_BYTES(out, input(&c, m, out), set_clip_1);
    m.clipboard = (struct anc_input_clipboard){.flags = 0xfe}; /* reserved bits: no paste */
    CHECK_BYTES(out, input(&c, m, out), set_clip_2);
    CHECK_EQ(c.clipboard_seq, 2);
    /* Too small a buffer sends nothing and uses no sequence number. */
    CHECK_EQ(anc_agent_client_input(&c, &m, out, 13), -ENOBUFS);
    CHECK_EQ(c.clipboard_seq, 2);
    /* The largest clipboard message fits the documented bound. */
    static uint8_t big[ANC_INPUT_CLIPBOARD_MAX];
    memset(big, 'x', sizeof(big));
    m.clipboard = (struct anc_input_clipboard){.utf8 = big, .len = sizeof(big)};
    CHECK_EQ(input(&c, m, out), ANC_AGENT_CLIENT_INPUT_MAX);
    /* The agent acknowledges sequence 2. */
    uint8_t wire[16];
    struct anc_agent_devmsg ack = {.type = ANC_AGENT_DEVMSG_ACK_CLIPBOARD,
                                   .ack_clipboard = {.sequence = 2}};
    ssize_t n = anc_agent_devmsg_serialize(&ack, wire, sizeof(wire));
    CHECK_EQ(anc_agent_client_feed_control(&c, 0, wire, (size_t)n, &ev), n);
    CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_NONE);
    CHECK_EQ(c.clipboard_acked, 2);
    anc_agent_client_destroy(&c);
}

TEST(device_clipboard_is_an_event)
{
    struct anc_agent_client c;
    struct anc_agent_client_event ev;
    uint8_t wire[64];
    anc_agent_client_init(&c, 0, 4000000);
    struct anc_agent_devmsg ack = {.type = ANC_AGENT_DEVMSG_ACK_CLIPBOARD};
    ssize_t n = anc_agent_devmsg_serialize(&ack, wire, sizeof(wire));
    CHECK_EQ(anc_agent_client_feed_control(&c, 0, wire, (size_t)n, &ev), n);
    CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_NONE);
    struct anc_agent_devmsg clip = {.type = ANC_AGENT_DEVMSG_CLIPBOARD,
                                    .clipboard = {.utf8 = (const uint8_t *)"héllo", .len = 6}};
    n = anc_agent_devmsg_serialize(&clip, wire, sizeof(wire));
    CHECK(n > 6);
    for (ssize_t i = 0; i < n - 1; i++) { /* a byte at a time */
        CHECK_EQ(anc_agent_client_feed_control(&c, 0, wire + i, 1, &ev), 1);
        CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_NONE);
    }
    CHECK_EQ(anc_agent_client_feed_control(&c, 0, wire + n - 1, 1, &ev), 1);
    CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_CLIPBOARD);
    CHECK_EQ(ev.clipboard.len, 6);
    CHECK(memcmp(ev.clipboard.utf8, "héllo", 6) == 0);
    static const uint8_t unknown[] = {0x7f};
    CHECK_EQ(anc_agent_client_feed_control(&c, 0, unknown, 1, &ev), 1);
    CHECK_EQ(ev.type, ANC_AGENT_CLIENT_EV_ERROR);
    anc_agent_client_destroy(&c);
}

#define S UINT64_C(1000000)

/* Delivers bytes of P frames (in packets of at most 60 KB) to a client that is ready. */
static void send_frames(struct anc_agent_client *c, size_t bytes)
{
    static uint8_t wire[ANC_AGENT_FRAME_HEADER_SIZE + 60000];
    while (bytes > 0) {
        size_t n = bytes < 60000 ? bytes : 60000;
        CHECK_EQ(anc_agent_write_frame_header(wire, 1, false, false, n), 0);
        memset(wire + ANC_AGENT_FRAME_HEADER_SIZE, 0, n);
        memcpy(wire + ANC_AGENT_FRAME_HEADER_SIZE, pframe, sizeof(pframe));
        size_t off = 0, total = ANC_AGENT_FRAME_HEADER_SIZE + n;
        while (off < total) {
            struct anc_agent_client_event ev;
            ssize_t used = anc_agent_client_feed_video(c, 0, wire + off, total - off, &ev);
            CHECK(used > 0);
            off += (size_t)used;
        }
        bytes -= n;
    }
}

TEST(bitrate_restarts_only_after_a_sustained_gap)
{
    struct anc_agent_client c;
    ready_client(&c);
    CHECK_EQ(anc_agent_client_estimate(&c, 0, 3000000), 0); /* within 2x */
    CHECK_EQ(anc_agent_client_estimate(&c, 1 * S, 1500000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 3 * S, 1800000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 5 * S, 2500000), 0); /* back within 2x: start over */
    CHECK_EQ(anc_agent_client_estimate(&c, 6 * S, 1000000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 8 * S, 1900000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 10 * S, 1200000), 0);
    /* 5 s below half while sending 2.4 Mbit/s (more than the link takes): restart at the
     * estimate nearest the current rate seen meanwhile. */
    send_frames(&c, 1500000);
    CHECK_EQ(anc_agent_client_estimate(&c, 11 * S, 1100000), 1900000);
    CHECK_EQ(anc_agent_client_estimate(&c, 12 * S, 1100000), 0); /* not again at once */
    anc_agent_client_destroy(&c);

    anc_agent_client_init(&c, 0, 1000000);
    CHECK_EQ(anc_agent_client_estimate(&c, 0, 9000000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 2 * S, 500000), 0); /* the other side: start over */
    CHECK_EQ(anc_agent_client_estimate(&c, 3 * S, 9000000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 6 * S, 2500000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 8 * S, 8000000), 2500000);
    anc_agent_client_destroy(&c);
}

/* A static screen sends far less than the estimate: a low estimate then says nothing about the
 * link, and the agent is not restarted (it was, every few seconds, before). */
TEST(a_low_estimate_of_an_idle_stream_restarts_nothing)
{
    struct anc_agent_client c;
    ready_client(&c);
    CHECK_EQ(anc_agent_client_estimate(&c, 0, 370000), 0);
    send_frames(&c, 50000); /* 80 kbit/s over 5 s */
    CHECK_EQ(anc_agent_client_estimate(&c, 5 * S, 370000), 0);
    CHECK_EQ(anc_agent_client_estimate(&c, 10 * S, 370000), 0);
    anc_agent_client_destroy(&c);
}
