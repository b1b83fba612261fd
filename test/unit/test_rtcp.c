#include <errno.h>
#include <stdint.h>

#include "rtc/rtcp.h"
#include "test.h"

#define MAX_ITEMS 64

struct collected {
    struct anc_rtcp_item items[MAX_ITEMS];
    int n;
};

static int collect(void *opaque, const struct anc_rtcp_item *item)
{
    struct collected *c = opaque;
    CHECK(c->n < MAX_ITEMS);
    c->items[c->n++] = *item;
    return 0;
}

static int parse(const uint8_t *buf, size_t len, struct collected *c)
{
    memset(c, 0, sizeof(*c));
    return anc_rtcp_parse(buf, len, collect, c);
}

TEST(ntp)
{
    /* 2021-01-01T00:00:00.5Z: 1609459200 s after the Unix epoch; NTP seconds 3818448000. */
    uint64_t ntp = anc_ntp_from_unix_us(1609459200500000ull);
    CHECK_EQ(ntp >> 32, 3818448000ull);
    CHECK_EQ(ntp & 0xffffffffu, 0x80000000u);
    CHECK_EQ(anc_ntp_to_unix_us(ntp), 1609459200500000ull);
    CHECK_EQ(anc_ntp_mid32(ntp), (uint32_t)((3818448000ull & 0xffff) << 16 | 0x8000));
    uint64_t t = 1700000000123456ull;
    uint64_t back = anc_ntp_to_unix_us(anc_ntp_from_unix_us(t));
    CHECK(back == t || back + 1 == t);
}

TEST(sr_sdes_roundtrip)
{
    /* Capture clock t0 = 10 s maps to RTP 1000; the SR goes out at capture time t0 + 2.5 s, which
     * is wall time 2021-01-01T00:00:00.5Z. */
    struct anc_rtp_clock clock = {.base_ts = 1000, .base_us = 10000000, .rate = 90000};
    uint64_t t = 12500000;
    struct anc_rtcp_sender_info si;
    anc_rtcp_sender_info_at(&si, &clock, t, 1609459200500000ull, 1234, 567890);
    CHECK_EQ(si.rtp_ts, 1000 + (t - 10000000) * 90000 / 1000000);
    CHECK_EQ(si.rtp_ts, 226000);

    uint8_t buf[128];
    int n = anc_rtcp_build_sr_sdes(buf, sizeof(buf), 0x11223344, &si, "ancloud");
    /* SR 28 bytes; SDES 4 + chunk (4 SSRC + 2 + 7 + 1 end = 14 → 16). */
    CHECK_EQ(n, 48);
    static const uint8_t expect[] = {0x80, 200,  0x00, 0x06, 0x11, 0x22, 0x33, 0x44, 0xe3, 0x98,
                                     0xe4, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00, 0x03, 0x72, 0xd0,
                                     0x00, 0x00, 0x04, 0xd2, 0x00, 0x08, 0xaa, 0x52, 0x81, 202,
                                     0x00, 0x04, 0x11, 0x22, 0x33, 0x44, 0x01, 0x07, 'a',  'n',
                                     'c',  'l',  'o',  'u',  'd',  0x00, 0x00, 0x00};
    CHECK(memcmp(buf, expect, sizeof(expect)) == 0);

    struct collected c;
    CHECK_EQ(parse(buf, (size_t)n, &c), 1);
    CHECK_EQ(c.items[0].type, ANC_RTCP_ITEM_SR);
    CHECK_EQ(c.items[0].sender_ssrc, 0x11223344);
    CHECK(c.items[0].u.sr.ntp == si.ntp);
    CHECK_EQ(c.items[0].u.sr.rtp_ts, 226000);
    CHECK_EQ(c.items[0].u.sr.packet_count, 1234);
    CHECK_EQ(c.items[0].u.sr.octet_count, 567890);
    CHECK_EQ(anc_rtcp_build_sr_sdes(buf, 47, 1, &si, "ancloud"), -EMSGSIZE);
    CHECK_EQ(anc_rtcp_build_sr_sdes(buf, sizeof(buf), 1, &si, ""), -EINVAL);
}

TEST(nack_literal)
{
    /* RTPFB FMT 1, sender 0x01, media 0x02, PID 100, BLP 0x0005. */
    static const uint8_t pkt[] = {0x81, 205,  0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                                  0x00, 0x00, 0x00, 0x02, 0x00, 0x64, 0x00, 0x05};
    struct collected c;
    CHECK_EQ(parse(pkt, sizeof(pkt), &c), 1);
    CHECK_EQ(c.items[0].type, ANC_RTCP_ITEM_NACK);
    CHECK_EQ(c.items[0].sender_ssrc, 1);
    CHECK_EQ(c.items[0].media_ssrc, 2);
    CHECK_EQ(c.items[0].u.nack.n_seqs, 3);
    CHECK_EQ(c.items[0].u.nack.seqs[0], 100);
    CHECK_EQ(c.items[0].u.nack.seqs[1], 101);
    CHECK_EQ(c.items[0].u.nack.seqs[2], 103);

    uint8_t buf[64];
    static const uint16_t seqs[] = {100, 101, 103};
    CHECK_EQ(anc_rtcp_build_nack(buf, sizeof(buf), 1, 2, seqs, 3), (int)sizeof(pkt));
    CHECK(memcmp(buf, pkt, sizeof(pkt)) == 0);

    /* Across the wrap and more than 16 apart: two entries. */
    static const uint16_t wrap[] = {65530, 65535, 4, 40};
    int n = anc_rtcp_build_nack(buf, sizeof(buf), 1, 2, wrap, 4);
    CHECK_EQ(n, 20);
    CHECK_EQ(parse(buf, (size_t)n, &c), 2);
    CHECK_EQ(c.items[0].u.nack.n_seqs, 3);
    CHECK_EQ(c.items[0].u.nack.seqs[2], 4);
    CHECK_EQ(c.items[1].u.nack.n_seqs, 1);
    CHECK_EQ(c.items[1].u.nack.seqs[0], 40);
}

TEST(pli_fir)
{
    static const uint8_t pli[] = {0x81, 206,  0x00, 0x02, 0x00, 0x00,
                                  0x00, 0x01, 0x00, 0x00, 0x00, 0x02};
    static const uint8_t fir[] = {0x84, 206,  0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x07, 0x00, 0x00, 0x00};
    struct collected c;
    CHECK_EQ(parse(pli, sizeof(pli), &c), 1);
    CHECK_EQ(c.items[0].type, ANC_RTCP_ITEM_PLI);
    CHECK_EQ(c.items[0].media_ssrc, 2);
    CHECK_EQ(parse(fir, sizeof(fir), &c), 1);
    CHECK_EQ(c.items[0].type, ANC_RTCP_ITEM_FIR);
    CHECK_EQ(c.items[0].media_ssrc, 2);
    CHECK_EQ(c.items[0].u.fir.seq_nr, 7);

    uint8_t buf[32];
    CHECK_EQ(anc_rtcp_build_pli(buf, sizeof(buf), 1, 2), 12);
    CHECK(memcmp(buf, pli, sizeof(pli)) == 0);
    CHECK_EQ(anc_rtcp_build_fir(buf, sizeof(buf), 1, 2, 7), 20);
    CHECK(memcmp(buf, fir, sizeof(fir)) == 0);
    CHECK_EQ(anc_rtcp_build_pli(buf, 11, 1, 2), -EMSGSIZE);
}

TEST(remb)
{
    /* 1 SSRC, exponent 3, mantissa 0x3d090 (250000) → 2,000,000 bps. */
    static const uint8_t pkt[] = {0x8f, 206,  0x00, 0x05, 0x00, 0x00, 0x00, 0x01,
                                  0x00, 0x00, 0x00, 0x00, 'R',  'E',  'M',  'B',
                                  0x01, 0x0f, 0xd0, 0x90, 0xaa, 0xbb, 0xcc, 0xdd};
    struct collected c;
    CHECK_EQ(parse(pkt, sizeof(pkt), &c), 1);
    CHECK_EQ(c.items[0].type, ANC_RTCP_ITEM_REMB);
    CHECK_EQ(c.items[0].u.remb.bitrate_bps, 2000000);
    CHECK_EQ(c.items[0].u.remb.n_ssrcs, 1);
    CHECK_EQ(c.items[0].u.remb.ssrcs[0], 0xaabbccdd);

    uint8_t buf[64];
    uint32_t ssrc = 0xaabbccdd;
    CHECK_EQ(anc_rtcp_build_remb(buf, sizeof(buf), 1, 2000000, &ssrc, 1), 24);
    CHECK(memcmp(buf, pkt, sizeof(pkt)) == 0);

    /* A value that needs rounding: encoded as the largest representable value below it. */
    CHECK_EQ(anc_rtcp_build_remb(buf, sizeof(buf), 1, 1000000007, &ssrc, 1), 24);
    CHECK_EQ(parse(buf, 24, &c), 1);
    CHECK(c.items[0].u.remb.bitrate_bps <= 1000000007);
    CHECK(c.items[0].u.remb.bitrate_bps > 1000000007 - (1000000007 >> 17));

    /* Exponent 63 saturates instead of overflowing. */
    uint8_t huge[sizeof(pkt)];
    memcpy(huge, pkt, sizeof(pkt));
    huge[17] = 0xff;
    CHECK_EQ(parse(huge, sizeof(huge), &c), 1);
    CHECK(c.items[0].u.remb.bitrate_bps == UINT64_MAX);
}

TEST(chrome_rr_remb)
{
    /* Receiver report with one block followed by REMB, as Chrome sends them. */
    static const uint8_t pkt[] = {0x81, 201,  0x00, 0x07, 0x00, 0x00, 0x00, 0x01, /* RR from 1 */
                                  0xaa, 0xbb, 0xcc, 0xdd,                         /* about SSRC */
                                  0x40, 0xff, 0xff, 0xfe, /* fraction 64/256, cumulative -2 */
                                  0x00, 0x01, 0x23, 0x45, /* extended highest seq */
                                  0x00, 0x00, 0x01, 0x2c, /* jitter 300 */
                                  0x12, 0x34, 0x56, 0x78, /* LSR */
                                  0x00, 0x01, 0x80, 0x00, /* DLSR 1.5 s */
                                  0x8f, 206,  0x00, 0x05, 0x00, 0x00, 0x00, 0x01,
                                  0x00, 0x00, 0x00, 0x00, 'R',  'E',  'M',  'B',
                                  0x01, 0x13, 0x12, 0xd0, 0xaa, 0xbb, 0xcc, 0xdd};
    struct collected c;
    CHECK_EQ(parse(pkt, sizeof(pkt), &c), 2);
    const struct anc_rtcp_report_block *rb = &c.items[0].u.rb;
    CHECK_EQ(c.items[0].type, ANC_RTCP_ITEM_REPORT_BLOCK);
    CHECK_EQ(c.items[0].sender_ssrc, 1);
    CHECK_EQ(rb->ssrc, 0xaabbccdd);
    CHECK_EQ(rb->fraction_lost, 64);
    CHECK_EQ(rb->cumulative_lost, -2);
    CHECK_EQ(rb->highest_seq, 0x12345);
    CHECK_EQ(rb->jitter, 300);
    CHECK_EQ(rb->lsr, 0x12345678);
    CHECK_EQ(rb->dlsr, 0x18000);
    CHECK_EQ(c.items[1].type, ANC_RTCP_ITEM_REMB);
    /* Exponent 4, mantissa 0x312d0 = 201424 → 3,222,784 bps. */
    CHECK_EQ(c.items[1].u.remb.bitrate_bps, 201424 * 16);

    uint8_t buf[64];
    CHECK_EQ(anc_rtcp_build_rr(buf, sizeof(buf), 1, rb, 1), 32);
    CHECK(memcmp(buf, pkt, 32) == 0);
}

TEST(bye_sdes_twcc_skipped)
{
    static const uint8_t pkt[] = {
        0x81, 203,  0x00, 0x01, 0x00, 0x00, 0x00, 0x09,                         /* BYE 9 */
        0x81, 202,  0x00, 0x02, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, /* empty SDES */
        0x8f, 205,  0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, /* TWCC */
        0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x20, 0x01, 0x04, 0x00};
    struct collected c;
    CHECK_EQ(parse(pkt, sizeof(pkt), &c), 2);
    CHECK_EQ(c.items[0].type, ANC_RTCP_ITEM_BYE);
    CHECK_EQ(c.items[0].sender_ssrc, 9);
    CHECK_EQ(c.items[1].type, ANC_RTCP_ITEM_TWCC);
    CHECK_EQ(c.items[1].media_ssrc, 2);
}

TEST(padding)
{
    /* PLI with 4 bytes of padding on the last packet: length 3 words. */
    static const uint8_t ok[] = {0xa1, 206,  0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                                 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x04};
    struct collected c;
    CHECK_EQ(parse(ok, sizeof(ok), &c), 1);
    uint8_t bad[sizeof(ok)];
    memcpy(bad, ok, sizeof(ok));
    bad[15] = 0;
    CHECK_EQ(parse(bad, sizeof(bad), &c), -EBADMSG);
    bad[15] = 13; /* more than the packet body */
    CHECK_EQ(parse(bad, sizeof(bad), &c), -EBADMSG);
    /* Padding on a packet that is not last. */
    uint8_t two[2 * sizeof(ok)];
    memcpy(two, ok, sizeof(ok));
    memcpy(two + sizeof(ok), ok, sizeof(ok));
    CHECK_EQ(parse(two, sizeof(two), &c), -EBADMSG);
}

TEST(malformed)
{
    static const uint8_t nack[] = {0x81, 205,  0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                                   0x00, 0x00, 0x00, 0x02, 0x00, 0x64, 0x00, 0x05};
    struct collected c;
    uint8_t b[sizeof(nack) + 4];
    /* Length beyond the buffer. */
    memcpy(b, nack, sizeof(nack));
    b[3] = 0x04;
    CHECK_EQ(parse(b, sizeof(nack), &c), -EBADMSG);
    /* Bad version. */
    memcpy(b, nack, sizeof(nack));
    b[0] = 0x41;
    CHECK_EQ(parse(b, sizeof(nack), &c), -EBADMSG);
    /* Truncated: a trailing partial header, a cut packet, an empty buffer. */
    memcpy(b, nack, sizeof(nack));
    b[16] = 0x80;
    CHECK_EQ(parse(b, sizeof(nack) + 2, &c), -EBADMSG);
    CHECK_EQ(parse(nack, sizeof(nack) - 4, &c), -EBADMSG);
    CHECK_EQ(parse(nack, 0, &c), -EBADMSG);
    /* SR whose report count promises a block that is not there. */
    static const uint8_t sr[] = {0x81, 200, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                 0,    0,   0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ(parse(sr, sizeof(sr), &c), -EBADMSG);
    /* Feedback shorter than its sender and media SSRCs. */
    static const uint8_t fb[] = {0x81, 206, 0x00, 0x01, 0, 0, 0, 1};
    CHECK_EQ(parse(fb, sizeof(fb), &c), -EBADMSG);
    /* A valid packet followed by a broken one: no callback at all. */
    uint8_t pair[sizeof(nack) + 4];
    memcpy(pair, nack, sizeof(nack));
    memcpy(pair + sizeof(nack), (const uint8_t[]){0x81, 206, 0x00, 0x05}, 4);
    CHECK_EQ(parse(pair, sizeof(pair), &c), -EBADMSG);
    CHECK_EQ(c.n, 0);
}

static int stop_after_one(void *opaque, const struct anc_rtcp_item *item)
{
    (void)item;
    int *n = opaque;
    return ++*n == 1 ? -ECANCELED : 0;
}

TEST(callback_error_passes_through)
{
    static const uint8_t nack[] = {0x81, 205,  0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                                   0x00, 0x02, 0x00, 0x64, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00};
    int n = 0;
    CHECK_EQ(anc_rtcp_parse(nack, sizeof(nack), stop_after_one, &n), -ECANCELED);
    CHECK_EQ(n, 1);
}

TEST(rtt_from_report_block)
{
    /* Our SR left at NTP mid32 0x12340000; the receiver held it 0.25 s (DLSR 0x4000) and its
     * report reaches us at 0x12350000: 1 s after the SR, so the round trip is 0.75 s. */
    struct anc_rtcp_report_block rb = {.ssrc = 1, .lsr = 0x12340000u, .dlsr = 0x4000u};
    uint64_t now_ntp = (uint64_t)0x00001235u << 32; /* mid32 = 0x12350000 */
    CHECK_EQ(anc_rtcp_rtt_us(&rb, now_ntp), 750000);
    /* Across the 32-bit wrap. */
    rb.lsr = 0xffff8000u;
    rb.dlsr = 0;
    CHECK_EQ(anc_rtcp_rtt_us(&rb, (uint64_t)0x00010000u << 16), 1500000); /* 0x10000 - 0xffff8000 */
    /* No SR seen yet, a report from the future, an absurd delay: unknown. */
    rb.lsr = 0;
    CHECK_EQ(anc_rtcp_rtt_us(&rb, now_ntp), -1);
    rb.lsr = 0x12360000u;
    CHECK_EQ(anc_rtcp_rtt_us(&rb, now_ntp), -1);
    rb.lsr = 0x12350000u - 61 * 65536;
    CHECK_EQ(anc_rtcp_rtt_us(&rb, now_ntp), -1);
}
