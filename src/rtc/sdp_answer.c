/* Builds our answer to a validated offer: ICE-lite, one bundled transport, H.264 sendonly video,
 * optionally the SCTP data channel, and every other offered section rejected with port 0. */
#include "rtc/sdp.h"
#include "rtc/sdp_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OUR_DEFAULT_MAX_MESSAGE_SIZE 262144
#define OUR_DEFAULT_SCTP_PORT        5000

struct writer {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct writer *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= w->cap - w->len) {
        w->overflow = true;
        return;
    }
    w->len += (size_t)n;
    w->buf[w->len++] = '\r';
    w->buf[w->len++] = '\n';
    w->buf[w->len] = '\0';
}

static bool visible(const char *s)
{
    return s && anc__span_visible((struct anc__span){s, strlen(s)});
}

static enum anc_sdp_setup our_setup(const struct anc_sdp_offer *o, enum anc_sdp_setup want)
{
    if (want == ANC_SDP_SETUP_NONE)
        return o->local_setup;
    if (want != ANC_SDP_SETUP_ACTIVE && want != ANC_SDP_SETUP_PASSIVE)
        return ANC_SDP_SETUP_NONE;
    /* An offerer that chose a role leaves us the other one. */
    if ((o->remote.setup == ANC_SDP_SETUP_ACTIVE && want != ANC_SDP_SETUP_PASSIVE) ||
        (o->remote.setup == ANC_SDP_SETUP_PASSIVE && want != ANC_SDP_SETUP_ACTIVE))
        return ANC_SDP_SETUP_NONE;
    return want;
}

static bool params_ok(const struct anc_sdp_answer_params *p)
{
    if (!visible(p->ice_ufrag) || !visible(p->ice_pwd) || !visible(p->cname) ||
        !visible(p->msid_stream) || !visible(p->msid_track) || !p->fingerprint_sha256 ||
        strlen(p->fingerprint_sha256) != 95 ||
        !anc__sdp_fp_syntax((struct anc__span){p->fingerprint_sha256, 95}))
        return false;
    if (p->n_candidates > ANC_SDP_MAX_CANDIDATES || (p->n_candidates && !p->candidates))
        return false;
    for (size_t i = 0; i < p->n_candidates; i++)
        if (!visible(p->candidates[i].ip) || strlen(p->candidates[i].ip) > 64 ||
            p->candidates[i].port == 0)
            return false;
    return true;
}

static void put_transport(struct writer *w, const struct anc_sdp_answer_params *p,
                          enum anc_sdp_setup setup)
{
    put(w, "a=ice-ufrag:%s", p->ice_ufrag);
    put(w, "a=ice-pwd:%s", p->ice_pwd);
    put(w, "a=fingerprint:sha-256 %s", p->fingerprint_sha256);
    put(w, "a=setup:%s", anc_sdp_setup_name(setup));
}

/* Host candidates, the first preferred: priority per RFC 8445 5.1.2.1 with type preference 126
 * and component 1. Passive ICE-TCP candidates (RFC 6544) follow on the same addresses with a
 * lower local preference (RFC 6544 4.2: direction preference 2 for passive, times 8192), so a
 * browser that can reach UDP prefers it. */
static void put_candidates(struct writer *w, const struct anc_sdp_answer_params *p)
{
    for (size_t i = 0; i < p->n_candidates; i++) {
        uint32_t prio = (126u << 24) | ((uint32_t)(65535 - i) << 8) | 255u;
        put(w, "a=candidate:%zu 1 udp %" PRIu32 " %s %u typ host", i + 1, prio, p->candidates[i].ip,
            (unsigned)p->candidates[i].port);
    }
    for (size_t i = 0; p->tcp_port && i < p->n_candidates; i++) {
        uint32_t prio = (126u << 24) | ((uint32_t)(2 * 8192 - 1 - i) << 8) | 255u;
        put(w, "a=candidate:%zu 1 tcp %" PRIu32 " %s %u typ host tcptype passive",
            p->n_candidates + i + 1, prio, p->candidates[i].ip, (unsigned)p->tcp_port);
    }
    put(w, "a=end-of-candidates");
}

static void put_mid(struct writer *w, const struct anc_sdp_media *m)
{
    if (m->mid[0])
        put(w, "a=mid:%s", m->mid);
}

int anc_sdp_extmap_id(const struct anc_sdp_media *m, const char *uri)
{
    for (size_t i = 0; m && i < m->n_extmaps; i++)
        if (strcmp(m->extmaps[i].uri, uri) == 0 && m->extmaps[i].id >= 1 && m->extmaps[i].id <= 14)
            return m->extmaps[i].id;
    return -1;
}

/* We send playout-delay (0, 0) on every packet when the browser offered it (see sdp.h). */
static void put_playout_delay(struct writer *w, const struct anc_sdp_media *m)
{
    int id = anc_sdp_extmap_id(m, ANC_SDP_URI_PLAYOUT_DELAY);
    if (id < 0)
        return;
    for (size_t i = 0; i < m->n_extmaps; i++) {
        if (m->extmaps[i].id != id)
            continue;
        if (m->extmaps[i].dir == ANC_SDP_DIR_RECVONLY)
            put(w, "a=extmap:%d/sendonly %s", id, ANC_SDP_URI_PLAYOUT_DELAY);
        else
            put(w, "a=extmap:%d %s", id, ANC_SDP_URI_PLAYOUT_DELAY);
    }
}

static void put_video(struct writer *w, const struct anc_sdp_offer *o,
                      const struct anc_sdp_media *m, const struct anc_sdp_answer_params *p,
                      enum anc_sdp_setup setup)
{
    const struct anc_sdp_codec *c = NULL;
    for (size_t i = 0; i < m->n_codecs && !c; i++)
        if (m->codecs[i].pt == o->h264_pt)
            c = &m->codecs[i];
    uint8_t fb = c ? c->fb : 0;
    int pt = o->h264_pt;

    put(w, "m=video 9 %s %d", m->proto, pt);
    put(w, "c=IN IP4 0.0.0.0");
    put_mid(w, m);
    put(w, "a=sendonly");
    put_transport(w, p, setup);
    put(w, "a=rtcp-mux");
    if (m->rtcp_rsize)
        put(w, "a=rtcp-rsize");
    put(w, "a=rtpmap:%d H264/90000", pt);
    put(w, "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%06" PRIx32,
        pt, o->h264_profile_level_id);
    if (fb & ANC_SDP_FB_NACK)
        put(w, "a=rtcp-fb:%d nack", pt);
    if (fb & ANC_SDP_FB_PLI)
        put(w, "a=rtcp-fb:%d nack pli", pt);
    if (fb & ANC_SDP_FB_FIR)
        put(w, "a=rtcp-fb:%d ccm fir", pt);
    if (fb & ANC_SDP_FB_REMB)
        put(w, "a=rtcp-fb:%d goog-remb", pt);
    put_playout_delay(w, m);
    put_candidates(w, p);
    put(w, "a=msid:%s %s", p->msid_stream, p->msid_track);
    put(w, "a=ssrc:%" PRIu32 " cname:%s", p->video_ssrc, p->cname);
    put(w, "a=ssrc:%" PRIu32 " msid:%s %s", p->video_ssrc, p->msid_stream, p->msid_track);
}

static void put_data(struct writer *w, const struct anc_sdp_media *m,
                     const struct anc_sdp_answer_params *p, enum anc_sdp_setup setup)
{
    put(w, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
    put(w, "c=IN IP4 0.0.0.0");
    put_mid(w, m);
    put_transport(w, p, setup);
    put(w, "a=sctp-port:%u", (unsigned)(p->sctp_port ? p->sctp_port : OUR_DEFAULT_SCTP_PORT));
    put(w, "a=max-message-size:%" PRIu64,
        p->max_message_size ? p->max_message_size : (uint64_t)OUR_DEFAULT_MAX_MESSAGE_SIZE);
    put_candidates(w, p);
}

/* A rejected section keeps the offered media, proto and formats (RFC 3264 6) and its mid. */
static void put_rejected(struct writer *w, const struct anc_sdp_media *m)
{
    char fmts[ANC_SDP_MAX_FMT_TEXT + 1];
    size_t n = 0;
    struct anc__span rest = {m->fmts, strlen(m->fmts)};
    for (struct anc__span f = anc__span_word(&rest); f.n > 0; f = anc__span_word(&rest)) {
        /* Re-join with single spaces; this never grows the text. */
        if (n)
            fmts[n++] = ' ';
        memcpy(fmts + n, f.p, f.n);
        n += f.n;
    }
    fmts[n] = '\0';
    put(w, "m=%s 0 %s %s", m->media, m->proto, fmts);
    put(w, "c=IN IP4 0.0.0.0");
    put_mid(w, m);
}

static void put_session(struct writer *w, const struct anc_sdp_offer *o,
                        const struct anc_sdp_answer_params *p)
{
    put(w, "v=0");
    put(w, "o=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1", p->session_id, p->session_version);
    put(w, "s=-");
    put(w, "t=0 0");
    put(w, "a=ice-lite");
    /* Our group holds the accepted mids, in the offer's group order (RFC 8843 7.3). */
    char group[ANC_SDP_MAX_BUNDLE * (ANC_SDP_MAX_MID + 1) + 1];
    size_t n = 0;
    for (size_t i = 0; i < o->n_bundle; i++) {
        for (size_t j = 0; j < o->n_media; j++) {
            const struct anc_sdp_media *m = &o->media[j];
            if (m->accepted && strcmp(m->mid, o->bundle[i]) == 0) {
                n += (size_t)snprintf(group + n, sizeof(group) - n, " %s", m->mid);
                break;
            }
        }
    }
    if (n)
        put(w, "a=group:BUNDLE%s", group);
    put(w, "a=msid-semantic: WMS");
}

int anc_sdp_build_answer(const struct anc_sdp_offer *offer, const struct anc_sdp_answer_params *p,
                         char *buf, size_t cap)
{
    if (!offer || !p || !buf || !anc_sdp_video(offer) || !params_ok(p))
        return -EINVAL;
    enum anc_sdp_setup setup = our_setup(offer, p->setup);
    if (setup == ANC_SDP_SETUP_NONE)
        return -EINVAL;
    if (cap == 0)
        return -EMSGSIZE;
    struct writer w = {.buf = buf, .cap = cap};
    buf[0] = '\0';
    put_session(&w, offer, p);
    for (size_t i = 0; i < offer->n_media; i++) {
        const struct anc_sdp_media *m = &offer->media[i];
        if ((int)i == offer->video_index)
            put_video(&w, offer, m, p, setup);
        else if ((int)i == offer->data_index)
            put_data(&w, m, p, setup);
        else
            put_rejected(&w, m);
    }
    if (w.overflow) {
        buf[0] = '\0';
        return -EMSGSIZE;
    }
    return (int)w.len;
}
