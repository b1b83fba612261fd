/* HTTP/1.1 client codec: a request serialized to bytes, and an incremental response parser
 * (http-parser 2.9 in HTTP_RESPONSE mode underneath) with our limits.
 *
 * Pure code: no sockets, no clock. client_uv.c does the I/O; tests and the fuzz target drive the
 * parser directly. Used for etcd's JSON gateway, and by the cluster code to talk to other nodes. */
#pragma once

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ANC_HTTP_CLIENT_MAX_HEADER_BYTES (16 * 1024) /* status line + headers; beyond: -EMSGSIZE */
#define ANC_HTTP_CLIENT_MAX_HEADERS      100

struct anc_http_client_header {
    const char *name;
    const char *value;
};

struct anc_http_client_request {
    const char *method; /* "GET", "POST", ... */
    const char *host;   /* the Host header: "10.0.0.1:2379", "[::1]:2379" */
    const char *path;   /* the request-target, starting with '/' */
    const struct anc_http_client_header *headers;
    size_t n_headers;
    const void *body; /* sent with Content-Length when body_len > 0 or method is POST/PUT */
    size_t body_len;
};

/* Serializes r into a new buffer (*out, caller frees) of *len bytes, "Connection: close"
 * included: one request per connection. -EINVAL for CR, LF or NUL in the method, host, path or a
 * header (a header injection), -ENOMEM. */
int anc_http_client_serialize(const struct anc_http_client_request *r, char **out, size_t *len);

/* Body bytes of a streamed response, as they arrive (chunk framing removed). A nonzero return
 * stops the parser: feed then fails with -ECANCELED. */
typedef int (*anc_http_body_fn)(void *arg, const uint8_t *data, size_t len);

struct anc_http_response_parser {
    http_parser hp;
    int err;    /* first error, sticky */
    int status; /* after the headers */
    bool headers_done, complete;
    bool head; /* set by the caller for a HEAD request: the response has no body whatever its
                * Content-Length says */
    struct anc_http_client_header *headers; /* after the headers, into arena */
    size_t n_headers;
    /* Internal. */
    char *arena;
    size_t arena_len, arena_cap, header_bytes;
    size_t *hoff; /* name, value offsets per header */
    int last;     /* 1: last callback was a field, 2: a value */
    uint8_t *body;
    size_t body_len, body_cap, body_max;
    anc_http_body_fn on_body;
    void *body_arg;
};

/* body_max: the largest body kept (beyond: -EFBIG). on_body non-NULL: the body is streamed to it
 * instead of being kept (body_max then does not apply). */
void anc_http_response_parser_init(struct anc_http_response_parser *p, size_t body_max,
                                   anc_http_body_fn on_body, void *arg);
void anc_http_response_parser_destroy(struct anc_http_response_parser *p);

/* Feeds bytes from the connection. Returns the bytes consumed (less than len only once the
 * response is complete: the rest is not ours), or -EBADMSG (malformed), -EMSGSIZE (headers over
 * the limit), -EFBIG (body over body_max), -ECANCELED (on_body said stop), -ENOMEM. */
ssize_t anc_http_response_parser_feed(struct anc_http_response_parser *p, const uint8_t *data,
                                      size_t len);
/* The peer closed the connection: completes a body delimited by the close, else -ECONNRESET
 * (a truncated response), or the parser's error. 0 when the response is complete. */
int anc_http_response_parser_eof(struct anc_http_response_parser *p);

/* The value of a response header (case-insensitive name), or NULL. */
const char *anc_http_response_parser_header(const struct anc_http_response_parser *p,
                                            const char *name);
