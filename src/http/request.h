/* HTTP/1.1 requests: the incremental parser (http-parser 2.9 underneath) that turns bytes into
 * one request at a time with our limits, and the request object handlers receive.
 *
 * Pure code: no sockets, no clock. server_uv.c feeds bytes and delivers responses through the
 * request's sink; tests and the fuzz target drive the parser directly. */
#pragma once

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http/response.h"
#include "http/viewer_token.h"

#define ANC_HTTP_MAX_HEADER_BYTES (16 * 1024) /* request line + headers; beyond: 431 */
#define ANC_HTTP_MAX_HEADERS      100         /* header fields; beyond: 431 */
#define ANC_HTTP_MAX_PARAMS       8           /* path parameters of one route */

struct anc_http_header {
    const char *name;
    const char *value;
};

/* A decoded name/value pair: a path parameter ({id}) or a query parameter. */
struct anc_http_param {
    const char *name;
    char *value;
};

struct anc_http_request;

/* Where a response goes: set by the server, called once by anc_http_respond. */
typedef void (*anc_http_sink_fn)(void *ctx, struct anc_http_request *req,
                                 struct anc_http_response *res);

struct anc_http_request {
    /* Valid when the request reaches a handler; strings live as long as the request. */
    const char *method;       /* "GET", "POST", ... */
    const char *target;       /* the request-target as sent */
    const char *path;         /* its path, still percent-encoded, always starting with '/' */
    const char *query_string; /* its raw query without '?', "" when none */
    int http_major, http_minor;
    bool keep_alive; /* after http_should_keep_alive (HTTP/1.0 rules included) */
    bool head;       /* method is HEAD: the response goes without its body */
    struct anc_http_header *headers;
    size_t n_headers;
    struct anc_http_param params[ANC_HTTP_MAX_PARAMS]; /* path parameters, decoded */
    size_t n_params;
    struct anc_http_param *query; /* query parameters, decoded ('+' is a space) */
    size_t n_query;
    uint8_t *body; /* NUL-terminated for convenience; body_len excludes the NUL */
    size_t body_len;
    uint64_t now_ms; /* loop time when the request was dispatched */
    /* Who authenticated it (rest.c): the admin token, else the viewer token whose claims are in
     * viewer (viewer.role 0: nobody, a public route). */
    bool admin;
    struct anc_vt_claims viewer;

    /* Private to request.c and the server. */
    char *arena;
    size_t arena_len, arena_cap;
    size_t body_cap;
    struct {
        size_t name, value;
    } * hoff;
    size_t hoff_cap;
    size_t url_off, url_len;
    anc_http_sink_fn sink;
    void *sink_ctx;
    void (*on_abort)(struct anc_http_request *req, void *user);
    void *abort_user;
};

/* ---- Handler-side API ---- */

/* Header value by name, case-insensitively; the first one if repeated; NULL when absent. */
const char *anc_http_request_header(const struct anc_http_request *req, const char *name);
/* Path parameter by name ("id" for a route "/x/{id}"); NULL when absent. */
const char *anc_http_request_param(const struct anc_http_request *req, const char *name);
/* Query parameter by name (decoded); NULL when absent, "" for "?purge". */
const char *anc_http_request_query(const struct anc_http_request *req, const char *name);

/* Deferred responses.
 *
 * A handler that cannot answer at once returns ANC_HTTP_DEFERRED (router.h). From then on it
 * owns req and must call anc_http_respond(req, res) exactly once, on the loop thread, when it
 * has the answer. anc_http_respond sends the response if the client is still connected and
 * then frees req (and takes res's contents): req must not be used after it.
 *
 * If the connection closes first, the server detaches req (anc_http_request_connected() becomes
 * false) and calls the abort callback set here, if any, on the loop thread; the handler still
 * calls anc_http_respond (or anc_http_request_free) later, and the response is dropped. */
void anc_http_respond(struct anc_http_request *req, struct anc_http_response *res);
void anc_http_request_on_abort(struct anc_http_request *req,
                               void (*cb)(struct anc_http_request *req, void *user), void *user);
bool anc_http_request_connected(const struct anc_http_request *req);

/* ---- Object and parser (server, tests, fuzzing) ---- */

struct anc_http_request *anc_http_request_new(void);
/* Frees the request and all it owns; accepts NULL. */
void anc_http_request_free(struct anc_http_request *req);
/* The server drops the sink (connection gone) and runs the abort callback. */
void anc_http_request_detach(struct anc_http_request *req);

struct anc_http_parser {
    http_parser hp;
    struct anc_http_request *req; /* being parsed; NULL between messages */
    size_t max_body;
    size_t header_bytes;
    int err;              /* negative errno set by a callback */
    bool headers_done;    /* of the current message */
    bool complete;        /* a whole message is parsed and waits in req */
    bool expect_continue; /* "Expect: 100-continue" seen; server may answer 100 and clear it */
    int last;             /* last header callback: 0 none, 1 field, 2 value */
};

void anc_http_parser_init(struct anc_http_parser *p, size_t max_body);
void anc_http_parser_destroy(struct anc_http_parser *p);
/* The body limit applies from the next message on (SIGHUP changes). */
void anc_http_parser_set_max_body(struct anc_http_parser *p, size_t max_body);

/* Feeds bytes; parsing stops after one complete message. Returns how many bytes were consumed
 * (the rest belongs to the next, pipelined request) or a negative error, after which the
 * connection must be answered and closed:
 *   -EMSGSIZE  request line + headers over 16 KiB or too many headers (431)
 *   -EFBIG     body over max_body (413)
 *   -EBADMSG   malformed (400)
 *   -ENOMEM
 * len must be > 0 (an empty feed is not EOF here). */
ssize_t anc_http_parser_feed(struct anc_http_parser *p, const char *data, size_t len);

/* A complete request is waiting. */
bool anc_http_parser_has_request(const struct anc_http_parser *p);
/* Takes the complete request (caller owns it) and readies the parser for the next one. */
struct anc_http_request *anc_http_parser_take(struct anc_http_parser *p);
/* A message has begun but its headers are not complete (header timeout applies). */
bool anc_http_parser_in_headers(const struct anc_http_parser *p);
/* A message has begun (headers or body pending). */
bool anc_http_parser_in_message(const struct anc_http_parser *p);

/* The HTTP status a parser error answers with (431, 413, 400, 500). */
int anc_http_parser_error_status(int err);

/* Percent-decodes src[0..len) into dst (capacity >= len + 1), NUL-terminated. plus_space turns
 * '+' into ' ' (query strings). Returns the decoded length, or -EINVAL for a bad escape. The
 * result may contain NUL bytes: callers that need C strings check for them. */
ssize_t anc_http_percent_decode(const char *src, size_t len, char *dst, bool plus_space);
