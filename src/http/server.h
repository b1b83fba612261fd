/* The HTTP/1.1 server on the daemon's loop: the only http file that touches libuv
 * (server_uv.c). Parsing, routing, static files and REST handlers are pure code in the other
 * http/ files; see rest.h for what is answered and how authentication works.
 *
 * Behaviour: keep-alive; pipelined requests answered in order, one at a time per connection
 * (later bytes are buffered, reading pauses past 64 KiB); Content-Length and chunked bodies;
 * HTTP/1.0 closes unless "Connection: keep-alive". Authentication is decided once per request
 * when its headers are complete (rest.h anc_http_admit): a refused request is answered 401 and
 * the connection closed without reading its body and without "100 Continue". Limits: request
 * line + headers over 16 KiB → 431, body over [server] max_body_kib → 413, malformed → 400
 * (each answered, then closed); a connection beyond [server] max_connections, or beyond
 * [server] max_connections_per_ip from one client address (IPv6: one /64), is accepted,
 * answered 503 and closed (over TLS: closed); a request's headers and body must all arrive
 * within [server] request_timeout_s of its first byte (a new connection's first request, TLS
 * handshake included, from accept), else 408 and close (close when nothing had begun); an
 * idle keep-alive connection is closed after 60 s. The limits are read from the config when
 * used, so SIGHUP changes apply at once. Every response carries Date, Server and
 * Content-Length (except 204/304). Everything runs on the loop thread.
 *
 * TLS ([server] tls_cert/tls_key, see tls.h): every connection speaks TLS; the bytes go through
 * the connection's anc_tls_conn between the socket and the same parser; a plain HTTP request
 * is answered 400 in plain text and closed, a failed handshake closed after its alert. */
#pragma once

#include <uv.h>

#include "http/router.h"

struct anc_config;
struct anc_http_server;
struct anc_metrics;
struct anc_tls_ctx;

#define ANC_HTTP_IDLE_TIMEOUT_MS 60000

/* Binds cfg->listen and starts accepting. cfg (listen, token, web_dir and the limits) is
 * borrowed and read live; metrics is borrowed too: the server registers its connection and
 * request series there and GET /metrics renders all of it. tls (borrowed; NULL: plain HTTP)
 * makes every connection HTTPS; reloading it (anc_tls_ctx_reload) applies to new connections.
 * All must outlive the server (until anc_http_server_close's done). Uptime counts from this
 * call. On success *out is the server. Returns 0 or a libuv error; on error the loop must still
 * run once to release the listener handle. */
int anc_http_server_start(uv_loop_t *loop, const struct anc_config *cfg,
                          struct anc_metrics *metrics, struct anc_tls_ctx *tls,
                          struct anc_http_server **out);

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
/* Cluster mode: the hook of routes flagged ANC_HTTP_ROUTE_OWNER (rest.h). */
struct anc_http_request;
void anc_http_server_set_forward(struct anc_http_server *s,
                                 int (*forward)(void *arg, struct anc_http_request *req),
                                 void *arg);

/* Cluster ownership (rest.h): from now on ANC_HTTP_ROUTE_REDIRECT routes of instances another node
 * owns answer 307 to it. *owner is copied (its arg is borrowed and must outlive the server);
 * NULL: a single host again. */
struct anc_owner_lookup;
void anc_http_server_set_owner_lookup(struct anc_http_server *s,
                                      const struct anc_owner_lookup *owner);

/* Adds a route (see router.h for patterns, handlers, ANC_HTTP_DEFERRED and flags). Routes may be
 * added at any time on the loop thread. Returns 0 or -errno. */
int anc_http_route_add(struct anc_http_server *s, const char *method, const char *pattern,
                       anc_http_handler_fn fn, void *user, unsigned flags);
