/* SRTP/SRTCP round trips for both profiles, with keys from a real DTLS export and fixed keys;
 * replay, tampering, wrong keys and buffer limits are rejected. */
#include "test.h"

#include <errno.h>
#include <stdint.h>

#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/srtp.h"

static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload)
{
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = seq * 3000u;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    for (size_t i = 0; i < payload; i++)
        buf[12 + i] = (uint8_t)(i * 7 + seq);
    return 12 + payload;
}

/* A sender report without report blocks (28 bytes). */
static size_t make_rtcp_sr(uint8_t *buf, uint32_t ssrc)
{
    memset(buf, 0, 28);
    buf[0] = 0x80;
    buf[1] = 200;
    buf[3] = 6;
    for (int i = 0; i < 4; i++)
        buf[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 8; i < 28; i++)
        buf[i] = (uint8_t)i;
    return 28;
}

static void fixed_keys(struct anc_srtp_keys *k, enum anc_srtp_profile profile)
{
    memset(k, 0, sizeof(*k));
    k->profile = profile;
    CHECK_EQ(anc_srtp_profile_lengths(profile, &k->key_len, &k->salt_len), 0);
    for (size_t i = 0; i < k->key_len + k->salt_len; i++) {
        k->client_master[i] = (uint8_t)(i + 1);
        k->server_master[i] = (uint8_t)(0xA0 + i);
    }
}

/* RTCP both ways: the browser's receiver reports travel from client to server. */
static void rtcp_round_trips(struct anc_srtp *tx, struct anc_srtp *rx, size_t tag)
{
    uint8_t plain[64], buf[64 + ANC_SRTP_MAX_TRAILER], copy[sizeof(buf)];
    size_t len, tl, n;
    n = make_rtcp_sr(plain, 0x1234);
    for (int dir = 0; dir < 2; dir++) {
        struct anc_srtp *from = dir ? rx : tx, *to = dir ? tx : rx;
        len = n;
        memcpy(buf, plain, n);
        CHECK_EQ(anc_srtp_protect_rtcp(from, buf, &len, sizeof(buf)), 0);
        CHECK_EQ(len, n + tag + 4);
        memcpy(copy, buf, len);
        copy[10] ^= 0x80;
        tl = len;
        CHECK_EQ(anc_srtp_unprotect_rtcp(to, copy, &tl), -EBADMSG);
        memcpy(copy, buf, len);
        tl = len;
        CHECK_EQ(anc_srtp_unprotect_rtcp(to, copy, &tl), 0);
        CHECK_EQ(tl, n);
        CHECK(memcmp(copy, plain, n) == 0);
        memcpy(copy, buf, len);
        tl = len;
        CHECK_EQ(anc_srtp_unprotect_rtcp(to, copy, &tl), -EALREADY);
    }
}

/* Sender is the DTLS server (our daemon), receiver the client (the browser). */
static void round_trips(const struct anc_srtp_keys *k)
{
    struct anc_srtp *tx = NULL, *rx = NULL;
    CHECK_EQ(anc_srtp_new(k, true, &tx), 0);
    CHECK_EQ(anc_srtp_new(k, false, &rx), 0);
    size_t tag = k->profile == ANC_SRTP_AEAD_AES_128_GCM ? 16 : 10;
    CHECK_EQ(anc_srtp_rtp_overhead(tx), tag);
    CHECK_EQ(anc_srtp_rtcp_overhead(tx), tag + 4);

    uint8_t plain[1500], buf[1500], copy[1500];
    for (uint16_t seq = 65530; seq != 10; seq++) { /* across a sequence-number wrap */
        for (uint32_t ssrc = 0x1234; ssrc <= 0x1236; ssrc++) {
            size_t n = make_rtp(plain, ssrc, seq, 1000), len = n;
            memcpy(buf, plain, n);
            CHECK_EQ(anc_srtp_protect_rtp(tx, buf, &len, sizeof(buf)), 0);
            CHECK_EQ(len, n + tag);
            CHECK(memcmp(buf + 12, plain + 12, n - 12) != 0);
            CHECK_EQ(anc_srtp_unprotect_rtp(rx, buf, &len), 0);
            CHECK_EQ(len, n);
            CHECK(memcmp(buf, plain, n) == 0);
        }
    }

    /* Re-protecting the same packet (NACK retransmission) is allowed and identical. */
    size_t n = make_rtp(plain, 0x1234, 20, 100), len = n, len2 = n;
    memcpy(buf, plain, n);
    CHECK_EQ(anc_srtp_protect_rtp(tx, buf, &len, sizeof(buf)), 0);
    memcpy(copy, plain, n);
    CHECK_EQ(anc_srtp_protect_rtp(tx, copy, &len2, sizeof(copy)), 0);
    CHECK_EQ(len, len2);
    CHECK(memcmp(buf, copy, len) == 0);

    /* Tampered, then genuine, then replayed. */
    memcpy(copy, buf, len);
    copy[len / 2] ^= 1;
    size_t tl = len;
    CHECK_EQ(anc_srtp_unprotect_rtp(rx, copy, &tl), -EBADMSG);
    memcpy(copy, buf, len);
    tl = len;
    CHECK_EQ(anc_srtp_unprotect_rtp(rx, copy, &tl), 0);
    memcpy(copy, buf, len);
    tl = len;
    CHECK_EQ(anc_srtp_unprotect_rtp(rx, copy, &tl), -EALREADY);

    /* The sender cannot decrypt its own packets: the directions use different keys. */
    memcpy(copy, buf, len);
    tl = len;
    CHECK_EQ(anc_srtp_unprotect_rtp(tx, copy, &tl), -EBADMSG);

    /* Too little room for the trailer; too short to be RTP. */
    len = n;
    CHECK_EQ(anc_srtp_protect_rtp(tx, plain, &len, n + 10), -EMSGSIZE);
    tl = 5;
    CHECK_EQ(anc_srtp_unprotect_rtp(rx, buf, &tl), -EBADMSG);

    rtcp_round_trips(tx, rx, tag);
    anc_srtp_free(tx);
    anc_srtp_free(rx);
}

TEST(fixed_keys_aes_cm)
{
    struct anc_srtp_keys k;
    fixed_keys(&k, ANC_SRTP_AES128_CM_SHA1_80);
    round_trips(&k);
}

TEST(fixed_keys_gcm)
{
    struct anc_srtp_keys k;
    fixed_keys(&k, ANC_SRTP_AEAD_AES_128_GCM);
    round_trips(&k);
}

static void pump(struct anc_dtls *a, struct anc_dtls *b)
{
    uint8_t buf[2048];
    size_t len;
    for (int i = 0; i < 50; i++) {
        bool moved = false;
        while (anc_dtls_poll_transmit(a, buf, sizeof(buf), &len)) {
            anc_dtls_handle_datagram(b, 0, buf, len);
            moved = true;
        }
        while (anc_dtls_poll_transmit(b, buf, sizeof(buf), &len)) {
            anc_dtls_handle_datagram(a, 0, buf, len);
            moved = true;
        }
        if (!moved)
            return;
    }
}

TEST(keys_from_dtls_export)
{
    struct anc_cert *cc = NULL, *sc = NULL;
    struct anc_dtls_ctx *cctx = NULL, *sctx = NULL;
    struct anc_dtls c, s;
    CHECK_EQ(anc_cert_new_ephemeral(&cc), 0);
    CHECK_EQ(anc_cert_new_ephemeral(&sc), 0);
    CHECK_EQ(anc_dtls_ctx_new(cc, &cctx), 0);
    CHECK_EQ(anc_dtls_ctx_new(sc, &sctx), 0);
    CHECK_EQ(anc_dtls_init(&c, cctx, false, "sha-256", anc_cert_fingerprint(sc)), 0);
    CHECK_EQ(anc_dtls_init(&s, sctx, true, "sha-256", anc_cert_fingerprint(cc)), 0);
    CHECK_EQ(anc_dtls_start(&c, 0), 0);
    pump(&c, &s);
    CHECK_EQ(anc_dtls_state(&s), ANC_DTLS_CONNECTED);

    struct anc_srtp_keys kc, ks;
    CHECK_EQ(anc_dtls_export_srtp(&c, &kc), 0);
    CHECK_EQ(anc_dtls_export_srtp(&s, &ks), 0);
    CHECK_EQ(ks.profile, ANC_SRTP_AEAD_AES_128_GCM);
    round_trips(&ks);

    /* Each side builds its own object from its own export. */
    struct anc_srtp *tx = NULL, *rx = NULL;
    CHECK_EQ(anc_srtp_new(&ks, true, &tx), 0);
    CHECK_EQ(anc_srtp_new(&kc, false, &rx), 0);
    uint8_t buf[1500];
    size_t len = make_rtp(buf, 42, 1, 1188);
    CHECK_EQ(len, 1200);
    CHECK_EQ(anc_srtp_protect_rtp(tx, buf, &len, sizeof(buf)), 0);
    CHECK_EQ(anc_srtp_unprotect_rtp(rx, buf, &len), 0);
    CHECK_EQ(len, 1200);
    anc_srtp_free(tx);
    anc_srtp_free(rx);

    kc.salt_len = 14; /* inconsistent with the profile */
    CHECK_EQ(anc_srtp_new(&kc, false, &rx), -EINVAL);
    kc.profile = (enum anc_srtp_profile)2;
    CHECK_EQ(anc_srtp_new(&kc, false, &rx), -ENOTSUP);
    anc_srtp_free(NULL);

    anc_dtls_destroy(&c);
    anc_dtls_destroy(&s);
    anc_dtls_ctx_free(cctx);
    anc_dtls_ctx_free(sctx);
    anc_cert_free(cc);
    anc_cert_free(sc);
}
