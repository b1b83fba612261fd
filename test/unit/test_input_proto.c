/* Input protocol v1 codec against literal bytes (docs/input-protocol.md). */
#include <errno.h>

#include "input/proto.h"
#include "test.h"

#define CHECK_BYTES(buf, n, lit)                                                                   \
    do {                                                                                           \
        CHECK_EQ((n), sizeof(lit));                                                                \
        CHECK(memcmp((buf), (lit), sizeof(lit)) == 0);                                             \
    } while (0)

/* touch down, pointer 0, x 0x4000 (0.25), y 0x8000 (0.5), pressure 0x7fff */
static const uint8_t touch_down[] = {0x01, 0x00, 0x00, 0x00, 0x40, 0x00, 0x80, 0xff, 0x7f};
/* touch cancel, pointer 9, x 65535, y 1, pressure 0 */
static const uint8_t touch_cancel9[] = {0x01, 0x03, 0x09, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00};
/* key down KEY_A (30), reserved 0, modifiers shift|ctrl */
static const uint8_t key_a[] = {0x02, 0x00, 0x00, 0x00, 0x1e, 0x00,
                                0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
/* key up KEY_MAX (0x2ff), reserved 0xbeef (ignored), modifiers with reserved bits set */
static const uint8_t key_max[] = {0x02, 0x01, 0xef, 0xbe, 0xff, 0x02,
                                  0x00, 0x00, 0x10, 0x00, 0x00, 0x80};
/* text "hé世😀" */
static const uint8_t text_mixed[] = {0x03, 'h',  0xc3, 0xa9, 0xe4, 0xb8,
                                     0x96, 0xf0, 0x9f, 0x98, 0x80};
/* scroll dx +240, dy -120, x 0x1234, y 0xfedc */
static const uint8_t scroll[] = {0x04, 0xf0, 0x00, 0x88, 0xff, 0x34, 0x12, 0xdc, 0xfe};
/* control keyframe, and control back with a 2-byte payload v1 ignores */
static const uint8_t ctl_keyframe[] = {0x05, 0x01};
static const uint8_t ctl_back_payload[] = {0x05, 0x03, 0xaa, 0xbb};
/* clipboard "hé" with paste, and an empty clipboard without (reserved flag bits set) */
static const uint8_t clip_paste[] = {0x06, 0x01, 'h', 0xc3, 0xa9};
static const uint8_t clip_empty[] = {0x06, 0xfe};

static void check_reencodes(const uint8_t *buf, size_t len)
{
    struct anc_input_msg m;
    uint8_t out[ANC_INPUT_MAX_SIZE + 16];

    CHECK_EQ(anc_input_decode(buf, len, &m), 0);
    CHECK_EQ(anc_input_encoded_size(&m), len);
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), len);
    if (m.type != ANC_INPUT_KEY) /* the key's reserved field is written as 0 */
        CHECK(memcmp(out, buf, len) == 0);
    CHECK_EQ(anc_input_encode(&m, out, len - 1), -ENOBUFS);
}

TEST(touch)
{
    struct anc_input_msg m;
    CHECK_EQ(anc_input_decode(touch_down, sizeof(touch_down), &m), 0);
    CHECK_EQ(m.type, ANC_INPUT_TOUCH);
    CHECK_EQ(m.touch.action, ANC_INPUT_TOUCH_DOWN);
    CHECK_EQ(m.touch.pointer_id, 0);
    CHECK_EQ(m.touch.x, 0x4000);
    CHECK_EQ(m.touch.y, 0x8000);
    CHECK_EQ(m.touch.pressure, 0x7fff);
    CHECK_EQ(anc_input_decode(touch_cancel9, sizeof(touch_cancel9), &m), 0);
    CHECK_EQ(m.touch.action, ANC_INPUT_TOUCH_CANCEL);
    CHECK_EQ(m.touch.pointer_id, 9);
    CHECK_EQ(m.touch.x, 65535);
    CHECK_EQ(m.touch.y, 1);
    CHECK_EQ(m.touch.pressure, 0);
    check_reencodes(touch_down, sizeof(touch_down));
    check_reencodes(touch_cancel9, sizeof(touch_cancel9));
}

TEST(touch_bad_fields)
{
    struct anc_input_msg m;
    uint8_t b[sizeof(touch_cancel9)];

    memcpy(b, touch_cancel9, sizeof(b));
    b[2] = 10; /* pointer id 10 */
    CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EBADMSG);
    b[2] = 0xff;
    CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EBADMSG);
    b[2] = 0;
    b[1] = 4; /* action 4 */
    CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EBADMSG);
    b[1] = 0xff;
    CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EBADMSG);
    /* one byte too long */
    uint8_t longer[sizeof(touch_down) + 1] = {0};
    memcpy(longer, touch_down, sizeof(touch_down));
    CHECK_EQ(anc_input_decode(longer, sizeof(longer), &m), -EBADMSG);
}

TEST(key)
{
    struct anc_input_msg m;
    CHECK_EQ(anc_input_decode(key_a, sizeof(key_a), &m), 0);
    CHECK_EQ(m.type, ANC_INPUT_KEY);
    CHECK_EQ(m.key.action, ANC_INPUT_KEY_DOWN);
    CHECK_EQ(m.key.keycode, 30);
    CHECK_EQ(m.key.modifiers, ANC_INPUT_MOD_SHIFT | ANC_INPUT_MOD_CTRL);
    CHECK_EQ(anc_input_decode(key_max, sizeof(key_max), &m), 0);
    CHECK_EQ(m.key.action, ANC_INPUT_KEY_UP);
    CHECK_EQ(m.key.keycode, ANC_INPUT_KEYCODE_MAX);
    CHECK_EQ(m.key.modifiers, 0x80000010u);
    check_reencodes(key_a, sizeof(key_a));
    check_reencodes(key_max, sizeof(key_max));

    /* The reserved field is ignored on decode and written as zero. */
    uint8_t out[ANC_INPUT_KEY_SIZE];
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), ANC_INPUT_KEY_SIZE);
    CHECK_EQ(out[2], 0);
    CHECK_EQ(out[3], 0);
    CHECK(memcmp(out + 4, key_max + 4, 8) == 0);
}

TEST(key_bad_fields)
{
    struct anc_input_msg m;
    uint8_t b[sizeof(key_a)];

    memcpy(b, key_a, sizeof(b));
    b[1] = 2; /* action 2 */
    CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EBADMSG);
    b[1] = 0;
    b[4] = 0x00; /* keycode 0x300 = KEY_MAX + 1 */
    b[5] = 0x03;
    CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EBADMSG);
    b[5] = 0;
    b[7] = 0x01; /* keycode 0x01000000 */
    CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EBADMSG);
}

TEST(text)
{
    struct anc_input_msg m;
    CHECK_EQ(anc_input_decode(text_mixed, sizeof(text_mixed), &m), 0);
    CHECK_EQ(m.type, ANC_INPUT_TEXT);
    CHECK_EQ(m.text.len, sizeof(text_mixed) - 1);
    CHECK(m.text.utf8 == text_mixed + 1);
    check_reencodes(text_mixed, sizeof(text_mixed));

    uint32_t cps[4], cp;
    size_t off = 1;
    for (int i = 0; i < 4; i++) {
        int n = anc_input_utf8_next(text_mixed + off, sizeof(text_mixed) - off, &cp);
        CHECK(n > 0);
        cps[i] = cp;
        off += (size_t)n;
    }
    CHECK_EQ(off, sizeof(text_mixed));
    CHECK_EQ(cps[0], 'h');
    CHECK_EQ(cps[1], 0xe9);
    CHECK_EQ(cps[2], 0x4e16);
    CHECK_EQ(cps[3], 0x1f600);
}

TEST(text_lengths)
{
    struct anc_input_msg m;
    static uint8_t big[2 + ANC_INPUT_TEXT_MAX];

    const uint8_t empty[] = {0x03};
    CHECK_EQ(anc_input_decode(empty, sizeof(empty), &m), -EBADMSG);
    big[0] = ANC_INPUT_TEXT;
    memset(big + 1, 'x', sizeof(big) - 1);
    CHECK_EQ(anc_input_decode(big, 1 + ANC_INPUT_TEXT_MAX, &m), 0);
    CHECK_EQ(m.text.len, ANC_INPUT_TEXT_MAX);
    CHECK_EQ(anc_input_decode(big, sizeof(big), &m), -EMSGSIZE);
    /* NUL is a valid code point: the decoder accepts it, sinks decide what it types. */
    const uint8_t nul[] = {0x03, 'a', 0x00};
    CHECK_EQ(anc_input_decode(nul, sizeof(nul), &m), 0);
}

/* Each entry: a text body that is not valid UTF-8. */
static const struct {
    const char *name;
    uint8_t len;
    uint8_t b[5];
} bad_utf8[] = {
    {"lone continuation", 1, {0x80}},
    {"C0 overlong '/'", 2, {0xc0, 0xaf}},
    {"C1 overlong", 2, {0xc1, 0xbf}},
    {"3-byte overlong", 3, {0xe0, 0x80, 0xaf}},
    {"3-byte overlong max", 3, {0xe0, 0x9f, 0xbf}},
    {"4-byte overlong", 4, {0xf0, 0x8f, 0xbf, 0xbf}},
    {"surrogate D800", 3, {0xed, 0xa0, 0x80}},
    {"surrogate DFFF", 3, {0xed, 0xbf, 0xbf}},
    {"above U+10FFFF", 4, {0xf4, 0x90, 0x80, 0x80}},
    {"F5 lead", 4, {0xf5, 0x80, 0x80, 0x80}},
    {"FF byte", 1, {0xff}},
    {"FE byte", 1, {0xfe}},
    {"truncated 2", 1, {0xc3}},
    {"truncated 3", 2, {0xe4, 0xb8}},
    {"truncated 4", 3, {0xf0, 0x9f, 0x98}},
    {"bad continuation", 2, {0xc3, 0x41}},
    {"ascii then truncated", 2, {'a', 0xe4}},
    {"5-byte form", 5, {0xf8, 0x88, 0x80, 0x80, 0x80}},
};

TEST(text_invalid_utf8)
{
    struct anc_input_msg m;
    uint8_t b[8];

    for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
        b[0] = ANC_INPUT_TEXT;
        memcpy(b + 1, bad_utf8[i].b, bad_utf8[i].len);
        if (anc_input_decode(b, 1u + bad_utf8[i].len, &m) != -EBADMSG) {
            fprintf(stderr, "accepted: %s\n", bad_utf8[i].name);
            CHECK(0);
        }
    }
    /* The boundaries just inside the valid ranges. */
    const uint8_t ok[] = {0x03, 0xc2, 0x80, 0xe0, 0xa0, 0x80, 0xed, 0x9f, 0xbf, 0xee,
                          0x80, 0x80, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf};
    CHECK_EQ(anc_input_decode(ok, sizeof(ok), &m), 0);
    CHECK_EQ(anc_input_utf8_validate(ok + 1, sizeof(ok) - 1), 0);
    CHECK_EQ(anc_input_utf8_validate(ok, 0), 0);
}

TEST(scroll)
{
    struct anc_input_msg m;
    CHECK_EQ(anc_input_decode(scroll, sizeof(scroll), &m), 0);
    CHECK_EQ(m.type, ANC_INPUT_SCROLL);
    CHECK_EQ(m.scroll.dx, 240);
    CHECK_EQ(m.scroll.dy, -120);
    CHECK_EQ(m.scroll.x, 0x1234);
    CHECK_EQ(m.scroll.y, 0xfedc);
    check_reencodes(scroll, sizeof(scroll));
}

TEST(control)
{
    struct anc_input_msg m;
    CHECK_EQ(anc_input_decode(ctl_keyframe, sizeof(ctl_keyframe), &m), 0);
    CHECK_EQ(m.type, ANC_INPUT_CONTROL);
    CHECK_EQ(m.control.op, ANC_INPUT_CTL_KEYFRAME);
    CHECK_EQ(m.control.payload_len, 0);
    CHECK_EQ(anc_input_decode(ctl_back_payload, sizeof(ctl_back_payload), &m), 0);
    CHECK_EQ(m.control.op, ANC_INPUT_CTL_BACK);
    CHECK_EQ(m.control.payload_len, 2);
    CHECK(m.control.payload == ctl_back_payload + 2);
    check_reencodes(ctl_keyframe, sizeof(ctl_keyframe));
    check_reencodes(ctl_back_payload, sizeof(ctl_back_payload));

    const uint8_t op0[] = {0x05, 0x00}, op10[] = {0x05, 0x0a}, short_ctl[] = {0x05};
    CHECK_EQ(anc_input_decode(op0, sizeof(op0), &m), -EPROTONOSUPPORT);
    CHECK_EQ(anc_input_decode(op10, sizeof(op10), &m), -EPROTONOSUPPORT);
    CHECK_EQ(anc_input_decode(short_ctl, sizeof(short_ctl), &m), -EBADMSG);
    /* 1 keyframe .. 5 app switch, 6 power, 7 menu, 8 volume up, 9 volume down */
    CHECK_EQ(ANC_INPUT_CTL_POWER, 6);
    CHECK_EQ(ANC_INPUT_CTL_MENU, 7);
    CHECK_EQ(ANC_INPUT_CTL_VOLUME_UP, 8);
    CHECK_EQ(ANC_INPUT_CTL_VOLUME_DOWN, 9);
    for (uint8_t op = 1; op <= 9; op++) {
        const uint8_t b[] = {0x05, op};
        CHECK_EQ(anc_input_decode(b, sizeof(b), &m), 0);
        CHECK_EQ(m.control.op, op);
    }
}

TEST(every_truncation)
{
    static const struct {
        const uint8_t *b;
        size_t len;
    } msgs[] = {
        {touch_down, sizeof(touch_down)}, {touch_cancel9, sizeof(touch_cancel9)},
        {key_a, sizeof(key_a)},           {key_max, sizeof(key_max)},
        {scroll, sizeof(scroll)},         {ctl_keyframe, sizeof(ctl_keyframe)},
        {clip_empty, sizeof(clip_empty)},
    };
    struct anc_input_msg m;

    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        for (size_t n = 0; n < msgs[i].len; n++)
            CHECK_EQ(anc_input_decode(msgs[i].b, n, &m), -EBADMSG);
    /* Text cut inside a multi-byte character, or to nothing. */
    for (size_t n = 0; n < sizeof(text_mixed); n++) {
        int r = anc_input_decode(text_mixed, n, &m);
        bool boundary = n == 2 || n == 4 || n == 7;
        CHECK_EQ(r, boundary ? 0 : -EBADMSG);
    }
}

TEST(unknown_type)
{
    struct anc_input_msg m;
    for (unsigned t = 0; t < 256; t++) {
        if ((t >= ANC_INPUT_TOUCH && t <= ANC_INPUT_CLIPBOARD) || t == ANC_INPUT_LATENCY)
            continue;
        uint8_t b[10] = {(uint8_t)t};
        CHECK_EQ(anc_input_decode(b, 1, &m), -EPROTONOSUPPORT);
        CHECK_EQ(anc_input_decode(b, sizeof(b), &m), -EPROTONOSUPPORT);
    }
}

TEST(encode_rejects_invalid)
{
    uint8_t out[64];
    struct anc_input_msg m = {.type = ANC_INPUT_TOUCH};

    m.touch.pointer_id = 10;
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
    m = (struct anc_input_msg){.type = ANC_INPUT_KEY, .key = {.action = 2}};
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
    m = (struct anc_input_msg){.type = ANC_INPUT_TEXT,
                               .text = {.utf8 = (const uint8_t *)"\xed\xa0\x80", .len = 3}};
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
    m = (struct anc_input_msg){.type = ANC_INPUT_TEXT, .text = {.utf8 = NULL, .len = 0}};
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
    m = (struct anc_input_msg){.type = ANC_INPUT_CONTROL, .control = {.op = 10}};
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
    m = (struct anc_input_msg){.type = ANC_INPUT_CLIPBOARD, .clipboard = {.utf8 = NULL, .len = 1}};
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
    m = (struct anc_input_msg){.type = ANC_INPUT_CLIPBOARD,
                               .clipboard = {.utf8 = (const uint8_t *)"\xc0\xaf", .len = 2}};
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
    m = (struct anc_input_msg){.type = 42};
    CHECK_EQ(anc_input_encoded_size(&m), 0);
    CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), -EINVAL);
}

TEST(round_trip_every_touch)
{
    uint8_t out[ANC_INPUT_TOUCH_SIZE];
    struct anc_input_msg m, d;

    for (uint8_t a = 0; a <= ANC_INPUT_TOUCH_CANCEL; a++) {
        for (uint8_t id = 0; id <= ANC_INPUT_POINTER_MAX; id++) {
            m = (struct anc_input_msg){.type = ANC_INPUT_TOUCH,
                                       .touch = {.action = a,
                                                 .pointer_id = id,
                                                 .x = (uint16_t)(id * 6553),
                                                 .y = 65535,
                                                 .pressure = 0x8000}};
            CHECK_EQ(anc_input_encode(&m, out, sizeof(out)), ANC_INPUT_TOUCH_SIZE);
            CHECK_EQ(anc_input_decode(out, sizeof(out), &d), 0);
            CHECK(memcmp(&d.touch, &m.touch, sizeof(m.touch)) == 0);
        }
    }
}

TEST(clipboard)
{
    struct anc_input_msg m;
    CHECK_EQ(anc_input_decode(clip_paste, sizeof(clip_paste), &m), 0);
    CHECK_EQ(m.type, ANC_INPUT_CLIPBOARD);
    CHECK_EQ(m.clipboard.flags, ANC_INPUT_CLIPBOARD_PASTE);
    CHECK_EQ(m.clipboard.len, 3);
    CHECK(m.clipboard.utf8 == clip_paste + 2);
    CHECK_EQ(anc_input_decode(clip_empty, sizeof(clip_empty), &m), 0);
    CHECK_EQ(m.clipboard.flags, 0xfe); /* reserved bits are the receiver's to ignore */
    CHECK_EQ(m.clipboard.len, 0);
    check_reencodes(clip_paste, sizeof(clip_paste));
    check_reencodes(clip_empty, sizeof(clip_empty));

    const uint8_t short_clip[] = {0x06}, cut_char[] = {0x06, 0x00, 'h', 0xc3},
                  surrogate[] = {0x06, 0x00, 0xed, 0xa0, 0x80};
    CHECK_EQ(anc_input_decode(short_clip, sizeof(short_clip), &m), -EBADMSG);
    CHECK_EQ(anc_input_decode(cut_char, sizeof(cut_char), &m), -EBADMSG);
    CHECK_EQ(anc_input_decode(surrogate, sizeof(surrogate), &m), -EBADMSG);

    /* The largest clipboard is the largest message; one byte more is -EMSGSIZE. */
    static uint8_t big[ANC_INPUT_MAX_SIZE + 1];
    big[0] = ANC_INPUT_CLIPBOARD;
    memset(big + 2, 'x', sizeof(big) - 2);
    CHECK_EQ(ANC_INPUT_MAX_SIZE, 65536);
    CHECK_EQ(anc_input_decode(big, ANC_INPUT_MAX_SIZE, &m), 0);
    CHECK_EQ(m.clipboard.len, ANC_INPUT_CLIPBOARD_MAX);
    CHECK_EQ(anc_input_decode(big, sizeof(big), &m), -EMSGSIZE);
}

TEST(out_clipboard)
{
    uint8_t out[32];
    const uint8_t he[] = {'h', 0xc3, 0xa9}; /* "hé" */
    const uint8_t whole[] = {0x80, 0x00, 'h', 0xc3, 0xa9};
    const uint8_t cut[] = {0x80, 0x01, 'h'};
    CHECK_BYTES(out, anc_input_encode_out_clipboard(he, sizeof(he), 64, out, sizeof(out)), whole);
    /* A limit of 4 would split "é": the message ends before it and says so. */
    CHECK_BYTES(out, anc_input_encode_out_clipboard(he, sizeof(he), 4, out, sizeof(out)), cut);
    CHECK_EQ(anc_input_encode_out_clipboard(he, sizeof(he), 5, out, sizeof(out)), 5);
    const uint8_t empty[] = {0x80, 0x00};
    CHECK_BYTES(out, anc_input_encode_out_clipboard(NULL, 0, 2, out, sizeof(out)), empty);
    const uint8_t none[] = {0x80, 0x01};
    CHECK_BYTES(out, anc_input_encode_out_clipboard(he, sizeof(he), 2, out, sizeof(out)), none);
    CHECK_EQ(anc_input_encode_out_clipboard(he, sizeof(he), 1, out, sizeof(out)), -EINVAL);
    CHECK_EQ(anc_input_encode_out_clipboard(he, sizeof(he), 64, out, 4), -ENOBUFS);
    /* Invalid UTF-8 from the guest stops at the bad byte. */
    const uint8_t bad[] = {'o', 'k', 0xff, 'x'};
    const uint8_t ok[] = {0x80, 0x01, 'o', 'k'};
    CHECK_BYTES(out, anc_input_encode_out_clipboard(bad, sizeof(bad), 64, out, sizeof(out)), ok);
}

/* Latency report (type 16): samples of 12,345 µs and 0x01020304 µs. */
static const uint8_t latency2[] = {0x10, 0x39, 0x30, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01};

TEST(latency_report)
{
    struct anc_input_msg m;
    CHECK_EQ(anc_input_decode(latency2, sizeof(latency2), &m), 0);
    CHECK_EQ(m.type, ANC_INPUT_LATENCY);
    CHECK_EQ(m.latency.n, 2);
    CHECK_EQ(anc_input_latency_us(&m.latency, 0), 12345);
    CHECK_EQ(anc_input_latency_us(&m.latency, 1), 0x01020304);
    check_reencodes(latency2, sizeof(latency2));
    /* No sample, a partial sample, one too many. */
    CHECK_EQ(anc_input_decode(latency2, 1, &m), -EBADMSG);
    for (size_t n = 2; n < sizeof(latency2); n++)
        if (n != 5)
            CHECK_EQ(anc_input_decode(latency2, n, &m), -EBADMSG);
    uint8_t big[1 + 4 * (ANC_INPUT_LATENCY_MAX + 1)] = {ANC_INPUT_LATENCY};
    CHECK_EQ(anc_input_decode(big, sizeof(big) - 4, &m), 0);
    CHECK_EQ(m.latency.n, ANC_INPUT_LATENCY_MAX);
    CHECK_EQ(anc_input_decode(big, sizeof(big), &m), -EMSGSIZE);
}

TEST(out_frame)
{
    uint8_t out[16];
    /* seq 7, RTP timestamp 0xdeadbeef */
    const uint8_t want[] = {0x82, 0x07, 0x00, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde};
    CHECK_BYTES(out, anc_input_encode_out_frame(7, 0xdeadbeef, out, sizeof(out)), want);
    CHECK_EQ(anc_input_encode_out_frame(7, 1, out, 8), -ENOBUFS);
    uint32_t seq, ts;
    CHECK_EQ(anc_input_decode_out_frame(want, sizeof(want), &seq, &ts), 0);
    CHECK_EQ(seq, 7);
    CHECK_EQ(ts, 0xdeadbeef);
    CHECK_EQ(anc_input_decode_out_frame(want, 8, &seq, &ts), -EBADMSG);
    const uint8_t other[] = {0x81, 0x07, 0x00, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde};
    CHECK_EQ(anc_input_decode_out_frame(other, sizeof(other), &seq, &ts), -EBADMSG);
}
