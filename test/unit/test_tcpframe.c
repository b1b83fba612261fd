/* RFC 4571 framing against literal bytes: split at every offset, several frames in one read,
 * zero-length frames, oversized frames. */
#include <errno.h>

#include "rtc/tcpframe.h"
#include "test.h"

/* Two frames back to back: a 3-byte packet and a 1-byte one, with an empty frame between. */
static const uint8_t stream[] = {0x00, 0x03, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x01, 0xaa};

TEST(whole_stream_in_one_read)
{
    struct anc_tcpframe f;
    const uint8_t *p;
    size_t n;
    anc_tcpframe_init(&f, 1500);
    ssize_t used = anc_tcpframe_feed(&f, stream, sizeof(stream), &p, &n);
    CHECK_EQ(used, 5);
    CHECK(p && n == 3 && p[0] == 1 && p[2] == 3);
    used = anc_tcpframe_feed(&f, stream + 5, sizeof(stream) - 5, &p, &n);
    CHECK_EQ(used, 5);
    CHECK(p && n == 1 && p[0] == 0xaa);
    CHECK_EQ(anc_tcpframe_feed(&f, stream, 0, &p, &n), 0);
    CHECK(!p);
}

TEST(split_at_every_offset)
{
    for (size_t cut = 0; cut <= sizeof(stream); cut++) {
        struct anc_tcpframe f;
        anc_tcpframe_init(&f, 1500);
        int got = 0;
        const uint8_t *parts[2] = {stream, stream + cut};
        size_t lens[2] = {cut, sizeof(stream) - cut};
        for (int k = 0; k < 2; k++) {
            size_t off = 0;
            while (off < lens[k]) {
                const uint8_t *p;
                size_t n;
                ssize_t used = anc_tcpframe_feed(&f, parts[k] + off, lens[k] - off, &p, &n);
                CHECK(used > 0);
                off += (size_t)used;
                if (p) {
                    CHECK_EQ(n, got == 0 ? 3 : 1);
                    got++;
                }
            }
        }
        CHECK_EQ(got, 2);
    }
}

TEST(oversized_frame_breaks_the_stream)
{
    static const uint8_t big[] = {0x05, 0xdd, 0x00}; /* 1501 > 1500 */
    struct anc_tcpframe f;
    const uint8_t *p;
    size_t n;
    anc_tcpframe_init(&f, 1500);
    CHECK_EQ(anc_tcpframe_feed(&f, big, sizeof(big), &p, &n), -EMSGSIZE);
    CHECK_EQ(anc_tcpframe_feed(&f, stream, sizeof(stream), &p, &n), -EMSGSIZE);
    /* "GET / HTTP/1.1": 0x4745 = 18245 announced bytes, far over the limit. */
    anc_tcpframe_init(&f, 1500);
    CHECK_EQ(anc_tcpframe_feed(&f, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, &p, &n), -EMSGSIZE);
    /* The limit is clamped to ANC_TCPFRAME_MAX. */
    anc_tcpframe_init(&f, 100000);
    CHECK_EQ(f.max_frame, ANC_TCPFRAME_MAX);
}

TEST(encode)
{
    uint8_t out[8];
    static const uint8_t pkt[] = {0xde, 0xad, 0xbe};
    CHECK_EQ(anc_tcpframe_encode(pkt, 3, out, sizeof(out)), 5);
    static const uint8_t want[] = {0x00, 0x03, 0xde, 0xad, 0xbe};
    CHECK(memcmp(out, want, 5) == 0);
    CHECK_EQ(anc_tcpframe_encode(pkt, 3, out, 4), -EMSGSIZE);
    CHECK_EQ(anc_tcpframe_encode(pkt, 0, out, sizeof(out)), -EMSGSIZE);
    /* Round trip through the decoder. */
    struct anc_tcpframe f;
    const uint8_t *p;
    size_t n;
    anc_tcpframe_init(&f, 1500);
    CHECK_EQ(anc_tcpframe_feed(&f, out, 5, &p, &n), 5);
    CHECK(p && n == 3 && memcmp(p, pkt, 3) == 0);
}
