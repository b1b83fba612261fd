/* Removing a directory tree without blocking the loop (an Android instance's /data can be large). */
#pragma once

#include <uv.h>

/* Renames dir to aside at once (nothing new can see it under its old name), then removes aside
 * and everything below it on the libuv thread pool, never crossing into a mount. Returns 0, or
 * -ENOENT when dir does not exist, or -errno (nothing is removed then). Loop thread only. */
int anc_remove_tree_later(uv_loop_t *loop, const char *dir, const char *aside);
