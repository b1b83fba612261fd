#include "cluster/record.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t len, const char *what)
{
    snprintf(err, len, "%s", what);
    return -EINVAL;
}

char *anc_crecord_encode(const struct anc_crecord *r)
{
    json_t *inst = anc_instance_to_json(&r->inst);
    if (!inst)
        return NULL;
    json_object_set_new(inst, "state", json_string("stopped")); /* the status says the truth */
    json_object_set_new(inst, "error", json_string(""));
    json_t *j = json_pack("{s:o, s:s, s:s, s:b, s:i}", "instance", inst, "owner", r->owner,
                          "desired", r->running ? "running" : "stopped", "deleting", r->deleting,
                          "placements", r->placements);
    if (!j)
        return NULL;
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return s;
}

int anc_crecord_decode(const char *id, const char *text, size_t len, struct anc_crecord *out,
                       char *err, size_t errlen)
{
    *out = (struct anc_crecord){0};
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return fail(err, errlen, "not JSON");
    json_t *inst = NULL;
    const char *owner = NULL, *desired = NULL;
    int deleting = 0, placements = 0;
    int r = json_unpack_ex(j, &je, JSON_STRICT, "{s:o, s:s, s:s, s:b, s:i}", "instance", &inst,
                           "owner", &owner, "desired", &desired, "deleting", &deleting,
                           "placements", &placements);
    if (r < 0)
        r = fail(err, errlen, je.text);
    else if (!anc_node_name_ok(owner))
        r = fail(err, errlen, "owner: not a node name");
    else if (strcmp(desired, "running") != 0 && strcmp(desired, "stopped") != 0)
        r = fail(err, errlen, "desired: expected running or stopped");
    else if (placements < 1)
        r = fail(err, errlen, "placements: expected 1 or more");
    else
        r = anc_instance_from_record(&out->inst, inst, err, errlen);
    if (r == 0 && strcmp(out->inst.id, id) != 0)
        r = fail(err, errlen, "instance.id: not the key's id");
    if (r == 0) {
        snprintf(out->owner, sizeof(out->owner), "%s", owner);
        out->running = strcmp(desired, "running") == 0;
        out->deleting = deleting;
        out->placements = placements;
    }
    json_decref(j);
    return r;
}

char *anc_cstatus_encode(const struct anc_cstatus *s)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:i}", "state", anc_instance_state_name(s->state),
                          "error", s->error, "node", s->node, "viewers", s->viewers);
    if (!j)
        return NULL;
    char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return t;
}

static int state_parse(const char *s, enum anc_instance_state *out)
{
    for (int i = ANC_STATE_STOPPED; i <= ANC_STATE_ERROR; i++) {
        if (strcmp(s, anc_instance_state_name((enum anc_instance_state)i)) == 0) {
            *out = (enum anc_instance_state)i;
            return 0;
        }
    }
    return -EINVAL;
}

int anc_cstatus_decode(const char *text, size_t len, struct anc_cstatus *out, char *err,
                       size_t errlen)
{
    *out = (struct anc_cstatus){0};
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return fail(err, errlen, "not JSON");
    const char *state = NULL, *error = NULL, *node = NULL;
    int viewers = 0;
    int r = json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s:s, s:i}", "state", &state, "error",
                           &error, "node", &node, "viewers", &viewers);
    if (r < 0)
        r = fail(err, errlen, je.text);
    else if (state_parse(state, &out->state) < 0)
        r = fail(err, errlen, "state: not a state");
    else if (!anc_node_name_ok(node))
        r = fail(err, errlen, "node: not a node name");
    else if (viewers < 0 || strlen(error) >= sizeof(out->error))
        r = fail(err, errlen, "viewers or error out of range");
    if (r == 0) {
        snprintf(out->error, sizeof(out->error), "%s", error);
        snprintf(out->node, sizeof(out->node), "%s", node);
        out->viewers = viewers;
    }
    json_decref(j);
    return r;
}

enum anc_rc_op anc_reconcile(const struct anc_crecord *rec, const struct anc_instance *local,
                             const char *me, int64_t acted)
{
    bool mine = rec && strcmp(rec->owner, me) == 0;
    if (!mine || rec->deleting) {
        if (local)
            return ANC_RC_REMOVE;
        return mine ? ANC_RC_FORGET : ANC_RC_NONE;
    }
    if (!local)
        return ANC_RC_CREATE;
    switch (local->state) {
    case ANC_STATE_STARTING:
    case ANC_STATE_STOPPING:
        return ANC_RC_NONE;
    case ANC_STATE_STOPPED:
        return rec->running && acted != rec->mod_revision ? ANC_RC_START : ANC_RC_NONE;
    case ANC_STATE_ERROR:
        if (!rec->running)
            return ANC_RC_NONE;
        return acted != rec->mod_revision ? ANC_RC_START : ANC_RC_NONE;
    case ANC_STATE_RUNNING:
        return rec->running ? ANC_RC_NONE : ANC_RC_STOP;
    }
    return ANC_RC_NONE;
}

const char *anc_rc_op_name(enum anc_rc_op op)
{
    static const char *const names[] = {"none", "create", "start", "stop", "remove", "forget"};
    return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}
