/* Instance records on disk: <state_dir>/instances/<id>.json, each written atomically (tmp, fsync,
 * rename, fsync of the directory) so a crash at any moment leaves the old or the new record. */
#pragma once

#include <limits.h>

#include "instance/instance.h"

struct anc_store {
    char dir[PATH_MAX];
};

/* Creates the directory if needed. Returns 0 or -errno. */
int anc_store_open(struct anc_store *st, const char *state_dir);

int anc_store_save(struct anc_store *st, const struct anc_instance *inst);
int anc_store_remove(struct anc_store *st, const char *id);

/* Calls found(arg, inst) for each valid record (inst is a temporary; copy it). A record that does
 * not parse is renamed to <name>.corrupt and reported through bad(arg, path, reason); loading goes
 * on with the rest. Returns the number of records loaded or -errno. */
int anc_store_load(struct anc_store *st, void (*found)(void *arg, const struct anc_instance *inst),
                   void (*bad)(void *arg, const char *path, const char *reason), void *arg);
