/* An instance's LXC container, driven from the loop thread.
 *
 * Every liblxc call, mount and spawn runs on libuv's pool, one operation at a time per container
 * (a queue of operations: start, adopt, stop, reap). Starting goes through a helper process
 * (forkstart.h). While the container runs, its init process is watched with a pidfd (Linux ≥
 * 5.3) on a uv_poll_t, so an exit is seen at once; the module then waits for LXC's monitor,
 * unmounts the overlay, releases the image and reports the exit.
 *
 * Ownership: struct anc_container belongs to its creator, lives on the loop thread and is freed
 * by anc_container_free. The spec is copied at creation. The image-mount table is borrowed and
 * must outlive the container. */
#pragma once

#include <stdbool.h>
#include <uv.h>

#include "container/image.h"
#include "container/spec.h"

struct anc_container;

struct anc_container_callbacks {
    /* A start or adopt finished: status 0 with the init pid (a host pid), or a negative errno
     * with a message (valid during the call); after a failure nothing of the start is left. */
    void (*on_started)(struct anc_container *c, int status, int init_pid, const char *error,
                       void *data);
    /* The running container's init ended without a stop being asked for; everything the start
     * made is gone by then. reason: "exited with status N" / "killed by signal N". May be NULL. */
    void (*on_exit)(struct anc_container *c, const char *reason, void *data);
    /* A stop finished (status 0, or a negative errno when it was still running after the
     * kill); mounts are gone. May be NULL. */
    void (*on_stopped)(struct anc_container *c, int status, void *data);
};

/* Copies spec (argv included) and cbs. helper_exe: the binary that understands
 * --lxc-forkstart (ancloudd: "/proc/self/exe"). Returns 0 or -ENOMEM / -EINVAL. */
int anc_container_new(uv_loop_t *loop, struct anc_image_mounts *images, const char *helper_exe,
                      const struct anc_container_spec *spec,
                      const struct anc_container_callbacks *cbs, void *data,
                      struct anc_container **out);

/* Queue a start (→ on_started). Returns 0, or -EBUSY when already running or starting. */
int anc_container_start(struct anc_container *c);
/* After a daemon restart: the container still running is watched again (→ on_started with its
 * pid), or on_started reports -ESRCH when it is not running. */
int anc_container_adopt(struct anc_container *c);
/* Queue a stop: SIGPWR and timeout_s to shut down, then kill (→ on_stopped). A stop of a
 * stopped container succeeds. Returns 0 or -EINVAL after free. */
int anc_container_stop(struct anc_container *c, int timeout_s);

/* Running as last seen on the loop thread, and its init pid (0 when not running). */
bool anc_container_running(const struct anc_container *c);
int anc_container_init_pid(const struct anc_container *c);
/* "ancloud-<id>". */
const char *anc_container_get_name(const struct anc_container *c);

/* Frees c once its operation in flight is done; operations still queued are dropped without
 * their callbacks, no callback runs after this call. A running container is left running (a
 * daemon restart adopts it). on_freed(data) is called when the memory is gone (may be NULL).
 * Accepts NULL. */
void anc_container_free(struct anc_container *c, void (*on_freed)(void *data), void *data);
