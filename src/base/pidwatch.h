/* Watching a process that is not (or no longer) our child: a pidfd (Linux >= 5.3) polled on the
 * loop; where pidfd_open is ENOSYS (older kernels, valgrind 3.19) a timer checks the pid instead.
 * Used for what outlives a daemon restart and is adopted by the next one: a container's init, an
 * instance's Xvfb. Loop thread only. */
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

/* Processes a previous daemon left running are found again through pid files and checked by
 * their command line, so that a reused pid is never mistaken for them. */

/* pid > 1 is alive and its command line, seen as "\nARG0\nARG1\n...\n", contains needle (e.g.
 * "\n--interface=ancloud\n": one whole argument). */
bool anc_proc_matches(int pid, const char *needle);

/* Writes "PID\n" to path atomically (a failure is logged: the record only helps a later daemon). */
void anc_pidfile_write(const char *path, int pid);

/* Reads the pid recorded in path and removes the file; returns that pid when anc_proc_matches it
 * with needle, else 0. */
int anc_pidfile_take(const char *path, const char *needle);
