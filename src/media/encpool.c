#include "media/encpool.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void push(struct anc_encjob **head, struct anc_encjob **tail, struct anc_encjob *job)
{
    job->next = NULL;
    if (*tail)
        (*tail)->next = job;
    else
        *head = job;
    *tail = job;
}

static struct anc_encjob *pop(struct anc_encjob **head, struct anc_encjob **tail)
{
    struct anc_encjob *job = *head;
    if (job) {
        *head = job->next;
        if (!*head)
            *tail = NULL;
        job->next = NULL;
    }
    return job;
}

static void *worker(void *arg)
{
    struct anc_encpool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->stop && !pool->queue_head)
            pthread_cond_wait(&pool->cond, &pool->lock);
        if (pool->stop)
            break;
        struct anc_encjob *job = pop(&pool->queue_head, &pool->queue_tail);
        pthread_mutex_unlock(&pool->lock);
        job->ops->work(job);
        pthread_mutex_lock(&pool->lock);
        push(&pool->done_head, &pool->done_tail, job);
        uv_async_send(&pool->async);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

static void start_job(struct anc_encpool *pool, struct anc_encjob *job)
{
    job->slot->running = job;
    pthread_mutex_lock(&pool->lock);
    push(&pool->queue_head, &pool->queue_tail, job);
    pool->in_flight++;
    pthread_cond_signal(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
}

/* Loop thread: deliver a finished job and start its slot's pending one. The slot's owner may free
 * the slot from the job's done() once the slot is idle, so the slot is settled first and not
 * touched after that call: the pending job is started (or cancelled, while the slot still counts
 * the finished job as running, so that it is not idle yet) before done() runs. */
static void deliver(struct anc_encpool *pool, struct anc_encjob *job, int status)
{
    struct anc_encslot *slot = job->slot;
    struct anc_encjob *next = slot->pending;
    slot->pending = NULL;
    slot->completed++;
    if (next && (pool->stop || slot->closing)) {
        next->ops->done(next, -ECANCELED);
        next = NULL;
    }
    slot->running = NULL;
    if (next)
        start_job(pool, next);
    job->ops->done(job, status);
}

static void on_async(uv_async_t *h)
{
    struct anc_encpool *pool = h->data;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        struct anc_encjob *job = pop(&pool->done_head, &pool->done_tail);
        if (job)
            pool->in_flight--;
        pthread_mutex_unlock(&pool->lock);
        if (!job)
            break;
        deliver(pool, job, 0);
    }
}

/* Joins the workers started so far (none of them has a job yet, so none touches the async). */
static void stop_workers(struct anc_encpool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    pthread_cond_broadcast(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->n_threads; i++)
        pthread_join(pool->threads[i], NULL);
    pool->n_threads = 0;
}

/* The async handle comes last: a failure leaves nothing open that the caller would have to wait
 * for before freeing the memory the pool lives in. */
int anc_encpool_init(struct anc_encpool *pool, uv_loop_t *loop, int n_threads)
{
    int r = 0;
    *pool = (struct anc_encpool){.loop = loop};
    if (n_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = n > 0 ? (int)n : 1;
    }
    pool->threads = calloc((size_t)n_threads, sizeof(*pool->threads));
    if (!pool->threads)
        return -ENOMEM;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->cond, NULL);
    for (; pool->n_threads < n_threads; pool->n_threads++) {
        r = -pthread_create(&pool->threads[pool->n_threads], NULL, worker, pool);
        if (r < 0)
            break;
    }
    if (pool->n_threads == 0)
        goto fail_sync;
    r = uv_async_init(loop, &pool->async, on_async);
    if (r == 0) {
        pool->async.data = pool;
        return 0;
    }
    stop_workers(pool);
fail_sync:
    pthread_cond_destroy(&pool->cond);
    pthread_mutex_destroy(&pool->lock);
    free(pool->threads);
    pool->threads = NULL;
    return r;
}

void anc_encpool_submit(struct anc_encpool *pool, struct anc_encslot *slot, struct anc_encjob *job)
{
    job->slot = slot;
    slot->submitted++;
    if (pool->stop || slot->closing) {
        job->ops->done(job, -ECANCELED);
        return;
    }
    if (!slot->running) {
        start_job(pool, job);
        return;
    }
    struct anc_encjob *old = slot->pending;
    slot->pending = job;
    if (old) {
        slot->replaced++;
        old->ops->done(old, -ECANCELED);
    }
}

bool anc_encslot_cancel(struct anc_encpool *pool, struct anc_encslot *slot)
{
    (void)pool;
    struct anc_encjob *old = slot->pending;
    slot->pending = NULL;
    if (old)
        old->ops->done(old, -ECANCELED);
    return slot->running == NULL;
}

static void on_async_closed(uv_handle_t *h)
{
    struct anc_encpool *pool = h->data;
    pthread_cond_destroy(&pool->cond);
    pthread_mutex_destroy(&pool->lock);
    free(pool->threads);
    pool->threads = NULL;
    if (pool->on_closed)
        pool->on_closed(pool);
}

void anc_encpool_close(struct anc_encpool *pool, void (*on_closed)(struct anc_encpool *pool))
{
    pool->on_closed = on_closed;
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    /* Jobs no worker picked up yet are cancelled below; running ones finish first. */
    struct anc_encjob *queued = pool->queue_head;
    pool->queue_head = pool->queue_tail = NULL;
    pthread_cond_broadcast(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->n_threads; i++)
        pthread_join(pool->threads[i], NULL);

    while (queued) {
        struct anc_encjob *next = queued->next;
        pool->in_flight--;
        deliver(pool, queued, -ECANCELED);
        queued = next;
    }
    on_async(&pool->async);
    uv_close((uv_handle_t *)&pool->async, on_async_closed);
}
