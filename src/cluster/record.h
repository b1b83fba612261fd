/* An instance as the cluster keeps it in etcd (docs/cluster.md): the record under
 * <prefix>instances/<id> (spec, desired state, owner; written by whichever node the API call
 * reached, each write a transaction guarded by the record's mod revision) and the status under
 * <prefix>status/<id> (actual state; written by the owner only, under the owner's lease, so it
 * disappears with the owner). And the owner's reconcile decision. Pure code: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/node.h"
#include "instance/instance.h"

struct anc_crecord {
    struct anc_instance inst; /* the spec; inst.state is not used */
    char owner[ANC_NODE_NAME_MAX + 1];
    bool running;         /* desired: running, else stopped */
    bool deleting;        /* delete asked: the owner removes its copy, then the record */
    int placements;       /* 1 at create, +1 each time a lost node's instance is placed again */
    int64_t mod_revision; /* of the etcd key it was read from; 0: not stored */
};

struct anc_cstatus {
    enum anc_instance_state state;
    char error[256];
    char node[ANC_NODE_NAME_MAX + 1];
    int viewers;
};

/* JSON text (caller frees) / back; -EINVAL with a reason. The id is the key's last part and
 * must match the spec's. */
char *anc_crecord_encode(const struct anc_crecord *r);
int anc_crecord_decode(const char *id, const char *text, size_t len, struct anc_crecord *out,
                       char *err, size_t errlen);
char *anc_cstatus_encode(const struct anc_cstatus *s);
int anc_cstatus_decode(const char *text, size_t len, struct anc_cstatus *out, char *err,
                       size_t errlen);

/* What the owner does next for one instance id. */
enum anc_rc_op {
    ANC_RC_NONE,
    ANC_RC_CREATE, /* the record is mine and I have no copy: make one (stopped) */
    ANC_RC_START,
    ANC_RC_STOP,
    ANC_RC_REMOVE, /* I have a copy that is not mine (any more), or one being deleted: remove it */
    ANC_RC_FORGET, /* deleting, and my copy is gone: delete the record */
};

/* rec: the record of that id (NULL: none); local: my copy (NULL: none); me: my node name;
 * acted: the record revision this node last started from (a start in error is not retried
 * until the record changes, i.e. until someone asks again). Transitional states wait. */
enum anc_rc_op anc_reconcile(const struct anc_crecord *rec, const struct anc_instance *local,
                             const char *me, int64_t acted);
const char *anc_rc_op_name(enum anc_rc_op op);
