/* Linux KEY_* → Android AKEYCODE_* and v1 modifiers → Android meta state. */
#include <linux/input-event-codes.h>

#include "agent/keymap.h"
#include "agent/proto.h"
#include "input/proto.h"
#include "test.h"

TEST(letters_digits_function_keys)
{
    static const uint32_t qwerty[26] = {
        KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
        KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};
    for (int i = 0; i < 26; i++)
        CHECK_EQ(anc_agent_keymap_android(qwerty[i]), 29 + i);
    CHECK_EQ(anc_agent_keymap_android(KEY_0), 7);
    for (int d = 1; d <= 9; d++)
        CHECK_EQ(anc_agent_keymap_android(KEY_1 + d - 1), 7 + d);
    for (int f = 0; f < 10; f++)
        CHECK_EQ(anc_agent_keymap_android(KEY_F1 + f), 131 + f);
    CHECK_EQ(anc_agent_keymap_android(KEY_F11), 141);
    CHECK_EQ(anc_agent_keymap_android(KEY_F12), 142);
    CHECK_EQ(anc_agent_keymap_android(KEY_KP0), 144);
    CHECK_EQ(anc_agent_keymap_android(KEY_KP9), 153);
    CHECK_EQ(anc_agent_keymap_android(KEY_KPENTER), 160);
}

TEST(named_keys)
{
    CHECK_EQ(anc_agent_keymap_android(KEY_ESC), 111);
    CHECK_EQ(anc_agent_keymap_android(KEY_BACKSPACE), 67);
    CHECK_EQ(anc_agent_keymap_android(KEY_DELETE), 112);
    CHECK_EQ(anc_agent_keymap_android(KEY_ENTER), 66);
    CHECK_EQ(anc_agent_keymap_android(KEY_SPACE), 62);
    CHECK_EQ(anc_agent_keymap_android(KEY_GRAVE), 68);
    CHECK_EQ(anc_agent_keymap_android(KEY_DOT), 56);
    CHECK_EQ(anc_agent_keymap_android(KEY_UP), 19);
    CHECK_EQ(anc_agent_keymap_android(KEY_HOME), 122);
    CHECK_EQ(anc_agent_keymap_android(KEY_PAGEDOWN), 93);
    CHECK_EQ(anc_agent_keymap_android(KEY_LEFTSHIFT), 59);
    CHECK_EQ(anc_agent_keymap_android(KEY_RIGHTCTRL), 114);
    CHECK_EQ(anc_agent_keymap_android(KEY_RIGHTALT), 58);
    CHECK_EQ(anc_agent_keymap_android(KEY_LEFTMETA), 117);
    CHECK_EQ(anc_agent_keymap_android(KEY_CAPSLOCK), 115);
    /* Android's navigation and system keys. */
    CHECK_EQ(anc_agent_keymap_android(KEY_BACK), 4);
    CHECK_EQ(anc_agent_keymap_android(KEY_HOMEPAGE), 3);
    CHECK_EQ(anc_agent_keymap_android(KEY_POWER), 26);
    CHECK_EQ(anc_agent_keymap_android(KEY_COMPOSE), 82);
    CHECK_EQ(anc_agent_keymap_android(KEY_MENU), 82);
    CHECK_EQ(anc_agent_keymap_android(KEY_APPSELECT), 187);
    CHECK_EQ(anc_agent_keymap_android(KEY_VOLUMEUP), 24);
    CHECK_EQ(anc_agent_keymap_android(KEY_MUTE), 164);
    CHECK_EQ(anc_agent_keymap_android(KEY_PLAYPAUSE), 85);
    CHECK_EQ(anc_agent_keymap_android(KEY_NEXTSONG), 87);
}

TEST(every_key_the_web_client_sends)
{
    /* web/js/input.js KEYCODES: the non-text keys, all of which Android has. */
    static const uint32_t web[] = {1,   14,  15,  28,  29,  42,  54,  56,  58,  59,  60,  61,
                                   62,  63,  64,  65,  66,  67,  68,  87,  88,  97,  100, 102,
                                   103, 104, 105, 106, 107, 108, 109, 110, 111, 125, 126};
    for (size_t i = 0; i < sizeof(web) / sizeof(web[0]); i++)
        CHECK(anc_agent_keymap_android(web[i]) != ANC_AKEYCODE_UNKNOWN);
}

TEST(unmapped)
{
    CHECK_EQ(anc_agent_keymap_android(KEY_RESERVED), ANC_AKEYCODE_UNKNOWN);
    CHECK_EQ(anc_agent_keymap_android(KEY_F13), ANC_AKEYCODE_UNKNOWN);
    CHECK_EQ(anc_agent_keymap_android(BTN_LEFT), ANC_AKEYCODE_UNKNOWN);
    CHECK_EQ(anc_agent_keymap_android(ANC_INPUT_KEYCODE_MAX + 1), ANC_AKEYCODE_UNKNOWN);
    CHECK_EQ(anc_agent_keymap_android(UINT32_MAX), ANC_AKEYCODE_UNKNOWN);
}

TEST(meta_state)
{
    CHECK_EQ(anc_agent_keymap_meta(0), 0);
    CHECK_EQ(anc_agent_keymap_meta(ANC_INPUT_MOD_SHIFT), 0x41);
    CHECK_EQ(anc_agent_keymap_meta(ANC_INPUT_MOD_CTRL), 0x3000);
    CHECK_EQ(anc_agent_keymap_meta(ANC_INPUT_MOD_ALT), 0x12);
    CHECK_EQ(anc_agent_keymap_meta(ANC_INPUT_MOD_ALTGR), 0x22);
    CHECK_EQ(anc_agent_keymap_meta(ANC_INPUT_MOD_META), 0x30000);
    CHECK_EQ(anc_agent_keymap_meta(ANC_INPUT_MOD_CAPSLOCK | ANC_INPUT_MOD_NUMLOCK |
                                   ANC_INPUT_MOD_SCROLLLOCK),
             0x700000);
    CHECK_EQ(anc_agent_keymap_meta(ANC_INPUT_MOD_SHIFT | ANC_INPUT_MOD_CTRL | 0xffffff00u),
             ANC_AMETA_SHIFT_ON | ANC_AMETA_SHIFT_LEFT_ON | ANC_AMETA_CTRL_ON |
                 ANC_AMETA_CTRL_LEFT_ON);
}
