/* Two DTLS endpoints wired through memory: handshake, SRTP export, application data, fingerprint
 * rejection, loss recovery by retransmission, close_notify, and the certificate files. */
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rtc/cert.h"
#include "rtc/dtls.h"

struct pair {
    struct anc_cert *ccert, *scert;
    struct anc_dtls_ctx *cctx, *sctx;
    struct anc_dtls c, s;
    uint64_t now;
    size_t datagrams, max_len;
};

static void pair_init_fp(struct pair *p, const char *c_expects, const char *s_expects)
{
    CHECK_EQ(anc_dtls_init(&p->c, p->cctx, false, "sha-256", c_expects), 0);
    CHECK_EQ(anc_dtls_init(&p->s, p->sctx, true, "SHA-256", s_expects), 0);
    p->now = 1000000;
}

static void pair_setup(struct pair *p)
{
    memset(p, 0, sizeof(*p));
    CHECK_EQ(anc_cert_new_ephemeral(&p->ccert), 0);
    CHECK_EQ(anc_cert_new_ephemeral(&p->scert), 0);
    CHECK_EQ(anc_dtls_ctx_new(p->ccert, &p->cctx), 0);
    CHECK_EQ(anc_dtls_ctx_new(p->scert, &p->sctx), 0);
}

static void pair_free(struct pair *p)
{
    anc_dtls_destroy(&p->c);
    anc_dtls_destroy(&p->s);
    anc_dtls_ctx_free(p->cctx);
    anc_dtls_ctx_free(p->sctx);
    anc_cert_free(p->ccert);
    anc_cert_free(p->scert);
}

/* Moves every queued datagram from one side to the other; returns how many moved. */
static size_t deliver(struct pair *p, struct anc_dtls *from, struct anc_dtls *to)
{
    uint8_t buf[ANC_DTLS_MAX_RECORD + 256];
    size_t len, n = 0;
    while (anc_dtls_poll_transmit(from, buf, sizeof(buf), &len)) {
        CHECK(len > 0);
        p->max_len = len > p->max_len ? len : p->max_len;
        anc_dtls_handle_datagram(to, p->now, buf, len);
        n++;
    }
    p->datagrams += n;
    return n;
}

/* Runs both directions until nothing moves. */
static void pump(struct pair *p)
{
    for (int i = 0; i < 100; i++) {
        size_t moved = deliver(p, &p->c, &p->s) + deliver(p, &p->s, &p->c);
        p->now += 1000;
        if (moved == 0)
            return;
    }
    CHECK(!"pump did not settle");
}

static void handshake(struct pair *p)
{
    pair_init_fp(p, anc_cert_fingerprint(p->scert), anc_cert_fingerprint(p->ccert));
    CHECK_EQ(anc_dtls_state(&p->c), ANC_DTLS_NEW);
    CHECK_EQ(anc_dtls_start(&p->c, p->now), 0);
    CHECK_EQ(anc_dtls_state(&p->c), ANC_DTLS_HANDSHAKING);
    CHECK(anc_dtls_next_timeout(&p->c, p->now) != UINT64_MAX);
    pump(p);
    CHECK_EQ(anc_dtls_state(&p->c), ANC_DTLS_CONNECTED);
    CHECK_EQ(anc_dtls_state(&p->s), ANC_DTLS_CONNECTED);
    CHECK(anc_dtls_next_timeout(&p->c, p->now) == UINT64_MAX);
    CHECK(anc_dtls_next_timeout(&p->s, p->now) == UINT64_MAX);
}

TEST(handshake_and_srtp_export)
{
    struct pair p;
    pair_setup(&p);
    handshake(&p);
    CHECK(p.max_len <= ANC_DTLS_MTU);
    fprintf(stderr, "handshake: %zu datagrams, largest %zu bytes\n", p.datagrams, p.max_len);
    /* Each flight is one datagram: records are coalesced. Under valgrind a flight can take longer
     * than OpenSSL's wall-clock retransmission timer (1 s), and retransmitted flights add to
     * the count: there only "at least" holds. */
    if (getenv("ANC_UNDER_VALGRIND"))
        CHECK(p.datagrams >= 4);
    else
        CHECK_EQ(p.datagrams, 4);

    struct anc_srtp_keys kc, ks;
    CHECK_EQ(anc_dtls_export_srtp(&p.c, &kc), 0);
    CHECK_EQ(anc_dtls_export_srtp(&p.s, &ks), 0);
    CHECK_EQ(kc.profile, ANC_SRTP_AEAD_AES_128_GCM);
    CHECK_EQ(ks.profile, kc.profile);
    CHECK_EQ(kc.key_len, 16);
    CHECK_EQ(kc.salt_len, 12);
    CHECK(memcmp(kc.client_master, ks.client_master, sizeof(kc.client_master)) == 0);
    CHECK(memcmp(kc.server_master, ks.server_master, sizeof(kc.server_master)) == 0);
    CHECK(memcmp(kc.client_master, kc.server_master, kc.key_len) != 0);
    pair_free(&p);
}

TEST(app_data_both_ways)
{
    struct pair p;
    pair_setup(&p);
    handshake(&p);
    uint8_t msg[1000], got[ANC_DTLS_MAX_RECORD];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)i;

    CHECK_EQ(anc_dtls_read(&p.s, got, sizeof(got)), -EAGAIN);
    CHECK_EQ(anc_dtls_write(&p.c, msg, sizeof(msg)), 0);
    CHECK_EQ(anc_dtls_write(&p.c, msg, 10), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_read(&p.s, got, sizeof(got)), sizeof(msg));
    CHECK(memcmp(got, msg, sizeof(msg)) == 0);
    CHECK_EQ(anc_dtls_read(&p.s, got, sizeof(got)), 10); /* record boundaries kept */
    CHECK_EQ(anc_dtls_read(&p.s, got, sizeof(got)), -EAGAIN);

    CHECK_EQ(anc_dtls_write(&p.s, msg + 1, 500), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_read(&p.c, got, 100), -EMSGSIZE);
    CHECK_EQ(anc_dtls_write(&p.s, msg + 1, 500), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_read(&p.c, got, sizeof(got)), 500);
    CHECK(memcmp(got, msg + 1, 500) == 0);
    CHECK_EQ(anc_dtls_write(&p.s, msg, 0), -EMSGSIZE);
    pair_free(&p);
}

TEST(server_rejects_wrong_fingerprint)
{
    struct pair p;
    pair_setup(&p);
    /* The server expects the client to present the server's own certificate. */
    pair_init_fp(&p, anc_cert_fingerprint(p.scert), anc_cert_fingerprint(p.scert));
    CHECK_EQ(anc_dtls_start(&p.c, p.now), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_FAILED);
    CHECK_EQ(anc_dtls_error(&p.s), -EKEYREJECTED);
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_FAILED); /* it received the alert */
    CHECK_EQ(anc_dtls_error(&p.c), -EPROTO);
    struct anc_srtp_keys k;
    CHECK_EQ(anc_dtls_export_srtp(&p.s, &k), -ENOTCONN);
    CHECK_EQ(anc_dtls_write(&p.c, (const uint8_t *)"x", 1), -ENOTCONN);
    pair_free(&p);
}

TEST(client_rejects_wrong_fingerprint)
{
    struct pair p;
    pair_setup(&p);
    pair_init_fp(&p, anc_cert_fingerprint(p.ccert), anc_cert_fingerprint(p.ccert));
    CHECK_EQ(anc_dtls_start(&p.c, p.now), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_FAILED);
    CHECK_EQ(anc_dtls_error(&p.c), -EKEYREJECTED);
    CHECK(anc_dtls_state(&p.s) != ANC_DTLS_CONNECTED);
    pair_free(&p);
}

TEST(bad_fingerprint_strings)
{
    struct pair p;
    pair_setup(&p);
    const char *fp = anc_cert_fingerprint(p.scert);
    CHECK_EQ(anc_dtls_init(&p.c, p.cctx, false, "md5", fp), -EINVAL);
    CHECK_EQ(anc_dtls_init(&p.c, p.cctx, false, "sha-1", fp), -EINVAL); /* wrong length */
    CHECK_EQ(anc_dtls_init(&p.c, p.cctx, false, "sha-256", "AB:CD"), -EINVAL);
    CHECK_EQ(anc_dtls_init(&p.c, p.cctx, false, "sha-256", NULL), -EINVAL);
    char bad[ANC_CERT_FINGERPRINT_LEN];
    strcpy(bad, fp);
    bad[2] = '-';
    CHECK_EQ(anc_dtls_init(&p.c, p.cctx, false, "sha-256", bad), -EINVAL);
    anc_dtls_destroy(&p.c);
    anc_dtls_destroy(NULL);

    /* Other digests work when the fingerprint matches. */
    char fp384[EVP_MAX_MD_SIZE * 3], fp1[EVP_MAX_MD_SIZE * 3];
    CHECK_EQ(anc_cert_format_digest(anc_cert_x509(p.scert), EVP_sha384(), fp384, sizeof(fp384)), 0);
    CHECK_EQ(anc_cert_format_digest(anc_cert_x509(p.ccert), EVP_sha1(), fp1, sizeof(fp1)), 0);
    for (char *q = fp1; *q; q++)
        *q = (char)(*q >= 'A' && *q <= 'F' ? *q + 32 : *q); /* lowercase is accepted */
    CHECK_EQ(anc_dtls_init(&p.c, p.cctx, false, "sha-384", fp384), 0);
    CHECK_EQ(anc_dtls_init(&p.s, p.sctx, true, "sha-1", fp1), 0);
    CHECK_EQ(anc_dtls_start(&p.c, p.now), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_CONNECTED);
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_CONNECTED);
    pair_free(&p);
}

static void sleep_until(struct pair *p, uint64_t deadline)
{
    /* OpenSSL's DTLS timer runs on the wall clock, so the fake clock must be matched by a real
     * sleep of the same length (a few tens of milliseconds with the short timeouts used here). */
    if (deadline > p->now) {
        uint64_t us = deadline - p->now;
        struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        p->now = deadline;
    }
}

TEST(retransmit_after_loss)
{
    struct pair p;
    pair_setup(&p);
    pair_init_fp(&p, anc_cert_fingerprint(p.scert), anc_cert_fingerprint(p.ccert));
    anc_dtls_set_timeouts(&p.c, 30000, 200000);
    anc_dtls_set_timeouts(&p.s, 30000, 200000);
    CHECK_EQ(anc_dtls_start(&p.c, p.now), 0);

    uint8_t buf[2048];
    size_t len;
    CHECK(anc_dtls_poll_transmit(&p.c, buf, sizeof(buf), &len)); /* the ClientHello: lost */
    CHECK(!anc_dtls_poll_transmit(&p.c, buf, sizeof(buf), &len));
    uint64_t deadline = anc_dtls_next_timeout(&p.c, p.now);
    CHECK(deadline != UINT64_MAX && deadline > p.now && deadline - p.now <= 30000);
    CHECK_EQ(anc_dtls_handle_timeout(&p.c, p.now), 0); /* too early: nothing */
    CHECK(!anc_dtls_poll_transmit(&p.c, buf, sizeof(buf), &len));

    sleep_until(&p, deadline + 1000);
    CHECK_EQ(anc_dtls_handle_timeout(&p.c, p.now), 0);
    CHECK_EQ(deliver(&p, &p.c, &p.s), 1);

    /* Lose the server's whole first flight too; the client retransmits its hello again. */
    while (anc_dtls_poll_transmit(&p.s, buf, sizeof(buf), &len))
        ;
    deadline = anc_dtls_next_timeout(&p.c, p.now);
    CHECK(deadline != UINT64_MAX);
    sleep_until(&p, deadline + 1000);
    CHECK_EQ(anc_dtls_handle_timeout(&p.c, p.now), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_CONNECTED);
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_CONNECTED);
    pair_free(&p);
}

TEST(small_mtu_fragments_flights)
{
    struct pair p;
    pair_setup(&p);
    pair_init_fp(&p, anc_cert_fingerprint(p.scert), anc_cert_fingerprint(p.ccert));
    CHECK_EQ(anc_dtls_set_mtu(&p.c, 100), -EINVAL);
    CHECK_EQ(anc_dtls_set_mtu(&p.c, 256), 0);
    CHECK_EQ(anc_dtls_set_mtu(&p.s, 256), 0);
    CHECK_EQ(anc_dtls_start(&p.c, p.now), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_CONNECTED);
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_CONNECTED);
    CHECK(p.max_len <= 256);
    CHECK(p.datagrams > 6);
    fprintf(stderr, "mtu 256: %zu datagrams, largest %zu bytes\n", p.datagrams, p.max_len);
    pair_free(&p);
}

static void put24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

/* Rewrites a single-record, single-message ClientHello datagram as one fragment [off, off+n) of
 * that message in its own record with record sequence number rseq. */
static size_t client_hello_fragment(const uint8_t *ch, uint8_t *out, size_t off, size_t n,
                                    uint8_t rseq)
{
    memcpy(out, ch, 13 + 12);
    out[10] = rseq;
    out[11] = (uint8_t)((12 + n) >> 8);
    out[12] = (uint8_t)(12 + n);
    uint8_t *hs = out + 13;
    put24(hs + 6, off); /* fragment_offset */
    put24(hs + 9, n);   /* fragment_length */
    memcpy(out + 25, ch + 25 + off, n);
    return 25 + n;
}

/* Browsers with post-quantum key shares send ClientHellos split over several datagrams, and the
 * pieces may arrive out of order. */
TEST(fragmented_client_hello)
{
    struct pair p;
    pair_setup(&p);
    pair_init_fp(&p, anc_cert_fingerprint(p.scert), anc_cert_fingerprint(p.ccert));
    CHECK_EQ(anc_dtls_start(&p.c, p.now), 0);
    uint8_t ch[2048], frag[2048], reply[2048];
    size_t len, rlen;
    CHECK(anc_dtls_poll_transmit(&p.c, ch, sizeof(ch), &len));
    CHECK_EQ(ch[0], 22); /* handshake record */
    CHECK_EQ(ch[13], 1); /* ClientHello */
    size_t body = (size_t)ch[14] << 16 | (size_t)ch[15] << 8 | ch[16];
    CHECK_EQ(len, 13 + 12 + body); /* one unfragmented message */
    size_t half = body / 2;
    size_t n = client_hello_fragment(ch, frag, half, body - half, 7);
    CHECK_EQ(anc_dtls_handle_datagram(&p.s, p.now, frag, n), 0);
    CHECK(!anc_dtls_poll_transmit(&p.s, reply, sizeof(reply), &rlen)); /* waits for the rest */
    n = client_hello_fragment(ch, frag, 0, half, 8);
    CHECK_EQ(anc_dtls_handle_datagram(&p.s, p.now, frag, n), 0);
    CHECK(anc_dtls_poll_transmit(&p.s, reply, sizeof(reply), &rlen));
    CHECK_EQ(anc_dtls_handle_datagram(&p.c, p.now, reply, rlen), 0);
    pump(&p);
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_CONNECTED);
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_CONNECTED);
    pair_free(&p);
}

TEST(duplicated_datagrams)
{
    struct pair p;
    pair_setup(&p);
    pair_init_fp(&p, anc_cert_fingerprint(p.scert), anc_cert_fingerprint(p.ccert));
    CHECK_EQ(anc_dtls_start(&p.c, p.now), 0);
    uint8_t buf[2048];
    size_t len;
    for (int round = 0; round < 20; round++) {
        struct anc_dtls *from = round % 2 ? &p.s : &p.c, *to = round % 2 ? &p.c : &p.s;
        while (anc_dtls_poll_transmit(from, buf, sizeof(buf), &len)) {
            CHECK_EQ(anc_dtls_handle_datagram(to, p.now, buf, len), 0);
            CHECK_EQ(anc_dtls_handle_datagram(to, p.now, buf, len), 0);
        }
    }
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_CONNECTED);
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_CONNECTED);
    uint8_t junk[40] = {23, 0xfe, 0xfd};
    CHECK_EQ(anc_dtls_handle_datagram(&p.s, p.now, junk, sizeof(junk)), 0); /* dropped */
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_CONNECTED);
    pair_free(&p);
}

TEST(close_notify)
{
    struct pair p;
    pair_setup(&p);
    handshake(&p);
    anc_dtls_close(&p.c);
    CHECK_EQ(anc_dtls_state(&p.c), ANC_DTLS_CLOSED);
    CHECK_EQ(deliver(&p, &p.c, &p.s), 1);
    CHECK_EQ(anc_dtls_state(&p.s), ANC_DTLS_CLOSED);
    CHECK_EQ(anc_dtls_error(&p.s), 0);
    CHECK_EQ(anc_dtls_write(&p.s, (const uint8_t *)"x", 1), -ENOTCONN);
    pair_free(&p);
}

TEST(cert_persistence)
{
    char dir[] = "/tmp/anc-cert-XXXXXX", sub[64], path[128];
    CHECK(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/state", dir);

    struct anc_cert *a = NULL, *b = NULL, *e = NULL;
    CHECK_EQ(anc_cert_load_or_create(sub, &a), 0);
    CHECK_EQ(strlen(anc_cert_fingerprint(a)), 95);
    CHECK_EQ(anc_cert_load_or_create(sub, &b), 0);
    CHECK_STREQ(anc_cert_fingerprint(a), anc_cert_fingerprint(b));
    CHECK_EQ(anc_cert_new_ephemeral(&e), 0);
    CHECK(strcmp(anc_cert_fingerprint(a), anc_cert_fingerprint(e)) != 0);

    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", sub, ANC_KEY_FILE);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    CHECK_EQ(stat(sub, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0700);

    /* A corrupt certificate file is replaced by a new identity. */
    snprintf(path, sizeof(path), "%s/%s", sub, ANC_CERT_FILE);
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs("garbage\n", f);
    fclose(f);
    anc_cert_free(b);
    CHECK_EQ(anc_cert_load_or_create(sub, &b), 0);
    CHECK(strcmp(anc_cert_fingerprint(a), anc_cert_fingerprint(b)) != 0);

    anc_cert_free(a);
    anc_cert_free(b);
    anc_cert_free(e);
    anc_cert_free(NULL);
    unlink(path);
    snprintf(path, sizeof(path), "%s/%s", sub, ANC_KEY_FILE);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}
