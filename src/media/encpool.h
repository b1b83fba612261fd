/* The encoder pool: N worker threads that run encode jobs off the loop thread.
 *
 * Ownership (STYLE.md rule 7): a job belongs to the pool from anc_encpool_submit() until its
 * done() callback, which always runs on the loop thread. Workers only call job->work(); they never
 * touch loop objects. Each producer (one per instance) owns a struct anc_encslot: at most one of
 * its jobs runs at a time and at most one waits; a newer job replaces the waiting one, whose
 * done() is then called with -ECANCELED (latest frame wins, queues never build latency). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct anc_encjob;

struct anc_encjob_ops {
    /* Runs on a worker thread. Must only use what the job owns. */
    void (*work)(struct anc_encjob *job);
    /* Runs on the loop thread: status 0 after work(), -ECANCELED when replaced or at shutdown. */
    void (*done)(struct anc_encjob *job, int status);
};

struct anc_encslot;

struct anc_encjob {
    const struct anc_encjob_ops *ops;
    struct anc_encslot *slot; /* set by submit */
    struct anc_encjob *next;  /* pool-internal queue link */
};

struct anc_encslot {
    struct anc_encjob *running; /* submitted to workers, not yet done */
    struct anc_encjob *pending; /* waits for running to finish */
    uint64_t submitted, replaced, completed;
    bool closing;
};

struct anc_encpool {
    uv_loop_t *loop;
    uv_async_t async;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t *threads;
    int n_threads;
    bool stop;
    struct anc_encjob *queue_head, *queue_tail; /* waiting for a worker */
    struct anc_encjob *done_head, *done_tail;   /* finished, waiting for the loop */
    int in_flight;                              /* queued + running + finished-not-delivered */
    void (*on_closed)(struct anc_encpool *pool);
};

/* Starts n_threads workers (0: one per core). Returns 0 or -errno. */
int anc_encpool_init(struct anc_encpool *pool, uv_loop_t *loop, int n_threads);

/* Submits a job for slot. Never blocks. See the latest-frame-wins rule above. */
void anc_encpool_submit(struct anc_encpool *pool, struct anc_encslot *slot, struct anc_encjob *job);

/* Cancels a slot's pending job (its done() gets -ECANCELED); a running job still completes.
 * Returns true when the slot has nothing in flight anymore (it may then be freed). */
bool anc_encslot_cancel(struct anc_encpool *pool, struct anc_encslot *slot);

static inline bool anc_encslot_idle(const struct anc_encslot *slot)
{
    return !slot->running && !slot->pending;
}

/* Stops the workers after the jobs they run finish, delivers every completion, cancels what is
 * queued, joins the threads and closes the async handle; on_closed runs from the close callback. */
void anc_encpool_close(struct anc_encpool *pool, void (*on_closed)(struct anc_encpool *pool));

/* Workers in use. */
static inline int anc_encpool_threads(const struct anc_encpool *pool)
{
    return pool->n_threads;
}
