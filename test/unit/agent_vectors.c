/* Prints, one "<name> <hex>" line each, ancloudd's serialization of a list of control messages
 * and the stand-in agent's video stream bytes, for test/e2e/agent_bytes.mjs to compare with an
 * independent implementation (@yume-chan/scrcpy). The names are the contract between the two. */
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <string.h>

#include "agent/keymap.h"
#include "agent/proto.h"
#include "input/proto.h"

static void hex(const char *name, const uint8_t *b, size_t n)
{
    printf("%s ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\n");
}

static void ctrl(const char *name, const struct anc_agent_ctrl *m)
{
    static uint8_t buf[ANC_AGENT_MSG_MAX];
    ssize_t n = anc_agent_ctrl_serialize(m, buf, sizeof(buf));
    if (n < 0) {
        fprintf(stderr, "%s: %zd\n", name, n);
        return;
    }
    hex(name, buf, (size_t)n);
}

static void touch(const char *name, uint8_t action, uint64_t id, int32_t x, int32_t y,
                  float pressure, uint32_t action_button, uint32_t buttons)
{
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_TOUCH_EVENT,
                               .touch = {.action = action,
                                         .pointer_id = id,
                                         .x = x,
                                         .y = y,
                                         .width = 720,
                                         .height = 1280,
                                         .pressure = anc_agent_u16fp(pressure),
                                         .action_button = action_button,
                                         .buttons = buttons}};
    ctrl(name, &m);
}

static void key(const char *name, uint8_t action, uint32_t linux_code, int32_t repeat,
                uint32_t mods)
{
    struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_KEYCODE,
                               .key = {.action = action,
                                       .keycode = anc_agent_keymap_android(linux_code),
                                       .repeat = repeat,
                                       .metastate = anc_agent_keymap_meta(mods)}};
    ctrl(name, &m);
}

static void text(const char *name, const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t len = strlen(s), i = 0;
    char chunk_name[64];

    /* Text above 300 bytes goes as several messages, cut on UTF-8 boundaries. */
    do {
        size_t n = anc_agent_utf8_chunk(p, len, ANC_AGENT_TEXT_MAX);
        struct anc_agent_ctrl m = {.type = ANC_AGENT_CTRL_INJECT_TEXT,
                                   .text = {.utf8 = p, .len = n}};
        snprintf(chunk_name, sizeof(chunk_name), "%s.%zu", name, i++);
        ctrl(chunk_name, &m);
        p += n;
        len -= n;
    } while (len > 0);
}

static void clipboard(const char *name, uint64_t seq, bool paste, const char *s)
{
    struct anc_agent_ctrl m = {
        .type = ANC_AGENT_CTRL_SET_CLIPBOARD,
        .set_clipboard = {
            .sequence = seq, .paste = paste, .utf8 = (const uint8_t *)s, .len = strlen(s)}};
    ctrl(name, &m);
}

static void simple(const char *name, enum anc_agent_ctrl_type type)
{
    struct anc_agent_ctrl m = {.type = type};
    ctrl(name, &m);
}

static void control_messages(void)
{
    touch("touch_down_p0", ANC_AMOTION_ACTION_DOWN, 0, 100, 200, 1.0f, 0, 0);
    touch("touch_down_p1", ANC_AMOTION_ACTION_DOWN, 1, 300, 400, 0.5f, 0, 0);
    touch("touch_move_p0", ANC_AMOTION_ACTION_MOVE, 0, 110, 215, 0.25f, 0, 0);
    touch("touch_move_p1", ANC_AMOTION_ACTION_MOVE, 1, 719, 1279, 0.1f, 0, 0);
    touch("touch_up_p1", ANC_AMOTION_ACTION_UP, 1, 719, 1279, 0.0f, 0, 0);
    touch("touch_up_p0", ANC_AMOTION_ACTION_UP, 0, 110, 215, 0.0f, 0, 0);
    touch("touch_p9_pressure_third", ANC_AMOTION_ACTION_DOWN, 9, 0, 0, 0.33f, 0, 0);
    touch("mouse_down", ANC_AMOTION_ACTION_DOWN, ANC_AGENT_POINTER_MOUSE, 5, 6, 1.0f,
          ANC_AMOTION_BUTTON_PRIMARY, ANC_AMOTION_BUTTON_PRIMARY);
    touch("mouse_up", ANC_AMOTION_ACTION_UP, ANC_AGENT_POINTER_MOUSE, 5, 6, 0.0f,
          ANC_AMOTION_BUTTON_PRIMARY, 0);
    touch("generic_finger_move", ANC_AMOTION_ACTION_MOVE, ANC_AGENT_POINTER_GENERIC_FINGER, 7, 8,
          0.75f, 0, 0);
    touch("virtual_finger_down", ANC_AMOTION_ACTION_DOWN, ANC_AGENT_POINTER_VIRTUAL_FINGER, 613,
          1072, 1.0f, 0, 0);
    touch("negative_position", ANC_AMOTION_ACTION_MOVE, 2, -5, -1, 0.5f, 0, 0);

    key("key_a_shift_down", ANC_AKEY_ACTION_DOWN, KEY_A, 0, ANC_INPUT_MOD_SHIFT);
    key("key_a_shift_up", ANC_AKEY_ACTION_UP, KEY_A, 0, ANC_INPUT_MOD_SHIFT);
    key("key_c_ctrl_alt_repeat", ANC_AKEY_ACTION_DOWN, KEY_C, 3,
        ANC_INPUT_MOD_CTRL | ANC_INPUT_MOD_ALT);
    key("key_enter", ANC_AKEY_ACTION_DOWN, KEY_ENTER, 0, 0);
    key("key_back", ANC_AKEY_ACTION_UP, KEY_BACK, 0, 0);
    key("key_f12_meta_caps", ANC_AKEY_ACTION_DOWN, KEY_F12, 0,
        ANC_INPUT_MOD_META | ANC_INPUT_MOD_CAPSLOCK | ANC_INPUT_MOD_NUMLOCK);

    text("text_ascii", "hello, world");
    text("text_cjk", "日本語のテキスト、中文，한국어 🙂");
    /* 3-byte characters from byte 1: a cut at 300 would split one. */
    static char long_text[1024];
    strcpy(long_text, "x");
    for (int i = 0; i < 150; i++)
        strcat(long_text, i % 3 ? "語" : "ab");
    text("text_long", long_text);

    clipboard("clipboard_plain", 0, false, "copied text");
    clipboard("clipboard_paste_seq", 5, true, "貼り付け");

    struct anc_agent_ctrl s = {.type = ANC_AGENT_CTRL_INJECT_SCROLL_EVENT,
                               .scroll = {.x = 360,
                                          .y = 640,
                                          .width = 720,
                                          .height = 1280,
                                          .hscroll = anc_agent_scroll_fp(0.0f),
                                          .vscroll = anc_agent_scroll_fp(-1.0f)}};
    ctrl("scroll_up", &s);
    s.scroll.hscroll = anc_agent_scroll_fp(2.5f);
    s.scroll.vscroll = anc_agent_scroll_fp(16.0f);
    ctrl("scroll_right_max", &s);

    struct anc_agent_ctrl b = {.type = ANC_AGENT_CTRL_BACK_OR_SCREEN_ON,
                               .back_or_screen_on.action = ANC_AKEY_ACTION_DOWN};
    ctrl("back_or_screen_on_down", &b);
    b.back_or_screen_on.action = ANC_AKEY_ACTION_UP;
    ctrl("back_or_screen_on_up", &b);

    simple("reset_video", ANC_AGENT_CTRL_RESET_VIDEO);
    simple("rotate_device", ANC_AGENT_CTRL_ROTATE_DEVICE);
    simple("expand_notification_panel", ANC_AGENT_CTRL_EXPAND_NOTIFICATION_PANEL);
    simple("expand_settings_panel", ANC_AGENT_CTRL_EXPAND_SETTINGS_PANEL);
    simple("collapse_panels", ANC_AGENT_CTRL_COLLAPSE_PANELS);

    struct anc_agent_ctrl p = {.type = ANC_AGENT_CTRL_SET_DISPLAY_POWER, .display_power.on = true};
    ctrl("display_power_on", &p);
    p.display_power.on = false;
    ctrl("display_power_off", &p);

    struct anc_agent_ctrl a = {
        .type = ANC_AGENT_CTRL_START_APP,
        .start_app = {.name = (const uint8_t *)"org.example.app", .len = 15}};
    ctrl("start_app", &a);
    struct anc_agent_ctrl u = {.type = ANC_AGENT_CTRL_UHID_DESTROY, .uhid_destroy.id = 2};
    ctrl("uhid_destroy", &u);
}

/* The stand-in's video socket: dummy byte, device name, h264 720x1280, a config packet, a
 * keyframe, two inter frames (one empty), and a 5000-byte frame. */
static void stream(void)
{
    static uint8_t out[8192], payload[5000];
    size_t n = 0;

    out[n++] = ANC_AGENT_DUMMY_BYTE;
    anc_agent_write_device_meta(out + n, "ancloud stand-in");
    n += ANC_AGENT_DEVICE_NAME_SIZE;
    anc_agent_write_codec_meta(out + n, ANC_AGENT_CODEC_H264, 720, 1280);
    n += ANC_AGENT_CODEC_META_SIZE;

    static const struct {
        uint64_t pts;
        bool config, key;
        size_t len;
    } frames[] = {{0, true, false, 12},
                  {0, false, true, 9},
                  {33333, false, false, 4},
                  {66666, false, false, 0},
                  {1000000, false, true, sizeof(payload)}};
    for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++) {
        anc_agent_write_frame_header(out + n, frames[f].pts, frames[f].config, frames[f].key,
                                     frames[f].len);
        n += ANC_AGENT_FRAME_HEADER_SIZE;
        /* Payload bytes: (frame index * 31 + i) mod 251, a pattern the test recomputes. */
        for (size_t i = 0; i < frames[f].len; i++)
            out[n + i] = (uint8_t)((f * 31 + i) % 251);
        n += frames[f].len;
    }
    hex("stream", out, n);
}

/* The whole key table, "keymap <linux> <android>" for every mapped code. */
static void keymap(void)
{
    for (uint32_t c = 0; c <= ANC_INPUT_KEYCODE_MAX; c++)
        if (anc_agent_keymap_android(c) != ANC_AKEYCODE_UNKNOWN)
            printf("keymap %u %d\n", c, (int)anc_agent_keymap_android(c));
}

int main(void)
{
    control_messages();
    stream();
    keymap();
    return 0;
}
