#include "scene.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void demo_scene_init(struct demo_scene *s, int w, int h, bool animate)
{
    memset(s, 0, sizeof(*s));
    s->w = w;
    s->h = h;
    s->radius = w / 30 > 24 ? w / 30 : 24;
    s->trail_w = s->radius / 2 > 6 ? s->radius / 2 : 6;
    s->scale = w / 180 > 2 ? w / 180 : 2;
    s->animate = animate;
    snprintf(s->status, sizeof(s->status), "touch or type");
}

void demo_scene_down(struct demo_scene *s, int x, int y)
{
    s->marker = true;
    s->mx = x;
    s->my = y;
    s->trail[0].x = x;
    s->trail[0].y = y;
    s->ntrail = 1;
}

void demo_scene_move(struct demo_scene *s, int x, int y)
{
    if (s->ntrail == 0)
        return;
    if (s->ntrail == DEMO_TRAIL_MAX) {
        /* A very long drag keeps its newer half; redraw cost stays bounded. */
        memmove(s->trail, s->trail + DEMO_TRAIL_MAX / 2,
                (DEMO_TRAIL_MAX / 2) * sizeof(s->trail[0]));
        s->ntrail = DEMO_TRAIL_MAX / 2;
    }
    s->trail[s->ntrail].x = x;
    s->trail[s->ntrail].y = y;
    s->ntrail++;
}

static void push_cp(struct demo_scene *s, uint32_t cp)
{
    if (s->ntext == DEMO_TEXT_MAX) {
        /* Only the tail is visible anyway; drop the oldest half. */
        memmove(s->text, s->text + DEMO_TEXT_MAX / 2, (DEMO_TEXT_MAX / 2) * sizeof(s->text[0]));
        s->ntext = DEMO_TEXT_MAX / 2;
    }
    s->text[s->ntext++] = cp;
}

void demo_scene_text(struct demo_scene *s, const char *utf8)
{
    size_t len = strlen(utf8);
    while (len > 0) {
        uint32_t cp;
        size_t n = demo_utf8_next(utf8, len, &cp);
        push_cp(s, cp);
        utf8 += n;
        len -= n;
    }
}

void demo_scene_backspace(struct demo_scene *s)
{
    if (s->ntext > 0)
        s->ntext--;
}

void demo_scene_newline(struct demo_scene *s)
{
    push_cp(s, '\n');
}

void demo_scene_status(struct demo_scene *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->status, sizeof(s->status), fmt, ap);
    va_end(ap);
}
