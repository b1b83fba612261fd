/* SRTP protect rate on one core for 1,200-byte RTP packets, both DTLS-SRTP profiles, against
 * baselines measured in the same run: memcpy of the packets, and OpenSSL doing the same raw
 * cryptography (AES-128-GCM with the header as AAD; AES-128-CTR + HMAC-SHA1 truncated to 80 bits).
 * Each figure is the median of 5 runs of at least 1 s. Usage: bench-srtp [seconds-per-run]. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "rtc/srtp.h"

#define PKT_LEN 1200
#define HDR_LEN 12
#define RUNS    5
#define CHECK_N 256

struct job {
    const char *name;
    int (*setup)(struct job *j);
    int (*one)(struct job *j, uint8_t *buf, uint32_t i);
    void (*teardown)(struct job *j);
    enum anc_srtp_profile profile;
    struct anc_srtp *srtp;
    EVP_CIPHER_CTX *cipher;
    EVP_MAC_CTX *mac;
};

static uint8_t tmpl[PKT_LEN];
static const uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_packet(uint8_t *buf, uint32_t i)
{
    memcpy(buf, tmpl, PKT_LEN);
    buf[2] = (uint8_t)(i >> 8);
    buf[3] = (uint8_t)i;
}

/* ---- jobs ---- */

static int memcpy_one(struct job *j, uint8_t *buf, uint32_t i)
{
    fill_packet(buf, i);
    __asm__ volatile("" : : "r"(buf) : "memory");
    return 0;
}

static int srtp_setup(struct job *j)
{
    struct anc_srtp_keys k = {.profile = j->profile};
    int r = anc_srtp_profile_lengths(j->profile, &k.key_len, &k.salt_len);
    if (r < 0)
        return r;
    memcpy(k.client_master, key, k.key_len + k.salt_len);
    memcpy(k.server_master, key + 1, k.key_len + k.salt_len);
    return anc_srtp_new(&k, true, &j->srtp);
}

static int srtp_one(struct job *j, uint8_t *buf, uint32_t i)
{
    size_t len = PKT_LEN;
    fill_packet(buf, i);
    return anc_srtp_protect_rtp(j->srtp, buf, &len, PKT_LEN + ANC_SRTP_MAX_TRAILER);
}

static void srtp_teardown(struct job *j)
{
    anc_srtp_free(j->srtp);
    j->srtp = NULL;
}

static int gcm_setup(struct job *j)
{
    j->cipher = EVP_CIPHER_CTX_new();
    if (!j->cipher || EVP_EncryptInit_ex(j->cipher, EVP_aes_128_gcm(), NULL, key, NULL) != 1)
        return -EIO;
    return 0;
}

static int gcm_one(struct job *j, uint8_t *buf, uint32_t i)
{
    uint8_t iv[12] = {0}, tag[16];
    int n = 0;
    fill_packet(buf, i);
    memcpy(iv + 8, &i, 4);
    if (EVP_EncryptInit_ex(j->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(j->cipher, NULL, &n, buf, HDR_LEN) != 1 ||
        EVP_EncryptUpdate(j->cipher, buf + HDR_LEN, &n, buf + HDR_LEN, PKT_LEN - HDR_LEN) != 1 ||
        EVP_EncryptFinal_ex(j->cipher, buf + PKT_LEN, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(j->cipher, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
        return -EIO;
    memcpy(buf + PKT_LEN, tag, 16);
    return 0;
}

static int cm_setup(struct job *j)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    j->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);
    j->cipher = EVP_CIPHER_CTX_new();
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                           OSSL_PARAM_construct_end()};
    if (!j->mac || !j->cipher || EVP_MAC_init(j->mac, key, 20, params) != 1 ||
        EVP_EncryptInit_ex(j->cipher, EVP_aes_128_ctr(), NULL, key, NULL) != 1)
        return -EIO;
    return 0;
}

static int cm_one(struct job *j, uint8_t *buf, uint32_t i)
{
    uint8_t iv[16] = {0}, tag[20];
    int n = 0;
    size_t tl = 0;
    fill_packet(buf, i);
    memcpy(iv + 8, &i, 4);
    if (EVP_EncryptInit_ex(j->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(j->cipher, buf + HDR_LEN, &n, buf + HDR_LEN, PKT_LEN - HDR_LEN) != 1 ||
        EVP_MAC_init(j->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(j->mac, buf, PKT_LEN) != 1 ||
        EVP_MAC_update(j->mac, (const uint8_t *)&i, 4) != 1 ||
        EVP_MAC_final(j->mac, tag, &tl, sizeof(tag)) != 1)
        return -EIO;
    memcpy(buf + PKT_LEN, tag, 10);
    return 0;
}

static void evp_teardown(struct job *j)
{
    EVP_CIPHER_CTX_free(j->cipher);
    EVP_MAC_CTX_free(j->mac);
    j->cipher = NULL;
    j->mac = NULL;
}

/* ---- measurement ---- */

/* Packets per second over one run of at least `seconds`; negative errno on failure. */
static double run_once(struct job *j, double seconds)
{
    static uint8_t buf[PKT_LEN + ANC_SRTP_MAX_TRAILER];
    uint32_t i = 0;
    double start = now_s(), elapsed;
    for (;;) {
        for (int k = 0; k < CHECK_N; k++, i++) {
            int r = j->one(j, buf, i);
            if (r < 0)
                return r;
        }
        elapsed = now_s() - start;
        if (elapsed >= seconds)
            break;
    }
    return (double)i / elapsed;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median packets/s of RUNS runs, each with a fresh setup so sequence numbers start over. */
static double measure(struct job *j, double seconds)
{
    double v[RUNS];
    for (int r = 0; r < RUNS; r++) {
        if (j->setup && j->setup(j) < 0)
            return -1;
        v[r] = run_once(j, seconds);
        if (j->teardown)
            j->teardown(j);
        if (v[r] < 0)
            return -1;
    }
    qsort(v, RUNS, sizeof(v[0]), cmp_double);
    return v[RUNS / 2];
}

static void print_row(const char *name, double pps, double base)
{
    double mbps = pps * PKT_LEN * 8 / 1e6;
    printf("%-40s %12.0f pkt/s %10.0f Mbit/s", name, pps, mbps);
    if (base > 0)
        printf("   %.2fx of baseline", pps / base);
    printf("\n");
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (seconds <= 0)
        seconds = 1.0;
    for (int i = 0; i < PKT_LEN; i++)
        tmpl[i] = (uint8_t)(i * 13);
    tmpl[0] = 0x80;
    tmpl[1] = 96;
    memcpy(tmpl + 8, "\x12\x34\x56\x78", 4);

    struct job copy = {.name = "memcpy 1200 B", .one = memcpy_one};
    struct job gcm_raw = {.name = "OpenSSL raw AES-128-GCM",
                          .setup = gcm_setup,
                          .one = gcm_one,
                          .teardown = evp_teardown};
    struct job cm_raw = {.name = "OpenSSL raw AES-128-CTR+HMAC-SHA1",
                         .setup = cm_setup,
                         .one = cm_one,
                         .teardown = evp_teardown};
    struct job gcm = {.name = "SRTP AEAD_AES_128_GCM",
                      .setup = srtp_setup,
                      .one = srtp_one,
                      .teardown = srtp_teardown,
                      .profile = ANC_SRTP_AEAD_AES_128_GCM};
    struct job cm = {.name = "SRTP AES128_CM_SHA1_80",
                     .setup = srtp_setup,
                     .one = srtp_one,
                     .teardown = srtp_teardown,
                     .profile = ANC_SRTP_AES128_CM_SHA1_80};

    printf("SRTP protect, %d-byte RTP packets, one core, median of %d runs x >= %g s\n", PKT_LEN,
           RUNS, seconds);
    double p_copy = measure(&copy, seconds), p_gcm_raw = measure(&gcm_raw, seconds);
    double p_cm_raw = measure(&cm_raw, seconds);
    double p_gcm = measure(&gcm, seconds), p_cm = measure(&cm, seconds);
    if (p_copy < 0 || p_gcm_raw < 0 || p_cm_raw < 0 || p_gcm < 0 || p_cm < 0) {
        fprintf(stderr, "bench-srtp: a job failed\n");
        return 1;
    }
    print_row(copy.name, p_copy, 0);
    print_row(gcm_raw.name, p_gcm_raw, 0);
    print_row(cm_raw.name, p_cm_raw, 0);
    print_row("SRTP AEAD_AES_128_GCM (vs raw GCM)", p_gcm, p_gcm_raw);
    print_row("SRTP AES128_CM_SHA1_80 (vs raw CTR+HMAC)", p_cm, p_cm_raw);
    return 0;
}
