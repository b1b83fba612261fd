/* etcd v3 through its JSON gateway (etcd 3.4, "/v3/..."), sans-IO: each call's request body, each
 * answer parsed into the result structs the cluster code uses, and the watch stream (a sequence of
 * {"result":{...}} objects split anywhere across chunks). Keys and values travel base64-encoded,
 * int64 fields as JSON strings; fields at their zero value are left out by the gateway.
 *
 * Pure code: no sockets, no clock. etcd_uv.c does the HTTP; tests and the fuzz target drive these
 * directly. The public call API is in etcd_uv.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ANC_ETCD_MAX_VALUE   (1024 * 1024)     /* a key or value we send; beyond: -EMSGSIZE */
#define ANC_ETCD_MAX_TXN_OPS 128               /* etcd's default --max-txn-ops; beyond: -E2BIG */
#define ANC_ETCD_MAX_KVS     100000            /* kvs or events in one answer; beyond: -EPROTO */
#define ANC_ETCD_MAX_MSG     (8 * 1024 * 1024) /* one watch message; beyond: -EMSGSIZE */

struct anc_etcd_kv {
    const char *key;      /* NUL-terminated */
    const uint8_t *value; /* NUL-terminated too (value[value_len] == 0) */
    size_t value_len;
    int64_t create_revision, mod_revision, version, lease;
};

struct anc_etcd_result {
    int err; /* 0; -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH (all endpoints failed); -EPROTO
                          * (unparsable answer); -ENOENT (lease not found); other -errno */
    const char *message;           /* on error: what failed, for logs */
    int64_t revision;              /* header.revision of the answer */
    const struct anc_etcd_kv *kvs; /* range, and the range ops of a txn (all concatenated) */
    size_t n_kvs;
    bool succeeded;        /* txn: the compare held */
    int64_t lease_id, ttl; /* lease grant / keepalive (ttl 0 or lease gone: err -ENOENT) */
    int64_t deleted;       /* deleterange / delete ops */
};

enum anc_etcd_target {
    ANC_ETCD_MOD,
    ANC_ETCD_CREATE,
    ANC_ETCD_VERSION,
    ANC_ETCD_VALUE,
    ANC_ETCD_LEASE
};
enum anc_etcd_cmp_op { ANC_ETCD_EQ, ANC_ETCD_NE, ANC_ETCD_LT, ANC_ETCD_GT };
struct anc_etcd_cmp {
    const char *key;
    enum anc_etcd_target target;
    enum anc_etcd_cmp_op op;
    int64_t number; /* revision / version / lease */
    const uint8_t *value;
    size_t value_len; /* ANC_ETCD_VALUE */
};
enum anc_etcd_op_type { ANC_ETCD_OP_PUT, ANC_ETCD_OP_DELETE, ANC_ETCD_OP_RANGE };
struct anc_etcd_op {
    enum anc_etcd_op_type type;
    const char *key;
    bool prefix; /* delete, range */
    const uint8_t *value;
    size_t value_len;
    int64_t lease; /* put */
};

enum anc_etcd_ev_type { ANC_ETCD_EV_PUT, ANC_ETCD_EV_DELETE };
struct anc_etcd_event {
    enum anc_etcd_ev_type type;
    struct anc_etcd_kv kv;
};

/* ---- base64 (RFC 4648 §4, padded) ---- */

/* Encodes n bytes into out (room for 4 * ((n + 2) / 3) + 1), NUL-terminated; returns the length. */
size_t anc_b64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes into out (room for 3 * (n / 4) + 1; NUL-terminated): the length, or -EBADMSG. */
ssize_t anc_b64_decode(const char *in, size_t n, uint8_t *out);

/* ---- requests ---- */

enum anc_etcd_call {
    ANC_ETCD_CALL_RANGE,
    ANC_ETCD_CALL_PUT,
    ANC_ETCD_CALL_DELETE,
    ANC_ETCD_CALL_TXN,
    ANC_ETCD_CALL_LEASE_GRANT,
    ANC_ETCD_CALL_LEASE_KEEPALIVE,
    ANC_ETCD_CALL_LEASE_REVOKE,
    ANC_ETCD_CALL_WATCH,
};
/* The gateway path of a call: "/v3/kv/range", ... */
const char *anc_etcd_call_path(enum anc_etcd_call call);

/* Each builds the JSON body of one call into *out (caller frees). -EINVAL (NULL or empty key,
 * NULL value with a length, bad enum), -EMSGSIZE, -E2BIG (too many txn ops), -ENOMEM. */
int anc_etcd_body_range(const char *key, bool prefix, char **out);
int anc_etcd_body_put(const char *key, const uint8_t *value, size_t len, int64_t lease, char **out);
int anc_etcd_body_delete(const char *key, bool prefix, char **out);
int anc_etcd_body_txn(const struct anc_etcd_cmp *cmp, size_t n_cmp, const struct anc_etcd_op *then,
                      size_t n_then, const struct anc_etcd_op *otherwise, size_t n_otherwise,
                      char **out);
int anc_etcd_body_lease_grant(int64_t ttl_s, char **out);
int anc_etcd_body_lease_id(int64_t lease, char **out); /* keepalive and revoke */
/* A watch's create_request, progress notifications requested. start_revision 0: from now. */
int anc_etcd_body_watch(const char *key, bool prefix, int64_t start_revision, char **out);

/* ---- answers ---- */

/* A parsed answer: r points into the reply, valid until anc_etcd_reply_destroy. */
struct anc_etcd_reply {
    struct anc_etcd_result r;
    struct anc_etcd_kv *kvs;
    size_t n_kvs;
    char *message;
};

/* Parses the answer to call (HTTP status and body) into *out; out->r.err says how it went:
 * the gateway's {"error","code"} mapped to -errno with its message kept, -EPROTO for anything
 * unparsable. Always leaves *out ready for anc_etcd_reply_destroy. */
void anc_etcd_reply_parse(enum anc_etcd_call call, int http_status, const uint8_t *body, size_t len,
                          struct anc_etcd_reply *out);
/* Fills *out with an error of our own (transport failures): message copied. */
void anc_etcd_reply_error(struct anc_etcd_reply *out, int err, const char *message);
void anc_etcd_reply_destroy(struct anc_etcd_reply *reply);

/* A gRPC status code (the gateway's "code") as -errno: NOT_FOUND -ENOENT, OUT_OF_RANGE -ERANGE
 * (compacted), UNAVAILABLE -EAGAIN, DEADLINE_EXCEEDED -ETIMEDOUT, ... */
int anc_etcd_grpc_errno(int code);

/* ---- the watch stream ---- */

/* One watch response. err: 0; -ERANGE when compacted (revision = the compact revision);
 * -ECANCELED when etcd cancelled it; a gateway error mapped like anc_etcd_grpc_errno. created:
 * the answer to the create request; events absent and !created: a progress notification. */
struct anc_etcd_watch_msg {
    int err;
    const char *message;
    int64_t revision;
    bool created;
    const struct anc_etcd_event *ev;
    size_t n;
};
/* Returns nonzero to stop feeding (the watch was cancelled from inside). */
typedef int (*anc_etcd_watch_msg_fn)(void *arg, const struct anc_etcd_watch_msg *m);

struct anc_etcd_watch_parser {
    char *buf; /* the object being framed */
    size_t len, cap, max;
    int depth;
    bool in_str, esc;
};
/* max: the largest message (0: ANC_ETCD_MAX_MSG). */
void anc_etcd_watch_parser_init(struct anc_etcd_watch_parser *p, size_t max);
void anc_etcd_watch_parser_destroy(struct anc_etcd_watch_parser *p);
/* Feeds stream bytes; calls fn once per complete message. 0, 1 when fn stopped it, or
 * -EBADMSG (not a sequence of JSON objects), -EMSGSIZE, -EPROTO (an object that is not a watch
 * response), -ENOMEM. After an error the parser is dead. */
int anc_etcd_watch_parser_feed(struct anc_etcd_watch_parser *p, const uint8_t *data, size_t len,
                               anc_etcd_watch_msg_fn fn, void *arg);
