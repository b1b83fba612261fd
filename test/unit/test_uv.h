/* Loop helpers for unit tests that run real libuv handles (children, displays, runtimes). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

static inline void anc_test_noop_tick(uv_timer_t *t)
{
    (void)t;
}

/* Runs loop until *flag >= want (flag NULL: for ms) or ms pass; returns whether it got there. A
 * 5 ms tick keeps uv_run from blocking on a loop whose only events are in other processes. */
static inline bool anc_test_run_until(uv_loop_t *loop, const int *flag, int want, uint64_t ms)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, anc_test_noop_tick, 5, 5);
    uint64_t end = uv_hrtime() / 1000000u + ms;
    while ((!flag || *flag < want) && uv_hrtime() / 1000000u < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return !flag || *flag >= want;
}
