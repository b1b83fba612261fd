/* SDP offer parsing: one pass over the lines into struct anc_sdp_offer, then the checks in
 * sdp_check.c. Every read is bounded by a (pointer, length) span; the input needs no NUL. */
#include "rtc/sdp.h"
#include "rtc/sdp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct parser {
    struct anc_sdp_offer *o;
    struct anc_sdp_media *m; /* current m-section, NULL at session level */
    unsigned line_no;
    bool seen_o, seen_s;
    char *err;
    size_t errlen;
};

#define FAIL(ps, code, ...) anc__sdp_fail((ps)->err, (ps)->errlen, (ps)->line_no, code, __VA_ARGS__)

struct anc_sdp_offer *anc_sdp_offer_new(void)
{
    return calloc(1, sizeof(struct anc_sdp_offer));
}

void anc_sdp_offer_free(struct anc_sdp_offer *offer)
{
    free(offer);
}

static struct anc_sdp_transport *cur_transport(struct parser *ps)
{
    return ps->m ? &ps->m->transport : &ps->o->session;
}

static struct anc_sdp_codec *find_codec(struct anc_sdp_media *m, uint64_t pt)
{
    for (size_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

/* Reads the payload type that starts rtpmap/fmtp/rtcp-fb values. Returns 1 with *c set, 0 when
 * the payload type is not one of the m= line's (such lines are ignored), or -EBADMSG. */
static int codec_arg(struct parser *ps, struct anc__span *v, const char *attr,
                     struct anc_sdp_codec **c)
{
    uint64_t pt;
    if (!anc__span_uint(anc__span_word(v), 127, &pt))
        return FAIL(ps, -EBADMSG, "malformed a=%s payload type", attr);
    *c = ps->m ? find_codec(ps->m, pt) : NULL;
    return *c ? 1 : 0;
}

static int attr_rtpmap(struct parser *ps, struct anc__span v)
{
    struct anc_sdp_codec *c;
    int r = codec_arg(ps, &v, "rtpmap", &c);
    if (r <= 0)
        return r;
    struct anc__span enc = anc__span_word(&v);
    struct anc__span name = anc__span_until(&enc, '/');
    struct anc__span clock = anc__span_until(&enc, '/');
    uint64_t rate, ch = 0;
    if (anc__span_copy(name, c->name, sizeof(c->name)) < 0 || name.n == 0 ||
        !anc__span_uint(clock, UINT32_MAX, &rate) ||
        (enc.n > 0 && !anc__span_uint(enc, UINT16_MAX, &ch)))
        return FAIL(ps, -EBADMSG, "malformed a=rtpmap");
    c->clock_rate = (uint32_t)rate;
    c->channels = (uint16_t)ch;
    return 0;
}

/* Only the parameters we act on are read; others, and values we cannot read, are ignored, since
 * they may belong to codecs we never use. */
static void fmtp_param(struct anc_sdp_codec *c, struct anc__span key, struct anc__span val)
{
    uint64_t u;
    if (anc__span_ieq(key, "packetization-mode") && anc__span_uint(val, 2, &u))
        c->packetization_mode = (uint8_t)u;
    else if (anc__span_ieq(key, "level-asymmetry-allowed") && anc__span_uint(val, 1, &u))
        c->level_asymmetry_allowed = u == 1;
    else if (anc__span_ieq(key, "apt") && anc__span_uint(val, 127, &u))
        c->apt = (int16_t)u;
    else if (anc__span_ieq(key, "profile-level-id") && val.n == 6 && anc__span_hex(val, &u)) {
        c->has_profile_level_id = true;
        c->profile_level_id = (uint32_t)u;
    }
}

static int attr_fmtp(struct parser *ps, struct anc__span v)
{
    struct anc_sdp_codec *c;
    int r = codec_arg(ps, &v, "fmtp", &c);
    if (r <= 0)
        return r;
    while (v.n > 0) {
        struct anc__span param = anc__span_until(&v, ';');
        struct anc__span key = anc__span_until(&param, '=');
        fmtp_param(c, anc__span_trim(key), anc__span_trim(param));
    }
    return 0;
}

static uint8_t fb_bit(struct anc__span type, struct anc__span sub)
{
    if (anc__span_eq(type, "nack"))
        return sub.n == 0 ? ANC_SDP_FB_NACK : anc__span_eq(sub, "pli") ? ANC_SDP_FB_PLI : 0;
    if (anc__span_eq(type, "ccm"))
        return anc__span_eq(sub, "fir") ? ANC_SDP_FB_FIR : 0;
    if (sub.n == 0 && anc__span_eq(type, "goog-remb"))
        return ANC_SDP_FB_REMB;
    if (sub.n == 0 && anc__span_eq(type, "transport-cc"))
        return ANC_SDP_FB_TWCC;
    return 0;
}

static int attr_rtcp_fb(struct parser *ps, struct anc__span v)
{
    if (!ps->m)
        return 0;
    struct anc__span save = v;
    struct anc__span pt = anc__span_word(&save);
    struct anc__span type = anc__span_word(&save);
    uint8_t bit = fb_bit(type, anc__span_trim(save));
    if (anc__span_eq(pt, "*")) {
        for (size_t i = 0; i < ps->m->n_codecs; i++)
            ps->m->codecs[i].fb |= bit;
        return 0;
    }
    struct anc_sdp_codec *c;
    int r = codec_arg(ps, &v, "rtcp-fb", &c);
    if (r > 0)
        c->fb |= bit;
    return r < 0 ? r : 0;
}

static int attr_extmap(struct parser *ps, struct anc__span v)
{
    if (!ps->m)
        return 0;
    struct anc__span idd = anc__span_word(&v);
    struct anc__span id = anc__span_until(&idd, '/');
    struct anc__span uri = anc__span_word(&v);
    uint64_t n;
    enum anc_sdp_dir dir = ANC_SDP_DIR_NONE;
    if (!anc__span_uint(id, 4095, &n) || n == 0 || uri.n == 0 ||
        (idd.n > 0 && (dir = anc__sdp_dir_from(idd)) == ANC_SDP_DIR_NONE))
        return FAIL(ps, -EBADMSG, "malformed a=extmap");
    struct anc_sdp_media *m = ps->m;
    if (m->n_extmaps == ANC_SDP_MAX_EXTMAPS || uri.n > ANC_SDP_MAX_EXTMAP_URI) {
        m->n_extmaps_dropped++;
        return 0;
    }
    struct anc_sdp_extmap *e = &m->extmaps[m->n_extmaps++];
    e->id = (uint16_t)n;
    e->dir = dir;
    anc__span_copy(uri, e->uri, sizeof(e->uri));
    return 0;
}

static bool ice_chars(struct anc__span s)
{
    for (size_t i = 0; i < s.n; i++) {
        char ch = s.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
        if (!ok)
            return false;
    }
    return s.n > 0;
}

static int attr_ice(struct parser *ps, struct anc__span v, char *dst, const char *attr)
{
    v = anc__span_trim(v);
    if (dst[0])
        return FAIL(ps, -EBADMSG, "duplicate a=%s", attr);
    if (!ice_chars(v) || anc__span_copy(v, dst, ANC_SDP_MAX_ICE + 1) < 0)
        return FAIL(ps, -EBADMSG, "malformed a=%s", attr);
    return 0;
}

static int attr_ice_ufrag(struct parser *ps, struct anc__span v)
{
    return attr_ice(ps, v, cur_transport(ps)->ice_ufrag, "ice-ufrag");
}

static int attr_ice_pwd(struct parser *ps, struct anc__span v)
{
    return attr_ice(ps, v, cur_transport(ps)->ice_pwd, "ice-pwd");
}

/* Several fingerprints may be offered; we keep the first sha-256 one, else the first. */
static int attr_fingerprint(struct parser *ps, struct anc__span v)
{
    struct anc_sdp_fingerprint fp = {0};
    struct anc__span alg = anc__span_word(&v);
    struct anc__span val = anc__span_trim(v);
    if (anc__span_copy(alg, fp.alg, sizeof(fp.alg)) < 0 || alg.n == 0 ||
        anc__span_copy(val, fp.value, sizeof(fp.value)) < 0 || !anc__sdp_fp_syntax(val))
        return FAIL(ps, -EBADMSG, "malformed a=fingerprint");
    for (char *q = fp.alg; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
    struct anc_sdp_fingerprint *cur = &cur_transport(ps)->fingerprint;
    if (!cur->alg[0] || (strcmp(cur->alg, "sha-256") != 0 && strcmp(fp.alg, "sha-256") == 0))
        *cur = fp;
    return 0;
}

static int attr_setup(struct parser *ps, struct anc__span v)
{
    static const char *const names[] = {"actpass", "active", "passive", "holdconn"};
    v = anc__span_trim(v);
    for (size_t i = 0; i < 4; i++) {
        if (anc__span_eq(v, names[i])) {
            cur_transport(ps)->setup = (enum anc_sdp_setup)(ANC_SDP_SETUP_ACTPASS + i);
            return 0;
        }
    }
    return FAIL(ps, -EBADMSG, "malformed a=setup");
}

static int attr_mid(struct parser *ps, struct anc__span v)
{
    if (!ps->m)
        return 0;
    v = anc__span_trim(v);
    if (ps->m->mid[0])
        return FAIL(ps, -EBADMSG, "duplicate a=mid");
    if (!anc__span_token(v) || anc__span_copy(v, ps->m->mid, sizeof(ps->m->mid)) < 0)
        return FAIL(ps, -EBADMSG, "malformed a=mid");
    return 0;
}

/* Only the first BUNDLE group is kept; browsers offer one. Other semantics are ignored. */
static int attr_group(struct parser *ps, struct anc__span v)
{
    struct anc_sdp_offer *o = ps->o;
    if (ps->m || !anc__span_eq(anc__span_word(&v), "BUNDLE") || o->has_bundle)
        return 0;
    o->has_bundle = true;
    for (struct anc__span mid = anc__span_word(&v); mid.n > 0; mid = anc__span_word(&v)) {
        if (o->n_bundle == ANC_SDP_MAX_BUNDLE)
            return FAIL(ps, -EMSGSIZE, "more than %d mids in a=group:BUNDLE", ANC_SDP_MAX_BUNDLE);
        if (!anc__span_token(mid) ||
            anc__span_copy(mid, o->bundle[o->n_bundle], sizeof(o->bundle[0])) < 0)
            return FAIL(ps, -EBADMSG, "malformed a=group:BUNDLE");
        o->n_bundle++;
    }
    return 0;
}

static int attr_sctp_port(struct parser *ps, struct anc__span v)
{
    uint64_t n;
    if (!ps->m)
        return 0;
    if (!anc__span_uint(anc__span_trim(v), UINT16_MAX, &n) || n == 0)
        return FAIL(ps, -EBADMSG, "malformed a=sctp-port");
    ps->m->has_sctp_port = true;
    ps->m->sctp_port = (uint16_t)n;
    return 0;
}

static int attr_max_message_size(struct parser *ps, struct anc__span v)
{
    uint64_t n;
    if (!ps->m)
        return 0;
    if (!anc__span_uint(anc__span_trim(v), UINT64_MAX, &n))
        return FAIL(ps, -EBADMSG, "malformed a=max-message-size");
    ps->m->has_max_message_size = true;
    ps->m->max_message_size = n;
    return 0;
}

/* Value-less attributes: directions and flags. Returns 1 if name was one of them. */
static int attr_flag(struct parser *ps, struct anc__span name)
{
    enum anc_sdp_dir dir = anc__sdp_dir_from(name);
    struct anc_sdp_media *m = ps->m;
    if (dir != ANC_SDP_DIR_NONE) {
        if (m)
            m->dir = dir;
        else
            ps->o->session_dir = dir;
        return 1;
    }
    bool *flag = NULL;
    if (anc__span_eq(name, "rtcp-mux"))
        flag = m ? &m->rtcp_mux : NULL;
    else if (anc__span_eq(name, "rtcp-rsize"))
        flag = m ? &m->rtcp_rsize : NULL;
    else if (anc__span_eq(name, "bundle-only"))
        flag = m ? &m->bundle_only : NULL;
    else
        return 0;
    if (flag)
        *flag = true;
    return 1;
}

static const struct {
    const char *name;
    int (*fn)(struct parser *ps, struct anc__span v);
} attrs[] = {
    {"rtpmap", attr_rtpmap},
    {"fmtp", attr_fmtp},
    {"rtcp-fb", attr_rtcp_fb},
    {"extmap", attr_extmap},
    {"ice-ufrag", attr_ice_ufrag},
    {"ice-pwd", attr_ice_pwd},
    {"fingerprint", attr_fingerprint},
    {"setup", attr_setup},
    {"mid", attr_mid},
    {"group", attr_group},
    {"sctp-port", attr_sctp_port},
    {"max-message-size", attr_max_message_size},
};

static int parse_attr(struct parser *ps, struct anc__span v)
{
    struct anc__span name = anc__span_until(&v, ':');
    if (name.n == 0)
        return FAIL(ps, -EBADMSG, "malformed a= line");
    if (anc__span_eq(name, "candidate")) {
        if (ps->m)
            ps->m->n_candidates++;
        return 0;
    }
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
        if (anc__span_eq(name, attrs[i].name))
            return attrs[i].fn(ps, v);
    attr_flag(ps, name);
    return 0; /* unknown attributes are ignored (RFC 8866 5.13) */
}

static enum anc_sdp_kind kind_from(struct anc__span media)
{
    if (anc__span_eq(media, "video"))
        return ANC_SDP_KIND_VIDEO;
    if (anc__span_eq(media, "audio"))
        return ANC_SDP_KIND_AUDIO;
    if (anc__span_eq(media, "application"))
        return ANC_SDP_KIND_APPLICATION;
    return ANC_SDP_KIND_OTHER;
}

/* An RTP m= line's formats are payload types, each 0..127 and distinct. */
static int parse_pts(struct parser *ps, struct anc_sdp_media *m, struct anc__span fmts)
{
    for (struct anc__span f = anc__span_word(&fmts); f.n > 0; f = anc__span_word(&fmts)) {
        uint64_t pt;
        if (!anc__span_uint(f, 127, &pt))
            return FAIL(ps, -EBADMSG, "m=%s: payload type is not a number 0..127", m->media);
        if (find_codec(m, pt))
            return FAIL(ps, -EBADMSG, "m=%s: duplicate payload type %u", m->media, (unsigned)pt);
        /* Distinct values of 0..127 cannot overflow ANC_SDP_MAX_CODECS. */
        struct anc_sdp_codec *c = &m->codecs[m->n_codecs++];
        c->pt = (uint8_t)pt;
        c->apt = -1;
    }
    return 0;
}

static int parse_m(struct parser *ps, struct anc__span v)
{
    struct anc_sdp_offer *o = ps->o;
    if (o->n_media == ANC_SDP_MAX_MEDIA)
        return FAIL(ps, -EMSGSIZE, "more than %d m-sections", ANC_SDP_MAX_MEDIA);
    struct anc_sdp_media *m = &o->media[o->n_media++];
    ps->m = m;
    struct anc__span media = anc__span_word(&v);
    struct anc__span ports = anc__span_word(&v);
    struct anc__span port = anc__span_until(&ports, '/');
    struct anc__span proto = anc__span_word(&v);
    struct anc__span fmts = anc__span_trim(v);
    uint64_t n;
    if (!anc__span_token(media) || anc__span_copy(media, m->media, sizeof(m->media)) < 0 ||
        !anc__span_uint(port, UINT16_MAX, &n) || !anc__span_visible(proto) ||
        anc__span_copy(proto, m->proto, sizeof(m->proto)) < 0 || fmts.n == 0)
        return FAIL(ps, -EBADMSG, "malformed m= line");
    if (anc__span_copy(fmts, m->fmts, sizeof(m->fmts)) < 0)
        return FAIL(ps, -EMSGSIZE, "m= line has too many formats");
    m->kind = kind_from(media);
    m->port = (uint16_t)n;
    if (strstr(m->proto, "RTP/"))
        return parse_pts(ps, m, fmts);
    return 0;
}

static int check_chars(struct parser *ps, struct anc__span line)
{
    for (size_t i = 0; i < line.n; i++) {
        unsigned char ch = (unsigned char)line.p[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return FAIL(ps, -EBADMSG, "control character in line");
    }
    return 0;
}

static int parse_line(struct parser *ps, struct anc__span line)
{
    if (line.n > ANC_SDP_MAX_LINE)
        return FAIL(ps, -EMSGSIZE, "line longer than %d bytes", ANC_SDP_MAX_LINE);
    int r = check_chars(ps, line);
    if (r < 0)
        return r;
    if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
        return FAIL(ps, -EBADMSG, "not an SDP line (expected <letter>=<value>)");
    struct anc__span v = {line.p + 2, line.n - 2};
    if (ps->line_no == 1) {
        if (line.p[0] != 'v' || !anc__span_eq(v, "0"))
            return FAIL(ps, -EBADMSG, "offer does not start with v=0");
        return 0;
    }
    switch (line.p[0]) {
    case 'v':
        return FAIL(ps, -EBADMSG, "repeated v= line");
    case 'o':
        ps->seen_o = true;
        return 0;
    case 's':
        ps->seen_s = true;
        return 0;
    case 'm':
        return parse_m(ps, v);
    case 'a':
        return parse_attr(ps, v);
    default:
        return 0; /* c=, t=, b=, ...: nothing we need */
    }
}

static int parse_lines(struct parser *ps, const char *sdp, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(sdp + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - sdp) : len;
        struct anc__span line = {sdp + pos, end - pos};
        pos = nl ? end + 1 : len;
        if (line.n > 0 && line.p[line.n - 1] == '\r')
            line.n--;
        ps->line_no++;
        if (line.n == 0 && ps->line_no > 1)
            continue; /* tolerate blank lines, e.g. a doubled final line ending */
        int r = parse_line(ps, line);
        if (r < 0)
            return r;
    }
    if (ps->line_no == 0)
        return FAIL(ps, -EBADMSG, "empty offer");
    ps->line_no = 0;
    if (!ps->seen_o || !ps->seen_s)
        return FAIL(ps, -EBADMSG, "offer lacks the o= or s= line");
    return 0;
}

int anc_sdp_parse(const char *sdp, size_t len, struct anc_sdp_offer *out, char *err, size_t errlen)
{
    return anc_sdp_parse_for_stream(sdp, len, 0, out, err, errlen);
}

int anc_sdp_parse_for_stream(const char *sdp, size_t len, uint32_t h264_profile_level_id,
                             struct anc_sdp_offer *out, char *err, size_t errlen)
{
    struct parser ps = {.o = out, .err = err, .errlen = errlen};
    if (err && errlen > 0)
        err[0] = '\0';
    if (!sdp || !out)
        return anc__sdp_fail(err, errlen, 0, -EINVAL, "no offer");
    memset(out, 0, sizeof(*out));
    out->video_index = -1;
    out->data_index = -1;
    if (len > ANC_SDP_MAX_OFFER)
        return FAIL(&ps, -EMSGSIZE, "offer is larger than %d bytes", ANC_SDP_MAX_OFFER);
    int r = parse_lines(&ps, sdp, len);
    if (r < 0)
        return r;
    return anc__sdp_check(out, h264_profile_level_id & 0xffffff, err, errlen);
}

const struct anc_sdp_media *anc_sdp_video(const struct anc_sdp_offer *offer)
{
    if (!offer || offer->video_index < 0 || (size_t)offer->video_index >= offer->n_media)
        return NULL;
    return &offer->media[offer->video_index];
}

const struct anc_sdp_media *anc_sdp_data(const struct anc_sdp_offer *offer)
{
    if (!offer || offer->data_index < 0 || (size_t)offer->data_index >= offer->n_media)
        return NULL;
    return &offer->media[offer->data_index];
}
