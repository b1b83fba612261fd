#include "rtc/cert.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/fsutil.h"

#define DAY_SECONDS  86400L
#define VALID_BEFORE (30 * DAY_SECONDS)
#define VALID_AFTER  (365 * DAY_SECONDS)
#define PEM_MAX      (64 * 1024)

struct anc_cert {
    X509 *x509;
    EVP_PKEY *pkey;
    char fingerprint[ANC_CERT_FINGERPRINT_LEN];
};

void anc_cert_free(struct anc_cert *c)
{
    if (!c)
        return;
    X509_free(c->x509);
    EVP_PKEY_free(c->pkey);
    free(c);
}

const char *anc_cert_fingerprint(const struct anc_cert *c)
{
    return c->fingerprint;
}

X509 *anc_cert_x509(const struct anc_cert *c)
{
    return c->x509;
}

EVP_PKEY *anc_cert_pkey(const struct anc_cert *c)
{
    return c->pkey;
}

int anc_cert_format_digest(X509 *x, const EVP_MD *md, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(x, md, d, &n) != 1)
        return -EIO;
    if (cap < (size_t)n * 3)
        return -ENOBUFS;
    for (unsigned int i = 0; i < n; i++) {
        out[i * 3] = hex[d[i] >> 4];
        out[i * 3 + 1] = hex[d[i] & 15];
        out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
    }
    return 0;
}

static int set_random_serial(X509 *x)
{
    uint64_t serial = 0;
    while (serial == 0) {
        if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
            return -EIO;
        serial &= INT64_MAX; /* positive, at most 8 bytes DER */
    }
    return ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) == 1 ? 0 : -EIO;
}

/* Fills in and signs a self-signed v3 certificate for pkey. */
static int build_x509(X509 *x, EVP_PKEY *pkey)
{
    if (X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) < 0)
        return -EIO;
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -VALID_BEFORE) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), VALID_AFTER))
        return -EIO;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ancloud", -1,
                                   -1, 0) != 1)
        return -EIO;
    if (X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pkey) != 1)
        return -EIO;
    if (X509_sign(x, pkey, EVP_sha256()) <= 0)
        return -EIO;
    return 0;
}

/* Takes ownership of x and pkey (frees them on failure too). */
static int wrap(X509 *x, EVP_PKEY *pkey, struct anc_cert **out)
{
    struct anc_cert *c = calloc(1, sizeof(*c));
    if (!c) {
        X509_free(x);
        EVP_PKEY_free(pkey);
        return -ENOMEM;
    }
    c->x509 = x;
    c->pkey = pkey;
    int r = anc_cert_format_digest(x, EVP_sha256(), c->fingerprint, sizeof(c->fingerprint));
    if (r < 0) {
        anc_cert_free(c);
        return r;
    }
    *out = c;
    return 0;
}

int anc_cert_new_ephemeral(struct anc_cert **out)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    int r = -EIO;
    if (!pkey || !x)
        goto fail;
    r = build_x509(x, pkey);
    if (r < 0)
        goto fail;
    ERR_clear_error();
    return wrap(x, pkey, out);

fail:
    X509_free(x);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return r;
}

/* Reads one PEM file into a memory BIO; -ENOENT when absent. */
static int read_pem(const char *path, BIO **out)
{
    char *data = NULL;
    size_t len = 0;
    int r = anc_read_file(path, PEM_MAX, &data, &len);
    if (r < 0)
        return r;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || BIO_write(b, data, (int)len) != (int)len) {
        BIO_free(b);
        free(data);
        return -ENOMEM;
    }
    OPENSSL_cleanse(data, len);
    free(data);
    *out = b;
    return 0;
}

/* Loads and validates the pair. Returns 0, -ENOENT/-errno (file system), or -EBADMSG when the files
 * exist but cannot be used (caller then replaces them). */
static int load_pair(const char *cert_path, const char *key_path, struct anc_cert **out)
{
    BIO *cb = NULL, *kb = NULL;
    X509 *x = NULL;
    EVP_PKEY *pkey = NULL;
    int r = read_pem(cert_path, &cb);
    if (r < 0)
        goto done;
    r = read_pem(key_path, &kb);
    if (r < 0)
        goto done;
    r = -EBADMSG;
    x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    pkey = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    if (!x || !pkey || X509_check_private_key(x, pkey) != 1)
        goto done;
    time_t soon = time(NULL) + DAY_SECONDS;
    if (X509_cmp_time(X509_get0_notAfter(x), &soon) <= 0)
        goto done;
    r = wrap(x, pkey, out);
    x = NULL;
    pkey = NULL;
done:
    X509_free(x);
    EVP_PKEY_free(pkey);
    BIO_free(cb);
    BIO_free(kb);
    ERR_clear_error();
    return r;
}

typedef int (*pem_writer)(BIO *b, const struct anc_cert *c);

static int write_key_pem(BIO *b, const struct anc_cert *c)
{
    return PEM_write_bio_PrivateKey(b, c->pkey, NULL, NULL, 0, NULL, NULL);
}

static int write_cert_pem(BIO *b, const struct anc_cert *c)
{
    return PEM_write_bio_X509(b, c->x509);
}

static int store_pem(const char *path, const struct anc_cert *c, pem_writer fn, mode_t mode)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return -ENOMEM;
    int r = -EIO;
    if (fn(b, c) == 1) {
        char *data = NULL;
        long len = BIO_get_mem_data(b, &data);
        r = len > 0 ? anc_write_file_atomic(path, data, (size_t)len, mode) : -EIO;
        if (len > 0)
            OPENSSL_cleanse(data, (size_t)len);
    }
    BIO_free(b);
    ERR_clear_error();
    return r;
}

int anc_cert_load_or_create(const char *dir, struct anc_cert **out)
{
    char cert_path[PATH_MAX], key_path[PATH_MAX];
    if (snprintf(cert_path, sizeof(cert_path), "%s/%s", dir, ANC_CERT_FILE) >= PATH_MAX ||
        snprintf(key_path, sizeof(key_path), "%s/%s", dir, ANC_KEY_FILE) >= PATH_MAX)
        return -ENAMETOOLONG;
    int r = load_pair(cert_path, key_path, out);
    if (r != -ENOENT && r != -EBADMSG)
        return r;
    r = anc_mkdir_p(dir, 0700);
    if (r < 0)
        return r;
    struct anc_cert *c = NULL;
    r = anc_cert_new_ephemeral(&c);
    if (r < 0)
        return r;
    /* Key first: a crash between the renames leaves a mismatched pair, which the next run
     * detects and replaces, never an old key published under a new certificate. */
    r = store_pem(key_path, c, write_key_pem, 0600);
    if (r < 0)
        goto fail;
    r = store_pem(cert_path, c, write_cert_pem, 0644);
    if (r < 0)
        goto fail;
    *out = c;
    return 0;

fail:
    anc_cert_free(c);
    return r;
}
