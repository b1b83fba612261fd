/* Shared by etcd_parse.c and etcd_watch.c: the JSON pieces of answers. */
#pragma once

#include <jansson.h>

#include "cluster/etcd.h"

/* An int64 field: a JSON string of digits (the gateway's form) or a number; 0 when absent.
 * -EPROTO when it is neither. */
int anc__etcd_get_i64(const json_t *o, const char *name, int64_t *out);
/* A kv object into *kv (key and value newly allocated, NUL-terminated); -EPROTO, -ENOMEM. */
int anc__etcd_parse_kv(const json_t *o, struct anc_etcd_kv *kv);
void anc__etcd_kv_free(struct anc_etcd_kv *kv);
