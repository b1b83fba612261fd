#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "media/encpool.h"
#include "test.h"

#define N_SLOTS 16
#define N_JOBS  40

struct tjob {
    struct anc_encjob job;
    int slot_idx;
    int seq;
};

static atomic_int running_per_slot[N_SLOTS];
static atomic_int max_running_per_slot;
static int done_ok[N_SLOTS], done_cancel[N_SLOTS], last_done_seq[N_SLOTS];
static int total_done;

static void work(struct anc_encjob *j)
{
    struct tjob *t = (struct tjob *)j;
    int now = atomic_fetch_add(&running_per_slot[t->slot_idx], 1) + 1;
    int prev = atomic_load(&max_running_per_slot);
    while (now > prev && !atomic_compare_exchange_weak(&max_running_per_slot, &prev, now))
        ;
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_fetch_sub(&running_per_slot[t->slot_idx], 1);
}

static void done(struct anc_encjob *j, int status)
{
    struct tjob *t = (struct tjob *)j;
    if (status == 0) {
        done_ok[t->slot_idx]++;
        CHECK(t->seq > last_done_seq[t->slot_idx]); /* completions keep submission order */
        last_done_seq[t->slot_idx] = t->seq;
    } else {
        CHECK_EQ(status, -ECANCELED);
        done_cancel[t->slot_idx]++;
    }
    total_done++;
    free(t);
}

static const struct anc_encjob_ops ops = {work, done};
static struct anc_encslot slots[N_SLOTS];
static struct anc_encpool pool;
static int submitted_rounds;

static void submit_round(void)
{
    for (int s = 0; s < N_SLOTS; s++) {
        struct tjob *t = calloc(1, sizeof(*t));
        t->job.ops = &ops;
        t->slot_idx = s;
        t->seq = submitted_rounds + 1;
        anc_encpool_submit(&pool, &slots[s], &t->job);
    }
    submitted_rounds++;
}

static void on_timer(uv_timer_t *t)
{
    submit_round();
    if (submitted_rounds == N_JOBS) {
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
    }
}

static bool closed;
static void on_pool_closed(struct anc_encpool *p)
{
    (void)p;
    closed = true;
}

static void on_idle_check(uv_timer_t *t)
{
    for (int s = 0; s < N_SLOTS; s++)
        if (!anc_encslot_idle(&slots[s]))
            return;
    if (submitted_rounds < N_JOBS)
        return;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
    anc_encpool_close(&pool, on_pool_closed);
}

/* Many producers submit faster than two workers can encode: no slot ever has more than one job
 * running, waiting work never exceeds one per slot, and every slot's newest frame is encoded. */
TEST(latest_frame_wins_under_overload)
{
    uv_loop_t loop;
    uv_timer_t submit, idle;
    uv_loop_init(&loop);
    CHECK_EQ(anc_encpool_init(&pool, &loop, 2), 0);
    uv_timer_init(&loop, &submit);
    uv_timer_init(&loop, &idle);
    uv_timer_start(&submit, on_timer, 0, 1);
    uv_timer_start(&idle, on_idle_check, 5, 5);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(closed);
    CHECK_EQ(uv_loop_close(&loop), 0);

    CHECK_EQ(total_done, N_SLOTS * N_JOBS);
    CHECK_EQ(atomic_load(&max_running_per_slot), 1);
    for (int s = 0; s < N_SLOTS; s++) {
        CHECK_EQ(done_ok[s] + done_cancel[s], N_JOBS);
        CHECK(done_cancel[s] > 0);          /* overload really happened */
        CHECK_EQ(last_done_seq[s], N_JOBS); /* the newest frame was encoded */
        CHECK_EQ(slots[s].replaced, (uint64_t)done_cancel[s]);
    }
}

/* Closing the pool with jobs running and waiting completes or cancels each exactly once. */
TEST(shutdown_with_jobs_in_flight)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    memset(slots, 0, sizeof(slots));
    memset(done_ok, 0, sizeof(done_ok));
    memset(done_cancel, 0, sizeof(done_cancel));
    memset(last_done_seq, 0, sizeof(last_done_seq));
    total_done = 0;
    submitted_rounds = 0;
    closed = false;
    CHECK_EQ(anc_encpool_init(&pool, &loop, 2), 0);
    for (int i = 0; i < 3; i++)
        submit_round();
    anc_encpool_close(&pool, on_pool_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(closed);
    CHECK_EQ(total_done, 3 * N_SLOTS);
    for (int s = 0; s < N_SLOTS; s++)
        CHECK(anc_encslot_idle(&slots[s]));
    CHECK_EQ(uv_loop_close(&loop), 0);
}

TEST(default_thread_count_is_cores)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    closed = false;
    CHECK_EQ(anc_encpool_init(&pool, &loop, 0), 0);
    CHECK(anc_encpool_threads(&pool) >= 1);
    anc_encpool_close(&pool, on_pool_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(closed);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

/* A slot's owner frees the slot from a job's done() once the slot is idle (media/stream.c does
 * this for a closing stream). The pool must not touch the slot after that call: the memory is
 * filled with garbage here before it is freed, so a read of slot->pending afterwards would start
 * a job from a wild pointer (and ASan/valgrind report the use after free). */
struct owned_slot {
    struct anc_encslot slot;
    bool closing;
    int done;
};

static void owned_work(struct anc_encjob *j)
{
    (void)j;
}

static void owned_done(struct anc_encjob *j, int status)
{
    struct owned_slot *o = (struct owned_slot *)j->slot;
    (void)status;
    free(j);
    o->done++;
    if (o->closing && anc_encslot_idle(&o->slot)) {
        memset(o, 0xa5, sizeof(*o));
        free(o);
    }
}

static const struct anc_encjob_ops owned_ops = {owned_work, owned_done};

TEST(slot_freed_from_done)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    closed = false;
    CHECK_EQ(anc_encpool_init(&pool, &loop, 1), 0);
    for (int round = 0; round < 2; round++) {
        /* round 0: only a running job; round 1: a running and a pending job, the owner closes */
        struct owned_slot *o = calloc(1, sizeof(*o));
        int jobs = round + 1;
        for (int i = 0; i < jobs; i++) {
            struct anc_encjob *j = calloc(1, sizeof(*j));
            j->ops = &owned_ops;
            anc_encpool_submit(&pool, &o->slot, j);
        }
        o->closing = true;
        if (round == 1)
            o->slot.closing = true; /* the pending job is cancelled, not started */
        for (int spins = 0; spins < 1000 && uv_run(&loop, UV_RUN_ONCE); spins++)
            if (pool.in_flight == 0)
                break;
    }
    anc_encpool_close(&pool, on_pool_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(closed);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
