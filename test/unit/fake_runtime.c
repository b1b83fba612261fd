/* See fake_runtime.h. Implements instance/runtime.h. */
#include "fake_runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "instance/runtime.h"

struct fake_runtime_ctl fake_runtime;

struct fake_rt {
    uv_timer_t timer;
    struct anc_instance *inst;
    struct anc_runtime_callbacks cbs;
    void *data;
    const char *start_error;
    bool started_reported, stopping;
};

void fake_runtime_reset(void)
{
    memset(&fake_runtime, 0, sizeof(fake_runtime));
}

static void on_closed(uv_handle_t *h)
{
    struct fake_rt *rt = h->data;
    struct anc_instance *inst = rt->inst;
    void (*on_stopped)(struct anc_instance *, void *) = rt->cbs.on_stopped;
    void *data = rt->data;
    inst->rt = NULL;
    free(rt);
    on_stopped(inst, data);
}

static void teardown(struct fake_rt *rt)
{
    rt->stopping = true;
    uv_close((uv_handle_t *)&rt->timer, on_closed);
}

static void on_start_timer(uv_timer_t *t)
{
    struct fake_rt *rt = t->data;
    rt->started_reported = true;
    rt->cbs.on_started(rt->inst, rt->start_error, rt->data);
    if (rt->start_error)
        teardown(rt);
}

static int begin(struct anc_instance *inst, const struct anc_runtime_env *env,
                 const struct anc_runtime_callbacks *cbs, void *data)
{
    if (fake_runtime.fail_start_now)
        return fake_runtime.fail_start_now;
    struct fake_rt *rt = calloc(1, sizeof(*rt));
    if (!rt)
        return -ENOMEM;
    rt->inst = inst;
    rt->cbs = *cbs;
    rt->data = data;
    rt->start_error = fake_runtime.fail_start;
    uv_timer_init(env->loop, &rt->timer);
    rt->timer.data = rt;
    uv_timer_start(&rt->timer, on_start_timer, 1, 0);
    inst->rt = rt;
    return 0;
}

int anc_runtime_start(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data)
{
    fake_runtime.starts++;
    return begin(inst, env, cbs, data);
}

int anc_runtime_adopt(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data)
{
    fake_runtime.adopts++;
    return begin(inst, env, cbs, data);
}

void anc_runtime_stop(struct anc_instance *inst)
{
    struct fake_rt *rt = inst->rt;
    if (!rt || rt->stopping)
        return;
    fake_runtime.stops++;
    teardown(rt);
}

int anc_runtime_detach(struct anc_instance *inst)
{
    struct fake_rt *rt = inst->rt;
    if (!rt || rt->stopping || inst->kind != ANC_KIND_LINUX || !rt->started_reported)
        return -EINVAL;
    fake_runtime.detaches++;
    teardown(rt);
    return 0;
}

void fake_runtime_clipboard(struct anc_instance *inst, const char *utf8, size_t len)
{
    struct fake_rt *rt = inst->rt;
    if (rt && !rt->stopping && rt->cbs.on_clipboard)
        rt->cbs.on_clipboard(inst, utf8, len, rt->data);
}

void fake_runtime_die(struct anc_instance *inst, const char *reason)
{
    struct fake_rt *rt = inst->rt;
    if (!rt || rt->stopping)
        return;
    rt->stopping = true;
    rt->cbs.on_died(inst, reason, rt->data);
    teardown(rt);
}

void anc_runtime_log_path(const struct anc_runtime_env *env, const struct anc_instance *inst,
                          char *out, size_t len)
{
    snprintf(out, len, "%s/instances/%s.log", env->state_dir, inst->id);
}
