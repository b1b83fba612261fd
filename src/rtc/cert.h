/* The daemon's DTLS identity: one ECDSA P-256 key and a self-signed X.509 certificate (CN "ancloud",
 * random serial, valid from 30 days ago to 1 year ahead), persisted as PEM files so the SDP
 * fingerprint stays stable across restarts. Not sans-IO: loading reads files and the clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <openssl/types.h>

/* "sha-256" fingerprint as written in SDP: 32 bytes as uppercase hex pairs joined by ':'. */
#define ANC_CERT_FINGERPRINT_LEN (32 * 3)

/* File names inside the directory given to anc_cert_load_or_create(). */
#define ANC_CERT_FILE "dtls-cert.pem"
#define ANC_KEY_FILE  "dtls-key.pem"

struct anc_cert;

/* Loads dir/dtls-cert.pem and dir/dtls-key.pem, or creates a new certificate and writes both files
 * atomically (tmp + fsync + rename; the key with mode 0600, the directory created 0700 if missing).
 * A pair that is missing, unparsable, mismatched or expiring within a day is replaced. On success
 * *out is a new object the caller frees with anc_cert_free(). Errors: -errno from the file system,
 * -ENOMEM, -EIO (OpenSSL failure). */
int anc_cert_load_or_create(const char *dir, struct anc_cert **out);

/* Creates a certificate that lives only in memory (tests, or when no state directory exists). */
int anc_cert_new_ephemeral(struct anc_cert **out);

/* Frees the certificate and key; accepts NULL. */
void anc_cert_free(struct anc_cert *c);

/* The SHA-256 fingerprint "AB:CD:..." (NUL-terminated, owned by c) for a=fingerprint:sha-256. */
const char *anc_cert_fingerprint(const struct anc_cert *c);

/* Borrowed OpenSSL objects, valid while c lives; take a reference (X509_up_ref / EVP_PKEY_up_ref)
 * to keep them longer. SSL_CTX_use_certificate / _PrivateKey take their own. */
X509 *anc_cert_x509(const struct anc_cert *c);
EVP_PKEY *anc_cert_pkey(const struct anc_cert *c);

/* Formats an X.509 certificate's digest with md as "AB:CD:..." into out (cap >= 3 * digest size).
 * Returns 0, -ENOBUFS or -EIO. Shared with the DTLS fingerprint check. */
int anc_cert_format_digest(X509 *x, const EVP_MD *md, char *out, size_t cap);
