#include "cluster/node.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

bool anc_node_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > ANC_NODE_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i]))
            return false;
    return true;
}

bool anc_node_has_label(const struct anc_node *n, const char *label)
{
    for (int i = 0; i < n->n_labels; i++)
        if (strcmp(n->labels[i], label) == 0)
            return true;
    return false;
}

int anc_node_add_label(struct anc_node *n, const char *label)
{
    if (anc_node_has_label(n, label))
        return 0;
    if (n->n_labels >= ANC_NODE_LABELS)
        return -E2BIG;
    snprintf(n->labels[n->n_labels++], sizeof(n->labels[0]), "%s", label);
    return 0;
}

int anc_node_set_labels(struct anc_node *n, const char *csv, const char **why)
{
    n->n_labels = 0;
    while (*csv) {
        csv += strspn(csv, " ,");
        size_t len = strcspn(csv, ",");
        while (len > 0 && csv[len - 1] == ' ')
            len--;
        if (len == 0)
            break;
        char label[ANC_NODE_LABEL_MAX + 1];
        if (len > ANC_NODE_LABEL_MAX) {
            *why = "a label is longer than 31 characters";
            return -EINVAL;
        }
        memcpy(label, csv, len);
        label[len] = '\0';
        if (!anc_node_name_ok(label)) {
            *why = "a label has characters other than letters, digits, '-', '_', '.'";
            return -EINVAL;
        }
        if (anc_node_add_label(n, label) < 0) {
            *why = "more than 8 labels";
            return -EINVAL;
        }
        csv += strcspn(csv, ",");
    }
    return 0;
}

json_t *anc_node_to_json(const struct anc_node *n)
{
    json_t *labels = json_array();
    for (int i = 0; i < n->n_labels; i++)
        json_array_append_new(labels, json_string(n->labels[i]));
    return json_pack("{s:s, s:s, s:o, s:i, s:I, s:i, s:i, s:f, s:I}", "name", n->name, "url",
                     n->url, "labels", labels, "cores", n->cores, "memory_mb",
                     (json_int_t)n->memory_mb, "max_instances", n->max_instances, "running",
                     n->running, "load1", n->load1, "since", (json_int_t)n->since);
}

char *anc_node_encode(const struct anc_node *n)
{
    json_t *j = anc_node_to_json(n);
    if (!j)
        return NULL;
    json_object_del(j, "name"); /* the key says it */
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return s;
}

static int fail(char *err, size_t len, const char *what)
{
    snprintf(err, len, "%s", what);
    return -EINVAL;
}

static int decode_labels(json_t *labels, struct anc_node *out, char *err, size_t errlen)
{
    size_t i;
    json_t *l;
    if (!json_is_array(labels) || json_array_size(labels) > ANC_NODE_LABELS)
        return fail(err, errlen, "labels: expected an array of at most 8 labels");
    json_array_foreach(labels, i, l)
    {
        if (!json_is_string(l) || !anc_node_name_ok(json_string_value(l)) ||
            strlen(json_string_value(l)) > ANC_NODE_LABEL_MAX)
            return fail(err, errlen, "labels: a label is not a short name");
        anc_node_add_label(out, json_string_value(l));
    }
    return 0;
}

int anc_node_decode(const char *name, const char *text, size_t len, struct anc_node *out, char *err,
                    size_t errlen)
{
    *out = (struct anc_node){0};
    if (!anc_node_name_ok(name))
        return fail(err, errlen, "the node name is not a valid name");
    snprintf(out->name, sizeof(out->name), "%s", name);
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return fail(err, errlen, "not JSON");
    const char *url = NULL;
    json_t *labels = NULL;
    json_int_t cores = 0, mem = 0, max = 0, running = 0, since = 0;
    double load1 = 0;
    int r =
        json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:o, s:I, s:I, s:I, s:I, s:F, s:I}", "url", &url,
                       "labels", &labels, "cores", &cores, "memory_mb", &mem, "max_instances", &max,
                       "running", &running, "load1", &load1, "since", &since);
    if (r < 0)
        r = fail(err, errlen, je.text);
    else if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        r = fail(err, errlen, "url: expected http:// or https://");
    else if (strlen(url) > ANC_NODE_URL_MAX)
        r = fail(err, errlen, "url: too long");
    else if (cores < 0 || cores > 65536 || mem < 0 || max < 0 || max > 1000000 || running < 0 ||
             running > 1000000 || !isfinite(load1) || load1 < 0)
        r = fail(err, errlen, "a figure is out of range");
    else
        r = decode_labels(labels, out, err, errlen);
    if (r == 0) {
        snprintf(out->url, sizeof(out->url), "%s", url);
        out->cores = (int)cores;
        out->memory_mb = mem;
        out->max_instances = (int)max;
        out->running = (int)running;
        out->load1 = load1;
        out->since = since;
    }
    json_decref(j);
    return r;
}

const char *anc_node_label_for(enum anc_instance_kind kind)
{
    return kind == ANC_KIND_ANDROID ? "binder" : NULL;
}

/* Whether a is a better home than b (both have room). */
static bool better(const struct anc_node *a, int owned_a, const struct anc_node *b, int owned_b)
{
    double ua = (double)owned_a / a->max_instances, ub = (double)owned_b / b->max_instances;
    if (ua != ub)
        return ua < ub;
    double la = a->load1 / (a->cores > 0 ? a->cores : 1),
           lb = b->load1 / (b->cores > 0 ? b->cores : 1);
    if (la != lb)
        return la < lb;
    return strcmp(a->name, b->name) < 0;
}

int anc_node_place(const struct anc_node *nodes, const int *owned, size_t n,
                   enum anc_instance_kind kind)
{
    const char *need = anc_node_label_for(kind);
    int best = -1;
    bool labelled = false;
    if (n == 0)
        return -EHOSTDOWN;
    for (size_t i = 0; i < n; i++) {
        if (need && !anc_node_has_label(&nodes[i], need))
            continue;
        labelled = true;
        if (nodes[i].max_instances <= 0 || owned[i] >= nodes[i].max_instances)
            continue;
        if (best < 0 || better(&nodes[i], owned[i], &nodes[best], owned[best]))
            best = (int)i;
    }
    return best >= 0 ? best : labelled ? -ENOSPC : -ENODEV;
}
