/* Validation of a parsed offer: resolve session-level defaults, pick the video and data channel
 * sections, choose the H.264 payload type, and say clearly why an offer cannot be answered. */
#include "rtc/sdp.h"
#include "rtc/sdp_internal.h"

#include <errno.h>
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

/* 0 is best (42e01f), then any constrained baseline, then plain baseline; -1 is unusable. */
static int h264_rank(const struct anc_sdp_codec *c)
{
    if (strcasecmp(c->name, "H264") != 0 || c->clock_rate != 90000 || c->packetization_mode != 1)
        return -1;
    /* Absent, profile-level-id defaults to 420010: baseline, level 1 (RFC 6184 8.1). */
    uint32_t plid = c->has_profile_level_id ? c->profile_level_id : 0x420010;
    uint32_t idc = plid >> 16, iop = (plid >> 8) & 0xff;
    if (plid == 0x42e01f)
        return 0;
    if (idc == 0x42 && (iop & 0x40)) /* constraint_set1: constrained baseline */
        return 1;
    if (idc == 0x42 && iop == 0)
        return 2;
    return -1;
}

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
    o->h264_pt = best->pt;
    o->h264_profile_level_id = best->has_profile_level_id ? best->profile_level_id : 0x420010;
    o->h264_rtx_pt = -1;
    for (size_t i = 0; i < v->n_codecs; i++) {
        const struct anc_sdp_codec *c = &v->codecs[i];
        if (strcasecmp(c->name, "rtx") == 0 && c->apt == best->pt) {
            o->h264_rtx_pt = c->pt;
            break;
        }
    }
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

int anc__sdp_check(struct anc_sdp_offer *o, char *err, size_t errlen)
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
    r = pick_h264(o, v, err, errlen);
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
