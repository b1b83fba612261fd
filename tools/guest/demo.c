/* ancloud-demo: the stand-in guest app. It answers every input visibly (marker, trail, typed
 * text) and logs it as one JSON line on stdout, so end-to-end tests can check both what arrived
 * and what the stream shows. Idle means blocked in SDL_WaitEvent: no CPU, no redraw. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "json.h"
#include "scene.h"

/* The font for non-ASCII text (CJK, Hangul, kana; ASCII keeps the built-in bitmap), from Debian's
 * fonts-droid-fallback: its smallest CJK font file (3.4 MB). tools/mkimage asks for this path
 * (--print-default-font) and puts the font there in the guest image. --font or $ANCLOUD_DEMO_FONT
 * override it; a font that cannot be loaded leaves such text as placeholder boxes. */
#define DEMO_FONT_DEFAULT "/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf"

struct demo_app {
    SDL_Window *win;
    SDL_Renderer *ren;
    struct demo_scene scene;
    int fps;
    bool dirty;
    bool quit;
    bool ready;
};

static void emit(struct demo_json *j)
{
    const char *line = demo_json_end(j);
    if (line)
        fputs(line, stdout);
}

static void emit_point(const char *event, int x, int y, uint32_t ts, const char *extra_key,
                       long long extra)
{
    struct demo_json j;
    demo_json_begin(&j, event);
    demo_json_int(&j, "x", x);
    demo_json_int(&j, "y", y);
    if (extra_key)
        demo_json_int(&j, extra_key, extra);
    demo_json_int(&j, "t", ts);
    emit(&j);
}

static void on_down(struct demo_app *a, int x, int y)
{
    demo_scene_down(&a->scene, x, y);
    demo_scene_status(&a->scene, "down %d,%d", x, y);
    a->dirty = true;
}

static void on_mouse(struct demo_app *a, const SDL_Event *ev)
{
    /* Touch input shows up twice (finger + synthesized mouse); the finger event is the one kept. */
    if (ev->type == SDL_MOUSEMOTION) {
        if (ev->motion.which == SDL_TOUCH_MOUSEID)
            return;
        struct demo_json j;
        bool pressed = ev->motion.state != 0;
        demo_json_begin(&j, "move");
        demo_json_int(&j, "x", ev->motion.x);
        demo_json_int(&j, "y", ev->motion.y);
        demo_json_bool(&j, "pressed", pressed);
        demo_json_int(&j, "t", ev->motion.timestamp);
        emit(&j);
        if (pressed) {
            demo_scene_move(&a->scene, ev->motion.x, ev->motion.y);
            demo_scene_status(&a->scene, "move %d,%d", ev->motion.x, ev->motion.y);
            a->dirty = true;
        }
        return;
    }
    if (ev->button.which == SDL_TOUCH_MOUSEID)
        return;
    if (ev->type == SDL_MOUSEBUTTONDOWN) {
        emit_point("down", ev->button.x, ev->button.y, ev->button.timestamp, "button",
                   ev->button.button);
        on_down(a, ev->button.x, ev->button.y);
    } else {
        emit_point("up", ev->button.x, ev->button.y, ev->button.timestamp, "button",
                   ev->button.button);
        demo_scene_status(&a->scene, "up %d,%d", ev->button.x, ev->button.y);
        a->dirty = true;
    }
}

static void on_finger(struct demo_app *a, const SDL_TouchFingerEvent *f)
{
    int x = (int)(f->x * (float)a->scene.w), y = (int)(f->y * (float)a->scene.h);
    const char *name = f->type == SDL_FINGERDOWN ? "down" : f->type == SDL_FINGERUP ? "up" : "move";
    emit_point(name, x, y, f->timestamp, "finger", (long long)f->fingerId);
    if (f->type == SDL_FINGERDOWN)
        on_down(a, x, y);
    else if (f->type == SDL_FINGERMOTION)
        demo_scene_move(&a->scene, x, y);
    a->dirty = true;
}

/* Ctrl+V: the CLIPBOARD selection's text (SDL asks its owner for UTF8_STRING) is typed in. */
static void paste(struct demo_app *a, uint32_t ts)
{
    struct demo_json j;
    char *t = SDL_GetClipboardText(); /* "" when there is none */
    demo_json_begin(&j, "paste");
    demo_json_str(&j, "text", t ? t : "");
    demo_json_int(&j, "t", ts);
    emit(&j);
    if (t)
        demo_scene_text(&a->scene, t);
    SDL_free(t);
}

/* Ctrl+C: the app owns CLIPBOARD with all the text typed so far. */
static void copy(struct demo_app *a, uint32_t ts)
{
    static char text[DEMO_TEXT_MAX * 4 + 1];
    struct demo_json j;
    size_t n = 0;
    for (size_t i = 0; i < a->scene.ntext; i++)
        n += demo_utf8_put(a->scene.text[i], text + n);
    text[n] = '\0';
    SDL_SetClipboardText(text);
    demo_json_begin(&j, "copy");
    demo_json_str(&j, "text", text);
    demo_json_int(&j, "t", ts);
    emit(&j);
}

/* Printable ASCII keys are named by their character ("a"), the rest by SDL's name ("Return"). */
static void key_name(SDL_Keycode sym, char *out, size_t cap)
{
    if (sym > 0x20 && sym < 0x7f)
        snprintf(out, cap, "%c", (char)sym);
    else
        snprintf(out, cap, "%s", SDL_GetKeyName(sym));
}

static void on_key(struct demo_app *a, const SDL_KeyboardEvent *k)
{
    struct demo_json j;
    char name[64];
    key_name(k->keysym.sym, name, sizeof(name));
    demo_json_begin(&j, k->type == SDL_KEYDOWN ? "key" : "keyup");
    demo_json_str(&j, "key", name);
    demo_json_int(&j, "code", k->keysym.sym);
    demo_json_int(&j, "scancode", k->keysym.scancode);
    demo_json_int(&j, "mod", k->keysym.mod);
    if (k->repeat)
        demo_json_bool(&j, "repeat", true);
    demo_json_int(&j, "t", k->timestamp);
    emit(&j);
    if (k->type != SDL_KEYDOWN)
        return;
    if ((k->keysym.mod & KMOD_CTRL) && k->keysym.sym == SDLK_v)
        paste(a, k->timestamp);
    else if ((k->keysym.mod & KMOD_CTRL) && k->keysym.sym == SDLK_c)
        copy(a, k->timestamp);
    else if (k->keysym.sym == SDLK_BACKSPACE)
        demo_scene_backspace(&a->scene);
    else if (k->keysym.sym == SDLK_RETURN || k->keysym.sym == SDLK_KP_ENTER)
        demo_scene_newline(&a->scene);
    demo_scene_status(&a->scene, "key %.40s", name);
    a->dirty = true;
}

static void on_text(struct demo_app *a, const SDL_TextInputEvent *t)
{
    struct demo_json j;
    demo_json_begin(&j, "text");
    demo_json_str(&j, "text", t->text);
    demo_json_int(&j, "t", t->timestamp);
    emit(&j);
    demo_scene_text(&a->scene, t->text);
    a->dirty = true;
}

static void on_wheel(struct demo_app *a, const SDL_MouseWheelEvent *w)
{
    struct demo_json j;
    int flip = w->direction == SDL_MOUSEWHEEL_FLIPPED ? -1 : 1;
    demo_json_begin(&j, "wheel");
    demo_json_int(&j, "dx", flip * w->x);
    demo_json_int(&j, "dy", flip * w->y);
    demo_json_int(&j, "t", w->timestamp);
    emit(&j);
    demo_scene_status(&a->scene, "wheel %d,%d", flip * w->x, flip * w->y);
    a->dirty = true;
}

static void handle(struct demo_app *a, const SDL_Event *ev)
{
    switch (ev->type) {
    case SDL_QUIT:
        a->quit = true;
        break;
    case SDL_MOUSEMOTION:
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        on_mouse(a, ev);
        break;
    case SDL_FINGERDOWN:
    case SDL_FINGERMOTION:
    case SDL_FINGERUP:
        on_finger(a, &ev->tfinger);
        break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
        on_key(a, &ev->key);
        break;
    case SDL_TEXTINPUT:
        on_text(a, &ev->text);
        break;
    case SDL_MOUSEWHEEL:
        on_wheel(a, &ev->wheel);
        break;
    case SDL_WINDOWEVENT:
        /* The X server may have dropped our pixels (expose) or the size may have changed. */
        if (ev->window.event == SDL_WINDOWEVENT_EXPOSED ||
            ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            a->dirty = true;
        break;
    default:
        break;
    }
}

static void draw(struct demo_app *a)
{
    if (a->scene.animate)
        a->scene.anim_ms = SDL_GetTicks64();
    demo_scene_draw(&a->scene, a->ren);
    SDL_RenderPresent(a->ren);
    a->dirty = false;
    if (!a->ready) {
        struct demo_json j;
        a->ready = true;
        /* Keys reach a window only when it has the X input focus; there is no window manager. */
        SDL_SetWindowInputFocus(a->win);
        demo_json_begin(&j, "ready");
        demo_json_int(&j, "width", a->scene.w);
        demo_json_int(&j, "height", a->scene.h);
        demo_json_int(&j, "t", SDL_GetTicks64());
        emit(&j);
    }
}

static void run(struct demo_app *a)
{
    uint64_t next_frame = 0;
    while (!a->quit) {
        uint64_t now = SDL_GetTicks64();
        if (a->dirty || (a->scene.animate && now >= next_frame)) {
            draw(a);
            next_frame = now + 1000 / (uint64_t)a->fps;
        }
        int timeout = -1;
        if (a->scene.animate) {
            now = SDL_GetTicks64();
            timeout = next_frame > now ? (int)(next_frame - now) : 0;
        }
        SDL_Event ev;
        if (SDL_WaitEventTimeout(&ev, timeout)) {
            /* Handle everything queued before drawing once: a burst of moves costs one frame. */
            do
                handle(a, &ev);
            while (SDL_PollEvent(&ev));
        }
    }
}

/* SDL's own SIGTERM handler only sets a flag that a blocked SDL_WaitEvent notices late; a thread
 * in sigwait() turns the signal into an SDL_QUIT event, which wakes the loop at once. */
static int signal_thread(void *data)
{
    sigset_t *set = data;
    int sig;
    while (sigwait(set, &sig) != 0)
        ;
    SDL_Event quit = {.type = SDL_QUIT};
    SDL_PushEvent(&quit);
    return 0;
}

static int watch_signals(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* Blocked before SDL starts any thread, so only signal_thread ever receives them. */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -EINVAL;
    SDL_Thread *t = SDL_CreateThread(signal_thread, "signals", &set);
    if (!t)
        return -ENOMEM;
    SDL_DetachThread(t);
    return 0;
}

static int open_window(struct demo_app *a, int w, int h)
{
    /* Environment (SDL_VIDEODRIVER, SDL_RENDER_DRIVER) still overrides these defaults. */
    SDL_SetHintWithPriority(SDL_HINT_VIDEODRIVER, "x11", SDL_HINT_DEFAULT);
    SDL_SetHintWithPriority(SDL_HINT_RENDER_DRIVER, "software", SDL_HINT_DEFAULT);
    SDL_SetHint(SDL_HINT_RENDER_VSYNC, "0");
    /* Without this SDL backs the window surface with an OpenGL texture, which drags Mesa and LLVM
     * into the guest image; plain X11 (MIT-SHM) framebuffers are all the demo needs. */
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    /* SDL drops a click that arrives within 10 ms of gaining focus (desktop click-to-focus); on a
     * phone every touch counts, including the first one right after start. */
    SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
    /* The display belongs to the app: no compositor to keep happy, nothing to inhibit. */
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
    if (watch_signals() < 0) {
        fprintf(stderr, "ancloud-demo: cannot watch signals\n");
        return -EIO;
    }
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        fprintf(stderr, "ancloud-demo: SDL_Init: %s\n", SDL_GetError());
        return -EIO;
    }
    a->win = SDL_CreateWindow("ancloud demo", 0, 0, w, h, SDL_WINDOW_BORDERLESS | SDL_WINDOW_SHOWN);
    if (!a->win) {
        fprintf(stderr, "ancloud-demo: SDL_CreateWindow: %s\n", SDL_GetError());
        return -EIO;
    }
    a->ren = SDL_CreateRenderer(a->win, -1, 0);
    if (!a->ren) {
        fprintf(stderr, "ancloud-demo: SDL_CreateRenderer: %s\n", SDL_GetError());
        return -EIO;
    }
    SDL_StartTextInput();
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: ancloud-demo [--width W] [--height H] [--animate] [--fps N] [--font FILE]\n"
          "       ancloud-demo --print-default-font\n"
          "Draws a marker where touched, a trail while dragging and the typed text;\n"
          "Ctrl+V pastes the clipboard, Ctrl+C copies all the text typed so far;\n"
          "prints every input event as one JSON line on stdout. Non-ASCII text is drawn\n"
          "with the font FILE, else $ANCLOUD_DEMO_FONT, else " DEMO_FONT_DEFAULT "\n"
          "(--print-default-font shows it); as boxes when the font cannot be loaded.\n",
          f);
}

static int parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

struct demo_args {
    int w, h, fps;
    bool animate;
    bool print_font;
    const char *font;
};

static int parse_args(int argc, char **argv, struct demo_args *args)
{
    static const struct option opts[] = {
        {"width", required_argument, NULL, 'w'}, {"height", required_argument, NULL, 'h'},
        {"animate", no_argument, NULL, 'a'},     {"fps", required_argument, NULL, 'f'},
        {"font", required_argument, NULL, 't'},  {"print-default-font", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, '?'},        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int r = 0;
        if (c == 'w')
            r = parse_int(optarg, 64, 8192, &args->w);
        else if (c == 'h')
            r = parse_int(optarg, 64, 8192, &args->h);
        else if (c == 'f')
            r = parse_int(optarg, 1, 240, &args->fps);
        else if (c == 'a')
            args->animate = true;
        else if (c == 't')
            args->font = optarg;
        else if (c == 'p')
            args->print_font = true;
        else
            r = -EINVAL;
        if (r < 0) {
            usage(stderr);
            return r;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -EINVAL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct demo_app *a = calloc(1, sizeof(*a));
    struct demo_args args = {.w = 720, .h = 1280, .fps = 60};
    int r;

    if (!a)
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    r = parse_args(argc, argv, &args);
    if (r < 0)
        goto out;
    if (args.print_font) {
        puts(DEMO_FONT_DEFAULT);
        goto out;
    }
    if (!args.font)
        args.font = getenv("ANCLOUD_DEMO_FONT");
    if (!args.font || !*args.font)
        args.font = DEMO_FONT_DEFAULT;
    a->fps = args.fps;
    demo_scene_init(&a->scene, args.w, args.h, args.animate);
    a->dirty = true;
    r = open_window(a, args.w, args.h);
    if (r < 0)
        goto out;
    demo_scene_load_font(&a->scene, args.font);
    run(a);
    {
        struct demo_json j;
        demo_json_begin(&j, "quit");
        demo_json_int(&j, "t", SDL_GetTicks64());
        emit(&j);
    }
out:
    demo_scene_free_font(&a->scene);
    if (a->ren)
        SDL_DestroyRenderer(a->ren);
    if (a->win)
        SDL_DestroyWindow(a->win);
    SDL_Quit();
    free(a);
    return r < 0 ? (r == -EINVAL ? 2 : 1) : 0;
}
