#include <errno.h>
#include <stdint.h>

#include "rtc/rtp.h"
#include "test.h"

/* V=2, M=1, PT=96, seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304. */
static const uint8_t plain[] = {0x80, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe,
                                0xef, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb};

TEST(header_write)
{
    struct anc_rtp_header h = {.marker = true,
                               .payload_type = 96,
                               .seq = 0x1234,
                               .timestamp = 0xdeadbeef,
                               .ssrc = 0x01020304};
    uint8_t buf[16];
    CHECK_EQ(anc_rtp_header_write(&h, buf, sizeof(buf)), 12);
    CHECK(memcmp(buf, plain, 12) == 0);
    CHECK_EQ(anc_rtp_header_write(&h, buf, 11), -EMSGSIZE);
    h.payload_type = 128;
    CHECK_EQ(anc_rtp_header_write(&h, buf, sizeof(buf)), -EINVAL);
}

TEST(header_parse)
{
    struct anc_rtp_header h;
    CHECK_EQ(anc_rtp_header_parse(plain, sizeof(plain), &h), 0);
    CHECK(h.marker);
    CHECK_EQ(h.payload_type, 96);
    CHECK_EQ(h.seq, 0x1234);
    CHECK_EQ(h.timestamp, 0xdeadbeef);
    CHECK_EQ(h.ssrc, 0x01020304);
    CHECK_EQ(h.header_len, 12);
    CHECK_EQ(h.payload_len, 2);
}

TEST(csrc_extension_padding)
{
    /* CC=1, X=1, P=1; one CSRC; extension profile 0xbede with one word; payload 0x55; 3 bytes of
     * padding (last byte 3). */
    static const uint8_t pkt[] = {0xb1, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
                                  0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 0xbe, 0xde, 0x00, 0x01,
                                  0x10, 0xff, 0x00, 0x00, 0x55, 0x00, 0x00, 0x03};
    struct anc_rtp_header h;
    CHECK_EQ(anc_rtp_header_parse(pkt, sizeof(pkt), &h), 0);
    CHECK(!h.marker && h.extension && h.padding);
    CHECK_EQ(h.csrc_count, 1);
    CHECK_EQ(h.csrc[0], 0x11223344);
    CHECK_EQ(h.ext_profile, 0xbede);
    CHECK_EQ(h.ext_len, 4);
    CHECK_EQ(h.header_len, 24);
    CHECK_EQ(h.payload_len, 1);
    CHECK_EQ(pkt[h.header_len], 0x55);

    uint8_t bad[sizeof(pkt)];
    memcpy(bad, pkt, sizeof(pkt));
    bad[sizeof(bad) - 1] = 5; /* padding into the header */
    CHECK_EQ(anc_rtp_header_parse(bad, sizeof(bad), &h), -EBADMSG);
    CHECK_EQ(anc_rtp_header_parse(pkt, 22, &h), -EBADMSG); /* extension cut off */
    CHECK_EQ(anc_rtp_header_parse(pkt, 14, &h), -EBADMSG); /* CSRC cut off */
}

TEST(malformed)
{
    struct anc_rtp_header h;
    uint8_t v1[12];
    memcpy(v1, plain, 12);
    v1[0] = 0x40;
    CHECK_EQ(anc_rtp_header_parse(v1, sizeof(v1), &h), -EBADMSG);
    CHECK_EQ(anc_rtp_header_parse(plain, 11, &h), -EBADMSG);
    CHECK_EQ(anc_rtp_header_parse(plain, 0, &h), -EBADMSG);
}

TEST(demux)
{
    static const uint8_t sr[] = {0x80, 200, 0x00, 0x06};
    static const uint8_t rr[] = {0x81, 201, 0x00, 0x07};
    static const uint8_t psfb[] = {0x81, 206, 0x00, 0x02};
    static const uint8_t pt96m[] = {0x80, 0xe0, 0x00, 0x01};
    static const uint8_t pt127m[] = {0x80, 0xff, 0x00, 0x01};
    static const uint8_t pt63m[] = {0x80, 0xbf, 0x00, 0x01}; /* PT 63 + marker = 191 */
    CHECK(anc_rtp_is_rtcp(sr, sizeof(sr)));
    CHECK(anc_rtp_is_rtcp(rr, sizeof(rr)));
    CHECK(anc_rtp_is_rtcp(psfb, sizeof(psfb)));
    CHECK(!anc_rtp_is_rtcp(pt96m, sizeof(pt96m)));
    CHECK(!anc_rtp_is_rtcp(pt127m, sizeof(pt127m)));
    CHECK(!anc_rtp_is_rtcp(pt63m, sizeof(pt63m)));
    CHECK(!anc_rtp_is_rtcp(sr, 1));
}

TEST(seq_diff)
{
    CHECK_EQ(anc_rtp_seq_diff(65535, 0), 1);
    CHECK_EQ(anc_rtp_seq_diff(0, 65535), -1);
    CHECK_EQ(anc_rtp_seq_diff(100, 116), 16);
}

TEST(clock)
{
    struct anc_rtp_clock c = {.base_ts = 0xfffffff0u, .base_us = 5000000, .rate = 90000};
    CHECK_EQ(anc_rtp_clock_ts(&c, 5000000), 0xfffffff0u);
    CHECK_EQ(anc_rtp_clock_ts(&c, 5000000 + 1000000 / 30), (uint32_t)(0xfffffff0u + 3000));
    CHECK_EQ(anc_rtp_clock_ts(&c, 6000000), (uint32_t)(0xfffffff0u + 90000));
    CHECK_EQ(anc_rtp_clock_ts(&c, 4000000), 0xfffffff0u - 90000);
}

static void make_packet(uint8_t *buf, uint16_t seq, uint8_t fill, size_t len)
{
    struct anc_rtp_header h = {.payload_type = 96, .seq = seq, .ssrc = 7};
    anc_rtp_header_write(&h, buf, len);
    memset(buf + 12, fill, len - 12);
}

TEST(history)
{
    struct anc_rtp_history *h;
    CHECK_EQ(anc_rtp_history_new(0, &h), -EINVAL);
    CHECK_EQ(anc_rtp_history_new(1000, &h), 0); /* rounded up to 1024 */
    uint8_t pkt[200];
    const uint8_t *got;
    size_t len;
    uint64_t sent;
    CHECK_EQ(anc_rtp_history_get(h, 0, &got, &len, NULL), -ENOENT);
    /* 3000 packets crossing the 16-bit wrap. */
    for (unsigned i = 0; i < 3000; i++) {
        uint16_t seq = (uint16_t)(64000 + i);
        make_packet(pkt, seq, (uint8_t)i, 100 + i % 100);
        CHECK_EQ(anc_rtp_history_put(h, pkt, 100 + i % 100, 1000 * i), 0);
    }
    uint16_t newest = (uint16_t)(64000 + 2999);
    CHECK_EQ(anc_rtp_history_get(h, newest, &got, &len, &sent), 0);
    make_packet(pkt, newest, (uint8_t)2999, 100 + 2999 % 100);
    CHECK_EQ(len, 100 + 2999 % 100);
    CHECK(memcmp(got, pkt, len) == 0);
    CHECK_EQ(sent, 2999000);
    uint16_t oldest_kept = (uint16_t)(newest - 1023);
    CHECK_EQ(anc_rtp_history_get(h, oldest_kept, &got, &len, NULL), 0);
    CHECK_EQ(anc_rtp_history_get(h, (uint16_t)(oldest_kept - 1), &got, &len, NULL), -ENOENT);
    CHECK_EQ(anc_rtp_history_get(h, (uint16_t)(newest + 1), &got, &len, NULL), -ENOENT);
    CHECK_EQ(anc_rtp_history_put(h, pkt, 11, 0), -EBADMSG);
    uint8_t big[ANC_RTP_MAX_PACKET + 1];
    make_packet(big, 1, 0, sizeof(big));
    CHECK_EQ(anc_rtp_history_put(h, big, sizeof(big), 0), -EMSGSIZE);
    anc_rtp_history_free(h);
    anc_rtp_history_free(NULL);
}
