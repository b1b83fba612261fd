/* The restart policy of guests that end by themselves (struct anc_instance restart): started again
 * after 1 s, doubling up to 60 s while they keep dying, back to 1 s once a run lasted a minute. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "instance/manager_internal.h"

/* "... exited with status 0": the guest ended by itself without failing. */
bool anc__manager_clean_exit(const char *reason)
{
    static const char tail[] = "exited with status 0";
    size_t n = strlen(reason);
    return n >= sizeof(tail) - 1 && strcmp(reason + n - (sizeof(tail) - 1), tail) == 0;
}

#define RESTART_MIN_MS    1000u
#define RESTART_MAX_MS    60000u
#define RESTART_STABLE_MS 60000u

static void on_restart_timer(uv_timer_t *t)
{
    struct anc_manager *m = t->data;
    uint64_t now = uv_now(m->loop);
    char err[256];
    for (struct anc_instance *i = m->list; i; i = i->next) {
        if (!i->restart_at_ms || i->restart_at_ms > now)
            continue;
        i->restart_at_ms = 0;
        if (i->rt || i->state != ANC_STATE_ERROR)
            continue; /* started or stopped by hand meanwhile */
        i->restarts++;
        anc_metric_add(m->m_restarts, 1);
        if (anc__manager_do_start(m, i, err, sizeof(err)) < 0)
            anc_error("instance %s: restart: %s", i->id, err);
    }
    anc__manager_arm_restart(m);
}

void anc__manager_arm_restart(struct anc_manager *m)
{
    uint64_t next = 0, now = uv_now(m->loop);
    for (struct anc_instance *i = m->list; i; i = i->next)
        if (i->restart_at_ms && (!next || i->restart_at_ms < next))
            next = i->restart_at_ms;
    if (!next || m->closing)
        uv_timer_stop(m->restart_timer);
    else
        uv_timer_start(m->restart_timer, on_restart_timer, next > now ? next - now : 0, 0);
}

void anc__manager_schedule_restart(struct anc_manager *m, struct anc_instance *inst)
{
    uint64_t now = uv_now(m->loop);
    if (!inst->restart_delay_ms || now - inst->started_ms >= RESTART_STABLE_MS)
        inst->restart_delay_ms = RESTART_MIN_MS;
    else if ((inst->restart_delay_ms *= 2) > RESTART_MAX_MS)
        inst->restart_delay_ms = RESTART_MAX_MS;
    inst->restart_at_ms = now + inst->restart_delay_ms;
    anc_info("instance %s (%s): restarting in %.1f s (restart = %s)", inst->id, inst->name,
             (double)inst->restart_delay_ms / 1000, anc_instance_restart_name(inst->restart));
    anc__manager_arm_restart(m);
}
