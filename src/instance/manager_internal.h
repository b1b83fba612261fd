/* Shared by manager.c and manager_restart.c only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "instance/manager.h"
#include "media/encpool.h"

struct anc_manager {
    uv_loop_t *loop;
    const struct anc_config *cfg;
    struct anc_network *net;
    struct anc_manager_events events;
    int (*android_host_check)(char *why, size_t len);
    struct anc_store *store;
    struct anc_instance *list;
    size_t count;
    struct anc_encpool pool;
    struct anc_image_mounts *images;
    struct anc_metric *m_instances, *m_running, *m_encoders, *m_restarts;
    uv_timer_t *restart_timer; /* the earliest restart_at_ms of the instances waiting for one */
    bool closing;
    bool guests_left_running;
    bool resume_deferred; /* anc_manager_resume still to come */
    void (*done)(void *arg, bool guests_left_running);
    void *done_arg;
};

/* Starts inst's runtime (a start by hand or by the restart policy). 0 or -errno with err. */
int anc__manager_do_start(struct anc_manager *m, struct anc_instance *inst, char *err,
                          size_t errlen);

/* manager_restart.c */
/* "... exited with status 0": the guest ended by itself without failing. */
bool anc__manager_clean_exit(const char *reason);
/* inst (in error, with a restart policy) is started again after its back-off. */
void anc__manager_schedule_restart(struct anc_manager *m, struct anc_instance *inst);
/* The timer set to the earliest restart due (stopped when none, or closing). */
void anc__manager_arm_restart(struct anc_manager *m);
