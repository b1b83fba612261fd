/* Kind pattern: the synthetic test card, drawn and encoded by the daemon; no guest, no log. */
#include <stdlib.h>

#include "instance/runtime_internal.h"
#include "media/pattern.h"

struct rt_pattern {
    struct anc_runtime rt;
    struct anc_stream *stream;
};

static bool draw(void *data, uint8_t *argb, int stride, uint64_t frame, uint64_t time_ms)
{
    const struct anc_instance *inst = data;
    anc_pattern_draw(argb, inst->width, inst->height, stride, frame, time_ms);
    return true;
}

static int start(struct anc_runtime *rt)
{
    struct rt_pattern *p = (struct rt_pattern *)rt;
    int r = anc_stream_new(rt->env.loop, rt->env.pool, &rt->env.stream,
                           (struct anc_stream_source){draw, NULL, rt->inst}, &p->stream);
    if (r < 0)
        return r;
    anc__rt_publish(rt);
    anc__rt_event(rt, ANC_RT_UP, NULL);
    return 0;
}

static void stop(struct anc_runtime *rt)
{
    anc__rt_event(rt, ANC_RT_GONE, NULL);
}

static void on_stream_freed(void *arg)
{
    anc__rt_kind_released(arg);
}

static void release(struct anc_runtime *rt, bool detach)
{
    struct rt_pattern *p = (struct rt_pattern *)rt;
    (void)detach;
    anc_stream_close_then(p->stream, on_stream_freed, rt);
}

static struct anc_stream *stream(struct anc_runtime *rt)
{
    return ((struct rt_pattern *)rt)->stream;
}

const struct anc_runtime_ops anc__rt_pattern_ops = {
    .name = "pattern",
    .size = sizeof(struct rt_pattern),
    .start = start,
    .stop = stop,
    .release = release,
    .stream = stream,
};
