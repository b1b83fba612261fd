#include <errno.h>
#include <stdint.h>

#include "media/encoder.h"
#include "media/pattern.h"
#include "rtc/h264_pack.h"
#include "test.h"

#define MAX_PACKETS 4096
#define HISTORY     64 /* small, so that the streams below wrap it */

struct packets {
    uint8_t *data[MAX_PACKETS];
    size_t len[MAX_PACKETS];
    size_t n;
};

static int collect(void *opaque, const uint8_t *pkt, size_t len)
{
    struct packets *ps = opaque;
    CHECK(ps->n < MAX_PACKETS);
    ps->data[ps->n] = malloc(len);
    CHECK(ps->data[ps->n]);
    memcpy(ps->data[ps->n], pkt, len);
    ps->len[ps->n++] = len;
    return 0;
}

static void packets_clear(struct packets *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->data[i]);
    ps->n = 0;
}

/* Both buffers hold the same NAL units in the same order (start-code lengths may differ). */
static void check_same_nals(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t pa = 0, pb = 0, na, nb;
    const uint8_t *xa, *xb;
    for (;;) {
        bool ha = anc_h264_next_nal(a, alen, &pa, &xa, &na);
        bool hb = anc_h264_next_nal(b, blen, &pb, &xb, &nb);
        CHECK_EQ(ha, hb);
        if (!ha)
            return;
        CHECK_EQ(na, nb);
        CHECK(memcmp(xa, xb, na) == 0);
    }
}

static uint8_t payload_type_of(const uint8_t *pkt)
{
    return pkt[ANC_RTP_HEADER_LEN] & 0x1f;
}

TEST(split_annexb)
{
    /* 4-byte start code, 3-byte start code, trailing zero byte before the next start code. */
    static const uint8_t au[] = {0, 0, 0, 1, 0x67, 0x42, 0,    0,    1,    0x68, 0xce, 0,
                                 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01};
    size_t pos = 0, n;
    const uint8_t *nal;
    CHECK(anc_h264_next_nal(au, sizeof(au), &pos, &nal, &n));
    CHECK(n == 2 && nal[0] == 0x67);
    CHECK(anc_h264_next_nal(au, sizeof(au), &pos, &nal, &n));
    CHECK(n == 2 && nal[0] == 0x68);
    CHECK(anc_h264_next_nal(au, sizeof(au), &pos, &nal, &n));
    CHECK(n == 7 && nal[0] == 0x65 && nal[6] == 0x01);
    CHECK(!anc_h264_next_nal(au, sizeof(au), &pos, &nal, &n));
}

TEST(literal_stap_and_fu)
{
    /* SPS + PPS + a 40-byte IDR slice with a 20-byte payload budget. */
    uint8_t au[64] = {0, 0, 0,    1,    0x67, 0x42, 0xc0, 0x1f, 0, 0,
                      0, 1, 0x68, 0xce, 0x3c, 0x80, 0,    0,    0, 1};
    for (int i = 0; i < 40; i++)
        au[20 + i] = (uint8_t)(i == 0 ? 0x65 : i);
    struct anc_h264_packetizer p;
    CHECK_EQ(anc_h264_packetizer_init(&p, 0x1234, 96, 65535, 20), 0);
    struct packets ps = {.n = 0};
    int n = anc_h264_packetize(&p, au, 60, 9000, collect, &ps);
    /* STAP-A(SPS, PPS), then 39 bytes in FU-A chunks of 18: 3 fragments. */
    CHECK_EQ(n, 4);
    static const uint8_t stap[] = {0x80, 96,   0xff, 0xff, 0x00, 0x00, 0x23, 0x28, 0x00,
                                   0x00, 0x12, 0x34, 0x78, 0x00, 0x04, 0x67, 0x42, 0xc0,
                                   0x1f, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80};
    CHECK_EQ(ps.len[0], sizeof(stap));
    CHECK(memcmp(ps.data[0], stap, sizeof(stap)) == 0);
    /* FU indicator: NRI of 0x65 (3) and type 28; FU header S/E and type 5. */
    CHECK(ps.data[1][12] == 0x7c && ps.data[1][13] == 0x85 && ps.data[1][14] == 1);
    CHECK(ps.data[2][12] == 0x7c && ps.data[2][13] == 0x05 && ps.data[2][14] == 19);
    CHECK(ps.data[3][12] == 0x7c && ps.data[3][13] == 0x45 && ps.data[3][14] == 37);
    CHECK_EQ(ps.len[3], 12 + 2 + 3);
    CHECK_EQ(ps.data[1][3], 0); /* sequence numbers wrap */
    CHECK_EQ(ps.data[3][1], 0x80 | 96);
    CHECK_EQ(p.seq, 3);

    struct anc_h264_depacketizer d;
    anc_h264_depacketizer_init(&d, 0);
    const uint8_t *out;
    size_t out_len;
    for (size_t i = 0; i < ps.n; i++)
        CHECK_EQ(anc_h264_depacketize(&d, ps.data[i], ps.len[i], &out, &out_len),
                 i + 1 == ps.n ? 1 : 0);
    check_same_nals(au, 60, out, out_len);

    /* Lose the middle fragment: the access unit is dropped, the next one decodes. */
    CHECK_EQ(anc_h264_depacketize(&d, ps.data[0], ps.len[0], &out, &out_len), 0);
    CHECK_EQ(anc_h264_depacketize(&d, ps.data[1], ps.len[1], &out, &out_len), 0);
    CHECK_EQ(anc_h264_depacketize(&d, ps.data[3], ps.len[3], &out, &out_len), 0);
    packets_clear(&ps);
    CHECK_EQ(anc_h264_packetize(&p, au + 16, 44, 12000, collect, &ps), 3);
    for (size_t i = 0; i < ps.n; i++)
        CHECK_EQ(anc_h264_depacketize(&d, ps.data[i], ps.len[i], &out, &out_len),
                 i + 1 == ps.n ? 1 : 0);
    check_same_nals(au + 16, 44, out, out_len);
    packets_clear(&ps);
    CHECK_EQ(anc_h264_packetize(&p, (const uint8_t[]){0, 0, 1}, 3, 0, collect, &ps), -EBADMSG);
    anc_h264_depacketizer_destroy(&d);
}

TEST(single_nal_units)
{
    struct anc_h264_packetizer p;
    CHECK_EQ(anc_h264_packetizer_init(&p, 0x1234, 96, 7, 20), 0);
    struct anc_h264_depacketizer d;
    anc_h264_depacketizer_init(&d, 0);
    struct packets ps = {.n = 0};
    const uint8_t *out;
    size_t out_len;
    /* A lone small NAL unit goes out as a single NAL unit packet; SEI + slice that do not fit
     * together go out as two. */
    static const uint8_t p_slice[] = {0, 0, 1, 0x41, 0x9a, 0x02, 0x03};
    CHECK_EQ(anc_h264_packetize(&p, p_slice, sizeof(p_slice), 15000, collect, &ps), 1);
    CHECK_EQ(ps.len[0], 12 + 4);
    CHECK_EQ(ps.data[0][1], 0x80 | 96);
    CHECK(memcmp(ps.data[0] + 12, p_slice + 3, 4) == 0);
    CHECK_EQ(anc_h264_depacketize(&d, ps.data[0], ps.len[0], &out, &out_len), 1);
    check_same_nals(p_slice, sizeof(p_slice), out, out_len);
    packets_clear(&ps);
    uint8_t two[40] = {0, 0, 0, 1, 0x06};
    memset(two + 5, 0x11, 15);
    memcpy(two + 20, (const uint8_t[]){0, 0, 1, 0x41}, 4);
    memset(two + 24, 0x22, 16);
    CHECK_EQ(anc_h264_packetize(&p, two, sizeof(two), 18000, collect, &ps), 2);
    CHECK(ps.data[0][12] == 0x06 && ps.len[0] == 12 + 16 && (ps.data[0][1] & 0x80) == 0);
    CHECK(ps.data[1][12] == 0x41 && ps.len[1] == 12 + 17 && (ps.data[1][1] & 0x80) != 0);
    for (size_t i = 0; i < ps.n; i++)
        CHECK_EQ(anc_h264_depacketize(&d, ps.data[i], ps.len[i], &out, &out_len),
                 i + 1 == ps.n ? 1 : 0);
    check_same_nals(two, sizeof(two), out, out_len);
    packets_clear(&ps);
    anc_h264_depacketizer_destroy(&d);
}

TEST(depacketizer_rejects)
{
    struct anc_h264_depacketizer d;
    anc_h264_depacketizer_init(&d, 0);
    const uint8_t *out;
    size_t len;
    /* STAP-A whose unit size runs past the packet. */
    static const uint8_t stap[] = {0x80, 0xe0, 0, 1, 0,    0,    0,    0,
                                   0,    0,    0, 1, 0x78, 0x00, 0x09, 0x67};
    CHECK_EQ(anc_h264_depacketize(&d, stap, sizeof(stap), &out, &len), -EBADMSG);
    /* FU-A continuation without a start; FU-A with both S and E. */
    static const uint8_t fu_mid[] = {0x80, 0xe0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0x7c, 0x45, 0x11};
    CHECK_EQ(anc_h264_depacketize(&d, fu_mid, sizeof(fu_mid), &out, &len), -EBADMSG);
    static const uint8_t fu_se[] = {0x80, 0xe0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0x7c, 0xc5, 0x11};
    CHECK_EQ(anc_h264_depacketize(&d, fu_se, sizeof(fu_se), &out, &len), -EBADMSG);
    /* STAP-B (type 25) is not part of packetization-mode 1. */
    static const uint8_t stapb[] = {0x80, 0xe0, 0, 4,    0, 0, 0, 0, 0,
                                    0,    0,    1, 0x79, 0, 0, 0, 1, 0x65};
    CHECK_EQ(anc_h264_depacketize(&d, stapb, sizeof(stapb), &out, &len), -EBADMSG);
    /* A single NAL unit packet with the marker completes an AU. */
    static const uint8_t single[] = {0x80, 0xe0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 1, 0x41, 0x9a};
    CHECK_EQ(anc_h264_depacketize(&d, single, sizeof(single), &out, &len), 1);
    CHECK_EQ(len, 6);
    CHECK(memcmp(out, (const uint8_t[]){0, 0, 0, 1, 0x41, 0x9a}, 6) == 0);
    anc_h264_depacketizer_destroy(&d);
    anc_h264_depacketizer_destroy(NULL);
}

struct stream_check {
    struct anc_h264_packetizer pack;
    struct anc_h264_depacketizer depack;
    struct anc_rtp_history *history;
    struct packets ps;
    size_t max_payload;
    uint16_t next_seq;
    int keyframes, stap_keyframes, fu_packets;
    uint64_t sent;
};

/* Packetizes one access unit and checks the packets, then reassembles it byte-exact. */
static void check_au(struct stream_check *s, const struct anc_encoder_output *au, uint32_t ts)
{
    int n = anc_h264_packetize(&s->pack, au->data, au->len, ts, collect, &s->ps);
    CHECK(n > 0);
    CHECK_EQ((size_t)n, s->ps.n);
    const uint8_t *out = NULL;
    size_t out_len = 0;
    for (size_t i = 0; i < s->ps.n; i++) {
        struct anc_rtp_header h;
        const uint8_t *pkt = s->ps.data[i];
        CHECK_EQ(anc_rtp_header_parse(pkt, s->ps.len[i], &h), 0);
        CHECK(h.payload_len <= s->max_payload);
        CHECK_EQ(h.marker, i + 1 == s->ps.n);
        CHECK_EQ(h.timestamp, ts);
        CHECK_EQ(h.seq, s->next_seq);
        s->next_seq++;
        if (payload_type_of(pkt) == ANC_H264_NAL_FU_A)
            s->fu_packets++;
        CHECK_EQ(anc_rtp_history_put(s->history, pkt, s->ps.len[i], s->sent++), 0);
        int r = anc_h264_depacketize(&s->depack, pkt, s->ps.len[i], &out, &out_len);
        CHECK_EQ(r, i + 1 == s->ps.n ? 1 : 0);
    }
    check_same_nals(au->data, au->len, out, out_len);
    if (au->keyframe) {
        s->keyframes++;
        /* SPS and PPS lead the keyframe, aggregated in one STAP-A. */
        const uint8_t *first = s->ps.data[0] + ANC_RTP_HEADER_LEN;
        if ((first[0] & 0x1f) == ANC_H264_NAL_STAP_A && (first[3] & 0x1f) == 7) {
            size_t sps_len = (size_t)first[1] << 8 | first[2];
            if ((first[3 + sps_len + 2] & 0x1f) == 8)
                s->stap_keyframes++;
        }
    }
}

static void run_stream(int width, int height, size_t max_payload, int frames)
{
    struct anc_encoder_params params = {
        .width = width, .height = height, .fps = 30, .bitrate_kbps = 2000};
    struct anc_encoder *enc;
    CHECK_EQ(anc_encoder_new(&params, &enc), 0);
    struct stream_check s = {.max_payload = max_payload, .next_seq = 65500};
    CHECK_EQ(anc_h264_packetizer_init(&s.pack, 0xabcdef01, 102, 65500, max_payload), 0);
    anc_h264_depacketizer_init(&s.depack, 0);
    CHECK_EQ(anc_rtp_history_new(HISTORY, &s.history), 0);
    size_t stride = 4 * (size_t)width;
    uint8_t *argb = malloc(stride * (size_t)height);
    CHECK(argb);
    struct anc_encoder_output au = {0};
    struct anc_rtp_clock clock = {.base_ts = 12345, .base_us = 0, .rate = 90000};
    for (int f = 0; f < frames; f++) {
        uint64_t capture_us = (uint64_t)f * 1000000 / 30;
        anc_pattern_draw(argb, width, height, (int)stride, (uint64_t)f,
                         45296789 + capture_us / 1000);
        int r = anc_encoder_encode_argb(enc, argb, (int)stride, f, f == 45, &au);
        CHECK_EQ(r, 1);
        check_au(&s, &au, anc_rtp_clock_ts(&clock, capture_us));
        /* The last AU's packets are kept to check the history against them. */
        if (f < frames - 1)
            packets_clear(&s.ps);
    }
    CHECK_EQ(s.keyframes, 2); /* the first frame and the forced one */
    CHECK_EQ(s.stap_keyframes, 2);
    CHECK(s.fu_packets > 0);
    /* History: the newest packet byte-exact; one older than the ring misses. */
    const uint8_t *pkt;
    size_t len;
    size_t last = s.ps.n - 1;
    uint16_t seq = (uint16_t)(s.next_seq - 1);
    CHECK_EQ(anc_rtp_history_get(s.history, seq, &pkt, &len, NULL), 0);
    CHECK_EQ(len, s.ps.len[last]);
    CHECK(memcmp(pkt, s.ps.data[last], len) == 0);
    fprintf(stderr, "%dx%d payload %zu: %llu packets, %d FU-A\n", width, height, max_payload,
            (unsigned long long)s.sent, s.fu_packets);
    CHECK(s.sent > HISTORY);
    CHECK_EQ(anc_rtp_history_get(s.history, (uint16_t)(seq - HISTORY + 1), &pkt, &len, NULL), 0);
    CHECK_EQ(anc_rtp_history_get(s.history, (uint16_t)(seq - HISTORY), &pkt, &len, NULL), -ENOENT);
    packets_clear(&s.ps);
    anc_encoder_output_destroy(&au);
    free(argb);
    anc_rtp_history_free(s.history);
    anc_h264_depacketizer_destroy(&s.depack);
    anc_encoder_free(enc);
}

TEST(x264_720x1280_small_mtu)
{
    run_stream(720, 1280, 300, 60);
}

TEST(x264_720x1280_default_mtu)
{
    run_stream(720, 1280, ANC_H264_DEFAULT_PAYLOAD, 60);
}

TEST(x264_small)
{
    run_stream(176, 144, 200, 60);
}
