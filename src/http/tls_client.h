/* TLS for the HTTP client: OpenSSL over memory BIOs, no sockets and no clock (the server side is
 * tls.h). client_uv.c feeds the ciphertext it reads, takes plaintext out for the response parser,
 * hands the request in and writes the ciphertext it gets back.
 *
 * Policy: TLS 1.2 minimum; the server's certificate must verify against the context's CA
 * (or the system store) and name the host of the URL (a DNS name, checked and sent as SNI, or an
 * IP literal, checked against the certificate's IP addresses); an optional client certificate
 * for servers that require one (etcd --client-cert-auth). No renegotiation, no compression. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct anc_tls_client;
struct anc_tls_session;

/* Loads the trust anchors from the PEM file ca (NULL or "": the system store, OpenSSL's default
 * paths, /etc/ssl/certs on Debian) and, when cert is set, the client certificate chain cert with
 * its private key key (both or neither). NULL on error, with the reason (which file, unreadable,
 * not PEM, key not matching the certificate) in err. Read once: later changes to the files
 * apply to a new context. */
struct anc_tls_client *anc_tls_client_new(const char *ca, const char *cert, const char *key,
                                          char *err, size_t errlen);
/* Accepts NULL. Sessions made from it may outlive it (each holds its own reference). */
void anc_tls_client_free(struct anc_tls_client *t);

/* One connection to host (as in the URL, brackets removed: a name or an IP literal). The
 * ClientHello waits in the output at once. NULL when out of memory or host is empty. */
struct anc_tls_session *anc_tls_session_new(struct anc_tls_client *t, const char *host);
/* Accepts NULL. */
void anc_tls_session_free(struct anc_tls_session *s);

/* Feeds ciphertext read from the server. 0, or -ENOMEM. */
int anc_tls_session_feed(struct anc_tls_session *s, const void *data, size_t len);
/* Advances the handshake and decrypts what was fed: the number of plaintext bytes put in buf
 * (> 0), 0 when more input is needed, -EPIPE after the server's close_notify, -EKEYREJECTED when
 * the server's certificate did not verify, -EPROTO when the handshake or a record failed (not
 * TLS at all, no common protocol, the server refused our certificate). After an error,
 * anc_tls_session_error says why; an alert may wait in the output. */
ssize_t anc_tls_session_read(struct anc_tls_session *s, void *buf, size_t cap);
/* Encrypts plaintext into the output; before the handshake is done it is kept and sent as soon
 * as it is. 0, -EPROTO (failed or shut down) or -ENOMEM. */
int anc_tls_session_write(struct anc_tls_session *s, const void *data, size_t len);
/* The connection ended (EOF or a reset): -ECONNRESET with a reason when the handshake had not
 * finished, else 0 (the caller's framing decides whether the data was whole). */
int anc_tls_session_eof(struct anc_tls_session *s);
/* Takes the ciphertext waiting to be sent: *out is a new buffer the caller frees (NULL when
 * nothing waits), *len its size. 0 or -ENOMEM. */
int anc_tls_session_take_output(struct anc_tls_session *s, uint8_t **out, size_t *len);
/* True once the handshake is done (the server's certificate verified). */
bool anc_tls_session_ready(const struct anc_tls_session *s);
/* Why the session failed ("certificate verify failed: certificate has expired", ...), or NULL. */
const char *anc_tls_session_error(const struct anc_tls_session *s);
