/* Certificates for TLS tests, made in-process (P-256 keys): a CA, certificates it signs with a
 * chosen subjectAltName and validity, written as PEM files for the code under test to load. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

struct anc_test_cert {
    EVP_PKEY *key;
    X509 *x509;
};

/* issuer NULL: self-signed. san: "IP:127.0.0.1", "DNS:etcd.test", ... or NULL. ca: a CA
 * (basicConstraints CA:TRUE). Valid from now + not_before_s to now + not_after_s. Aborts on
 * failure (a test helper). */
void anc_test_cert_make(struct anc_test_cert *c, const char *cn, const char *san,
                        const struct anc_test_cert *issuer, bool ca, long not_before_s,
                        long not_after_s);
/* Writes <dir>/<name>.pem (the certificate) and <dir>/<name>.key (its key). */
void anc_test_cert_write(const struct anc_test_cert *c, const char *dir, const char *name);
void anc_test_cert_free(struct anc_test_cert *c);
