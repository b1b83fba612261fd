/* etcd gateway requests: base64, the JSON bodies of each call, gRPC codes as errno. */
#include "cluster/etcd.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t anc_b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* One group of four characters, the last one possibly padded: the bytes it gives, or -1. */
static int decode_quad(const char *q, bool last, uint8_t *out)
{
    int v[4], pad = 0;
    for (int i = 0; i < 4; i++) {
        if (q[i] == '=' && last && i >= 2 && (i == 3 || q[3] == '=')) {
            v[i] = 0;
            pad++;
            continue;
        }
        v[i] = b64_value(q[i]);
        if (v[i] < 0)
            return -1;
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    out[0] = (uint8_t)(w >> 16);
    out[1] = (uint8_t)(w >> 8);
    out[2] = (uint8_t)w;
    return 3 - pad;
}

ssize_t anc_b64_decode(const char *in, size_t n, uint8_t *out)
{
    if (n % 4)
        return -EBADMSG;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint8_t tmp[3];
        int got = decode_quad(in + i, i + 4 == n, tmp);
        if (got < 0)
            return -EBADMSG;
        memcpy(out + o, tmp, (size_t)got);
        o += (size_t)got;
    }
    out[o] = 0;
    return (ssize_t)o;
}

int anc_etcd_grpc_errno(int code)
{
    switch (code) {
    case 1: /* CANCELLED */
        return -ECANCELED;
    case 3: /* INVALID_ARGUMENT */
        return -EINVAL;
    case 4: /* DEADLINE_EXCEEDED */
        return -ETIMEDOUT;
    case 5: /* NOT_FOUND */
        return -ENOENT;
    case 6: /* ALREADY_EXISTS */
        return -EEXIST;
    case 7:  /* PERMISSION_DENIED */
    case 16: /* UNAUTHENTICATED */
        return -EACCES;
    case 8: /* RESOURCE_EXHAUSTED */
        return -ENOSPC;
    case 9: /* FAILED_PRECONDITION */
        return -EPERM;
    case 10: /* ABORTED */
        return -ECONNABORTED;
    case 11: /* OUT_OF_RANGE: a compacted revision */
        return -ERANGE;
    case 12: /* UNIMPLEMENTED */
        return -ENOSYS;
    case 14: /* UNAVAILABLE: no leader, member stopping */
        return -EAGAIN;
    default: /* UNKNOWN, INTERNAL, DATA_LOSS, anything newer */
        return -EIO;
    }
}

const char *anc_etcd_call_path(enum anc_etcd_call call)
{
    static const char *const paths[] = {
        [ANC_ETCD_CALL_RANGE] = "/v3/kv/range",
        [ANC_ETCD_CALL_PUT] = "/v3/kv/put",
        [ANC_ETCD_CALL_DELETE] = "/v3/kv/deleterange",
        [ANC_ETCD_CALL_TXN] = "/v3/kv/txn",
        [ANC_ETCD_CALL_LEASE_GRANT] = "/v3/lease/grant",
        [ANC_ETCD_CALL_LEASE_KEEPALIVE] = "/v3/lease/keepalive",
        [ANC_ETCD_CALL_LEASE_REVOKE] = "/v3/lease/revoke",
        [ANC_ETCD_CALL_WATCH] = "/v3/watch",
    };
    return (unsigned)call < sizeof(paths) / sizeof(paths[0]) ? paths[call] : NULL;
}

/* ---- JSON helpers: every set steals its value; a NULL value fails the set (json_object_set_new
 * returns -1), so a failed allocation surfaces at the end as -ENOMEM. ---- */

static json_t *bytes_json(const uint8_t *p, size_t n)
{
    char *s = malloc(4 * ((n + 2) / 3) + 1);
    if (!s)
        return NULL;
    anc_b64_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *i64_json(int64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "%" PRId64, v);
    return json_string(s);
}

/* The end of a prefix range: the key with its last byte below 0xff incremented, the rest cut;
 * "\0" (everything) when there is none. */
static json_t *prefix_end_json(const char *key)
{
    size_t n = strlen(key);
    uint8_t *e = malloc(n + 1);
    if (!e)
        return NULL;
    memcpy(e, key, n);
    while (n > 0 && e[n - 1] == 0xff)
        n--;
    if (n > 0)
        e[n - 1]++;
    json_t *j = n > 0 ? bytes_json(e, n) : bytes_json((const uint8_t *)"", 1);
    free(e);
    return j;
}

static int check_key(const char *key)
{
    if (!key || !*key)
        return -EINVAL;
    return strlen(key) > ANC_ETCD_MAX_VALUE ? -EMSGSIZE : 0;
}

static int check_value(const uint8_t *v, size_t len)
{
    if (!v && len)
        return -EINVAL;
    return len > ANC_ETCD_MAX_VALUE ? -EMSGSIZE : 0;
}

/* {"key": .., "range_end": .. when prefix} into o. */
static int set_key_range(json_t *o, const char *key, bool prefix)
{
    int r = json_object_set_new(o, "key", bytes_json((const uint8_t *)key, strlen(key)));
    if (r == 0 && prefix)
        r = json_object_set_new(o, "range_end", prefix_end_json(key));
    return r < 0 ? -ENOMEM : 0;
}

static int dump(json_t *o, int r, char **out)
{
    if (r == 0) {
        *out = json_dumps(o, JSON_COMPACT);
        r = *out ? 0 : -ENOMEM;
    }
    json_decref(o);
    return r;
}

static json_t *range_obj(const char *key, bool prefix, int *r)
{
    json_t *o = json_object();
    *r = o ? check_key(key) : -ENOMEM;
    if (*r == 0)
        *r = set_key_range(o, key, prefix);
    return o;
}

static json_t *put_obj(const char *key, const uint8_t *value, size_t len, int64_t lease, int *r)
{
    json_t *o = json_object();
    *r = !o ? -ENOMEM : check_key(key) < 0 ? check_key(key) : check_value(value, len);
    if (*r == 0)
        *r = set_key_range(o, key, false);
    if (*r == 0 &&
        json_object_set_new(o, "value", bytes_json(value ? value : (const uint8_t *)"", len)))
        *r = -ENOMEM;
    if (*r == 0 && lease && json_object_set_new(o, "lease", i64_json(lease)))
        *r = -ENOMEM;
    return o;
}

int anc_etcd_body_range(const char *key, bool prefix, char **out)
{
    int r;
    json_t *o = range_obj(key, prefix, &r);
    return o ? dump(o, r, out) : -ENOMEM;
}

int anc_etcd_body_put(const char *key, const uint8_t *value, size_t len, int64_t lease, char **out)
{
    int r;
    json_t *o = put_obj(key, value, len, lease, &r);
    return o ? dump(o, r, out) : -ENOMEM;
}

int anc_etcd_body_delete(const char *key, bool prefix, char **out)
{
    return anc_etcd_body_range(key, prefix, out);
}

static json_t *cmp_obj(const struct anc_etcd_cmp *c, int *r)
{
    static const char *const targets[] = {"MOD", "CREATE", "VERSION", "VALUE", "LEASE"};
    static const char *const fields[] = {"mod_revision", "create_revision", "version", "value",
                                         "lease"};
    static const char *const ops[] = {"EQUAL", "NOT_EQUAL", "LESS", "GREATER"};
    if ((unsigned)c->target > ANC_ETCD_LEASE || (unsigned)c->op > ANC_ETCD_GT) {
        *r = -EINVAL;
        return NULL;
    }
    json_t *o = range_obj(c->key, false, r);
    if (*r == 0 && c->target == ANC_ETCD_VALUE)
        *r = check_value(c->value, c->value_len);
    if (*r == 0) {
        json_t *v = c->target == ANC_ETCD_VALUE
                        ? bytes_json(c->value ? c->value : (const uint8_t *)"", c->value_len)
                        : i64_json(c->number);
        if (json_object_set_new(o, "target", json_string(targets[c->target])) ||
            json_object_set_new(o, "result", json_string(ops[c->op])) ||
            json_object_set_new(o, fields[c->target], v))
            *r = -ENOMEM;
    }
    return o;
}

static json_t *op_obj(const struct anc_etcd_op *op, int *r)
{
    static const char *const names[] = {"request_put", "request_delete_range", "request_range"};
    if ((unsigned)op->type > ANC_ETCD_OP_RANGE) {
        *r = -EINVAL;
        return NULL;
    }
    json_t *inner = op->type == ANC_ETCD_OP_PUT
                        ? put_obj(op->key, op->value, op->value_len, op->lease, r)
                        : range_obj(op->key, op->prefix, r);
    json_t *o = json_object();
    if (json_object_set_new(o, names[op->type], inner) && *r == 0)
        *r = -ENOMEM;
    return o;
}

/* Appends n items made by make() to a new array under name in txn. */
static int add_list(json_t *txn, const char *name, const void *items, size_t size, size_t n,
                    json_t *(*make)(const void *item, int *r))
{
    json_t *a = json_array();
    int r = a ? 0 : -ENOMEM;
    for (size_t i = 0; r == 0 && i < n; i++) {
        json_t *e = make((const char *)items + i * size, &r);
        if (json_array_append_new(a, e) && r == 0)
            r = -ENOMEM;
    }
    if (json_object_set_new(txn, name, a) && r == 0)
        r = -ENOMEM;
    return r;
}

static json_t *make_cmp(const void *item, int *r)
{
    return cmp_obj(item, r);
}

static json_t *make_op(const void *item, int *r)
{
    return op_obj(item, r);
}

int anc_etcd_body_txn(const struct anc_etcd_cmp *cmp, size_t n_cmp, const struct anc_etcd_op *then,
                      size_t n_then, const struct anc_etcd_op *otherwise, size_t n_otherwise,
                      char **out)
{
    if ((n_cmp && !cmp) || (n_then && !then) || (n_otherwise && !otherwise))
        return -EINVAL;
    if (n_cmp > ANC_ETCD_MAX_TXN_OPS || n_then > ANC_ETCD_MAX_TXN_OPS ||
        n_otherwise > ANC_ETCD_MAX_TXN_OPS)
        return -E2BIG;
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    int r = add_list(o, "compare", cmp, sizeof(*cmp), n_cmp, make_cmp);
    if (r == 0)
        r = add_list(o, "success", then, sizeof(*then), n_then, make_op);
    if (r == 0)
        r = add_list(o, "failure", otherwise, sizeof(*otherwise), n_otherwise, make_op);
    return dump(o, r, out);
}

static int one_field(const char *name, int64_t v, char **out)
{
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    return dump(o, json_object_set_new(o, name, i64_json(v)) ? -ENOMEM : 0, out);
}

int anc_etcd_body_lease_grant(int64_t ttl_s, char **out)
{
    return ttl_s <= 0 ? -EINVAL : one_field("TTL", ttl_s, out);
}

int anc_etcd_body_lease_id(int64_t lease, char **out)
{
    return lease == 0 ? -EINVAL : one_field("ID", lease, out);
}

int anc_etcd_body_watch(const char *key, bool prefix, int64_t start_revision, char **out)
{
    if (start_revision < 0)
        return -EINVAL;
    int r;
    json_t *create = range_obj(key, prefix, &r);
    if (!create)
        return -ENOMEM;
    if (r == 0 && start_revision &&
        json_object_set_new(create, "start_revision", i64_json(start_revision)))
        r = -ENOMEM;
    if (r == 0 && json_object_set_new(create, "progress_notify", json_true()))
        r = -ENOMEM;
    json_t *o = json_object();
    if (json_object_set_new(o, "create_request", create) && r == 0)
        r = -ENOMEM;
    return o ? dump(o, r, out) : -ENOMEM;
}
