/* Small file-system helpers with durable, atomic writes. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with the given mode for created directories. Returns 0 or -errno. */
int anc_mkdir_p(const char *path, mode_t mode);

/* Writes data to path atomically: path.tmp, fsync, rename, fsync of the directory. */
int anc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads a whole file (at most max bytes) into a new NUL-terminated buffer; caller frees. */
int anc_read_file(const char *path, size_t max, char **out, size_t *len);
