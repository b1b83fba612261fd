/* Watching a process that is not (or no longer) our child: a pidfd (Linux >= 5.3) polled on the
 * loop. Used for what outlives a daemon restart and is adopted by the next one: a container's init,
 * an instance's Xvfb. Loop thread only. */
#pragma once

#include <stdbool.h>
#include <uv.h>

struct anc_pidwatch;

/* Called once, when the process has ended. The watch stays valid until anc_pidwatch_close. */
typedef void (*anc_pidwatch_cb)(struct anc_pidwatch *w, void *data);

/* Opens a pidfd for pid and starts polling it. Returns 0, or -ESRCH when pid does not exist,
 * or another -errno (then nothing is left). */
int anc_pidwatch_start(uv_loop_t *loop, int pid, anc_pidwatch_cb on_exit, void *data,
                       struct anc_pidwatch **out);

/* Sends sig through the pidfd (no pid-reuse race). Returns 0 or -errno (-ESRCH once it ended). */
int anc_pidwatch_signal(struct anc_pidwatch *w, int sig);

int anc_pidwatch_pid(const struct anc_pidwatch *w);

/* Stops watching and frees w; on_closed(data) follows from the loop (may be NULL). No on_exit
 * runs after this call. */
void anc_pidwatch_close(struct anc_pidwatch *w, void (*on_closed)(void *data), void *data);

/* The process's argv from /proc/<pid>/cmdline as one string with the arguments separated by
 * '\n' (for matching a recorded process after a restart). Returns 0 or -errno. */
int anc_proc_cmdline(int pid, char *out, size_t len);
