/* The last step shared by the kinds whose guest is an LXC container (linux, android): the
 * container object is freed outside the container module's own callbacks, where a release
 * usually begins (the module must not be freed under itself). */
#include "container/lxc.h"
#include "instance/runtime_internal.h"

static void on_freed(void *arg)
{
    struct anc_runtime *rt = arg;
    void (*done)(struct anc_runtime *) = rt->ct_freed;
    *rt->ct_freeing = NULL;
    rt->ct_freeing = NULL;
    rt->ct_freed = NULL;
    done(rt);
}

static void free_now(uv_timer_t *t)
{
    struct anc_runtime *rt = t->data;
    anc_container_free(*rt->ct_freeing, on_freed, rt);
}

void anc__rt_free_container(struct anc_runtime *rt, struct anc_container **ct,
                            void (*done)(struct anc_runtime *rt))
{
    if (!*ct) {
        done(rt);
        return;
    }
    rt->ct_freeing = ct;
    rt->ct_freed = done;
    uv_timer_start(&rt->timer, free_now, 0, 0); /* the timer is idle by now */
}
