/* One short command whose standard output is the answer (a screenshot from `lxc-attach ...
 * screencap -p`): spawned on the loop, its stdout collected into a growing buffer up to a
 * limit, ended with SIGKILL at a deadline, and one callback with what it wrote. Loop thread only.
 *
 * The run owns itself: it is freed after its callback once its handles are closed. The owner that
 * goes away first abandons it (no callback then; the process is killed). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct anc_run_output;

/* status: 0 when the command exited 0 having written at most max_bytes; its exit status (> 0)
 * otherwise; -ETIMEDOUT when the deadline killed it, -EFBIG when it wrote more than max_bytes
 * (killed), -EINTR when a signal ended it. out[0..len) is what it wrote (NUL-terminated, owned
 * by the run: valid only during the call; steal it by setting *out_steal, then free() it). */
typedef void (*anc_run_output_cb)(void *arg, int status, uint8_t *out, size_t len,
                                  uint8_t **out_steal);

/* Spawns argv (argv[0] looked up in PATH; stdin and stderr /dev/null). Returns 0 and the run
 * in *out (for anc_run_output_abandon; cb follows exactly once), or -errno with no callback. */
int anc_run_output_start(uv_loop_t *loop, char *const *argv, size_t max_bytes, uint64_t timeout_ms,
                         anc_run_output_cb cb, void *arg, struct anc_run_output **out);

/* The owner goes away: cb is not called, the process is killed, the run frees itself. */
void anc_run_output_abandon(struct anc_run_output *r);
