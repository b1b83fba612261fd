/* A cluster node as the others see it: the value of <prefix>nodes/<name>, kept under the node's
 * lease (docs/cluster.md), and placement over the live ones. Pure code: no I/O. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "instance/instance.h"

#define ANC_NODE_NAME_MAX  63
#define ANC_NODE_URL_MAX   255
#define ANC_NODE_LABELS    8
#define ANC_NODE_LABEL_MAX 31

struct anc_node {
    char name[ANC_NODE_NAME_MAX + 1];
    char url[ANC_NODE_URL_MAX + 1]; /* advertised API URL, no trailing '/' */
    char labels[ANC_NODE_LABELS][ANC_NODE_LABEL_MAX + 1];
    int n_labels;
    int cores;
    int64_t memory_mb;
    int max_instances;
    int running;   /* instances it runs now (its own count) */
    double load1;  /* 1-minute load average */
    int64_t since; /* unix seconds it joined */
};

/* Letters, digits, '-', '_', '.'; 1..63 characters; not "." or "..". */
bool anc_node_name_ok(const char *name);
/* "a,b , c" → labels; -EINVAL (with why) for a bad or a ninth label. Duplicates are dropped. */
int anc_node_set_labels(struct anc_node *n, const char *csv, const char **why);
/* Adds one label unless present; -E2BIG when full. */
int anc_node_add_label(struct anc_node *n, const char *label);
bool anc_node_has_label(const struct anc_node *n, const char *label);

/* The record's JSON text (caller frees) / back: -EINVAL with a reason for anything malformed.
 * The name is the key's last part, not in the value: decode takes it. */
char *anc_node_encode(const struct anc_node *n);
int anc_node_decode(const char *name, const char *text, size_t len, struct anc_node *out, char *err,
                    size_t errlen);
json_t *anc_node_to_json(const struct anc_node *n);

/* The label a kind needs on its node: "binder" for android, NULL for the rest. */
const char *anc_node_label_for(enum anc_instance_kind kind);

/* Picks the node for a new instance of kind among nodes[0..n): those with the kind's label, with
 * room (owned[i] instances placed on it < max_instances), the one with the lowest share of its
 * capacity used, then the lowest load per core, then the name. owned[i] counts the records
 * whose owner is nodes[i] (placed, running or not). Returns the index, -ENODEV when no node has
 * the label (answered 409: the cluster cannot run that kind), -ENOSPC when the ones with the
 * label are full (503), -EHOSTDOWN when there is no node at all (503). */
int anc_node_place(const struct anc_node *nodes, const int *owned, size_t n,
                   enum anc_instance_kind kind);
