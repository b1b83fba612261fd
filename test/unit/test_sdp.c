/* SDP: recorded Firefox ESR 153 and Chromium 156 offers (test/data/sdp/) parsed and answered, the
 * reasons given for offers we cannot serve, and malformed input. */
#include "rtc/sdp.h"
#include "test.h"

#include <errno.h>

#define FF_PLAIN    "firefox-153esr-recvonly-h264-datachannel.sdp"
#define FF_BALANCED "firefox-153esr-recvonly-h264-datachannel-balanced.sdp"
#define FF_NO_H264  "firefox-153esr-recvonly-stock-no-h264.sdp"
#define CR_DC       "chrome-156-recvonly-h264-datachannel.sdp"
#define CR_VIDEO    "chrome-156-recvonly-h264-video-only.sdp"
#define CR_VP8      "chrome-156-recvonly-vp8-only-datachannel.sdp"

#define OUR_FP                                                                                     \
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"   \
    "EE:FF"

#define FMTP "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id="

static const struct anc_sdp_candidate our_candidates[] = {
    {"192.0.2.10", 40000},
    {"2001:db8::10", 40000},
};

static const struct anc_sdp_answer_params our_params = {
    .ice_ufrag = "ancU",
    .ice_pwd = "ancPasswordancPassword22",
    .fingerprint_sha256 = OUR_FP,
    .candidates = our_candidates,
    .n_candidates = 2,
    .video_ssrc = 0x12345678,
    .cname = "ancloud",
    .msid_stream = "ancloud-stream",
    .msid_track = "ancloud-video",
    .session_id = 4242,
    .session_version = 2,
};

static char *read_data(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/sdp/%s", anc_test_data_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f)
        perror(path);
    CHECK(f);
    char *buf = malloc(ANC_SDP_MAX_OFFER + 1);
    CHECK(buf);
    size_t n = fread(buf, 1, ANC_SDP_MAX_OFFER, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Returns a new string with every occurrence of from replaced by to. */
static char *replace(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), count = 0;
    for (const char *q = strstr(s, from); q; q = strstr(q + fl, from))
        count++;
    char *out = malloc(strlen(s) + count * tl + 1), *w = out;
    CHECK(out);
    for (const char *q; (q = strstr(s, from)); s = q + fl) {
        memcpy(w, s, (size_t)(q - s));
        w += q - s;
        memcpy(w, to, tl);
        w += tl;
    }
    strcpy(w, s);
    return out;
}

static int parse_str(const char *sdp, struct anc_sdp_offer *o, char *err, size_t errlen)
{
    return anc_sdp_parse(sdp, strlen(sdp), o, err, errlen);
}

static struct anc_sdp_offer *parse_ok(const char *sdp)
{
    struct anc_sdp_offer *o = anc_sdp_offer_new();
    char err[256];
    CHECK(o);
    int r = parse_str(sdp, o, err, sizeof(err));
    if (r != 0)
        fprintf(stderr, "parse failed: %d %s\n", r, err);
    CHECK_EQ(r, 0);
    return o;
}

static struct anc_sdp_offer *parse_file_ok(const char *name)
{
    char *sdp = read_data(name);
    struct anc_sdp_offer *o = parse_ok(sdp);
    free(sdp);
    return o;
}

/* Parses sdp expecting failure with code, and a reason containing needle. */
static void parse_fails(const char *sdp, int code, const char *needle)
{
    struct anc_sdp_offer *o = anc_sdp_offer_new();
    char err[256];
    int r = parse_str(sdp, o, err, sizeof(err));
    fprintf(stderr, "  -> %d: %s\n", r, err);
    CHECK_EQ(r, code);
    CHECK(strstr(err, needle));
    anc_sdp_offer_free(o);
}

static char *answer(const struct anc_sdp_offer *o, const struct anc_sdp_answer_params *p)
{
    char *buf = malloc(ANC_SDP_ANSWER_MAX);
    CHECK(buf);
    int r = anc_sdp_build_answer(o, p, buf, ANC_SDP_ANSWER_MAX);
    CHECK(r > 0);
    CHECK_EQ(strlen(buf), r);
    return buf;
}

/* Index of the line equal to line in the \r\n-separated text, or -1. */
static int line_at(const char *text, const char *line)
{
    int i = 0;
    size_t n = strlen(line);
    for (const char *p = text; *p; i++) {
        const char *e = strstr(p, "\r\n");
        CHECK(e); /* every line ends with \r\n */
        if ((size_t)(e - p) == n && memcmp(p, line, n) == 0)
            return i;
        p = e + 2;
    }
    return -1;
}

TEST(firefox_plain_offer)
{
    struct anc_sdp_offer *o = parse_file_ok(FF_PLAIN);
    CHECK_EQ(o->n_media, 2);
    CHECK(o->has_bundle);
    CHECK_EQ(o->n_bundle, 2);
    CHECK_STREQ(o->bundle[1], "1");
    CHECK_EQ(o->h264_pt, 126);
    CHECK_EQ(o->h264_rtx_pt, 127);
    CHECK_EQ(o->h264_profile_level_id, 0x42e01f);
    CHECK_STREQ(o->remote.ice_ufrag, "1ebd1c26");
    CHECK_STREQ(o->remote.ice_pwd, "37ad2861081669b5761d8505c235f4e2");
    CHECK_STREQ(o->remote.fingerprint.alg, "sha-256");
    CHECK_STREQ(o->remote.fingerprint.value, "62:AB:41:1F:B7:BC:26:BF:A8:9E:AD:86:24:56:CD:92:"
                                             "68:FA:42:FE:26:1B:F4:17:EA:68:4D:55:96:EC:36:05");
    CHECK_EQ(o->remote.setup, ANC_SDP_SETUP_ACTPASS);
    CHECK_EQ(o->local_setup, ANC_SDP_SETUP_PASSIVE);
    CHECK_EQ(o->session.fingerprint.alg[0] != 0, 1); /* Firefox: session level */
    CHECK(o->has_datachannel);
    CHECK_EQ(o->sctp_port, 5000);
    CHECK_EQ(o->max_message_size, 1073741823);

    const struct anc_sdp_media *v = anc_sdp_video(o), *d = anc_sdp_data(o);
    CHECK(v && d);
    CHECK_EQ(v->kind, ANC_SDP_KIND_VIDEO);
    CHECK_STREQ(v->mid, "0");
    CHECK_EQ(v->port, 52468);
    CHECK_STREQ(v->proto, "UDP/TLS/RTP/SAVPF");
    CHECK_EQ(v->dir, ANC_SDP_DIR_RECVONLY);
    CHECK(v->rtcp_mux && v->rtcp_rsize && !v->bundle_only && !v->rejected && v->accepted);
    CHECK_EQ(v->n_codecs, 17);
    CHECK_EQ(v->n_candidates, 8);
    CHECK_EQ(v->n_extmaps, 5);
    CHECK_EQ(v->extmaps[3].id, 6);
    CHECK_EQ(v->extmaps[3].dir, ANC_SDP_DIR_RECVONLY);
    CHECK_STREQ(v->extmaps[0].uri, "urn:ietf:params:rtp-hdrext:sdes:mid");
    CHECK_EQ(v->codecs[4].pt, 126);
    CHECK_STREQ(v->codecs[4].name, "H264");
    CHECK_EQ(v->codecs[4].clock_rate, 90000);
    CHECK_EQ(v->codecs[4].packetization_mode, 1);
    CHECK(v->codecs[4].level_asymmetry_allowed);
    CHECK_EQ(v->codecs[4].fb,
             ANC_SDP_FB_NACK | ANC_SDP_FB_PLI | ANC_SDP_FB_FIR | ANC_SDP_FB_REMB | ANC_SDP_FB_TWCC);
    CHECK_EQ(v->codecs[6].pt, 97); /* H.264 without packetization-mode: mode 0 */
    CHECK_EQ(v->codecs[6].packetization_mode, 0);
    CHECK_EQ(v->codecs[7].apt, 97);

    CHECK_EQ(d->kind, ANC_SDP_KIND_APPLICATION);
    CHECK_EQ(d->port, 0);
    CHECK(d->bundle_only && !d->rejected && d->accepted);
    CHECK_STREQ(d->mid, "1");
    CHECK_EQ(d->dir, ANC_SDP_DIR_SENDRECV);
    CHECK_STREQ(d->transport.ice_ufrag, "1ebd1c26");
    CHECK_STREQ(d->transport.fingerprint.alg, "sha-256"); /* inherited from session level */
    anc_sdp_offer_free(o);
}

TEST(firefox_balanced_offer)
{
    struct anc_sdp_offer *o = parse_file_ok(FF_BALANCED);
    CHECK_EQ(o->h264_pt, 126);
    CHECK_STREQ(o->remote.ice_ufrag, "726605ea");
    CHECK(o->has_datachannel);
    const struct anc_sdp_media *d = anc_sdp_data(o);
    CHECK_EQ(d->port, 33442);
    CHECK(!d->bundle_only && !d->rejected);
    CHECK_EQ(d->n_candidates, 4);
    anc_sdp_offer_free(o);
}

TEST(chrome_offers)
{
    struct anc_sdp_offer *o = parse_file_ok(CR_DC);
    CHECK_EQ(o->h264_pt, 108); /* 42e01f mode 1; 102 (42001f) comes first but ranks lower */
    CHECK_EQ(o->h264_rtx_pt, 109);
    CHECK_STREQ(o->remote.ice_ufrag, "db1e");
    CHECK_STREQ(o->remote.ice_pwd, "gOq4c0AlK/6189fGjmGVW0j8");
    CHECK_EQ(strlen(o->remote.fingerprint.value), 95);
    CHECK_EQ(o->session.fingerprint.alg[0], 0); /* Chrome: media level only */
    CHECK_EQ(o->remote.setup, ANC_SDP_SETUP_ACTPASS);
    CHECK(o->has_datachannel);
    CHECK_EQ(o->max_message_size, 262144);
    CHECK_STREQ(anc_sdp_video(o)->mid, "0");
    CHECK_EQ(anc_sdp_video(o)->n_codecs, 34);
    CHECK_EQ(anc_sdp_video(o)->n_extmaps, 11);
    anc_sdp_offer_free(o);

    o = parse_file_ok(CR_VIDEO);
    CHECK_EQ(o->h264_pt, 108);
    CHECK(!o->has_datachannel);
    CHECK_EQ(o->data_index, -1);
    CHECK(!anc_sdp_data(o));
    CHECK_EQ(o->n_media, 1);
    anc_sdp_offer_free(o);
}

TEST(no_h264_is_refused)
{
    char *sdp = read_data(FF_NO_H264);
    parse_fails(sdp, -EPROTO, "H.264");
    free(sdp);
    sdp = read_data(CR_VP8);
    parse_fails(sdp, -EPROTO, "H.264");
    free(sdp);
    /* Firefox's PT 97 is H.264 without packetization-mode, i.e. mode 0: not usable. */
    sdp = read_data(FF_PLAIN);
    char *a = replace(sdp, "packetization-mode=1", "packetization-mode=0");
    parse_fails(a, -EPROTO, "packetization-mode=1");
    free(a);
    /* A High profile with mode 1 is not usable either. */
    a = replace(sdp, "profile-level-id=42", "profile-level-id=64");
    parse_fails(a, -EPROTO, "H.264");
    free(a);
    free(sdp);
}

TEST(baseline_fallback)
{
    char *sdp = read_data(FF_PLAIN);
    char *a = replace(sdp, "profile-level-id=42e01f", "profile-level-id=64001f");
    struct anc_sdp_offer *o = parse_ok(a);
    CHECK_EQ(o->h264_pt, 105); /* 42001f, mode 1 */
    CHECK_EQ(o->h264_rtx_pt, 106);
    char *ans = answer(o, &our_params);
    CHECK(line_at(ans, "a=fmtp:105 level-asymmetry-allowed=1;packetization-mode=1;"
                       "profile-level-id=42001f") >= 0);
    free(ans);
    anc_sdp_offer_free(o);
    free(a);
    /* Chrome's 42e01f is preferred over its earlier 42001f; without it, 42001f is used. */
    char *c = read_data(CR_DC);
    a = replace(c, "packetization-mode=1;profile-level-id=42e01f",
                "packetization-mode=1;profile-level-id=42c01e");
    o = parse_ok(a);
    CHECK_EQ(o->h264_pt, 108); /* constrained baseline beats baseline at any level */
    CHECK_EQ(o->h264_profile_level_id, 0x42c01e);
    anc_sdp_offer_free(o);
    free(a);
    free(c);
    free(sdp);
}

/* A pass-through stream's profile (the SPS's three bytes) chooses the payload type; the answer
 * states it. */
struct profile_case {
    const char *file;
    const char *from, *to; /* an edit of the recorded offer, or NULL */
    uint32_t sps;
    int pt, rtx_pt;   /* -1: no payload type fits */
    const char *fmtp; /* the answer's, or the reason's tail */
};

static const struct profile_case profile_cases[] = {
    /* Constrained baseline, x264's 42c0 and the usual 42e0: the offered 42e01f at the stream's
     * level, never the earlier baseline 42001f. */
    {FF_PLAIN, NULL, NULL, 0x42e01f, 126, 127, "a=fmtp:126 " FMTP "42e01f"},
    {FF_PLAIN, NULL, NULL, 0x42c01f, 126, 127, "a=fmtp:126 " FMTP "42c01f"},
    {FF_PLAIN, NULL, NULL, 0x42e028, 126, 127, "a=fmtp:126 " FMTP "42e028"},
    {CR_DC, NULL, NULL, 0x42e01f, 108, 109, "a=fmtp:108 " FMTP "42e01f"},
    {CR_DC, NULL, NULL, 0x42c01f, 108, 109, "a=fmtp:108 " FMTP "42c01f"},
    /* Baseline only on a baseline payload type. */
    {CR_DC, NULL, NULL, 0x42001f, 102, 103, "a=fmtp:102 " FMTP "42001f"},
    /* Main only on 4d. */
    {CR_DC, NULL, NULL, 0x4d0028, 116, 117, "a=fmtp:116 " FMTP "4d0028"},
    {FF_PLAIN, NULL, NULL, 0x4d0028, -1, -1, "the stream's Main (profile-level-id 4d0028)"},
    /* High only on 64: the recorded Chromium 156 offers none (its mode-1 H.264 is 42001f, 42e01f,
     * 4d001f and f4001f), Firefox 153 only baseline. */
    {CR_DC, NULL, NULL, 0x640029, -1, -1, "the stream's High (profile-level-id 640029)"},
    {FF_PLAIN, NULL, NULL, 0x640029, -1, -1, "the stream's High (profile-level-id 640029)"},
    {CR_DC, "profile-level-id=4d001f", "profile-level-id=64001f", 0x640029, 116, 117,
     "a=fmtp:116 " FMTP "640029"},
    {CR_DC, "profile-level-id=4d001f", "profile-level-id=64001f", 0x4d0028, -1, -1,
     "the stream's Main (profile-level-id 4d0028)"},
    /* Constrained baseline falls back to baseline, constrained high to high; the answer keeps the
     * offered profile under that number, at the stream's level. */
    {FF_PLAIN, "profile-level-id=42e01f", "profile-level-id=640c1f", 0x42e028, 105, 106,
     "a=fmtp:105 " FMTP "420028"},
    {FF_PLAIN, "profile-level-id=42e01f", "profile-level-id=640c1f", 0x640c29, 126, 127,
     "a=fmtp:126 " FMTP "640c29"},
    {CR_DC, "profile-level-id=4d001f", "profile-level-id=64001f", 0x640c29, 116, 117,
     "a=fmtp:116 " FMTP "640029"},
    /* Without level-asymmetry-allowed the stream's level may not pass the offered one. */
    {FF_PLAIN, "level-asymmetry-allowed=1;", "", 0x42e01e, 126, 127, "a=fmtp:126 " FMTP "42e01e"},
    {FF_PLAIN, "level-asymmetry-allowed=1;", "", 0x42e028, -1, -1,
     "Constrained Baseline (profile-level-id 42e028)"},
    /* A profile no browser names. */
    {CR_DC, NULL, NULL, 0x6e0029, -1, -1, "the stream's unknown profile (profile-level-id 6e0029)"},
    /* No H.264 at all. */
    {CR_VP8, NULL, NULL, 0x640029, -1, -1, "offer has no H.264 with packetization-mode=1"},
};

TEST(stream_profile_chooses_the_payload_type)
{
    for (size_t i = 0; i < sizeof(profile_cases) / sizeof(profile_cases[0]); i++) {
        const struct profile_case *c = &profile_cases[i];
        fprintf(stderr, "  %s %06x\n", c->file, c->sps);
        char *sdp = read_data(c->file);
        char *a = c->from ? replace(sdp, c->from, c->to) : strdup(sdp);
        struct anc_sdp_offer *o = anc_sdp_offer_new();
        char err[256];
        int r = anc_sdp_parse_for_stream(a, strlen(a), c->sps, o, err, sizeof(err));
        if (c->pt < 0) {
            fprintf(stderr, "  -> %d: %s\n", r, err);
            CHECK_EQ(r, -EPROTO);
            CHECK(strstr(err, c->fmtp));
        } else {
            CHECK_EQ(r, 0);
            CHECK_EQ(o->h264_pt, c->pt);
            CHECK_EQ(o->h264_rtx_pt, c->rtx_pt);
            char *ans = answer(o, &our_params);
            char m[64];
            snprintf(m, sizeof(m), "m=video 9 UDP/TLS/RTP/SAVPF %d", c->pt);
            CHECK(line_at(ans, m) >= 0);
            CHECK(line_at(ans, c->fmtp) > line_at(ans, m));
            free(ans);
        }
        anc_sdp_offer_free(o);
        free(a);
        free(sdp);
    }
}

/* Profile 0 is our own encoder's stream: exactly what anc_sdp_parse() chooses. */
TEST(no_stream_profile_is_the_encoders)
{
    char *sdp = read_data(CR_DC);
    struct anc_sdp_offer *o = anc_sdp_offer_new();
    char err[256];
    CHECK_EQ(anc_sdp_parse_for_stream(sdp, strlen(sdp), 0, o, err, sizeof(err)), 0);
    CHECK_EQ(o->h264_pt, 108);
    CHECK_EQ(o->h264_profile_level_id, 0x42e01f);
    anc_sdp_offer_free(o);
    free(sdp);
}

TEST(missing_transport_attributes)
{
    char *sdp = read_data(CR_DC);
    char *a = replace(sdp, "a=rtcp-mux\r\n", "");
    parse_fails(a, -EPROTO, "rtcp-mux");
    free(a);
    a = replace(sdp, "a=fingerprint:", "a=x-fingerprint:");
    parse_fails(a, -EPROTO, "a=fingerprint");
    free(a);
    a = replace(sdp, "a=ice-pwd:", "a=x-ice-pwd:");
    parse_fails(a, -EPROTO, "ice-ufrag/ice-pwd");
    free(a);
    a = replace(sdp, "m=video 35598", "m=audio 35598");
    parse_fails(a, -EPROTO, "no video m-section");
    free(a);
    a = replace(sdp, "a=recvonly", "a=sendonly");
    parse_fails(a, -EPROTO, "sendonly");
    free(a);
    a = replace(sdp, "a=setup:actpass", "a=setup:holdconn");
    parse_fails(a, -EPROTO, "holdconn");
    free(a);
    free(sdp);
}

static const char ff_plain_answer[] =
    "v=0\r\n"
    "o=- 4242 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=ice-lite\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\n"
    "a=sendonly\r\n"
    "a=ice-ufrag:ancU\r\n"
    "a=ice-pwd:ancPasswordancPassword22\r\n"
    "a=fingerprint:sha-256 " OUR_FP "\r\n"
    "a=setup:passive\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:126 H264/90000\r\n"
    "a=fmtp:126 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtcp-fb:126 nack\r\n"
    "a=rtcp-fb:126 nack pli\r\n"
    "a=rtcp-fb:126 ccm fir\r\n"
    "a=rtcp-fb:126 goog-remb\r\n"
    "a=extmap:6/sendonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
    "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n"
    "a=candidate:2 1 udp 2130706175 2001:db8::10 40000 typ host\r\n"
    "a=end-of-candidates\r\n"
    "a=msid:ancloud-stream ancloud-video\r\n"
    "a=ssrc:305419896 cname:ancloud\r\n"
    "a=ssrc:305419896 msid:ancloud-stream ancloud-video\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\n"
    "a=ice-ufrag:ancU\r\n"
    "a=ice-pwd:ancPasswordancPassword22\r\n"
    "a=fingerprint:sha-256 " OUR_FP "\r\n"
    "a=setup:passive\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n"
    "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host\r\n"
    "a=candidate:2 1 udp 2130706175 2001:db8::10 40000 typ host\r\n"
    "a=end-of-candidates\r\n";

TEST(firefox_answer_literal)
{
    struct anc_sdp_offer *o = parse_file_ok(FF_PLAIN);
    char *ans = answer(o, &our_params);
    CHECK_STREQ(ans, ff_plain_answer); /* prints both on mismatch */
    free(ans);
    anc_sdp_offer_free(o);
}

TEST(chrome_answers)
{
    struct anc_sdp_offer *o = parse_file_ok(CR_DC);
    char *ans = answer(o, &our_params);
    CHECK_EQ(line_at(ans, "a=ice-lite"), 4);
    CHECK(line_at(ans, "a=group:BUNDLE 0 1") > 0);
    int m = line_at(ans, "m=video 9 UDP/TLS/RTP/SAVPF 108");
    CHECK(m > 0);
    CHECK(line_at(ans, "a=sendonly") > m);
    CHECK(line_at(ans, "a=rtcp-mux") > m);
    CHECK(line_at(ans, "a=rtcp-rsize") > m);
    CHECK(line_at(ans, "a=rtcp-fb:108 nack") > m);
    CHECK(line_at(ans, "a=rtcp-fb:108 nack pli") > m);
    CHECK(line_at(ans, "a=rtcp-fb:108 ccm fir") > m);
    CHECK(line_at(ans, "a=rtcp-fb:108 goog-remb") > m);
    /* Chrome offers playout-delay as id 5: it is echoed so we can ask for immediate rendering. */
    CHECK(line_at(ans, "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay") >
          m);
    CHECK_EQ(line_at(ans, "a=rtcp-fb:108 transport-cc"), -1);
    int app = line_at(ans, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
    CHECK(app > m);
    CHECK(line_at(ans, "a=sctp-port:5000") > app);
    CHECK(line_at(ans, "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host") > m);
    CHECK(line_at(ans, "a=end-of-candidates") >
          line_at(ans, "a=candidate:2 1 udp 2130706175 2001:db8::10 40000 typ host"));
    free(ans);

    struct anc_sdp_answer_params p = our_params;
    p.max_message_size = 65536;
    p.n_candidates = 1;
    ans = answer(o, &p);
    CHECK(line_at(ans, "a=max-message-size:65536") > app);
    CHECK_EQ(line_at(ans, "a=candidate:2 1 udp 2130706175 2001:db8::10 40000 typ host"), -1);
    CHECK(!strstr(ans, " tcp "));
    free(ans);

    /* ICE-TCP: a passive candidate on each address, after (and below) the UDP ones. */
    p = our_params;
    p.tcp_port = 8443;
    ans = answer(o, &p);
    int tcp1 =
        line_at(ans, "a=candidate:3 1 tcp 2118123519 192.0.2.10 8443 typ host tcptype passive");
    CHECK(tcp1 > line_at(ans, "a=candidate:2 1 udp 2130706175 2001:db8::10 40000 typ host"));
    CHECK(
        line_at(ans, "a=candidate:4 1 tcp 2118123263 2001:db8::10 8443 typ host tcptype passive") >
        tcp1);
    CHECK(line_at(ans, "a=end-of-candidates") > tcp1);
    free(ans);
    anc_sdp_offer_free(o);

    o = parse_file_ok(CR_VIDEO);
    ans = answer(o, &our_params);
    CHECK(line_at(ans, "a=group:BUNDLE 0") > 0);
    CHECK(!strstr(ans, "m=application"));
    free(ans);
    anc_sdp_offer_free(o);
}

TEST(extra_sections_rejected)
{
    char *sdp = read_data(CR_DC);
    char *a = replace(sdp, "m=application",
                      "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8\r\nc=IN IP4 0.0.0.0\r\n"
                      "a=mid:2\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
                      "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:3\r\na=bundle-only\r\n"
                      "m=application");
    char *b = replace(a, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 2 1 3");
    struct anc_sdp_offer *o = parse_ok(b);
    CHECK_EQ(o->n_media, 4);
    CHECK_EQ(o->media[1].kind, ANC_SDP_KIND_AUDIO);
    CHECK_EQ(o->media[1].codecs[0].channels, 2);
    CHECK(!o->media[1].accepted);
    CHECK(!o->media[2].rejected); /* bundle-only in the group: offered, but we decline it */
    CHECK_EQ(o->data_index, 3);
    char *ans = answer(o, &our_params);
    CHECK(line_at(ans, "a=group:BUNDLE 0 1") > 0);
    int au = line_at(ans, "m=audio 0 UDP/TLS/RTP/SAVPF 111 63 9 0 8");
    CHECK(au > 0);
    CHECK_EQ(line_at(ans, "a=mid:2"), au + 2);
    int v2 = line_at(ans, "m=video 0 UDP/TLS/RTP/SAVPF 96 97");
    CHECK(v2 > au);
    CHECK_EQ(line_at(ans, "a=mid:3"), v2 + 2);
    CHECK(line_at(ans, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel") > v2);
    free(ans);
    anc_sdp_offer_free(o);
    free(b);
    free(a);

    /* Without BUNDLE the data channel cannot share our one port: rejected, video alone. */
    a = replace(sdp, "a=group:BUNDLE 0 1\r\n", "");
    o = parse_ok(a);
    CHECK(!o->has_datachannel);
    ans = answer(o, &our_params);
    CHECK_EQ(line_at(ans, "a=group:BUNDLE 0 1"), -1);
    CHECK(line_at(ans, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel") > 0);
    free(ans);
    anc_sdp_offer_free(o);
    free(a);
    free(sdp);
}

TEST(lf_line_endings)
{
    char *sdp = read_data(FF_PLAIN);
    char *a = replace(sdp, "\r\n", "\n");
    struct anc_sdp_offer *o = parse_ok(a);
    CHECK_EQ(o->h264_pt, 126);
    CHECK_STREQ(o->remote.ice_pwd, "37ad2861081669b5761d8505c235f4e2");
    char *ans = answer(o, &our_params);
    CHECK_STREQ(ans, ff_plain_answer);
    free(ans);
    anc_sdp_offer_free(o);
    free(a);
    free(sdp);
}

TEST(setup_roles)
{
    char *sdp = read_data(CR_DC);
    char *a = replace(sdp, "a=setup:actpass", "a=setup:passive");
    struct anc_sdp_offer *o = parse_ok(a);
    CHECK_EQ(o->local_setup, ANC_SDP_SETUP_ACTIVE);
    char *ans = answer(o, &our_params);
    CHECK(line_at(ans, "a=setup:active") > 0);
    CHECK_EQ(line_at(ans, "a=setup:passive"), -1);
    free(ans);
    struct anc_sdp_answer_params p = our_params;
    p.setup = ANC_SDP_SETUP_PASSIVE; /* conflicts with a passive offerer */
    char buf[64];
    CHECK_EQ(anc_sdp_build_answer(o, &p, buf, sizeof(buf)), -EINVAL);
    anc_sdp_offer_free(o);
    free(a);
    free(sdp);
}

TEST(answer_params_checked)
{
    struct anc_sdp_offer *o = parse_file_ok(CR_DC);
    char *buf = malloc(ANC_SDP_ANSWER_MAX);
    struct anc_sdp_answer_params p = our_params;
    p.ice_pwd = "with space";
    CHECK_EQ(anc_sdp_build_answer(o, &p, buf, ANC_SDP_ANSWER_MAX), -EINVAL);
    p = our_params;
    p.cname = "a\r\nb";
    CHECK_EQ(anc_sdp_build_answer(o, &p, buf, ANC_SDP_ANSWER_MAX), -EINVAL);
    p = our_params;
    p.fingerprint_sha256 = "00:11";
    CHECK_EQ(anc_sdp_build_answer(o, &p, buf, ANC_SDP_ANSWER_MAX), -EINVAL);
    p = our_params;
    p.n_candidates = ANC_SDP_MAX_CANDIDATES + 1;
    CHECK_EQ(anc_sdp_build_answer(o, &p, buf, ANC_SDP_ANSWER_MAX), -EINVAL);
    CHECK_EQ(anc_sdp_build_answer(NULL, &our_params, buf, ANC_SDP_ANSWER_MAX), -EINVAL);
    CHECK_EQ(anc_sdp_build_answer(o, &our_params, buf, 100), -EMSGSIZE);
    CHECK_EQ(buf[0], '\0');
    int full = anc_sdp_build_answer(o, &our_params, buf, ANC_SDP_ANSWER_MAX);
    CHECK(full > 0);
    CHECK_EQ(anc_sdp_build_answer(o, &our_params, buf, (size_t)full), -EMSGSIZE);
    CHECK_EQ(anc_sdp_build_answer(o, &our_params, buf, (size_t)full + 1), full);
    /* An offer that failed validation cannot be answered. */
    struct anc_sdp_offer *bad = anc_sdp_offer_new();
    CHECK(parse_str("garbage", bad, NULL, 0) < 0);
    CHECK_EQ(anc_sdp_build_answer(bad, &our_params, buf, ANC_SDP_ANSWER_MAX), -EINVAL);
    anc_sdp_offer_free(bad);
    free(buf);
    anc_sdp_offer_free(o);
}

TEST(malformed)
{
    parse_fails("", -EBADMSG, "empty");
    parse_fails("garbage", -EBADMSG, "line 1");
    parse_fails("\xff\xfe\x00\x01", -EBADMSG, "line 1");
    parse_fails("o=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", -EBADMSG, "v=0");
    parse_fails("v=0\r\n", -EBADMSG, "o=");
    parse_fails("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", -EPROTO, "no video");
    parse_fails("v=0\r\no=-\r\ns=-\r\nm=video\r\n", -EBADMSG, "line 4: malformed m=");
    parse_fails("v=0\r\no=-\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 96\r\n", -EBADMSG,
                "duplicate payload type");
    parse_fails("v=0\r\no=-\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 128\r\n", -EBADMSG, "0..127");
    parse_fails("v=0\r\no=-\r\ns=-\r\nm=video 70000 UDP/TLS/RTP/SAVPF 96\r\n", -EBADMSG, "m=");
    parse_fails("v=0\r\no=-\r\ns=-\r\na=setup:maybe\r\n", -EBADMSG, "a=setup");
    parse_fails("v=0\r\no=-\r\ns=-\r\na=fingerprint:sha-256 0G:11\r\n", -EBADMSG, "fingerprint");
    parse_fails("v=0\r\no=-\r\ns=-\r\na=ice-ufrag:a:b\r\n", -EBADMSG, "ice-ufrag");
    parse_fails("v=0\r\no=-\r\ns=-\r\na=ice-ufrag:ab\r\na=ice-ufrag:ab\r\n", -EBADMSG, "duplicate");
    parse_fails("v=0\r\no=-\r\ns=-\r\nx\r\n", -EBADMSG, "line 4");
    parse_fails("v=0\r\no=-\rs=-\r\n", -EBADMSG, "control");
    parse_fails("v=0\r\nv=0\r\n", -EBADMSG, "repeated");

    /* Overlong line, oversized offer, too many sections. */
    char *big = malloc(ANC_SDP_MAX_OFFER + 64);
    CHECK(big);
    strcpy(big, "v=0\r\na=");
    memset(big + 7, 'x', ANC_SDP_MAX_LINE);
    strcpy(big + 7 + ANC_SDP_MAX_LINE, "\r\n");
    parse_fails(big, -EMSGSIZE, "line 2: line longer");
    memset(big, 'x', ANC_SDP_MAX_OFFER + 1);
    big[ANC_SDP_MAX_OFFER + 1] = '\0';
    parse_fails(big, -EMSGSIZE, "larger than");
    strcpy(big, "v=0\r\no=-\r\ns=-\r\n");
    for (int i = 0; i <= ANC_SDP_MAX_MEDIA; i++)
        strcat(big, "m=audio 0 RTP/AVP 0\r\n");
    parse_fails(big, -EMSGSIZE, "m-sections");
    free(big);

    struct anc_sdp_offer *o = anc_sdp_offer_new();
    CHECK_EQ(anc_sdp_parse(NULL, 0, o, NULL, 0), -EINVAL);
    CHECK_EQ(anc_sdp_parse("v=0", 3, NULL, NULL, 0), -EINVAL);
    char tiny[8];
    CHECK_EQ(anc_sdp_parse("garbage", 7, o, tiny, sizeof(tiny)), -EBADMSG);
    CHECK_EQ(strlen(tiny), 7);
    anc_sdp_offer_free(o);
    anc_sdp_offer_free(NULL);
    CHECK(!anc_sdp_video(NULL));
    CHECK(!anc_sdp_data(NULL));
}

/* Every prefix of every recorded offer parses to a clean result, reading only its own bytes:
 * each is copied into an exactly sized heap block so ASan catches any overread. */
TEST(truncated)
{
    static const char *const names[] = {FF_PLAIN, FF_BALANCED, FF_NO_H264, CR_DC, CR_VIDEO, CR_VP8};
    struct anc_sdp_offer *o = anc_sdp_offer_new();
    char err[256];
    for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
        char *sdp = read_data(names[f]);
        size_t len = strlen(sdp);
        int ok = 0;
        for (size_t n = 0; n <= len; n++) {
            char *copy = malloc(n ? n : 1);
            memcpy(copy, sdp, n);
            int r = anc_sdp_parse(copy, n, o, err, sizeof(err));
            CHECK(r == 0 || r == -EBADMSG || r == -EPROTO || r == -EMSGSIZE);
            CHECK(r == 0 || err[0]);
            ok += r == 0;
            free(copy);
        }
        /* The complete offer parses unless it is one of the two without H.264. */
        CHECK(ok > 0 || f == 2 || f == 5);
        free(sdp);
    }
    anc_sdp_offer_free(o);
}
