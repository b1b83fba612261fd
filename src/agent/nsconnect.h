/* Connects to an abstract unix socket that lives in another process's network namespace (the
 * agent's "scrcpy_%08x" inside a container), asynchronously on the loop.
 *
 * Abstract sockets belong to a network namespace, and setns() would move the calling thread: the
 * loop thread must never do that. So a short-lived child is forked; it enters the namespace of
 * /proc/<pid>/ns/net (or stays, when that is already ours: no privilege needed then), connects
 * `count` times in order (retrying while nothing listens yet, until the deadline), and passes each
 * connected socket back over a socketpair with SCM_RIGHTS. The child only makes system calls
 * between fork and _exit, so forking from a process with threads (the encoder pool) is safe.
 *
 * scrcpy-server with tunnel_forward=true accepts video, then control, on one listening socket:
 * ask for count 2 and the first fd is the video socket. */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#define ANC_NSCONNECT_MAX 4 /* sockets per request */

struct anc_nsconnect;

/* Called exactly once per started request, from the loop, after which the request is freed.
 * status 0: fds[0..count) are connected, blocking, close-on-exec sockets, and the callee owns
 * them. Otherwise a negative errno and no fd: -ETIMEDOUT (nothing accepted in time), -ECANCELED
 * (anc_nsconnect_cancel), -EPERM (entering the namespace needs CAP_SYS_ADMIN), or the error of
 * connect(), socket() or setns(). */
typedef void (*anc_nsconnect_cb)(void *arg, int status, const int *fds, unsigned count);

/* Starts connecting to the abstract socket `name` (without its leading NUL, at most 107 bytes)
 * in the network namespace of pid. Returns 0 (cb will run), or -errno and cb never runs:
 * -EINVAL (count, name), -ENOENT/-ESRCH (no such process), the errors of open(), socketpair(),
 * fork(). *out (may be NULL) lets the caller cancel. */
int anc_nsconnect_start(uv_loop_t *loop, pid_t pid, const char *name, unsigned count,
                        uint64_t timeout_ms, anc_nsconnect_cb cb, void *arg,
                        struct anc_nsconnect **out);

/* Stops the attempt: the child is killed, sockets already received are closed, and cb runs
 * with -ECANCELED (later, from the loop) unless it has already been called or is scheduled
 * with a result. Only valid before cb has run. */
void anc_nsconnect_cancel(struct anc_nsconnect *nc);
