/* What the demo shows: a marker at the last touch-down, the trail of moves since, the typed text,
 * a status line naming the last event, and (with --animate) moving shapes. State changes here are
 * plain data updates; scene_draw.c turns the state into SDL_Renderer calls. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#define DEMO_TRAIL_MAX  4096
#define DEMO_TEXT_MAX   2048
#define DEMO_STATUS_MAX 64

struct demo_ttf;

/* Colours as 0xRRGGBB; chosen to contrast strongly with the background so that tests (and people
 * watching the stream) can find the marker and trail in a captured frame. */
#define DEMO_COLOR_BG     0x20303c
#define DEMO_COLOR_HEADER 0x0f1a22
#define DEMO_COLOR_TITLE  0xffffff
#define DEMO_COLOR_STATUS 0x9fb3c0
#define DEMO_COLOR_TEXTBG 0x2a3e4c
#define DEMO_COLOR_TEXT   0xe8eef2
#define DEMO_COLOR_MARKER 0xffd400
#define DEMO_COLOR_TRAIL  0x00e0ff
#define DEMO_COLOR_ANIM1  0xff4f7b
#define DEMO_COLOR_ANIM2  0x7bff4f

struct demo_scene {
    int w, h;
    int radius;  /* marker radius: max(24, w / 30) */
    int trail_w; /* trail thickness */
    int scale;   /* font pixel size */
    bool marker;
    int mx, my;
    SDL_Point trail[DEMO_TRAIL_MAX];
    size_t ntrail;
    uint32_t text[DEMO_TEXT_MAX]; /* code points; '\n' starts a new line */
    size_t ntext;
    char status[DEMO_STATUS_MAX];
    bool animate;
    uint64_t anim_ms;     /* animation clock: shapes are a pure function of it */
    struct demo_ttf *ttf; /* font for non-ASCII text; NULL: placeholder boxes */
};

void demo_scene_init(struct demo_scene *s, int w, int h, bool animate);
/* A touch-down replaces the marker and starts a new trail at (x, y). */
void demo_scene_down(struct demo_scene *s, int x, int y);
/* A move while down extends the trail. */
void demo_scene_move(struct demo_scene *s, int x, int y);
/* Appends committed UTF-8 text; invalid bytes become U+FFFD. */
void demo_scene_text(struct demo_scene *s, const char *utf8);
void demo_scene_backspace(struct demo_scene *s);
void demo_scene_newline(struct demo_scene *s);
void demo_scene_status(struct demo_scene *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Loads the font non-ASCII text is drawn with (after SDL_Init), sized for the scene. On failure
 * it says so on stderr and such text stays placeholder boxes. ASCII always uses the 5x7 font. */
void demo_scene_load_font(struct demo_scene *s, const char *path);
/* Frees the font and its glyph textures; before the renderer goes. */
void demo_scene_free_font(struct demo_scene *s);

/* Draws the whole scene; the caller presents. */
void demo_scene_draw(const struct demo_scene *s, SDL_Renderer *r);
