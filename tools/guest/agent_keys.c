/* INJECT_KEYCODE: Android key codes back to X keysyms, meta state to modifiers, XTest. */
#include <X11/XKBlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "agent.h"
#include "agent/keymap.h"

/* Android key codes that are not in keymap.h's enum. */
#define AKEYCODE_STAR  17
#define AKEYCODE_POUND 18
#define AKEYCODE_AT    77
#define AKEYCODE_PLUS  81

struct key_pair {
    int32_t android;
    KeySym x;
};

static const struct key_pair table[] = {
    {ANC_AKEYCODE_BACK, XK_Escape}, /* what "back" means to a desktop app */
    {AKEYCODE_STAR, XK_asterisk},
    {AKEYCODE_POUND, XK_numbersign},
    {ANC_AKEYCODE_DPAD_UP, XK_Up},
    {ANC_AKEYCODE_DPAD_DOWN, XK_Down},
    {ANC_AKEYCODE_DPAD_LEFT, XK_Left},
    {ANC_AKEYCODE_DPAD_RIGHT, XK_Right},
    {ANC_AKEYCODE_DPAD_CENTER, XK_Return},
    {ANC_AKEYCODE_COMMA, XK_comma},
    {ANC_AKEYCODE_PERIOD, XK_period},
    {ANC_AKEYCODE_ALT_LEFT, XK_Alt_L},
    {ANC_AKEYCODE_ALT_RIGHT, XK_Alt_R},
    {ANC_AKEYCODE_SHIFT_LEFT, XK_Shift_L},
    {ANC_AKEYCODE_SHIFT_RIGHT, XK_Shift_R},
    {ANC_AKEYCODE_TAB, XK_Tab},
    {ANC_AKEYCODE_SPACE, XK_space},
    {ANC_AKEYCODE_ENTER, XK_Return},
    {ANC_AKEYCODE_DEL, XK_BackSpace},
    {ANC_AKEYCODE_GRAVE, XK_grave},
    {ANC_AKEYCODE_MINUS, XK_minus},
    {ANC_AKEYCODE_EQUALS, XK_equal},
    {ANC_AKEYCODE_LEFT_BRACKET, XK_bracketleft},
    {ANC_AKEYCODE_RIGHT_BRACKET, XK_bracketright},
    {ANC_AKEYCODE_BACKSLASH, XK_backslash},
    {ANC_AKEYCODE_SEMICOLON, XK_semicolon},
    {ANC_AKEYCODE_APOSTROPHE, XK_apostrophe},
    {ANC_AKEYCODE_SLASH, XK_slash},
    {AKEYCODE_AT, XK_at},
    {AKEYCODE_PLUS, XK_plus},
    {ANC_AKEYCODE_MENU, XK_Menu},
    {ANC_AKEYCODE_PAGE_UP, XK_Prior},
    {ANC_AKEYCODE_PAGE_DOWN, XK_Next},
    {ANC_AKEYCODE_ESCAPE, XK_Escape},
    {ANC_AKEYCODE_FORWARD_DEL, XK_Delete},
    {ANC_AKEYCODE_CTRL_LEFT, XK_Control_L},
    {ANC_AKEYCODE_CTRL_RIGHT, XK_Control_R},
    {ANC_AKEYCODE_CAPS_LOCK, XK_Caps_Lock},
    {ANC_AKEYCODE_SCROLL_LOCK, XK_Scroll_Lock},
    {ANC_AKEYCODE_META_LEFT, XK_Super_L},
    {ANC_AKEYCODE_META_RIGHT, XK_Super_R},
    {ANC_AKEYCODE_SYSRQ, XK_Print},
    {ANC_AKEYCODE_BREAK, XK_Pause},
    {ANC_AKEYCODE_MOVE_HOME, XK_Home},
    {ANC_AKEYCODE_MOVE_END, XK_End},
    {ANC_AKEYCODE_INSERT, XK_Insert},
    {ANC_AKEYCODE_NUM_LOCK, XK_Num_Lock},
    {ANC_AKEYCODE_NUMPAD_DIVIDE, XK_KP_Divide},
    {ANC_AKEYCODE_NUMPAD_MULTIPLY, XK_KP_Multiply},
    {ANC_AKEYCODE_NUMPAD_SUBTRACT, XK_KP_Subtract},
    {ANC_AKEYCODE_NUMPAD_ADD, XK_KP_Add},
    {ANC_AKEYCODE_NUMPAD_DOT, XK_KP_Decimal},
    {ANC_AKEYCODE_NUMPAD_COMMA, XK_KP_Separator},
    {ANC_AKEYCODE_NUMPAD_ENTER, XK_KP_Enter},
    {ANC_AKEYCODE_NUMPAD_EQUALS, XK_KP_Equal},
};

KeySym agent_keysym_for_android(int32_t k)
{
    if (k >= ANC_AKEYCODE_A && k <= ANC_AKEYCODE_Z)
        return XK_a + (KeySym)(k - ANC_AKEYCODE_A);
    if (k >= ANC_AKEYCODE_0 && k <= ANC_AKEYCODE_9)
        return XK_0 + (KeySym)(k - ANC_AKEYCODE_0);
    if (k >= ANC_AKEYCODE_F1 && k <= ANC_AKEYCODE_F12)
        return XK_F1 + (KeySym)(k - ANC_AKEYCODE_F1);
    if (k >= ANC_AKEYCODE_NUMPAD_0 && k <= ANC_AKEYCODE_NUMPAD_9)
        return XK_KP_0 + (KeySym)(k - ANC_AKEYCODE_NUMPAD_0);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].android == k)
            return table[i].x;
    return NoSymbol;
}

static bool is_modifier(KeySym ks)
{
    return IsModifierKey(ks) || ks == XK_Caps_Lock;
}

/* The modifier keys that meta state asks for, pressed (down) or released in reverse. */
static const struct {
    int32_t meta;
    KeySym ks;
} mods[] = {
    {ANC_AMETA_SHIFT_ON, XK_Shift_L},
    {ANC_AMETA_CTRL_ON, XK_Control_L},
    {ANC_AMETA_ALT_ON, XK_Alt_L},
    {ANC_AMETA_META_ON, XK_Super_L},
};

#define NMODS (sizeof(mods) / sizeof(mods[0]))

/* Presses the modifiers of meta that are not already down; returns a mask of those pressed. */
static unsigned press_mods(Display *dpy, int32_t meta, bool extra_shift)
{
    char keys[32];
    unsigned pressed = 0;
    XQueryKeymap(dpy, keys);
    for (size_t i = 0; i < NMODS; i++) {
        bool want = (meta & mods[i].meta) || (i == 0 && extra_shift);
        KeyCode kc = XKeysymToKeycode(dpy, mods[i].ks);
        if (!want || !kc || (keys[kc / 8] & (1 << (kc % 8))))
            continue;
        XTestFakeKeyEvent(dpy, kc, True, CurrentTime);
        pressed |= 1u << i;
    }
    return pressed;
}

static void release_mods(Display *dpy, unsigned pressed)
{
    for (size_t i = NMODS; i-- > 0;)
        if (pressed & (1u << i))
            XTestFakeKeyEvent(dpy, XKeysymToKeycode(dpy, mods[i].ks), False, CurrentTime);
}

void agent_input_key(struct agent_input *in, const struct anc_agent_ctrl *m)
{
    KeySym ks = agent_keysym_for_android(m->key.keycode);
    bool down = m->key.action == ANC_AKEY_ACTION_DOWN;
    if (ks == NoSymbol) {
        AGENT_DEBUG("Android key code %d has no X keysym", (int)m->key.keycode);
        return;
    }
    KeyCode kc = XKeysymToKeycode(in->dpy, ks);
    if (kc == 0) {
        /* Not in the keymap: typed through a spare keycode, once, on the press. */
        if (down)
            xtype_keysym(&in->typer, ks);
        return;
    }
    if (m->key.action != ANC_AKEY_ACTION_DOWN && m->key.action != ANC_AKEY_ACTION_UP)
        return;
    if (is_modifier(ks) || !down) {
        XTestFakeKeyEvent(in->dpy, kc, down, CurrentTime);
        XFlush(in->dpy);
        return;
    }
    /* A keysym on the shifted level (e.g. '@' on a US map) needs Shift as well. */
    bool shifted =
        XkbKeycodeToKeysym(in->dpy, kc, 0, 0) != ks && XkbKeycodeToKeysym(in->dpy, kc, 0, 1) == ks;
    unsigned pressed = press_mods(in->dpy, m->key.metastate, shifted);
    XTestFakeKeyEvent(in->dpy, kc, True, CurrentTime);
    release_mods(in->dpy, pressed);
    XFlush(in->dpy);
}
