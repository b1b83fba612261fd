/* TLS for the HTTP listener: OpenSSL over memory BIOs, no sockets and no clock. server_uv.c
 * feeds the ciphertext it reads, takes the plaintext out for the HTTP parser, hands plaintext
 * responses in and writes the ciphertext it gets back; request.c never sees TLS.
 *
 * Policy (anc_tls_ctx_new): TLS 1.2 and 1.3 only; TLS 1.2 only with ECDHE key exchange and AEAD
 * ciphers (AES-GCM, ChaCha20-Poly1305), TLS 1.3 with OpenSSL's default suites; no renegotiation,
 * no compression; the server's cipher order wins. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct anc_tls_ctx;
struct anc_tls_conn;

/* Loads a PEM certificate chain and its private key. On error returns -EINVAL (or -ENOMEM) and
 * writes what went wrong (file and OpenSSL's reason) into err. */
int anc_tls_ctx_new(const char *cert_file, const char *key_file, struct anc_tls_ctx **out,
                    char *err, size_t errlen);
/* Loads the files again. Connections made from now on get the new certificate; existing ones
 * keep theirs. On error the old certificate stays in use and err says why. */
int anc_tls_ctx_reload(struct anc_tls_ctx *ctx, const char *cert_file, const char *key_file,
                       char *err, size_t errlen);
/* Accepts NULL. Connections made from ctx may outlive it (each holds its own reference). */
void anc_tls_ctx_free(struct anc_tls_ctx *ctx);

/* The server side of one connection. NULL when out of memory. */
struct anc_tls_conn *anc_tls_conn_new(struct anc_tls_ctx *ctx);
/* Accepts NULL. */
void anc_tls_conn_free(struct anc_tls_conn *t);

/* Feeds ciphertext read from the peer. Returns 0 or -ENOMEM. */
int anc_tls_conn_feed(struct anc_tls_conn *t, const void *data, size_t len);
/* Decrypts what was fed: returns the number of plaintext bytes put in buf (> 0), 0 when more
 * input is needed, -EPIPE after the peer's close_notify, or -EPROTO when the handshake or a
 * record failed (an alert may wait in the output: send it, then close). */
ssize_t anc_tls_conn_read(struct anc_tls_conn *t, void *buf, size_t cap);
/* Encrypts len bytes of plaintext into the output. Returns 0, -EPROTO (the connection failed
 * or is shut down) or -ENOMEM. */
int anc_tls_conn_write(struct anc_tls_conn *t, const void *data, size_t len);
/* Queues a close_notify (once; nothing after a failure). */
void anc_tls_conn_shutdown(struct anc_tls_conn *t);
/* Takes the ciphertext waiting to be sent: *out is a new buffer the caller frees, *len its size;
 * *out is NULL when nothing waits. Returns 0 or -ENOMEM. */
int anc_tls_conn_take_output(struct anc_tls_conn *t, uint8_t **out, size_t *len);
