#include "http/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NO_VALUE ((size_t)-1)

/* ---- requests ---- */

static bool clean(const char *s)
{
    return s && !strpbrk(s, "\r\n") && *s;
}

static bool request_clean(const struct anc_http_client_request *r)
{
    if (!clean(r->method) || !clean(r->host) || !clean(r->path) || r->path[0] != '/' ||
        strchr(r->method, ' ') || strchr(r->path, ' '))
        return false;
    for (size_t i = 0; i < r->n_headers; i++)
        if (!clean(r->headers[i].name) || strchr(r->headers[i].name, ':') ||
            strpbrk(r->headers[i].value ? r->headers[i].value : "\r", "\r\n"))
            return false;
    return true;
}

static bool has_body(const struct anc_http_client_request *r)
{
    return r->body_len > 0 || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0;
}

/* Writes the head with snprintf into buf (NULL: measures); returns its length. */
static size_t write_head(const struct anc_http_client_request *r, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n",
                                r->method, r->path, r->host);
    for (size_t i = 0; i < r->n_headers; i++)
        n += (size_t)snprintf(buf ? buf + n : NULL, buf ? cap - n : 0, "%s: %s\r\n",
                              r->headers[i].name, r->headers[i].value);
    if (has_body(r))
        n += (size_t)snprintf(buf ? buf + n : NULL, buf ? cap - n : 0, "Content-Length: %zu\r\n",
                              r->body_len);
    n += (size_t)snprintf(buf ? buf + n : NULL, buf ? cap - n : 0, "\r\n");
    return n;
}

int anc_http_client_serialize(const struct anc_http_client_request *r, char **out, size_t *len)
{
    if (!request_clean(r))
        return -EINVAL;
    size_t head = write_head(r, NULL, 0);
    char *buf = malloc(head + 1 + r->body_len);
    if (!buf)
        return -ENOMEM;
    write_head(r, buf, head + 1);
    if (r->body_len)
        memcpy(buf + head, r->body, r->body_len);
    *out = buf;
    *len = head + r->body_len;
    return 0;
}

/* ---- responses ---- */

static struct anc_http_response_parser *P(http_parser *hp)
{
    return hp->data;
}

/* Any value but 0 stops http-parser. */
static int fail(struct anc_http_response_parser *p, int err)
{
    if (!p->err)
        p->err = err;
    return -1;
}

static int arena_put(struct anc_http_response_parser *p, const char *s, size_t len)
{
    if (p->arena_len + len > p->arena_cap) {
        size_t cap = p->arena_cap ? p->arena_cap : 512;
        while (cap < p->arena_len + len)
            cap *= 2;
        char *n = realloc(p->arena, cap);
        if (!n)
            return -ENOMEM;
        p->arena = n;
        p->arena_cap = cap;
    }
    memcpy(p->arena + p->arena_len, s, len);
    p->arena_len += len;
    return 0;
}

static int count_header_bytes(struct anc_http_response_parser *p, size_t len)
{
    p->header_bytes += len;
    return p->header_bytes > ANC_HTTP_CLIENT_MAX_HEADER_BYTES ? fail(p, -EMSGSIZE) : 0;
}

static int on_status(http_parser *hp, const char *at, size_t len)
{
    (void)at;
    return count_header_bytes(P(hp), len + 16);
}

static int new_header(struct anc_http_response_parser *p)
{
    if (p->n_headers == ANC_HTTP_CLIENT_MAX_HEADERS)
        return fail(p, -EMSGSIZE);
    if (p->n_headers % 16 == 0) {
        size_t *n = realloc(p->hoff, (p->n_headers + 16) * 2 * sizeof(*n));
        if (!n)
            return fail(p, -ENOMEM);
        p->hoff = n;
    }
    if (arena_put(p, "", 1) < 0) /* ends the previous value */
        return fail(p, -ENOMEM);
    p->hoff[2 * p->n_headers] = p->arena_len;
    p->hoff[2 * p->n_headers + 1] = NO_VALUE;
    p->n_headers++;
    p->last = 1;
    return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    struct anc_http_response_parser *p = P(hp);
    /* Trailer fields after a chunked body count against the limit but are not kept. */
    if (count_header_bytes(p, len + (p->last != 1 ? 4 : 0)) || p->headers_done)
        return p->err ? -1 : 0;
    if (p->last != 1 && new_header(p) < 0)
        return -1;
    return arena_put(p, at, len) < 0 ? fail(p, -ENOMEM) : 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    struct anc_http_response_parser *p = P(hp);
    if (count_header_bytes(p, len) || p->headers_done)
        return p->err ? -1 : 0;
    if (p->last != 2) {
        if (arena_put(p, "", 1) < 0)
            return fail(p, -ENOMEM);
        p->hoff[2 * p->n_headers - 1] = p->arena_len;
        p->last = 2;
    }
    return arena_put(p, at, len) < 0 ? fail(p, -ENOMEM) : 0;
}

static int on_headers_complete(http_parser *hp)
{
    struct anc_http_response_parser *p = P(hp);
    if (arena_put(p, "", 1) < 0)
        return fail(p, -ENOMEM);
    p->headers = calloc(p->n_headers + 1, sizeof(*p->headers));
    if (!p->headers)
        return fail(p, -ENOMEM);
    for (size_t i = 0; i < p->n_headers; i++) {
        p->headers[i].name = p->arena + p->hoff[2 * i];
        size_t v = p->hoff[2 * i + 1];
        p->headers[i].value = v == NO_VALUE ? "" : p->arena + v;
    }
    p->status = hp->status_code;
    p->headers_done = true;
    return p->head ? 1 : 0; /* 1: http-parser's "no body follows" */
}

static int keep_body(struct anc_http_response_parser *p, const char *at, size_t len)
{
    if (len > p->body_max - p->body_len)
        return fail(p, -EFBIG);
    if (p->body_len + len + 1 > p->body_cap) {
        size_t cap = p->body_cap ? p->body_cap : 1024;
        while (cap < p->body_len + len + 1)
            cap *= 2;
        uint8_t *n = realloc(p->body, cap);
        if (!n)
            return fail(p, -ENOMEM);
        p->body = n;
        p->body_cap = cap;
    }
    memcpy(p->body + p->body_len, at, len);
    p->body_len += len;
    p->body[p->body_len] = 0;
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    struct anc_http_response_parser *p = P(hp);
    if (!p->on_body)
        return keep_body(p, at, len);
    return p->on_body(p->body_arg, (const uint8_t *)at, len) ? fail(p, -ECANCELED) : 0;
}

/* Pausing stops the parser right after this response: later bytes are not ours. */
static int on_message_complete(http_parser *hp)
{
    P(hp)->complete = true;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void anc_http_response_parser_init(struct anc_http_response_parser *p, size_t body_max,
                                   anc_http_body_fn on_body_fn, void *arg)
{
    memset(p, 0, sizeof(*p));
    http_parser_init(&p->hp, HTTP_RESPONSE);
    p->hp.data = p;
    p->body_max = body_max;
    p->on_body = on_body_fn;
    p->body_arg = arg;
}

void anc_http_response_parser_destroy(struct anc_http_response_parser *p)
{
    if (!p)
        return;
    free(p->arena);
    free(p->hoff);
    free(p->headers);
    free(p->body);
    memset(p, 0, sizeof(*p));
}

ssize_t anc_http_response_parser_feed(struct anc_http_response_parser *p, const uint8_t *data,
                                      size_t len)
{
    if (p->err)
        return p->err;
    if (p->complete || len == 0)
        return 0;
    size_t n = http_parser_execute(&p->hp, &settings, (const char *)data, len);
    if (p->err)
        return p->err;
    if (p->complete)
        return (ssize_t)n;
    if (HTTP_PARSER_ERRNO(&p->hp) != HPE_OK || n != len) {
        fail(p, -EBADMSG);
        return p->err;
    }
    return (ssize_t)n;
}

int anc_http_response_parser_eof(struct anc_http_response_parser *p)
{
    if (p->err || p->complete)
        return p->err;
    http_parser_execute(&p->hp, &settings, NULL, 0);
    if (p->err)
        return p->err;
    if (!p->complete)
        fail(p, -ECONNRESET);
    return p->err;
}

const char *anc_http_response_parser_header(const struct anc_http_response_parser *p,
                                            const char *name)
{
    for (size_t i = 0; p->headers && i < p->n_headers; i++)
        if (strcasecmp(p->headers[i].name, name) == 0)
            return p->headers[i].value;
    return NULL;
}
