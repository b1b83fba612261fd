/* Private to the HTTP server's libuv glue: server_uv.c (connections: read, write, timers) and
 * server_listen_uv.c (the listener and the server's lifetime). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "base/config.h"
#include "http/request.h"
#include "http/rest.h"
#include "http/tls.h"

#define LINGER_MS         2000        /* after our last byte, wait this long for the client's EOF */
#define SHUTDOWN_GRACE_MS 2000        /* server close: time left to connections still writing */
#define READ_PAUSE_BYTES  (64 * 1024) /* buffered unparsed input beyond which reading pauses */
#define WRITE_HIGH_WATER  (1024 * 1024) /* queued output beyond which pipelined requests wait */
#define MAX_REJECTING     64            /* 503 answers in flight at once; beyond: plain close */

enum conn_state { C_ACTIVE, C_LINGER, C_CLOSING };
/* T_REQUEST: the absolute deadline of one request (headers + body), [server] request_timeout_s
 * from its first byte (for a new connection: from accept, TLS handshake included). */
enum timer_kind { T_NONE, T_REQUEST, T_IDLE, T_LINGER };

struct conn {
    struct conn *prev, *next;
    struct anc_http_server *srv;
    uv_tcp_t tcp;
    uv_timer_t timer;
    int handles;
    enum conn_state state;
    enum timer_kind timer_kind;
    struct anc_http_parser parser;
    struct anc_tls_conn *tls;     /* NULL: plain HTTP */
    struct sockaddr_storage peer; /* the client's address ([server] max_connections_per_ip) */
    char *in;
    size_t in_len, in_cap;
    struct anc_http_request *inflight; /* being answered (maybe deferred) */
    size_t writes;                     /* uv_write requests in flight */
    unsigned served;                   /* requests answered */
    bool counted;                      /* in n_active (false: a 503 connection) */
    bool reading, eof, in_process;
    bool admitted; /* the current request passed anc_http_admit (at its headers-complete) */
    bool tls_seen; /* a first byte arrived (TLS: a plain HTTP request is answered 400) */
};

struct write_req {
    uv_write_t w;
    struct conn *c;
    char *head; /* or ciphertext (TLS) */
    uint8_t *body;
};

struct anc_http_server {
    uv_loop_t *loop;
    const struct anc_config *cfg; /* borrowed, read live (SIGHUP) */
    uv_tcp_t listener;
    uv_timer_t grace;
    bool listener_open, grace_open, closing;
    bool stopped_accepting; /* the listener is closed ahead of the rest (shutdown step one) */
    struct conn *conns;
    size_t n_active, n_rejecting;
    struct anc_http_router *router;
    struct anc_tls_ctx *tls;     /* borrowed; NULL: plain HTTP */
    struct anc_metrics *metrics; /* borrowed from the caller */
    struct anc_http_site site;
    struct anc_metric *m_conn_total, *m_conn_active, *m_rejected;
    struct anc_metric *m_requests[500]; /* by status - 100 */
    char address[80];
    void (*done)(void *arg);
    void *done_arg;
    char rbuf[64 * 1024]; /* read buffer: each read is consumed before the next alloc */
    char tbuf[16 * 1024]; /* TLS: decrypted bytes on their way to conn->in */
};

/* server_uv.c */
void anc__http_on_connection(uv_stream_t *server, int status);
void anc__http_conn_close(struct conn *c);
void anc__http_begin_close(struct conn *c);

/* server_listen_uv.c */
void anc__http_maybe_finish(struct anc_http_server *s);
