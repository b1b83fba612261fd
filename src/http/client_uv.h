/* HTTP/1.1 client requests on the loop: one request per connection, "http://host:port/path"
 * and "https://host:port/path" URLs (IPv4 and [IPv6] literals, names through uv_getaddrinfo,
 * each address tried in turn). https goes through http/tls_client.h with the context the
 * caller passes: the server's certificate is verified and must name the URL's host.
 *
 * A started fetch calls on_response exactly once, on the loop, unless it was cancelled first;
 * after on_response (or cancel) the fetch handle is gone. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http/client.h"

#define ANC_HTTP_FETCH_BODY_MAX (4 * 1024 * 1024) /* default body cap */

/* err: 0, or -errno: -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH (also for a name that does not
 * resolve), -ECONNRESET (closed before a whole response), -EBADMSG/-EMSGSIZE/-EFBIG (parser);
 * https: -EKEYREJECTED (the server's certificate did not verify), -EPROTO (the TLS handshake or
 * a record failed, or the server does not speak TLS); anc_http_fetch_error says why.
 * status and headers are those of the response (0/NULL when none came). body: the whole body,
 * NUL-terminated (streamed: NULL). Everything is valid only during the callback. */
typedef void (*anc_http_response_cb)(void *arg, int err, int status,
                                     const struct anc_http_response_parser *headers,
                                     const uint8_t *body, size_t len);
/* Streamed body bytes; may cancel the fetch. */
typedef void (*anc_http_chunk_cb)(void *arg, const uint8_t *data, size_t len);

struct anc_http_fetch;
struct anc_tls_client;

struct anc_http_fetch_opts {
    const char *url;    /* "http[s]://host[:port][/path]" */
    const char *method; /* default "GET" */
    const struct anc_http_client_header *headers;
    size_t n_headers;
    const void *body; /* copied */
    size_t body_len;
    unsigned timeout_ms;        /* whole request; streamed: until the response headers. 0: none */
    size_t body_max;            /* 0: ANC_HTTP_FETCH_BODY_MAX */
    anc_http_chunk_cb on_chunk; /* non-NULL: stream the body to it */
    anc_http_response_cb on_response;
    void *arg;
    /* Optional: called when the fetch has closed its last handle and freed itself (after
     * on_response or cancel), for owners that must know the loop is clear of it. */
    void (*on_freed)(void *freed_arg);
    void *freed_arg;
    /* https URLs: trust anchors and client certificate (http/tls_client.h), borrowed: it must
     * outlive the fetch (until on_freed). An https URL without it: -EINVAL; ignored for http. */
    struct anc_tls_client *tls;
};

/* Starts a fetch; *out (optional) is its handle for cancel. -EINVAL for a bad URL or request,
 * -ENOMEM, or libuv's error: then nothing runs. */
int anc_http_fetch_start(uv_loop_t *loop, const struct anc_http_fetch_opts *o,
                         struct anc_http_fetch **out);

/* Inside on_response: why a TLS failure happened ("server certificate did not verify:
 * certificate has expired", ...), else NULL. */
const char *anc_http_fetch_error(const struct anc_http_fetch *f);

/* Stops a fetch whose on_response has not run yet (also from inside its on_chunk): neither
 * callback runs after this. Safe at any point of the connection's life. */
void anc_http_fetch_cancel(struct anc_http_fetch *f);

/* The one-shot form: a whole response to on_response. */
int anc_http_fetch(uv_loop_t *loop, const char *url, const char *method,
                   const struct anc_http_client_header *headers, size_t n_headers, const void *body,
                   size_t len, unsigned timeout_ms, anc_http_response_cb on_response, void *arg);

/* The streaming form: body bytes to on_chunk as they come, then on_response (body NULL) when the
 * response ends or fails. timeout_ms bounds the wait for the response headers only. */
int anc_http_stream(uv_loop_t *loop, const char *url, const char *method,
                    const struct anc_http_client_header *headers, size_t n_headers,
                    const void *body, size_t len, unsigned timeout_ms, anc_http_chunk_cb on_chunk,
                    anc_http_response_cb on_response, void *arg, struct anc_http_fetch **out);

/* Splits "http[s]://host[:port][/path]" into host (brackets removed), port ("80", https "443"
 * when absent) and path ("/" when absent). -EINVAL when malformed or neither http nor https.
 * Pure; exposed for tests. */
int anc_http_url_split(const char *url, char *host, size_t host_cap, char *port, size_t port_cap,
                       const char **path);
