/* The watch stream: JSON objects one after another, framed by brace depth (strings and escapes
 * minded) so that a message split anywhere across chunks is parsed once, whole. */
#include "cluster/etcd.h"
#include "cluster/etcd_internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void anc_etcd_watch_parser_init(struct anc_etcd_watch_parser *p, size_t max)
{
    memset(p, 0, sizeof(*p));
    p->max = max ? max : ANC_ETCD_MAX_MSG;
}

void anc_etcd_watch_parser_destroy(struct anc_etcd_watch_parser *p)
{
    if (!p)
        return;
    free(p->buf);
    memset(p, 0, sizeof(*p));
}

struct events {
    struct anc_etcd_event *ev;
    size_t n;
};

static void events_free(struct events *e)
{
    for (size_t i = 0; i < e->n; i++)
        anc__etcd_kv_free(&e->ev[i].kv);
    free(e->ev);
}

static int parse_event(const json_t *o, struct anc_etcd_event *ev)
{
    const json_t *t = json_object_get(o, "type");
    const char *type = t ? json_string_value(t) : "PUT"; /* PUT is 0: left out */
    if (!type)
        return -EPROTO;
    if (strcmp(type, "PUT") == 0)
        ev->type = ANC_ETCD_EV_PUT;
    else if (strcmp(type, "DELETE") == 0)
        ev->type = ANC_ETCD_EV_DELETE;
    else
        return -EPROTO;
    return anc__etcd_parse_kv(json_object_get(o, "kv"), &ev->kv);
}

static int parse_events(const json_t *res, struct events *e)
{
    const json_t *a = json_object_get(res, "events");
    size_t n = json_array_size(a);
    if (a && (!json_is_array(a) || n > ANC_ETCD_MAX_KVS))
        return -EPROTO;
    if (n == 0)
        return 0;
    e->ev = calloc(n, sizeof(*e->ev));
    if (!e->ev)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int r = parse_event(json_array_get(a, i), &e->ev[i]);
        if (r < 0)
            return r;
        e->n++;
    }
    return 0;
}

/* A stream error ({"error":{"grpc_code":..,"message":..}}): m filled, 1; else 0. */
static int stream_error(const json_t *o, struct anc_etcd_watch_msg *m)
{
    const json_t *e = json_object_get(o, "error");
    if (!e)
        return 0;
    const json_t *code = json_object_get(e, "grpc_code");
    if (!code)
        code = json_object_get(o, "code");
    m->err = json_is_integer(code) ? anc_etcd_grpc_errno((int)json_integer_value(code)) : -EIO;
    m->message = json_string_value(json_object_get(json_is_object(e) ? e : o, "message"));
    if (!m->message)
        m->message = json_is_string(e) ? json_string_value(e) : "etcd: watch failed";
    return 1;
}

/* A watch response's own fields: created, canceled (compacted: -ERANGE), header, events. */
static int parse_result(const json_t *res, struct anc_etcd_watch_msg *m, struct events *e)
{
    int64_t compact = 0;
    int r = anc__etcd_get_i64(json_object_get(res, "header"), "revision", &m->revision);
    if (r == 0)
        r = anc__etcd_get_i64(res, "compact_revision", &compact);
    if (r < 0)
        return r;
    m->created = json_is_true(json_object_get(res, "created"));
    if (json_is_true(json_object_get(res, "canceled"))) {
        m->err = compact > 0 ? -ERANGE : -ECANCELED;
        m->revision = compact > 0 ? compact : m->revision;
        m->message = json_string_value(json_object_get(res, "cancel_reason"));
        if (!m->message)
            m->message = compact > 0 ? "etcd: watch revision compacted" : "etcd: watch canceled";
        return 0;
    }
    r = parse_events(res, e);
    m->ev = e->ev;
    m->n = e->n;
    return r;
}

static int deliver(const char *buf, size_t len, anc_etcd_watch_msg_fn fn, void *arg)
{
    json_t *o = json_loadb(buf, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return -EBADMSG;
    }
    struct anc_etcd_watch_msg m = {0};
    struct events e = {0};
    int r = 0;
    if (!stream_error(o, &m)) {
        const json_t *res = json_object_get(o, "result");
        r = json_is_object(res) ? parse_result(res, &m, &e) : -EPROTO;
    }
    if (r == 0)
        r = fn(arg, &m) ? 1 : 0;
    events_free(&e);
    json_decref(o);
    return r;
}

static int append(struct anc_etcd_watch_parser *p, uint8_t c)
{
    if (p->len == p->max)
        return -EMSGSIZE;
    if (p->len == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        char *n = realloc(p->buf, cap < p->max ? cap : p->max);
        if (!n)
            return -ENOMEM;
        p->buf = n;
        p->cap = cap < p->max ? cap : p->max;
    }
    p->buf[p->len++] = (char)c;
    return 0;
}

/* Tracks strings and nesting; returns whether c closed the top-level object. */
static bool scan(struct anc_etcd_watch_parser *p, uint8_t c)
{
    if (p->in_str) {
        if (p->esc)
            p->esc = false;
        else if (c == '\\')
            p->esc = true;
        else if (c == '"')
            p->in_str = false;
        return false;
    }
    if (c == '"')
        p->in_str = true;
    else if (c == '{' || c == '[')
        p->depth++;
    else if (c == '}' || c == ']')
        return --p->depth == 0;
    return false;
}

int anc_etcd_watch_parser_feed(struct anc_etcd_watch_parser *p, const uint8_t *data, size_t len,
                               anc_etcd_watch_msg_fn fn, void *arg)
{
    if (p->depth < 0)
        return -EBADMSG;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (p->len == 0) {
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
                continue; /* between messages */
            if (c != '{')
                return p->depth = -1, -EBADMSG;
        }
        int r = append(p, c);
        if (r < 0)
            return p->depth = -1, r;
        if (!scan(p, c))
            continue;
        r = deliver(p->buf, p->len, fn, arg);
        p->len = 0;
        if (r != 0) {
            p->depth = r < 0 ? -1 : 0;
            return r;
        }
    }
    return 0;
}
