/* etcd gateway answers: unary replies and the watch stream, into the result structs. */
#include "cluster/etcd.h"
#include "cluster/etcd_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An int64 field: a JSON string of digits (the gateway's form) or a number; 0 when absent. */
int anc__etcd_get_i64(const json_t *o, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(o, name);
    *out = 0;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s)
        return -EPROTO;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end)
        return -EPROTO;
    *out = x;
    return 0;
}

/* A base64 field decoded into a new NUL-terminated buffer ("" when absent). */
static int get_bytes(const json_t *o, const char *name, uint8_t **out, size_t *len)
{
    const json_t *v = json_object_get(o, name);
    const char *s = v ? json_string_value(v) : "";
    if (!s)
        return -EPROTO;
    size_t n = strlen(s);
    *out = malloc(3 * (n / 4) + 1);
    if (!*out)
        return -ENOMEM;
    ssize_t d = anc_b64_decode(s, n, *out);
    if (d < 0) {
        free(*out);
        *out = NULL;
        return -EPROTO;
    }
    *len = (size_t)d;
    return 0;
}

void anc__etcd_kv_free(struct anc_etcd_kv *kv)
{
    free((void *)kv->key);
    free((void *)kv->value);
}

int anc__etcd_parse_kv(const json_t *o, struct anc_etcd_kv *kv)
{
    memset(kv, 0, sizeof(*kv));
    if (!json_is_object(o))
        return -EPROTO;
    uint8_t *key = NULL, *value = NULL;
    size_t klen, vlen;
    int r = get_bytes(o, "key", &key, &klen);
    if (r == 0)
        r = get_bytes(o, "value", &value, &vlen);
    kv->key = (const char *)key;
    kv->value = value;
    kv->value_len = value ? vlen : 0;
    if (r == 0)
        r = anc__etcd_get_i64(o, "create_revision", &kv->create_revision);
    if (r == 0)
        r = anc__etcd_get_i64(o, "mod_revision", &kv->mod_revision);
    if (r == 0)
        r = anc__etcd_get_i64(o, "version", &kv->version);
    if (r == 0)
        r = anc__etcd_get_i64(o, "lease", &kv->lease);
    if (r < 0)
        anc__etcd_kv_free(kv);
    return r;
}

/* Appends the kvs array of o (absent: none) to the reply's. */
static int add_kvs(struct anc_etcd_reply *rep, const json_t *o)
{
    const json_t *a = json_object_get(o, "kvs");
    if (!a)
        return 0;
    size_t n = json_array_size(a);
    if (!json_is_array(a) || n > ANC_ETCD_MAX_KVS - rep->n_kvs)
        return -EPROTO;
    if (n == 0)
        return 0;
    struct anc_etcd_kv *kvs = realloc(rep->kvs, (rep->n_kvs + n) * sizeof(*kvs));
    if (!kvs)
        return -ENOMEM;
    rep->kvs = kvs;
    for (size_t i = 0; i < n; i++) {
        int r = anc__etcd_parse_kv(json_array_get(a, i), &kvs[rep->n_kvs]);
        if (r < 0)
            return r;
        rep->n_kvs++;
    }
    return 0;
}

static int set_message(struct anc_etcd_reply *rep, const char *m)
{
    free(rep->message);
    rep->message = strdup(m ? m : "");
    rep->r.message = rep->message;
    return rep->message ? 0 : -ENOMEM;
}

void anc_etcd_reply_error(struct anc_etcd_reply *out, int err, const char *message)
{
    set_message(out, message);
    out->r.err = err;
}

/* The gateway's error: {"error":"..","code":N,"message":".."} for a unary call, {"error":
 * {"grpc_code":N,"message":".."}} inside a stream. 1 when o is one (the reply then holds it). */
static int gateway_error(const json_t *o, struct anc_etcd_reply *rep)
{
    const json_t *e = json_object_get(o, "error");
    if (!e || json_object_get(o, "header"))
        return 0; /* LeaseGrantResponse has an "error" field of its own, next to its header */
    const json_t *src = json_is_object(e) ? e : o;
    const json_t *code = json_object_get(src, json_is_object(e) ? "grpc_code" : "code");
    const char *m = json_string_value(json_object_get(src, "message"));
    if (!m)
        m = json_is_string(e) ? json_string_value(e) : "etcd: an error without a message";
    anc_etcd_reply_error(
        rep, json_is_integer(code) ? anc_etcd_grpc_errno((int)json_integer_value(code)) : -EIO, m);
    return 1;
}

static int parse_txn(struct anc_etcd_reply *rep, const json_t *o)
{
    rep->r.succeeded = json_is_true(json_object_get(o, "succeeded"));
    const json_t *a = json_object_get(o, "responses");
    if (a && !json_is_array(a))
        return -EPROTO;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i), *x;
        int64_t deleted;
        int r = 0;
        if ((x = json_object_get(e, "response_range")))
            r = add_kvs(rep, x);
        else if ((x = json_object_get(e, "response_delete_range"))) {
            r = anc__etcd_get_i64(x, "deleted", &deleted);
            rep->r.deleted += deleted;
        } else if (!json_object_get(e, "response_put"))
            r = -EPROTO;
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_lease(struct anc_etcd_reply *rep, const json_t *o, enum anc_etcd_call call)
{
    int r = anc__etcd_get_i64(o, "ID", &rep->r.lease_id);
    if (r == 0)
        r = anc__etcd_get_i64(o, "TTL", &rep->r.ttl);
    if (r == 0 && call == ANC_ETCD_CALL_LEASE_GRANT && json_object_get(o, "error")) {
        anc_etcd_reply_error(rep, -EIO, json_string_value(json_object_get(o, "error")));
        return 1;
    }
    if (r == 0 && rep->r.ttl <= 0) {
        /* A keepalive of a lease that expired or never was answers TTL 0 (left out). */
        anc_etcd_reply_error(rep, -ENOENT, "etcd: lease not found or expired");
        return 1;
    }
    return r;
}

/* The call's own fields of a successful answer. */
static int parse_fields(struct anc_etcd_reply *rep, const json_t *o, enum anc_etcd_call call)
{
    int r = anc__etcd_get_i64(json_object_get(o, "header"), "revision", &rep->r.revision);
    if (r < 0)
        return r;
    switch (call) {
    case ANC_ETCD_CALL_RANGE:
        return add_kvs(rep, o);
    case ANC_ETCD_CALL_DELETE:
        return anc__etcd_get_i64(o, "deleted", &rep->r.deleted);
    case ANC_ETCD_CALL_TXN:
        return parse_txn(rep, o);
    case ANC_ETCD_CALL_LEASE_GRANT:
    case ANC_ETCD_CALL_LEASE_KEEPALIVE:
        return parse_lease(rep, o, call);
    default:
        return 0;
    }
}

static void finish_reply(struct anc_etcd_reply *rep, int r, int http_status)
{
    if (r < 0) {
        char m[64];
        snprintf(m, sizeof(m), "etcd: unparsable answer (HTTP %d)", http_status);
        anc_etcd_reply_error(rep, r == -ENOMEM ? r : -EPROTO, m);
        return;
    }
    rep->r.kvs = rep->kvs;
    rep->r.n_kvs = rep->n_kvs;
}

void anc_etcd_reply_parse(enum anc_etcd_call call, int http_status, const uint8_t *body, size_t len,
                          struct anc_etcd_reply *out)
{
    memset(out, 0, sizeof(*out));
    /* A keepalive answers as a stream: its first {"result":..} is the one. */
    json_t *o = json_loadb((const char *)body, len, JSON_DISABLE_EOF_CHECK, NULL);
    int r = json_is_object(o) ? 0 : -EPROTO;
    if (r == 0 && gateway_error(o, out)) {
        json_decref(o);
        return;
    }
    if (r == 0 && (http_status < 200 || http_status > 299))
        r = -EPROTO;
    const json_t *res = r == 0 && json_object_get(o, "result") ? json_object_get(o, "result") : o;
    if (r == 0 && !json_is_object(res))
        r = -EPROTO;
    if (r == 0)
        r = parse_fields(out, res, call);
    json_decref(o);
    if (r != 1)
        finish_reply(out, r, http_status);
}

void anc_etcd_reply_destroy(struct anc_etcd_reply *reply)
{
    if (!reply)
        return;
    for (size_t i = 0; i < reply->n_kvs; i++)
        anc__etcd_kv_free(&reply->kvs[i]);
    free(reply->kvs);
    free(reply->message);
    memset(reply, 0, sizeof(*reply));
}
