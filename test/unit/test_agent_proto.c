/* scrcpy-server 3.3.3 protocol against literal bytes: control messages, the video stream (fed
 * whole and a byte at a time), device messages, bounds and sticky errors. */
#include <errno.h>
#include <stdlib.h>

#include "agent/proto.h"
#include "test.h"

#define CHECK_BYTES(buf, n, lit)                                                                   \
    do {                                                                                           \
        CHECK_EQ((n), sizeof(lit));                                                                \
        CHECK(memcmp((buf), (lit), sizeof(lit)) == 0);                                             \
    } while (0)

/* ANDROID-NOTES' example: touch down, pointer 3, (100,200) on 720x1280, pressure 1. */
static const uint8_t touch_down[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00,
    0x00, 0xc8, 0x02, 0xd0, 0x05, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Key down, AKEYCODE_A (29), repeat 0, meta SHIFT_ON|SHIFT_LEFT_ON. */
static const uint8_t key_a[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41};

/* Set clipboard, sequence 0x0102030405060708, paste, "hi". */
static const uint8_t set_clip[] = {0x09, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                   0x08, 0x01, 0x00, 0x00, 0x00, 0x02, 'h',  'i'};

/* Scroll at (10,20) on 720x1280, vscroll -1 notch (−1/16 of the range), buttons 0. */
static const uint8_t scroll_up[] = {0x03, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00,
                                    0x00, 0x14, 0x02, 0xd0, 0x05, 0x00, 0x00,
                                    0x00, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00};

TEST(touch_matches_android_notes)
{
    uint8_t buf[64];
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_TOUCH_EVENT,
                               .touch = {.action = ANC_AMOTION_ACTION_DOWN,
                                         .pointer_id = 3,
                                         .x = 100,
                                         .y = 200,
                                         .width = 720,
                                         .height = 1280,
                                         .pressure = anc_agent_u16fp(1.0f)}};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), touch_down);
    CHECK_EQ(anc_agent_ctrl_serialize(&m, buf, sizeof(touch_down) - 1), -ENOBUFS);
}

TEST(keycode_clipboard_scroll_literals)
{
    uint8_t buf[64];
    struct anc_agent_ctrl k = {.type = ANC_AGENT_CTRL_INJECT_KEYCODE,
                               .key = {.action = ANC_AKEY_ACTION_DOWN,
                                       .keycode = 29,
                                       .metastate = ANC_AMETA_SHIFT_ON | ANC_AMETA_SHIFT_LEFT_ON}};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&k, buf, sizeof(buf)), key_a);

    struct anc_agent_ctrl c = {.type = ANC_AGENT_CTRL_SET_CLIPBOARD,
                               .set_clipboard = {.sequence = 0x0102030405060708ull,
                                                 .paste = true,
                                                 .utf8 = (const uint8_t *)"hi",
                                                 .len = 2}};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&c, buf, sizeof(buf)), set_clip);

    struct anc_agent_ctrl s = {
        .type = ANC_AGENT_CTRL_INJECT_SCROLL_EVENT,
        .scroll = {
            .x = 10, .y = 20, .width = 720, .height = 1280, .vscroll = anc_agent_scroll_fp(-1.0f)}};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&s, buf, sizeof(buf)), scroll_up);
}

TEST(short_messages)
{
    static const uint8_t reset[] = {0x11}, rotate[] = {0x0b}, back_down[] = {0x04, 0x00};
    static const uint8_t text[] = {0x01, 0x00, 0x00, 0x00, 0x03, 0xe6, 0x97, 0xa5};
    static const uint8_t power_off[] = {0x0a, 0x00}, get_clip[] = {0x08, 0x02};
    static const uint8_t uhid_destroy[] = {0x0e, 0x00, 0x02}, start_app[] = {0x10, 0x01, 'x'};
    uint8_t buf[16];
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_RESET_VIDEO};

    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), reset);
    m.type = ANC_AGENT_CTRL_ROTATE_DEVICE;
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), rotate);
    m = (struct anc_agent_ctrl){.type = ANC_AGENT_CTRL_BACK_OR_SCREEN_ON,
                                .back_or_screen_on.action = ANC_AKEY_ACTION_DOWN};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), back_down);
    m = (struct anc_agent_ctrl){.type = ANC_AGENT_CTRL_INJECT_TEXT,
                                .text = {.utf8 = (const uint8_t *)"\xe6\x97\xa5", .len = 3}};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), text);
    m = (struct anc_agent_ctrl){.type = ANC_AGENT_CTRL_SET_DISPLAY_POWER};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), power_off);
    m = (struct anc_agent_ctrl){.type = ANC_AGENT_CTRL_GET_CLIPBOARD,
                                .get_clipboard.copy_key = ANC_AGENT_COPY_KEY_CUT};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), get_clip);
    m = (struct anc_agent_ctrl){.type = ANC_AGENT_CTRL_UHID_DESTROY, .uhid_destroy.id = 2};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), uhid_destroy);
    m = (struct anc_agent_ctrl){.type = ANC_AGENT_CTRL_START_APP,
                                .start_app = {.name = (const uint8_t *)"x", .len = 1}};
    CHECK_BYTES(buf, anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), start_app);
}

TEST(bounds)
{
    static uint8_t big[ANC_AGENT_TEXT_MAX + 1];
    uint8_t buf[512];
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_TEXT,
                               .text = {.utf8 = big, .len = ANC_AGENT_TEXT_MAX}};

    CHECK_EQ(anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), 5 + ANC_AGENT_TEXT_MAX);
    m.text.len++;
    CHECK_EQ(anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), -EMSGSIZE);
    m.type = (enum anc_agent_ctrl_type)18;
    CHECK_EQ(anc_agent_ctrl_serialize(&m, buf, sizeof(buf)), -EINVAL);
    m = (struct anc_agent_ctrl){.type = ANC_AGENT_CTRL_SET_CLIPBOARD,
                                .set_clipboard.len = ANC_AGENT_CLIPBOARD_MAX + 1};
    CHECK_EQ(anc_agent_ctrl_size(&m), -EMSGSIZE);
    m.set_clipboard.len--;
    CHECK_EQ(anc_agent_ctrl_size(&m), ANC_AGENT_MSG_MAX);
}

TEST(fixed_point)
{
    CHECK_EQ(anc_agent_u16fp(1.0f), 0xffff);
    CHECK_EQ(anc_agent_u16fp(0.5f), 0x8000);
    CHECK_EQ(anc_agent_u16fp(0.0f), 0);
    CHECK_EQ(anc_agent_u16fp(2.0f), 0xffff);
    CHECK_EQ(anc_agent_u16fp(-1.0f), 0);
    CHECK_EQ(anc_agent_scroll_fp(16.0f), 0x7fff);
    CHECK_EQ(anc_agent_scroll_fp(-16.0f), -0x8000);
    CHECK_EQ(anc_agent_scroll_fp(1.0f), 0x0800);
    CHECK_EQ(anc_agent_scroll_fp(100.0f), 0x7fff);
}

TEST(utf8_chunk)
{
    /* "a日本" = 61 e6 97 a5 e6 9c ac: a cut at 3 or 4 would split 日. */
    const uint8_t *s = (const uint8_t *)"a\xe6\x97\xa5\xe6\x9c\xac";
    CHECK_EQ(anc_agent_utf8_chunk(s, 7, 100), 7);
    CHECK_EQ(anc_agent_utf8_chunk(s, 7, 3), 1);
    CHECK_EQ(anc_agent_utf8_chunk(s, 7, 4), 4);
    CHECK_EQ(anc_agent_utf8_chunk(s, 7, 6), 4);
    CHECK_EQ(anc_agent_utf8_chunk(s, 7, 1), 1);
    /* Nothing but continuation bytes: cut anyway rather than loop forever. */
    CHECK_EQ(anc_agent_utf8_chunk((const uint8_t *)"\x80\x80\x80\x80\x80", 5, 4), 4);
}

/* ---- Video stream ---- */

static uint8_t stream[1 + 64 + 12 + 12 + 4 + 12 + 3 + 12 + 0];
static size_t stream_len;

/* dummy, "redroid", h264 720x1280, config [00 00 00 01], keyframe pts 33333 [65 88 84], a
 * non-key packet pts 66666 with no payload. */
static void build_stream(void)
{
    static const uint8_t head[] = {
        0x68, 0x32, 0x36, 0x34, 0x00, 0x00, 0x02, 0xd0, 0x00, 0x00, 0x05, 0x00, 0x80, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
        0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x82, 0x35, 0x00, 0x00, 0x00, 0x03, 0x65, 0x88,
        0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x04, 0x6a, 0x00, 0x00, 0x00, 0x00};
    memset(stream, 0, sizeof(stream));
    memcpy(stream + 1, "redroid", 7);
    memcpy(stream + 65, head, sizeof(head));
    stream_len = 65 + sizeof(head);
    CHECK_EQ(stream_len, sizeof(stream));
}

struct seen {
    int n;
    enum anc_agent_stream_event_type type[8];
    uint64_t pts[8];
    bool config[8], key[8];
    uint8_t data[8][8];
    size_t len[8];
    bool in_place[8];
};

static void feed_all(struct anc_agent_stream *s, const uint8_t *buf, size_t len, size_t step,
                     struct seen *seen)
{
    size_t off = 0;
    while (off < len) {
        struct anc_agent_stream_event ev;
        size_t n = len - off < step ? len - off : step;
        ssize_t used = anc_agent_stream_feed(s, buf + off, n, &ev);
        CHECK(used > 0);
        if (ev.type == ANC_AGENT_EV_DEVICE)
            CHECK_STREQ(ev.device.name, "redroid");
        if (ev.type == ANC_AGENT_EV_CODEC) {
            CHECK_EQ(ev.codec.codec_id, ANC_AGENT_CODEC_H264);
            CHECK_EQ(ev.codec.width, 720);
            CHECK_EQ(ev.codec.height, 1280);
        }
        if (ev.type == ANC_AGENT_EV_PACKET) {
            int i = seen->n;
            seen->pts[i] = ev.packet.pts;
            seen->config[i] = ev.packet.config;
            seen->key[i] = ev.packet.keyframe;
            seen->len[i] = ev.packet.len;
            if (ev.packet.len)
                memcpy(seen->data[i], ev.packet.data, ev.packet.len);
            seen->in_place[i] = ev.packet.data >= buf && ev.packet.data < buf + len;
        }
        if (ev.type != ANC_AGENT_EV_NONE)
            seen->type[seen->n++] = ev.type;
        off += (size_t)used;
    }
}

static void check_seen(const struct seen *s, bool in_place)
{
    CHECK_EQ(s->n, 6);
    CHECK_EQ(s->type[0], ANC_AGENT_EV_DUMMY);
    CHECK_EQ(s->type[1], ANC_AGENT_EV_DEVICE);
    CHECK_EQ(s->type[2], ANC_AGENT_EV_CODEC);
    CHECK_EQ(s->type[3], ANC_AGENT_EV_PACKET);
    CHECK(s->config[3] && !s->key[3] && s->pts[3] == 0 && s->len[3] == 4);
    CHECK(memcmp(s->data[3], "\x00\x00\x00\x01", 4) == 0);
    CHECK(!s->config[4] && s->key[4] && s->pts[4] == 33333 && s->len[4] == 3);
    CHECK(memcmp(s->data[4], "\x65\x88\x84", 3) == 0);
    CHECK(!s->config[5] && !s->key[5] && s->pts[5] == 66666 && s->len[5] == 0);
    CHECK_EQ(s->in_place[3], in_place);
    CHECK_EQ(s->in_place[4], in_place);
}

TEST(stream_whole_and_bytewise)
{
    build_stream();
    for (size_t step = 1; step <= stream_len; step++) {
        struct anc_agent_stream s;
        struct seen seen = {0};
        anc_agent_stream_init(&s, ANC_AGENT_STREAM_DUMMY_BYTE | ANC_AGENT_STREAM_DEVICE_META, 0);
        feed_all(&s, stream, stream_len, step, &seen);
        /* Zero copy when fed whole; byte by byte every packet is reassembled. */
        if (step == 1 || step == stream_len)
            check_seen(&seen, step == stream_len);
        else
            CHECK_EQ(seen.n, 6);
        anc_agent_stream_destroy(&s);
    }
}

TEST(stream_without_prelude)
{
    struct anc_agent_stream s;
    struct seen seen = {0};
    build_stream();
    anc_agent_stream_init(&s, 0, 0);
    feed_all(&s, stream + 65, stream_len - 65, stream_len, &seen);
    CHECK_EQ(seen.n, 4);
    CHECK_EQ(seen.type[0], ANC_AGENT_EV_CODEC);
    anc_agent_stream_destroy(&s);
    anc_agent_stream_destroy(NULL);
}

static ssize_t feed_once(unsigned flags, size_t max, const uint8_t *b, size_t n,
                         struct anc_agent_stream *s)
{
    struct anc_agent_stream_event ev;
    ssize_t r = 0;
    anc_agent_stream_init(s, flags, max);
    for (size_t off = 0; off < n; off += (size_t)r) {
        r = anc_agent_stream_feed(s, b + off, n - off, &ev);
        if (r < 0)
            return r;
    }
    return r;
}

TEST(stream_errors_are_sticky)
{
    struct anc_agent_stream s;
    struct anc_agent_stream_event ev;
    static const uint8_t not_dummy[] = {0x01};
    static const uint8_t too_big[] = {0x68, 0x32, 0x36, 0x34, 0, 0, 0, 16, 0, 0, 0,    16,
                                      0,    0,    0,    0,    0, 0, 0, 0,  0, 0, 0x10, 0x01};
    static const uint8_t both_flags[] = {0x68, 0x32, 0x36, 0x34, 0, 0, 0, 16, 0, 0, 0, 16,
                                         0xc0, 0,    0,    0,    0, 0, 0, 0,  0, 0, 0, 0};
    static const uint8_t zero_width[] = {0x68, 0x32, 0x36, 0x34, 0, 0, 0, 0, 0, 0, 0, 16};

    CHECK_EQ(feed_once(ANC_AGENT_STREAM_DUMMY_BYTE, 0, not_dummy, 1, &s), -EBADMSG);
    CHECK_EQ(anc_agent_stream_feed(&s, (const uint8_t *)"", 1, &ev), -EBADMSG);
    anc_agent_stream_destroy(&s);

    CHECK_EQ(feed_once(0, 256, too_big, sizeof(too_big), &s), -EMSGSIZE);
    CHECK_EQ(anc_agent_stream_feed(&s, too_big, 1, &ev), -EMSGSIZE);
    CHECK_EQ(ev.type, ANC_AGENT_EV_NONE);
    anc_agent_stream_destroy(&s);
    /* 0x100001 bytes pass with a larger bound, and the 16 MiB default bound. */
    CHECK(feed_once(0, 0x100001, too_big, sizeof(too_big), &s) > 0);
    anc_agent_stream_destroy(&s);
    CHECK(feed_once(0, 0, too_big, sizeof(too_big), &s) > 0);
    anc_agent_stream_destroy(&s);

    CHECK_EQ(feed_once(0, 0, both_flags, sizeof(both_flags), &s), -EBADMSG);
    anc_agent_stream_destroy(&s);
    CHECK_EQ(feed_once(0, 0, zero_width, sizeof(zero_width), &s), -EBADMSG);
    anc_agent_stream_destroy(&s);
}

TEST(stream_disabled)
{
    struct anc_agent_stream s;
    struct anc_agent_stream_event ev;
    static const uint8_t disabled[] = {0, 0, 0, 0, 0xff};

    anc_agent_stream_init(&s, 0, 0);
    CHECK_EQ(anc_agent_stream_feed(&s, disabled, sizeof(disabled), &ev), 4);
    CHECK_EQ(ev.type, ANC_AGENT_EV_CODEC);
    CHECK_EQ(ev.codec.codec_id, ANC_AGENT_CODEC_DISABLED);
    CHECK_EQ(anc_agent_stream_feed(&s, disabled + 4, 1, &ev), -EBADMSG);
    anc_agent_stream_destroy(&s);
}

TEST(stream_writer)
{
    uint8_t out[256];
    size_t n = 0;

    build_stream();
    out[n++] = ANC_AGENT_DUMMY_BYTE;
    anc_agent_write_device_meta(out + n, "redroid");
    n += ANC_AGENT_DEVICE_NAME_SIZE;
    anc_agent_write_codec_meta(out + n, ANC_AGENT_CODEC_H264, 720, 1280);
    n += ANC_AGENT_CODEC_META_SIZE;
    CHECK_EQ(anc_agent_write_frame_header(out + n, 12345, true, false, 4), 0);
    memcpy(out + n + 12, "\x00\x00\x00\x01", 4);
    n += 16;
    CHECK_EQ(anc_agent_write_frame_header(out + n, 33333, false, true, 3), 0);
    memcpy(out + n + 12, "\x65\x88\x84", 3);
    n += 15;
    CHECK_EQ(anc_agent_write_frame_header(out + n, 66666, false, false, 0), 0);
    n += 12;
    CHECK_EQ(n, stream_len);
    CHECK(memcmp(out, stream, n) == 0);

    CHECK_EQ(anc_agent_write_frame_header(out, ANC_AGENT_FLAG_KEYFRAME, false, false, 0), -EINVAL);
    anc_agent_write_disable(out, true);
    CHECK(memcmp(out, "\x00\x00\x00\x01", 4) == 0);
}

TEST(device_meta_cut_on_utf8_boundary)
{
    uint8_t out[ANC_AGENT_DEVICE_NAME_SIZE];
    char name[80];

    /* 62 ASCII bytes then "é" (2 bytes) would end at byte 64: it must go whole. */
    memset(name, 'n', 62);
    strcpy(name + 62, "\xc3\xa9");
    anc_agent_write_device_meta(out, name);
    CHECK(memcmp(out, name, 62) == 0);
    CHECK_EQ(out[62], 0);
    CHECK_EQ(out[63], 0);
}

/* ---- Control message parser (server side) ---- */

TEST(ctrl_parser_bytewise)
{
    uint8_t all[128];
    size_t n = 0;
    memcpy(all + n, touch_down, sizeof(touch_down)), n += sizeof(touch_down);
    memcpy(all + n, key_a, sizeof(key_a)), n += sizeof(key_a);
    all[n++] = ANC_AGENT_CTRL_RESET_VIDEO;
    memcpy(all + n, set_clip, sizeof(set_clip)), n += sizeof(set_clip);

    for (size_t step = 1; step <= n; step++) {
        struct anc_agent_ctrl_parser p;
        struct anc_agent_ctrl got[4];
        int count = 0;
        anc_agent_ctrl_parser_init(&p);
        for (size_t off = 0; off < n;) {
            struct anc_agent_ctrl m;
            ssize_t used =
                anc_agent_ctrl_parser_feed(&p, all + off, n - off < step ? n - off : step, &m);
            CHECK(used > 0);
            off += (size_t)used;
            if (m.type == ANC_AGENT_CTRL_NONE)
                continue;
            CHECK(count < 4);
            got[count] = m;
            /* Check borrowed text now: it is valid only until the next feed. */
            if (m.type == ANC_AGENT_CTRL_SET_CLIPBOARD)
                CHECK(m.set_clipboard.len == 2 && memcmp(m.set_clipboard.utf8, "hi", 2) == 0);
            count++;
        }
        CHECK_EQ(count, 4);
        CHECK_EQ(got[0].type, ANC_AGENT_CTRL_INJECT_TOUCH_EVENT);
        CHECK_EQ(got[0].touch.pointer_id, 3);
        CHECK_EQ(got[0].touch.x, 100);
        CHECK_EQ(got[0].touch.height, 1280);
        CHECK_EQ(got[0].touch.pressure, 0xffff);
        CHECK_EQ(got[1].type, ANC_AGENT_CTRL_INJECT_KEYCODE);
        CHECK_EQ(got[1].key.keycode, 29);
        CHECK_EQ(got[1].key.metastate, 0x41);
        CHECK_EQ(got[2].type, ANC_AGENT_CTRL_RESET_VIDEO);
        CHECK_EQ(got[3].type, ANC_AGENT_CTRL_SET_CLIPBOARD);
        CHECK(got[3].set_clipboard.paste);
        CHECK_EQ(got[3].set_clipboard.sequence, 0x0102030405060708ull);
        anc_agent_ctrl_parser_destroy(&p);
    }
}

TEST(ctrl_parser_errors)
{
    struct anc_agent_ctrl_parser p;
    struct anc_agent_ctrl m;
    static const uint8_t unknown[] = {0x12};
    static const uint8_t long_text[] = {0x01, 0x00, 0x00, 0x01, 0x2d}; /* 301 bytes */
    static const uint8_t max_text[] = {0x01, 0x00, 0x00, 0x01, 0x2c};  /* 300 bytes */

    anc_agent_ctrl_parser_init(&p);
    CHECK_EQ(anc_agent_ctrl_parser_feed(&p, unknown, 1, &m), -EPROTONOSUPPORT);
    CHECK_EQ(anc_agent_ctrl_parser_feed(&p, key_a, sizeof(key_a), &m), -EPROTONOSUPPORT);
    CHECK_EQ(m.type, ANC_AGENT_CTRL_NONE);
    anc_agent_ctrl_parser_destroy(&p);

    anc_agent_ctrl_parser_init(&p);
    CHECK_EQ(anc_agent_ctrl_parser_feed(&p, max_text, sizeof(max_text), &m), 5);
    CHECK_EQ(m.type, ANC_AGENT_CTRL_NONE);
    anc_agent_ctrl_parser_destroy(&p);

    anc_agent_ctrl_parser_init(&p);
    CHECK_EQ(anc_agent_ctrl_parser_feed(&p, long_text, 3, &m), 3);
    CHECK_EQ(anc_agent_ctrl_parser_feed(&p, long_text + 3, 2, &m), -EMSGSIZE);
    anc_agent_ctrl_parser_destroy(&p);
    anc_agent_ctrl_parser_destroy(NULL);
}

/* ---- Device messages ---- */

TEST(device_messages)
{
    static const uint8_t clip[] = {0x00, 0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c'};
    static const uint8_t ack[] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0x2a};
    static const uint8_t uhid[] = {0x02, 0x00, 0x01, 0x00, 0x02, 0xaa, 0xbb};
    uint8_t buf[32], all[32];
    size_t n = 0;

    struct anc_agent_devmsg m = {.type = ANC_AGENT_DEVMSG_CLIPBOARD,
                                 .clipboard = {.utf8 = (const uint8_t *)"abc", .len = 3}};
    CHECK_BYTES(buf, anc_agent_devmsg_serialize(&m, buf, sizeof(buf)), clip);
    m = (struct anc_agent_devmsg){.type = ANC_AGENT_DEVMSG_ACK_CLIPBOARD,
                                  .ack_clipboard.sequence = 42};
    CHECK_BYTES(buf, anc_agent_devmsg_serialize(&m, buf, sizeof(buf)), ack);
    m = (struct anc_agent_devmsg){.type = ANC_AGENT_DEVMSG_UHID_OUTPUT,
                                  .uhid_output = {.id = 1, .data = uhid + 5, .len = 2}};
    CHECK_BYTES(buf, anc_agent_devmsg_serialize(&m, buf, sizeof(buf)), uhid);
    CHECK_EQ(anc_agent_devmsg_serialize(&m, buf, 6), -ENOBUFS);

    memcpy(all, clip, sizeof(clip)), n += sizeof(clip);
    memcpy(all + n, uhid, sizeof(uhid)), n += sizeof(uhid);
    memcpy(all + n, ack, sizeof(ack)), n += sizeof(ack);
    struct anc_agent_devmsg_parser p;
    int count = 0;
    anc_agent_devmsg_parser_init(&p);
    for (size_t off = 0; off < n;) {
        ssize_t used = anc_agent_devmsg_parser_feed(&p, all + off, 1, &m);
        CHECK_EQ(used, 1);
        off++;
        if (m.type == ANC_AGENT_DEVMSG_CLIPBOARD)
            CHECK(m.clipboard.len == 3 && memcmp(m.clipboard.utf8, "abc", 3) == 0);
        if (m.type == ANC_AGENT_DEVMSG_UHID_OUTPUT)
            CHECK(m.uhid_output.id == 1 && m.uhid_output.len == 2 && m.uhid_output.data[1] == 0xbb);
        if (m.type == ANC_AGENT_DEVMSG_ACK_CLIPBOARD)
            CHECK_EQ(m.ack_clipboard.sequence, 42);
        count += m.type != ANC_AGENT_DEVMSG_NONE;
    }
    CHECK_EQ(count, 3);
    CHECK_EQ(anc_agent_devmsg_parser_feed(&p, (const uint8_t *)"\x03", 1, &m), -EPROTONOSUPPORT);
    CHECK_EQ(anc_agent_devmsg_parser_feed(&p, ack, sizeof(ack), &m), -EPROTONOSUPPORT);
    anc_agent_devmsg_parser_destroy(&p);

    /* A clipboard above 256 KiB − 5 is refused from its header alone. */
    static const uint8_t huge[] = {0x00, 0x00, 0x04, 0x00, 0x00};
    anc_agent_devmsg_parser_init(&p);
    CHECK_EQ(anc_agent_devmsg_parser_feed(&p, huge, sizeof(huge), &m), -EMSGSIZE);
    anc_agent_devmsg_parser_destroy(&p);
}
