/* A stand-in for src/instance/runtime.c, linked instead of it (a link seam): it completes starts
 * and stops through timers on the instance's loop and can be told to fail or to let a guest die. */
#pragma once

#include "instance/instance.h"

struct fake_runtime_ctl {
    const char *fail_start; /* non-NULL: starts report this error from the loop */
    int fail_start_now;     /* -errno: anc_runtime_start returns it, nothing started */
    unsigned starts, adopts, stops, detaches;
};

extern struct fake_runtime_ctl fake_runtime;

/* Resets the controls and counters. */
void fake_runtime_reset(void);

/* The guest of a running inst reports its clipboard: on_clipboard now (if set). */
void fake_runtime_clipboard(struct anc_instance *inst, const char *utf8, size_t len);

/* The guest of a running inst ends by itself: on_died(reason) now, on_stopped once its handle has
 * closed. A guest already stopping is gone quietly, as with the real runtime. */
void fake_runtime_die(struct anc_instance *inst, const char *reason);
