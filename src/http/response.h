/* An HTTP response under construction, and its serialization (pure: no sockets, no clock; the
 * caller passes the time for the Date header). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ANC_HTTP_SERVER_NAME "ancloudd/" ANC_VERSION

struct anc_http_response {
    int status;         /* 0 until set */
    char *content_type; /* owned; NULL: no Content-Type */
    char *headers;      /* owned; extra header lines, each "Name: value\r\n" */
    size_t headers_len;
    uint8_t *body; /* owned */
    size_t body_len;
    int64_t content_length; /* >= 0: announce this length without a body (HEAD, 304) */
    bool close;             /* the handler asks to close the connection after this response */
};

void anc_http_response_init(struct anc_http_response *res);
/* Frees what the response owns and re-initializes it; accepts NULL. */
void anc_http_response_destroy(struct anc_http_response *res);

/* Adds "name: value". Names and values with CR, LF or NUL are refused (-EINVAL). 0 or -errno. */
int anc_http_response_header(struct anc_http_response *res, const char *name, const char *value);

/* Sets status, Content-Type and a copy of the body. 0 or -ENOMEM. */
int anc_http_response_set(struct anc_http_response *res, int status, const char *content_type,
                          const void *body, size_t len);
/* The same, taking ownership of a malloc'ed body (freed even on error). */
int anc_http_response_take(struct anc_http_response *res, int status, const char *content_type,
                           void *body, size_t len);

/* Serializes json (compact) as application/json; does not steal the reference. 0 or -ENOMEM. */
int anc_http_response_json(struct anc_http_response *res, int status, const json_t *json);

/* The API's error body {"error":{"code":code,"message":message}}. message may be NULL: the
 * reason phrase is used. */
int anc_http_response_error(struct anc_http_response *res, int status, const char *code,
                            const char *message);

/* The error code string used for a status ("not_found", "method_not_allowed", ...). */
const char *anc_http_error_code(int status);
/* The reason phrase of a status ("Not Found"); "Unknown" for codes we do not use. */
const char *anc_http_reason(int status);

/* Whether a response with this status carries a body at all (1xx, 204 and 304 do not). */
bool anc_http_status_has_body(int status);

/* Writes the status line and headers (Date from now, Server, Content-Type, Content-Length,
 * Connection, the extra headers, blank line) into a new buffer (*out, caller frees).
 * keep_alive chooses "Connection: keep-alive"/"close"; http10 adds "Connection: keep-alive" only
 * for HTTP/1.0 clients (HTTP/1.1 keeps alive by default). Returns 0 or -ENOMEM. */
int anc_http_response_head(const struct anc_http_response *res, bool keep_alive, bool http10,
                           time_t now, char **out, size_t *len);

/* Whether body bytes follow the head for this request method (not for HEAD, 204, 304). */
bool anc_http_response_sends_body(const struct anc_http_response *res, bool head_request);
