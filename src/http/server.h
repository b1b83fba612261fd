/* The HTTP/1.1 server on the daemon's loop: the only http file that touches libuv
 * (server_uv.c). Parsing, routing, static files and REST handlers are pure code in the other
 * http/ files; see rest.h for what is answered and how authentication works.
 *
 * Behaviour: keep-alive; pipelined requests answered in order, one at a time per connection
 * (later bytes are buffered, reading pauses past 64 KiB); Content-Length and chunked bodies;
 * HTTP/1.0 closes unless "Connection: keep-alive". Limits: request line + headers over 16 KiB →
 * 431, body over [server] max_body_kib → 413, malformed → 400 (each answered, then closed);
 * a connection beyond [server] max_connections is accepted, answered 503 and closed; headers must
 * be complete 10 s after a request's first byte (and a new connection's first request within
 * 10 s) or the connection is closed (408 if a request had begun); an idle keep-alive
 * connection is closed after 60 s. max_connections and max_body_kib are read from the config
 * when used, so SIGHUP changes apply at once. Every response carries Date, Server and
 * Content-Length (except 204/304). Everything runs on the loop thread. */
#pragma once

#include <uv.h>

#include "http/router.h"

struct anc_config;
struct anc_http_server;
struct anc_metrics;

#define ANC_HTTP_HEADER_TIMEOUT_MS 10000
#define ANC_HTTP_IDLE_TIMEOUT_MS   60000

/* Binds cfg->listen and starts accepting. cfg (listen, token, web_dir, max_connections,
 * max_body_kib) is borrowed and read live; metrics is borrowed too: the server registers its
 * connection and request series there and GET /metrics renders all of it. Both must outlive the
 * server (until anc_http_server_close's done). Uptime counts from this call. On success *out is
 * the server. Returns 0 or a libuv error; on error the loop must still run once to release the
 * listener handle. */
int anc_http_server_start(uv_loop_t *loop, const struct anc_config *cfg,
                          struct anc_metrics *metrics, struct anc_http_server **out);

/* The bound address as "host:port" (the real port when listen used port 0). */
const char *anc_http_server_address(const struct anc_http_server *s);

/* Shutdown step one: closes the listening socket (new connections are refused) while open
 * connections go on being served until anc_http_server_close. s may be NULL. */
void anc_http_server_stop_accepting(struct anc_http_server *s);

/* Stops accepting; idle connections close at once, connections writing a response get up to 2 s
 * to finish; deferred requests still pending are detached (their abort callbacks run). Closes
 * every handle, frees the server, then calls done(arg) from the loop. s may be NULL: done is
 * then called at once. */
void anc_http_server_close(struct anc_http_server *s, void (*done)(void *arg), void *arg);

/* Viewer tokens authenticate ANC_HTTP_ROUTE_VIEWER routes from now on (rest.h); v is borrowed and
 * must outlive the server; NULL: only the admin token. */
struct anc_vtokens;
void anc_http_server_set_viewer_tokens(struct anc_http_server *s, struct anc_vtokens *v);

/* Adds a route (see router.h for patterns, handlers, ANC_HTTP_DEFERRED and flags). Routes may be
 * added at any time on the loop thread. Returns 0 or -errno. */
int anc_http_route_add(struct anc_http_server *s, const char *method, const char *pattern,
                       anc_http_handler_fn fn, void *user, unsigned flags);
