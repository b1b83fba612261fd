/* Validation of a parsed offer: resolve session-level defaults, pick the video and data channel
 * sections, choose the H.264 payload type, and say clearly why an offer cannot be answered. */
#include "rtc/sdp.h"
#include "rtc/sdp_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_SCTP_PORT        5000
#define DEFAULT_MAX_MESSAGE_SIZE 65536 /* RFC 8841 6.1 */

int anc__sdp_fail(char *err, size_t errlen, unsigned line, int code, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return code;
    int n = line ? snprintf(err, errlen, "line %u: ", line) : 0;
    if (n < 0 || (size_t)n >= errlen)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

enum anc_sdp_dir anc__sdp_dir_from(struct anc__span s)
{
    if (anc__span_eq(s, "sendrecv"))
        return ANC_SDP_DIR_SENDRECV;
    if (anc__span_eq(s, "sendonly"))
        return ANC_SDP_DIR_SENDONLY;
    if (anc__span_eq(s, "recvonly"))
        return ANC_SDP_DIR_RECVONLY;
    if (anc__span_eq(s, "inactive"))
        return ANC_SDP_DIR_INACTIVE;
    return ANC_SDP_DIR_NONE;
}

bool anc__sdp_fp_syntax(struct anc__span s)
{
    if (s.n < 2 || s.n % 3 != 2)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        bool ok = i % 3 == 2 ? s.p[i] == ':' : anc__hex_digit(s.p[i]) >= 0;
        if (!ok)
            return false;
    }
    return true;
}

const char *anc_sdp_setup_name(enum anc_sdp_setup setup)
{
    switch (setup) {
    case ANC_SDP_SETUP_ACTPASS:
        return "actpass";
    case ANC_SDP_SETUP_ACTIVE:
        return "active";
    case ANC_SDP_SETUP_PASSIVE:
        return "passive";
    case ANC_SDP_SETUP_HOLDCONN:
        return "holdconn";
    default:
        return "";
    }
}

const char *anc_sdp_dir_name(enum anc_sdp_dir dir)
{
    switch (dir) {
    case ANC_SDP_DIR_SENDRECV:
        return "sendrecv";
    case ANC_SDP_DIR_SENDONLY:
        return "sendonly";
    case ANC_SDP_DIR_RECVONLY:
        return "recvonly";
    case ANC_SDP_DIR_INACTIVE:
        return "inactive";
    default:
        return "";
    }
}

static bool in_bundle(const struct anc_sdp_offer *o, const char *mid)
{
    if (!mid[0])
        return false;
    for (size_t i = 0; i < o->n_bundle; i++)
        if (strcmp(o->bundle[i], mid) == 0)
            return true;
    return false;
}

/* Media-level values override session-level ones; absent both, direction is sendrecv. */
static void resolve(struct anc_sdp_offer *o, struct anc_sdp_media *m)
{
    struct anc_sdp_transport *t = &m->transport;
    if (!t->ice_ufrag[0])
        memcpy(t->ice_ufrag, o->session.ice_ufrag, sizeof(t->ice_ufrag));
    if (!t->ice_pwd[0])
        memcpy(t->ice_pwd, o->session.ice_pwd, sizeof(t->ice_pwd));
    if (!t->fingerprint.alg[0])
        t->fingerprint = o->session.fingerprint;
    if (t->setup == ANC_SDP_SETUP_NONE)
        t->setup = o->session.setup;
    if (m->dir == ANC_SDP_DIR_NONE)
        m->dir = o->session_dir != ANC_SDP_DIR_NONE ? o->session_dir : ANC_SDP_DIR_SENDRECV;
    /* Port 0 with bundle-only is how an offerer says "only if bundled" (RFC 8843 6). */
    m->rejected = m->port == 0 && !(m->bundle_only && in_bundle(o, m->mid));
}

static int check_mids(const struct anc_sdp_offer *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n_media; i++)
        for (size_t j = i + 1; j < o->n_media; j++)
            if (o->media[i].mid[0] && strcmp(o->media[i].mid, o->media[j].mid) == 0)
                return anc__sdp_fail(err, errlen, 0, -EBADMSG, "duplicate mid '%s'",
                                     o->media[i].mid);
    return 0;
}

static bool h264_mode1(const struct anc_sdp_codec *c)
{
    return strcasecmp(c->name, "H264") == 0 && c->clock_rate == 90000 && c->packetization_mode == 1;
}

static uint32_t offered_plid(const struct anc_sdp_codec *c)
{
    /* Absent, profile-level-id defaults to 420010: baseline, level 1 (RFC 6184 8.1). */
    return c->has_profile_level_id ? c->profile_level_id : 0x420010;
}

/* The profile a profile-level-id names: profile_idc and the constraint_set flags together, as
 * browsers read them (libwebrtc's h264_profile_level_id.cc patterns, RFC 6184 8.1 and H.264
 * A.2). The first pattern that matches wins; an x in a pattern is a flag that does not matter. */
enum h264_profile {
    P_UNKNOWN = 0,
    P_CONSTRAINED_BASELINE,
    P_BASELINE,
    P_MAIN,
    P_CONSTRAINED_HIGH,
    P_HIGH,
    P_HIGH444,
};

static const struct {
    uint8_t idc, mask, value;
    enum h264_profile profile;
} patterns[] = {
    {0x42, 0x4f, 0x40, P_CONSTRAINED_BASELINE}, /* x1xx0000 */
    {0x4d, 0x8f, 0x80, P_CONSTRAINED_BASELINE}, /* 1xxx0000 */
    {0x58, 0xcf, 0xc0, P_CONSTRAINED_BASELINE}, /* 11xx0000 */
    {0x42, 0x4f, 0x00, P_BASELINE},             /* x0xx0000 */
    {0x58, 0xcf, 0x80, P_BASELINE},             /* 10xx0000 */
    {0x4d, 0xaf, 0x00, P_MAIN},                 /* 0x0x0000 */
    {0x64, 0xff, 0x00, P_HIGH},                 /* 00000000 */
    {0x64, 0xff, 0x0c, P_CONSTRAINED_HIGH},     /* 00001100 */
    {0xf4, 0xff, 0x00, P_HIGH444},              /* 00000000 */
};

static enum h264_profile profile_of(uint32_t plid)
{
    uint8_t idc = (uint8_t)(plid >> 16), iop = (uint8_t)(plid >> 8);
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
        if (patterns[i].idc == idc && (iop & patterns[i].mask) == patterns[i].value)
            return patterns[i].profile;
    return P_UNKNOWN;
}

static const char *h264_profile_name(enum h264_profile p)
{
    static const char *const names[] = {"unknown profile",
                                        "Constrained Baseline",
                                        "Baseline",
                                        "Main",
                                        "Constrained High",
                                        "High",
                                        "High 4:4:4 Predictive"};
    return names[p];
}

/* Levels in order, level 1b (level_idc 9, or 11 with constraint_set3 in the baseline and main
 * profiles) between 1.0 and 1.1. */
static unsigned level_rank(uint32_t plid)
{
    unsigned idc = (plid >> 16) & 0xff, iop = (plid >> 8) & 0xff, level = plid & 0xff;
    bool b = level == 9 || (level == 11 && (iop & 0x10) && (idc == 0x42 || idc == 0x4d));
    return b ? 21 : level * 2;
}

/* 0 is best (42e01f), then any constrained baseline, then plain baseline; -1 is unusable. */
static int h264_rank(const struct anc_sdp_codec *c)
{
    if (!h264_mode1(c))
        return -1;
    uint32_t plid = offered_plid(c);
    uint32_t idc = plid >> 16, iop = (plid >> 8) & 0xff;
    if (plid == 0x42e01f)
        return 0;
    if (idc == 0x42 && (iop & 0x40)) /* constraint_set1: constrained baseline */
        return 1;
    if (idc == 0x42 && iop == 0)
        return 2;
    return -1;
}

/* How well an offered payload type suits a stream of profile-level-id want: 0 when it offers the
 * stream's own profile, 1 when a profile whose decoders take the stream too (a constrained
 * baseline stream is baseline, a constrained high one is high), -1 when it does not fit. */
static int stream_rank(const struct anc_sdp_codec *c, uint32_t want)
{
    if (!h264_mode1(c))
        return -1;
    uint32_t plid = offered_plid(c);
    enum h264_profile offered = profile_of(plid), ours = profile_of(want);
    /* Without level-asymmetry-allowed the level we send may not pass the offered one. */
    if (ours == P_UNKNOWN || (!c->level_asymmetry_allowed && level_rank(want) > level_rank(plid)))
        return -1;
    if (offered == ours)
        return 0;
    if ((ours == P_CONSTRAINED_BASELINE && offered == P_BASELINE) ||
        (ours == P_CONSTRAINED_HIGH && offered == P_HIGH))
        return 1;
    return -1;
}

static void choose(struct anc_sdp_offer *o, const struct anc_sdp_media *v,
                   const struct anc_sdp_codec *best, uint32_t plid)
{
    o->h264_pt = best->pt;
    o->h264_profile_level_id = plid;
    o->h264_rtx_pt = -1;
    for (size_t i = 0; i < v->n_codecs; i++) {
        const struct anc_sdp_codec *c = &v->codecs[i];
        if (strcasecmp(c->name, "rtx") == 0 && c->apt == best->pt) {
            o->h264_rtx_pt = c->pt;
            break;
        }
    }
}

static bool any_h264_mode1(const struct anc_sdp_media *v)
{
    for (size_t i = 0; i < v->n_codecs; i++)
        if (h264_mode1(&v->codecs[i]))
            return true;
    return false;
}

/* Our own encoder's stream (want 0): the best baseline payload type; the answer repeats its
 * profile-level-id. */
static int pick_h264(struct anc_sdp_offer *o, const struct anc_sdp_media *v, char *err,
                     size_t errlen)
{
    const struct anc_sdp_codec *best = NULL;
    int best_rank = 3;
    for (size_t i = 0; i < v->n_codecs; i++) {
        int rank = h264_rank(&v->codecs[i]);
        if (rank >= 0 && rank < best_rank) {
            best = &v->codecs[i];
            best_rank = rank;
        }
    }
    if (!best)
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             "offer has no H.264 with packetization-mode=1 (constrained baseline)");
    choose(o, v, best, offered_plid(best));
    return 0;
}

/* A stream of a known profile: the first payload type offering that profile, else the first
 * whose profile includes it. The answer states the stream's profile-level-id; on a payload type
 * of the including profile it keeps the offered profile bytes (a constrained baseline stream is
 * a baseline one too) so the browser sees the same codec it offered under that number. */
static int pick_h264_for(struct anc_sdp_offer *o, const struct anc_sdp_media *v, uint32_t want,
                         char *err, size_t errlen)
{
    const struct anc_sdp_codec *best = NULL;
    int best_rank = 2;
    for (size_t i = 0; i < v->n_codecs; i++) {
        int rank = stream_rank(&v->codecs[i], want);
        if (rank >= 0 && rank < best_rank) {
            best = &v->codecs[i];
            best_rank = rank;
        }
    }
    if (!best && !any_h264_mode1(v))
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             "offer has no H.264 with packetization-mode=1");
    if (!best)
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             "offer has no H.264 profile compatible with the stream's %s "
                             "(profile-level-id %06" PRIx32 ")",
                             h264_profile_name(profile_of(want)), want);
    choose(o, v, best, best_rank == 0 ? want : (offered_plid(best) & 0xffff00) | (want & 0xff));
    return 0;
}

static const struct {
    const char *name;
    size_t len;
} fp_algs[] = {{"sha-1", 20}, {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64}};

static int check_transport(const struct anc_sdp_transport *t, char *err, size_t errlen)
{
    if (!t->ice_ufrag[0] || !t->ice_pwd[0])
        return anc__sdp_fail(err, errlen, 0, -EPROTO, "offer has no ice-ufrag/ice-pwd");
    if (!t->fingerprint.alg[0])
        return anc__sdp_fail(err, errlen, 0, -EPROTO, "offer has no a=fingerprint");
    size_t i;
    for (i = 0; i < sizeof(fp_algs) / sizeof(fp_algs[0]); i++)
        if (strcmp(t->fingerprint.alg, fp_algs[i].name) == 0)
            break;
    if (i == sizeof(fp_algs) / sizeof(fp_algs[0]))
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             "offer's a=fingerprint uses unknown hash '%s'", t->fingerprint.alg);
    if (strlen(t->fingerprint.value) != fp_algs[i].len * 3 - 1)
        return anc__sdp_fail(err, errlen, 0, -EPROTO, "offer's %s a=fingerprint has a wrong length",
                             t->fingerprint.alg);
    if (t->setup == ANC_SDP_SETUP_HOLDCONN)
        return anc__sdp_fail(err, errlen, 0, -EPROTO, "offer has a=setup:holdconn");
    return 0;
}

static int pick_video(struct anc_sdp_offer *o, char *err, size_t errlen)
{
    bool seen_rejected = false;
    for (size_t i = 0; i < o->n_media; i++) {
        if (o->media[i].kind != ANC_SDP_KIND_VIDEO)
            continue;
        if (!o->media[i].rejected) {
            o->video_index = (int)i;
            break;
        }
        seen_rejected = true;
    }
    const struct anc_sdp_media *v = anc_sdp_video(o);
    if (!v)
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             seen_rejected ? "offer's video m-section is disabled (port 0)"
                                           : "no video m-section");
    if (strcmp(v->proto, "UDP/TLS/RTP/SAVPF") != 0)
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             "video m-section uses proto %s, not UDP/TLS/RTP/SAVPF", v->proto);
    if (v->dir != ANC_SDP_DIR_RECVONLY && v->dir != ANC_SDP_DIR_SENDRECV)
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             "video m-section is %s; a viewer must offer recvonly or sendrecv",
                             anc_sdp_dir_name(v->dir));
    if (!v->rtcp_mux)
        return anc__sdp_fail(err, errlen, 0, -EPROTO,
                             "offer lacks a=rtcp-mux on the video section");
    return 0;
}

/* A data channel is accepted only when it can share the video's transport, i.e. both are in the
 * BUNDLE group: we have one ICE-lite port per session. Otherwise it is rejected in the answer. */
static void pick_data(struct anc_sdp_offer *o)
{
    const struct anc_sdp_media *v = anc_sdp_video(o);
    for (size_t i = 0; i < o->n_media; i++) {
        const struct anc_sdp_media *m = &o->media[i];
        if (m->kind != ANC_SDP_KIND_APPLICATION || m->rejected ||
            strcmp(m->proto, "UDP/DTLS/SCTP") != 0 || strcmp(m->fmts, "webrtc-datachannel") != 0)
            continue;
        if (!in_bundle(o, v->mid) || !in_bundle(o, m->mid))
            continue;
        o->data_index = (int)i;
        o->has_datachannel = true;
        o->sctp_port = m->has_sctp_port ? m->sctp_port : DEFAULT_SCTP_PORT;
        o->max_message_size =
            m->has_max_message_size ? m->max_message_size : DEFAULT_MAX_MESSAGE_SIZE;
        return;
    }
}

int anc__sdp_check(struct anc_sdp_offer *o, uint32_t want, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n_media; i++)
        resolve(o, &o->media[i]);
    int r = check_mids(o, err, errlen);
    if (r < 0)
        return r;
    r = pick_video(o, err, errlen);
    if (r < 0)
        return r;
    struct anc_sdp_media *v = &o->media[o->video_index];
    r = check_transport(&v->transport, err, errlen);
    if (r < 0)
        return r;
    r = want ? pick_h264_for(o, v, want, err, errlen) : pick_h264(o, v, err, errlen);
    if (r < 0)
        return r;
    pick_data(o);
    o->remote = v->transport;
    o->local_setup =
        o->remote.setup == ANC_SDP_SETUP_PASSIVE ? ANC_SDP_SETUP_ACTIVE : ANC_SDP_SETUP_PASSIVE;
    v->accepted = true;
    if (o->data_index >= 0)
        o->media[o->data_index].accepted = true;
    return 0;
}
