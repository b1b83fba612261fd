/* The part of the runtime shared by the kinds whose guest draws on an X display (x11, linux):
 * their screen (instance/screen.h) is started here, published as the instance's stream and input
 * once ready, and released after the kind. */
#include <errno.h>

#include "instance/runtime_internal.h"
#include "instance/screen.h"

static void on_screen_ready(struct anc_screen *s, void *data)
{
    struct anc_runtime *rt = data;
    (void)s;
    if (rt->state != ANC_RT_STARTING)
        return; /* stopped meanwhile: the stop releases the screen */
    anc__rt_publish(rt);
    rt->ops->on_screen(rt);
}

static void on_screen_failed(struct anc_screen *s, const char *why, void *data)
{
    (void)s;
    anc__rt_event(data, ANC_RT_GONE, why);
}

static void on_screen_clipboard(struct anc_screen *s, const char *utf8, size_t len, void *data)
{
    (void)s;
    anc__rt_clipboard(data, utf8, len);
}

int anc__rt_screen_start(struct anc_runtime *rt, bool adopt)
{
    struct anc_screen_params sp = {.loop = rt->env.loop,
                                   .pool = rt->env.pool,
                                   .run_dir = rt->run_dir,
                                   .stream = rt->env.stream,
                                   .adopt = adopt,
                                   .display_only = rt->agent != NULL};
    static const struct anc_screen_callbacks cbs = {.on_ready = on_screen_ready,
                                                    .on_failed = on_screen_failed,
                                                    .on_clipboard = on_screen_clipboard};
    return anc_screen_start(&sp, &cbs, rt, &rt->screen);
}

struct anc_stream *anc__rt_screen_stream(struct anc_runtime *rt)
{
    return anc_screen_stream(rt->screen);
}

int anc__rt_screen_input(struct anc_runtime *rt, const struct anc_input_msg *m)
{
    return rt->screen ? anc_screen_input(rt->screen, m) : -ENOTCONN;
}

static void on_screen_stopped(void *arg)
{
    struct anc_runtime *rt = arg;
    rt->screen = NULL;
    anc__rt_event(rt, ANC_RT_RELEASED, NULL);
}

void anc__rt_screen_release(struct anc_runtime *rt, bool detach)
{
    if (detach)
        anc_screen_detach(rt->screen, on_screen_stopped, rt);
    else
        anc_screen_stop(rt->screen, on_screen_stopped, rt);
}
