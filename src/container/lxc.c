/* Loop-thread adapter of the container module: the per-container operation queue and the pidfd
 * watch of the container's init. The blocking work is in lxc_ops.c. */
#include "container/lxc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/pidwatch.h"
#include "container/lxc_ops.h"
#include "container/profile_linux.h"

enum op_kind { OP_START, OP_ADOPT, OP_STOP, OP_REAP };

struct op {
    struct op *next;
    struct anc_container *c;
    uv_work_t work;
    enum op_kind kind;
    int timeout_s;
    bool active; /* the container held mounts when the operation was queued to the pool */
    int status;
    int init_pid;
    char msg[512];
};

struct anc_container {
    uv_loop_t *loop;
    struct anc_image_mounts *images;
    char *helper_exe;
    struct anc_container_spec spec; /* strings owned (strdup) */
    char *argv_buf[ANC_CONTAINER_MAX_ARGS + 1];
    char name[96];
    struct anc_container_callbacks cbs;
    void *data;
    struct op *queue, *running_op; /* queue: not yet handed to the pool */
    struct anc_pidwatch *watch;
    int pending_closes; /* watch handles still closing */
    bool active;        /* started or adopted, mounts held */
    bool starting;
    bool freeing;
    int init_pid;
    void (*on_freed)(void *data);
    void *freed_data;
};

static void run_next(struct anc_container *c);

static int dup_str(const char *in, const char **out)
{
    *out = NULL;
    if (!in)
        return 0;
    *out = strdup(in);
    return *out ? 0 : -ENOMEM;
}

static void spec_free(struct anc_container *c)
{
    struct anc_container_spec *s = &c->spec;
    const char **fields[] = {&s->id,        &s->image,   &s->image_dir,   &s->state_dir,
                             &s->run_dir,   &s->display, &s->x11_dir,     &s->bridge,
                             &s->ipv4_cidr, &s->gateway, &s->console_log, &s->lxc_config,
                             &s->net_hook};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        free((char *)*fields[i]);
    for (size_t i = 0; c->argv_buf[i]; i++)
        free(c->argv_buf[i]);
}

static int spec_copy(struct anc_container *c, const struct anc_container_spec *in)
{
    struct anc_container_spec *s = &c->spec;
    *s = *in;
    s->argv = NULL;
    if (dup_str(in->id, &s->id) || dup_str(in->image, &s->image) ||
        dup_str(in->image_dir, &s->image_dir) || dup_str(in->state_dir, &s->state_dir) ||
        dup_str(in->run_dir, &s->run_dir) || dup_str(in->display, &s->display) ||
        dup_str(in->x11_dir, &s->x11_dir) || dup_str(in->bridge, &s->bridge) ||
        dup_str(in->ipv4_cidr, &s->ipv4_cidr) || dup_str(in->gateway, &s->gateway) ||
        dup_str(in->console_log, &s->console_log) || dup_str(in->lxc_config, &s->lxc_config) ||
        dup_str(in->net_hook, &s->net_hook))
        return -ENOMEM;
    if (!in->argv)
        return 0;
    for (size_t i = 0; in->argv[i]; i++) {
        if (i >= ANC_CONTAINER_MAX_ARGS)
            return -EINVAL;
        if (!(c->argv_buf[i] = strdup(in->argv[i])))
            return -ENOMEM;
    }
    s->argv = (const char *const *)c->argv_buf;
    return 0;
}

int anc_container_new(uv_loop_t *loop, struct anc_image_mounts *images, const char *helper_exe,
                      const struct anc_container_spec *spec,
                      const struct anc_container_callbacks *cbs, void *data,
                      struct anc_container **out)
{
    *out = NULL;
    if (!spec->image || !spec->image_dir || !spec->state_dir || !spec->run_dir || !helper_exe)
        return -EINVAL;
    struct anc_container *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int r = anc_container_name(spec->id, c->name, sizeof(c->name));
    if (r == 0)
        r = spec_copy(c, spec);
    if (r == 0 && !(c->helper_exe = strdup(helper_exe)))
        r = -ENOMEM;
    if (r < 0) {
        spec_free(c);
        free(c->helper_exe);
        free(c);
        return r;
    }
    c->loop = loop;
    c->images = images;
    c->cbs = *cbs;
    c->data = data;
    *out = c;
    return 0;
}

static void maybe_free(struct anc_container *c)
{
    if (!c->freeing || c->running_op || c->pending_closes > 0)
        return;
    while (c->queue) {
        struct op *o = c->queue;
        c->queue = o->next;
        free(o);
    }
    void (*cb)(void *) = c->on_freed;
    void *d = c->freed_data;
    spec_free(c);
    free(c->helper_exe);
    free(c);
    if (cb)
        cb(d);
}

static void on_watch_closed(void *data)
{
    struct anc_container *c = data;
    c->pending_closes--;
    maybe_free(c);
}

static void unwatch(struct anc_container *c)
{
    if (!c->watch)
        return;
    c->pending_closes++;
    anc_pidwatch_close(c->watch, on_watch_closed, c);
    c->watch = NULL;
}

static int queue_op(struct anc_container *c, enum op_kind kind, int timeout_s)
{
    struct op *o = calloc(1, sizeof(*o)), **pp = &c->queue;
    if (!o)
        return -ENOMEM;
    o->c = c;
    o->kind = kind;
    o->timeout_s = timeout_s;
    while (*pp)
        pp = &(*pp)->next;
    *pp = o;
    run_next(c);
    return 0;
}

static void on_pidfd(struct anc_pidwatch *w, void *data)
{
    struct anc_container *c = data;
    (void)w;
    unwatch(c);
    if (c->freeing)
        return;
    /* A stop already queued does the teardown itself and reports through on_stopped. */
    for (struct op *o = c->queue; o; o = o->next)
        if (o->kind == OP_STOP)
            return;
    if (c->running_op && c->running_op->kind == OP_STOP)
        return;
    queue_op(c, OP_REAP, 0);
}

static int watch_init(struct anc_container *c, int pid)
{
    return anc_pidwatch_start(c->loop, pid, on_pidfd, c, &c->watch);
}

static void work_cb(uv_work_t *req)
{
    struct op *o = req->data;
    struct anc_container *c = o->c;
    switch (o->kind) {
    case OP_START:
        o->status = anc_lxc_start_sync(c->images, &c->spec, c->helper_exe, &o->init_pid, o->msg,
                                       sizeof(o->msg));
        break;
    case OP_ADOPT:
        o->status = anc_lxc_adopt_sync(c->images, &c->spec, &o->init_pid);
        if (o->status < 0)
            snprintf(o->msg, sizeof(o->msg), "container %s is not running", c->name);
        break;
    case OP_STOP:
        o->status = o->active ? anc_lxc_stop_sync(c->images, &c->spec, o->timeout_s) : 0;
        break;
    case OP_REAP:
        if (o->active)
            anc_lxc_reap_sync(c->images, &c->spec, o->msg, sizeof(o->msg));
        break;
    }
}

static void finish_started(struct anc_container *c, struct op *o)
{
    c->starting = false;
    if (o->status == 0) {
        c->active = true;
        c->init_pid = o->init_pid;
        int r = watch_init(c, o->init_pid);
        if (r < 0) {
            /* init already gone (ESRCH): the reap below reports it. */
            unwatch(c);
            queue_op(c, OP_REAP, 0);
        }
    }
    if (c->cbs.on_started)
        c->cbs.on_started(c, o->status, o->init_pid, o->status < 0 ? o->msg : NULL, c->data);
}

static void after_cb(uv_work_t *req, int status)
{
    struct op *o = req->data;
    struct anc_container *c = o->c;
    c->running_op = NULL;
    if (!c->freeing) {
        switch (o->kind) {
        case OP_START:
        case OP_ADOPT:
            finish_started(c, o);
            break;
        case OP_STOP:
        case OP_REAP: {
            bool was_active = o->active;
            unwatch(c);
            c->active = false;
            c->init_pid = 0;
            if (o->kind == OP_STOP && c->cbs.on_stopped)
                c->cbs.on_stopped(c, o->status, c->data);
            else if (o->kind == OP_REAP && was_active && c->cbs.on_exit)
                c->cbs.on_exit(c, o->msg, c->data);
            break;
        }
        }
    }
    free(o);
    if (c->freeing)
        maybe_free(c);
    else
        run_next(c);
}

static void run_next(struct anc_container *c)
{
    if (c->running_op || !c->queue || c->freeing)
        return;
    struct op *o = c->queue;
    c->queue = o->next;
    o->active = c->active;
    o->work.data = o;
    c->running_op = o;
    int r = uv_queue_work(c->loop, &o->work, work_cb, after_cb);
    if (r < 0) {
        /* Only fails for invalid arguments; run the operation inline as a last resort. */
        work_cb(&o->work);
        after_cb(&o->work, r);
    }
}

int anc_container_start(struct anc_container *c)
{
    if (!c || c->freeing)
        return -EINVAL;
    if (c->active || c->starting)
        return -EBUSY;
    c->starting = true;
    return queue_op(c, OP_START, 0);
}

int anc_container_adopt(struct anc_container *c)
{
    if (!c || c->freeing)
        return -EINVAL;
    if (c->active || c->starting)
        return -EBUSY;
    c->starting = true;
    return queue_op(c, OP_ADOPT, 0);
}

int anc_container_stop(struct anc_container *c, int timeout_s)
{
    if (!c || c->freeing)
        return -EINVAL;
    return queue_op(c, OP_STOP, timeout_s);
}

bool anc_container_running(const struct anc_container *c)
{
    return c && c->active;
}

int anc_container_init_pid(const struct anc_container *c)
{
    return c ? c->init_pid : 0;
}

const char *anc_container_get_name(const struct anc_container *c)
{
    return c->name;
}

void anc_container_free(struct anc_container *c, void (*on_freed)(void *data), void *data)
{
    if (!c) {
        if (on_freed)
            on_freed(data);
        return;
    }
    c->freeing = true;
    c->on_freed = on_freed;
    c->freed_data = data;
    unwatch(c);
    maybe_free(c);
}
