/* The instance store as JSON files: <state_dir>/instances/<id>.json, each written atomically
 * (tmp, fsync, rename, fsync of the directory) so a crash at any moment leaves the old or the new
 * record. A record's revision is a counter kept in the file ("revision": 1 on create, +1 on each
 * put); a record written before revisions existed has none and reads as revision 1.
 *
 * One daemon owns the directory: revisions are compared with the file on each put and delete, but
 * not under a lock, so two processes writing the same directory could still race. */
#pragma once

#include "instance/store.h"

/* Creates the directory if needed. On success *out is a new store; the caller closes it with
 * anc_store_close(). Returns 0 or -errno. */
int anc_store_files_open(const char *state_dir, struct anc_store **out);
