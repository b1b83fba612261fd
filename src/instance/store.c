#include "instance/store.h"

#include <stddef.h>

int anc_store_load(struct anc_store *st, const char *id, struct anc_instance *out)
{
    return st->ops->load(st, id, out);
}

int anc_store_list(struct anc_store *st, anc_store_found_fn found, anc_store_bad_fn bad, void *arg)
{
    return st->ops->list(st, found, bad, arg);
}

int anc_store_put(struct anc_store *st, const struct anc_instance *inst, uint64_t expected_revision,
                  uint64_t *new_revision)
{
    uint64_t rev = 0;
    int r = st->ops->put(st, inst, expected_revision, &rev);
    if (r == 0 && new_revision)
        *new_revision = rev;
    return r;
}

int anc_store_delete(struct anc_store *st, const char *id, uint64_t expected_revision)
{
    return st->ops->delete (st, id, expected_revision);
}

void anc_store_close(struct anc_store *st)
{
    if (st)
        st->ops->close(st);
}
