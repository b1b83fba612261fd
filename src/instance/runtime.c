/* The lifecycle every kind shares: one state, one transition function (anc__rt_event) that
 * decides which callbacks fire, the instance log, and the teardown order (the kind, then the
 * screen, then the timer whose close callback frees the runtime). The kinds are in
 * runtime_<kind>.c behind struct anc_runtime_ops (runtime_internal.h). */
#include "instance/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/caplog.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "instance/runtime_internal.h"

static const struct anc_runtime_ops *const kinds[] = {
    [ANC_KIND_PATTERN] = &anc__rt_pattern_ops,
    [ANC_KIND_X11] = &anc__rt_x11_ops,
    [ANC_KIND_LINUX] = &anc__rt_linux_ops,
    [ANC_KIND_ANDROID] = &anc__rt_android_ops,
};

void anc_runtime_log_path(const struct anc_runtime_env *env, const struct anc_instance *inst,
                          char *out, size_t len)
{
    snprintf(out, len, "%s/instances/%s.log", env->state_dir, inst->id);
}

/* Appends a line to the instance log (daemon-side events next to the guest's output). */
void anc__rt_log_line(struct anc_runtime *rt, const char *what)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "ancloudd: %s\n", what);
    anc_caplog_write(rt->log, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

int anc__rt_open_log(struct anc_runtime *rt)
{
    int r = anc_mkdir_p(rt->run_dir, 0700);
    if (r < 0)
        return r;
    r = anc_caplog_open(rt->env.loop, rt->log_path, rt->env.log_max, &rt->log);
    if (r < 0)
        return r;
    rt->log_fd = anc_caplog_pipe(rt->log);
    return rt->log_fd < 0 ? rt->log_fd : 0;
}

void anc__rt_clipboard(struct anc_runtime *rt, const char *utf8, size_t len)
{
    if (rt->state != ANC_RT_STARTING && rt->state != ANC_RT_RUNNING)
        return; /* a stopping guest's last words are of no use to its viewers */
    if (rt->cbs.on_clipboard)
        rt->cbs.on_clipboard(rt->inst, utf8, len, rt->data);
}

static int runtime_input(struct anc_instance *inst, const struct anc_input_msg *m)
{
    struct anc_runtime *rt = inst->rt;
    return rt ? rt->ops->input(rt, m) : -ENOTCONN;
}

void anc__rt_publish(struct anc_runtime *rt)
{
    rt->inst->stream = rt->ops->stream(rt);
    rt->inst->input = rt->ops->input ? runtime_input : NULL;
}

static void unpublish(struct anc_runtime *rt)
{
    rt->inst->stream = NULL;
    rt->inst->input = NULL;
}

static void on_timer_closed(uv_handle_t *h)
{
    anc__rt_event(h->data, ANC_RT_CLOSED, NULL);
}

void anc__rt_kind_released(struct anc_runtime *rt)
{
    anc__rt_screen_release(rt, rt->state == ANC_RT_DETACHING);
}

/* The runtime's end: the log is closed, the runtime freed, then on_stopped unless the start
 * failed synchronously (its caller got the error instead). */
static void closed(struct anc_runtime *rt, bool report)
{
    struct anc_instance *inst = rt->inst;
    void (*on_stopped)(struct anc_instance *, void *) = rt->cbs.on_stopped;
    void *data = rt->data;
    if (rt->log_fd >= 0)
        close(rt->log_fd);
    anc_caplog_close(rt->log); /* it writes what it still holds, then frees itself */
    free(rt);
    if (!report)
        return;
    inst->rt = NULL;
    inst->stream = NULL;
    inst->input = NULL;
    on_stopped(inst, data);
}

void anc__rt_event(struct anc_runtime *rt, enum anc_rt_event ev, const char *why)
{
    enum anc_rt_state from = rt->state;
    if (why)
        anc__rt_log_line(rt, why);
    switch (ev) {
    case ANC_RT_UP:
        if (from != ANC_RT_STARTING)
            return; /* up during a stop: the stop ends it */
        rt->state = ANC_RT_RUNNING;
        rt->cbs.on_started(rt->inst, NULL, rt->data);
        return;
    case ANC_RT_STOP:
        if (from != ANC_RT_STARTING && from != ANC_RT_RUNNING)
            return;
        rt->state = ANC_RT_STOPPING;
        rt->ops->stop(rt);
        return;
    case ANC_RT_GONE:
    case ANC_RT_DETACH:
        if (from > ANC_RT_STOPPING || (ev == ANC_RT_DETACH && from != ANC_RT_RUNNING))
            return;
        rt->state = ev == ANC_RT_DETACH ? ANC_RT_DETACHING : ANC_RT_RELEASING;
        if (ev == ANC_RT_GONE && from == ANC_RT_STARTING)
            rt->cbs.on_started(rt->inst, why ? why : "ended", rt->data);
        else if (ev == ANC_RT_GONE && from == ANC_RT_RUNNING)
            rt->cbs.on_died(rt->inst, why ? why : "ended", rt->data);
        unpublish(rt);
        anc__rt_shots_cancel(rt);
        rt->ops->release(rt, rt->state == ANC_RT_DETACHING);
        return;
    case ANC_RT_ABORT:
    case ANC_RT_RELEASED:
        rt->state = ev == ANC_RT_ABORT ? ANC_RT_ABORTED : ANC_RT_CLOSING;
        uv_close((uv_handle_t *)&rt->timer, on_timer_closed);
        return;
    case ANC_RT_CLOSED:
        closed(rt, from == ANC_RT_CLOSING);
        return;
    }
}

static int runtime_begin(struct anc_instance *inst, const struct anc_runtime_env *env,
                         const struct anc_runtime_callbacks *cbs, void *data, bool adopt)
{
    if ((unsigned)inst->kind >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[inst->kind])
        return -EINVAL;
    const struct anc_runtime_ops *ops = kinds[inst->kind];
    struct anc_runtime *rt = calloc(1, ops->size);
    if (!rt)
        return -ENOMEM;
    *rt = (struct anc_runtime){.ops = ops,
                               .state = ANC_RT_STARTING,
                               .inst = inst,
                               .env = *env,
                               .cbs = *cbs,
                               .data = data,
                               .log_fd = -1};
    snprintf(rt->run_dir, sizeof(rt->run_dir), "%s/%s", env->run_dir, inst->id);
    anc_runtime_log_path(env, inst, rt->log_path, sizeof(rt->log_path));
    uv_timer_init(env->loop, &rt->timer);
    rt->timer.data = rt;
    inst->rt = rt;
    int r = adopt && ops->adopt ? ops->adopt(rt) : ops->start(rt);
    if (r < 0) {
        inst->rt = NULL;
        anc__rt_event(rt, ANC_RT_ABORT, NULL); /* the timer's close callback frees rt */
    }
    return r;
}

int anc_runtime_start(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data)
{
    return runtime_begin(inst, env, cbs, data, false);
}

int anc_runtime_adopt(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data)
{
    return runtime_begin(inst, env, cbs, data, true);
}

int anc_runtime_screenshot(struct anc_instance *inst, anc_runtime_shot_cb cb, void *arg)
{
    struct anc_runtime *rt = inst->rt;
    if (!rt || rt->state != ANC_RT_RUNNING)
        return -EAGAIN;
    return rt->ops->screenshot ? rt->ops->screenshot(rt, cb, arg) : -ENOTSUP;
}

void anc_runtime_stop(struct anc_instance *inst)
{
    if (inst->rt)
        anc__rt_event(inst->rt, ANC_RT_STOP, NULL);
}

int anc_runtime_detach(struct anc_instance *inst)
{
    struct anc_runtime *rt = inst->rt;
    if (!rt || rt->state != ANC_RT_RUNNING || !rt->ops->detach)
        return -EINVAL;
    int r = rt->ops->detach(rt);
    if (r < 0)
        return r;
    anc__rt_event(rt, ANC_RT_DETACH,
                  "daemon exiting: the guest and its display keep running (keep_running_on_exit)");
    return 0;
}
