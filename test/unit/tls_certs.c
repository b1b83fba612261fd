#include "tls_certs.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "test.h"

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    CHECK(e != NULL);
    CHECK_EQ(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

void anc_test_cert_make(struct anc_test_cert *c, const char *cn, const char *san,
                        const struct anc_test_cert *issuer, bool ca, long not_before_s,
                        long not_after_s)
{
    static long serial = 1;
    c->key = EVP_EC_gen("P-256");
    c->x509 = X509_new();
    CHECK(c->key && c->x509);
    X509 *x = c->x509;
    X509 *signer = issuer ? issuer->x509 : x;
    CHECK_EQ(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    CHECK_EQ(X509_set_issuer_name(x, X509_get_subject_name(signer)), 1);
    CHECK_EQ(X509_set_pubkey(x, c->key), 1);
    add_ext(x, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(x, signer, NID_subject_key_identifier, "hash");
    if (ca)
        add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (san)
        add_ext(x, signer, NID_subject_alt_name, san);
    CHECK(X509_sign(x, issuer ? issuer->key : c->key, EVP_sha256()) > 0);
}

void anc_test_cert_write(const struct anc_test_cert *c, const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK_EQ(PEM_write_X509(f, c->x509), 1);
    fclose(f);
    snprintf(path, sizeof(path), "%s/%s.key", dir, name);
    f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK_EQ(PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

void anc_test_cert_free(struct anc_test_cert *c)
{
    EVP_PKEY_free(c->key);
    X509_free(c->x509);
}
