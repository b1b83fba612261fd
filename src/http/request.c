#include "http/request.h"

#include "base/bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NO_VALUE ((size_t)-1)

struct anc_http_request *anc_http_request_new(void)
{
    return calloc(1, sizeof(struct anc_http_request));
}

void anc_http_request_free(struct anc_http_request *req)
{
    if (!req)
        return;
    for (size_t i = 0; i < req->n_params; i++)
        free(req->params[i].value);
    free(req->query);
    free(req->headers);
    free(req->hoff);
    free(req->arena);
    free(req->body);
    free(req);
}

void anc_http_request_detach(struct anc_http_request *req)
{
    req->sink = NULL;
    req->sink_ctx = NULL;
    if (req->on_abort) {
        void (*cb)(struct anc_http_request *, void *) = req->on_abort;
        req->on_abort = NULL;
        cb(req, req->abort_user);
    }
}

void anc_http_request_on_abort(struct anc_http_request *req,
                               void (*cb)(struct anc_http_request *req, void *user), void *user)
{
    req->on_abort = cb;
    req->abort_user = user;
}

bool anc_http_request_connected(const struct anc_http_request *req)
{
    return req->sink != NULL;
}

void anc_http_respond(struct anc_http_request *req, struct anc_http_response *res)
{
    if (req->sink)
        req->sink(req->sink_ctx, req, res);
    anc_http_response_destroy(res);
    anc_http_request_free(req);
}

const char *anc_http_request_header(const struct anc_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *anc_http_request_param(const struct anc_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_params; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

const char *anc_http_request_query(const struct anc_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

ssize_t anc_http_percent_decode(const char *src, size_t len, char *dst, bool plus_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (len - i < 3)
                return -EINVAL;
            int hi = anc_hex_digit(src[i + 1]);
            int lo = anc_hex_digit(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            dst[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dst[o++] = plus_space && c == '+' ? ' ' : c;
        }
    }
    dst[o] = '\0';
    return (ssize_t)o;
}

/* ---- Arena: the URL and header strings of one request, addressed by offset while it grows. */

static int arena_put(struct anc_http_request *req, const char *data, size_t len)
{
    /* data may point into the arena itself (path and query copies): keep it as an offset. */
    bool inside = req->arena && data >= req->arena && data < req->arena + req->arena_cap;
    size_t data_off = inside ? (size_t)(data - req->arena) : 0;
    if (req->arena_len + len + 1 > req->arena_cap) {
        size_t cap = req->arena_cap ? req->arena_cap : 512;
        while (cap < req->arena_len + len + 1)
            cap *= 2;
        char *p = realloc(req->arena, cap);
        if (!p)
            return -ENOMEM;
        req->arena = p;
        req->arena_cap = cap;
        if (inside)
            data = p + data_off;
    }
    memcpy(req->arena + req->arena_len, data, len);
    req->arena_len += len;
    return 0;
}

static int arena_nul(struct anc_http_request *req)
{
    return arena_put(req, "", 1);
}

static struct anc_http_parser *P(http_parser *hp)
{
    return hp->data;
}

/* Any value but 0 stops http-parser; on_headers_complete gives 1 and 2 other meanings. */
static int fail(struct anc_http_parser *p, int err)
{
    p->err = err;
    return -1;
}

static int count_header_bytes(struct anc_http_parser *p, size_t len)
{
    p->header_bytes += len;
    return p->header_bytes > ANC_HTTP_MAX_HEADER_BYTES ? fail(p, -EMSGSIZE) : 0;
}

static int on_message_begin(http_parser *hp)
{
    struct anc_http_parser *p = P(hp);
    anc_http_request_free(p->req);
    p->req = anc_http_request_new();
    if (!p->req)
        return fail(p, -ENOMEM);
    p->header_bytes = 0;
    p->headers_done = false;
    p->expect_continue = false;
    p->last = 0;
    return 0;
}

static int on_url(http_parser *hp, const char *at, size_t len)
{
    struct anc_http_parser *p = P(hp);
    if (count_header_bytes(p, len))
        return -1;
    p->req->url_len += len;
    return arena_put(p->req, at, len) < 0 ? fail(p, -ENOMEM) : 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    struct anc_http_parser *p = P(hp);
    struct anc_http_request *req = p->req;
    /* Trailer fields after a chunked body count against the limit but are not kept. */
    if (count_header_bytes(p, len + (p->last != 1 ? 4 : 0)) || p->headers_done)
        return p->err ? -1 : 0;
    if (p->last != 1) {
        if (req->n_headers == ANC_HTTP_MAX_HEADERS)
            return fail(p, -EMSGSIZE);
        if (req->n_headers == req->hoff_cap) {
            size_t cap = req->hoff_cap ? req->hoff_cap * 2 : 16;
            void *n = realloc(req->hoff, cap * sizeof(req->hoff[0]));
            if (!n)
                return fail(p, -ENOMEM);
            req->hoff = n;
            req->hoff_cap = cap;
        }
        if (arena_nul(req) < 0) /* ends the URL or the previous value */
            return fail(p, -ENOMEM);
        req->hoff[req->n_headers].name = req->arena_len;
        req->hoff[req->n_headers].value = NO_VALUE;
        req->n_headers++;
        p->last = 1;
    }
    return arena_put(req, at, len) < 0 ? fail(p, -ENOMEM) : 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    struct anc_http_parser *p = P(hp);
    struct anc_http_request *req = p->req;
    if (count_header_bytes(p, len) || p->headers_done)
        return p->err ? -1 : 0;
    if (p->last != 2) {
        if (arena_nul(req) < 0)
            return fail(p, -ENOMEM);
        req->hoff[req->n_headers - 1].value = req->arena_len;
        p->last = 2;
    }
    return arena_put(req, at, len) < 0 ? fail(p, -ENOMEM) : 0;
}

/* Decodes one "k=v" segment into the arena, recording the offsets of key and value. Returns 1
 * when kept, 0 when dropped (a NUL byte inside), or -errno. */
static int put_pair(struct anc_http_request *req, const char *seg, size_t len, size_t *pair)
{
    const char *eq = memchr(seg, '=', len);
    size_t klen = eq ? (size_t)(eq - seg) : len;
    char *tmp = malloc(len + 1);
    if (!tmp)
        return -ENOMEM;
    int r;
    ssize_t kd = anc_http_percent_decode(seg, klen, tmp, true);
    if (kd < 0 || strlen(tmp) != (size_t)kd) {
        r = 0;
        goto out;
    }
    pair[0] = req->arena_len;
    r = arena_put(req, tmp, (size_t)kd + 1);
    if (r < 0)
        goto out;
    ssize_t vd = anc_http_percent_decode(eq ? eq + 1 : "", eq ? len - klen - 1 : 0, tmp, true);
    if (vd < 0 || strlen(tmp) != (size_t)vd) {
        r = 0;
        goto out;
    }
    pair[1] = req->arena_len;
    r = arena_put(req, tmp, (size_t)vd + 1);
    r = r < 0 ? r : 1;
out:
    free(tmp);
    return r;
}

/* Splits a copy of the query into decoded pairs appended to the arena (offsets in pairs[]).
 * Segments with bad escapes or NUL bytes are dropped rather than cut short. */
static int split_query(struct anc_http_request *req, const char *q, size_t q_len, size_t *pairs,
                       size_t *n_pairs)
{
    size_t n = 0, i = 0;
    while (i < q_len) {
        const char *amp = memchr(q + i, '&', q_len - i);
        size_t seg = amp ? (size_t)(amp - (q + i)) : q_len - i;
        if (seg > 0) {
            int r = put_pair(req, q + i, seg, &pairs[2 * n]);
            if (r < 0)
                return r;
            n += (size_t)r;
        }
        i += seg + 1;
    }
    *n_pairs = n;
    return 0;
}

/* Copies path and query out of the URL and turns every offset into a pointer. */
static int finalize_strings(struct anc_http_request *req)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(req->arena, req->url_len, 0, &u) != 0)
        return -EBADMSG;
    size_t path_off = req->arena_len, q_off;
    if (u.field_set & (1 << UF_PATH)) {
        if (req->arena[u.field_data[UF_PATH].off] != '/')
            return -EBADMSG;
        if (arena_put(req, req->arena + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len) < 0)
            return -ENOMEM;
    } else if (arena_put(req, "/", 1) < 0) {
        return -ENOMEM;
    }
    q_off = req->arena_len + 1;
    size_t q_len = (u.field_set & (1 << UF_QUERY)) ? u.field_data[UF_QUERY].len : 0;
    if (arena_nul(req) < 0 || arena_put(req, req->arena + u.field_data[UF_QUERY].off, q_len) < 0 ||
        arena_nul(req) < 0)
        return -ENOMEM;
    size_t max_pairs = 1;
    for (size_t i = 0; i < q_len; i++)
        max_pairs += req->arena[q_off + i] == '&';
    size_t *pairs = malloc(2 * max_pairs * sizeof(*pairs));
    req->headers = calloc(req->n_headers + 1, sizeof(*req->headers));
    req->query = calloc(max_pairs, sizeof(*req->query));
    int r = pairs && req->headers && req->query ? 0 : -ENOMEM;
    char *q = r == 0 ? malloc(q_len + 1) : NULL;
    if (r == 0 && !q)
        r = -ENOMEM;
    if (q)
        memcpy(q, req->arena + q_off, q_len + 1);
    if (r == 0)
        r = split_query(req, q, q_len, pairs, &req->n_query);
    free(q);
    if (r < 0)
        goto out;
    /* From here on the arena does not grow: pointers into it stay valid. */
    req->target = req->arena;
    req->path = req->arena + path_off;
    req->query_string = req->arena + q_off;
    for (size_t i = 0; i < req->n_query; i++) {
        req->query[i].name = req->arena + pairs[2 * i];
        req->query[i].value = req->arena + pairs[2 * i + 1];
    }
    for (size_t i = 0; i < req->n_headers; i++) {
        req->headers[i].name = req->arena + req->hoff[i].name;
        req->headers[i].value =
            req->hoff[i].value == NO_VALUE ? "" : req->arena + req->hoff[i].value;
    }
out:
    free(pairs);
    return r;
}

static int on_headers_complete(http_parser *hp)
{
    struct anc_http_parser *p = P(hp);
    struct anc_http_request *req = p->req;
    if (arena_nul(req) < 0)
        return fail(p, -ENOMEM);
    int r = finalize_strings(req);
    if (r < 0)
        return fail(p, r);
    p->headers_done = true;
    req->method = http_method_str((enum http_method)hp->method);
    req->head = hp->method == HTTP_HEAD;
    req->http_major = hp->http_major;
    req->http_minor = hp->http_minor;
    if ((hp->flags & F_CONTENTLENGTH) && hp->content_length > p->max_body)
        return fail(p, -EFBIG);
    const char *expect = anc_http_request_header(req, "Expect");
    if (expect && strcasecmp(expect, "100-continue") == 0 && hp->http_minor >= 1)
        p->expect_continue = true;
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    struct anc_http_parser *p = P(hp);
    struct anc_http_request *req = p->req;
    if (len > p->max_body || req->body_len > p->max_body - len)
        return fail(p, -EFBIG);
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 1024;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        uint8_t *n = realloc(req->body, cap);
        if (!n)
            return fail(p, -ENOMEM);
        req->body = n;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, at, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    struct anc_http_parser *p = P(hp);
    p->req->keep_alive = http_should_keep_alive(hp) && !hp->upgrade;
    p->complete = true;
    p->expect_continue = false;
    /* Stop here: the next pipelined request waits until this one is answered. */
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void anc_http_parser_init(struct anc_http_parser *p, size_t max_body)
{
    memset(p, 0, sizeof(*p));
    /* The library's own raw count (whitespace included) backs up ours; same limit. */
    http_parser_set_max_header_size(ANC_HTTP_MAX_HEADER_BYTES);
    http_parser_init(&p->hp, HTTP_REQUEST);
    p->hp.data = p;
    p->max_body = max_body;
}

void anc_http_parser_destroy(struct anc_http_parser *p)
{
    if (!p)
        return;
    anc_http_request_free(p->req);
    p->req = NULL;
}

void anc_http_parser_set_max_body(struct anc_http_parser *p, size_t max_body)
{
    p->max_body = max_body;
}

ssize_t anc_http_parser_feed(struct anc_http_parser *p, const char *data, size_t len)
{
    if (p->err)
        return p->err;
    if (p->complete || len == 0)
        return 0;
    size_t n = http_parser_execute(&p->hp, &settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&p->hp);
    if (e == HPE_OK || e == HPE_PAUSED)
        return (ssize_t)n;
    if (!p->err)
        p->err = e == HPE_HEADER_OVERFLOW ? -EMSGSIZE : -EBADMSG;
    return p->err;
}

bool anc_http_parser_has_request(const struct anc_http_parser *p)
{
    return p->complete;
}

struct anc_http_request *anc_http_parser_take(struct anc_http_parser *p)
{
    if (!p->complete)
        return NULL;
    struct anc_http_request *req = p->req;
    p->req = NULL;
    p->complete = false;
    p->headers_done = false;
    p->header_bytes = 0;
    p->last = 0;
    http_parser_pause(&p->hp, 0);
    return req;
}

bool anc_http_parser_in_headers(const struct anc_http_parser *p)
{
    return p->req && !p->headers_done && !p->complete;
}

bool anc_http_parser_in_message(const struct anc_http_parser *p)
{
    return p->req && !p->complete;
}

int anc_http_parser_error_status(int err)
{
    switch (err) {
    case -EMSGSIZE:
        return 431;
    case -EFBIG:
        return 413;
    case -EBADMSG:
        return 400;
    default:
        return 500;
    }
}
