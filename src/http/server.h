/* HTTP/1.1 server on the daemon's loop (placeholder contract; the http module fills it in). */
#pragma once

struct anc_app;
struct anc_http_server;

/* Binds cfg.listen and starts accepting. On success *out is the server. Returns 0 or a libuv error. */
int anc_http_server_start(struct anc_http_server **out, struct anc_app *app);

/* The bound address as "host:port" (the real port when listen used port 0). */
const char *anc_http_server_address(const struct anc_http_server *s);

/* Stops accepting, finishes or closes connections, closes every handle, then calls done(arg)
 * from the loop. s may be NULL: done is then called at once. */
void anc_http_server_close(struct anc_http_server *s, void (*done)(void *arg), void *arg);
