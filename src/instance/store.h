/* The instance store: where instance records live, behind a small ops table (a "trait", as in
 * scrcpy) so that a backend can be replaced without touching the manager. The JSON-file backend
 * is store_files.h; a later one keeps records in etcd.
 *
 * Revisions. Every stored record has a revision: nonzero, opaque, and changed by every put. The
 * caller keeps the revision of the copy it holds (struct anc_instance.revision) and passes it back
 * as expected_revision, so a put or delete based on an outdated copy fails with -ESTALE instead
 * of overwriting someone else's write (compare-and-swap). Callers compare revisions for equality
 * only and never compute them: the file backend counts 1, 2, 3 per record, etcd hands out its
 * global mod revisions.
 *
 * All calls are synchronous, on the loop thread, and return 0 or a negative errno. */
#pragma once

#include <stdint.h>

#include "instance/instance.h"

struct anc_store;

/* Called for each valid record; inst is a temporary (copy it), inst->revision is set. */
typedef void (*anc_store_found_fn)(void *arg, const struct anc_instance *inst);
/* Called for each record that does not parse: where names it (the file backend: its path, which
 * it has already renamed to <where>.corrupt), reason says what is wrong. */
typedef void (*anc_store_bad_fn)(void *arg, const char *where, const char *reason);

struct anc_store_ops {
    /* Reads one record into *out. -ENOENT: no such record; -EBADMSG: it does not parse. */
    int (*load)(struct anc_store *st, const char *id, struct anc_instance *out);
    /* Reports every record through found or bad (corrupt ones are set aside, loading goes on).
     * Returns the number of valid records. */
    int (*list)(struct anc_store *st, anc_store_found_fn found, anc_store_bad_fn bad, void *arg);
    /* Writes inst (its revision field is ignored) if the stored revision is expected_revision,
     * 0 meaning "must not exist yet"; on success sets *new_revision. Nothing is written on
     * error: -EEXIST (expected 0, the record exists), -ENOENT (expected nonzero, no record),
     * -ESTALE (another revision is stored). */
    int (*put)(struct anc_store *st, const struct anc_instance *inst, uint64_t expected_revision,
               uint64_t *new_revision);
    /* Removes a record if its revision is expected_revision (0: whatever its revision).
     * -ENOENT: no such record; -ESTALE: another revision is stored (nothing removed). */
    int (*delete)(struct anc_store *st, const char *id, uint64_t expected_revision);
    /* Frees the store and what it holds. */
    void (*close)(struct anc_store *st);
};

/* Embedded first in a backend's own struct; the backend's constructor returns a pointer to it and
 * the caller owns it until anc_store_close(). */
struct anc_store {
    const struct anc_store_ops *ops;
};

int anc_store_load(struct anc_store *st, const char *id, struct anc_instance *out);
int anc_store_list(struct anc_store *st, anc_store_found_fn found, anc_store_bad_fn bad, void *arg);
/* new_revision may be NULL, and may point into inst (&inst->revision): it is written only on
 * success, after the backend is done with inst. */
int anc_store_put(struct anc_store *st, const struct anc_instance *inst, uint64_t expected_revision,
                  uint64_t *new_revision);
int anc_store_delete(struct anc_store *st, const char *id, uint64_t expected_revision);
/* Accepts NULL. */
void anc_store_close(struct anc_store *st);
