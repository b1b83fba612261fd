/* SDP for WHEP: parse a browser's offer, check that we can serve it, build our answer.
 *
 * Pure functions on buffers: nothing here allocates except anc_sdp_offer_new(), logs or does I/O.
 * The offer struct is fixed-size and self-contained (it copies every string it keeps), so the
 * caller may free the offer text as soon as anc_sdp_parse() returns.
 *
 * What we serve: one H.264 video stream we send (packetization-mode 1; constrained baseline from
 * our own encoder, whatever profile the SPS says for a stream passed through) and optionally one SCTP data channel, all bundled on one ICE-lite transport. Every other offered
 * m-section is rejected (port 0) in the answer.
 *
 * Errors are negative errno:
 *   -EMSGSIZE  the offer exceeds a limit below (size, line length, sections, payload types)
 *   -EBADMSG   the text is not well-formed SDP (or a line we read is malformed)
 *   -EPROTO    well-formed SDP we cannot answer (no H.264 mode 1, no rtcp-mux, no fingerprint...)
 *   -EINVAL    bad arguments (NULL, answer params containing spaces or line breaks...)
 * On failure anc_sdp_parse() writes a human-readable reason into err, fit for a 400 response. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANC_SDP_MAX_OFFER      (64 * 1024) /* bytes of offer text */
#define ANC_SDP_MAX_LINE       4096        /* bytes in one line, without the line ending */
#define ANC_SDP_MAX_MEDIA      16          /* m-sections */
#define ANC_SDP_MAX_CODECS     128         /* payload types per m-section (all of 0..127) */
#define ANC_SDP_MAX_EXTMAPS    16          /* extmaps kept per m-section; more are counted */
#define ANC_SDP_MAX_EXTMAP_URI 127
#define ANC_SDP_MAX_BUNDLE     16 /* mids in the first a=group:BUNDLE */
#define ANC_SDP_MAX_MID        32
#define ANC_SDP_MAX_ICE        256 /* ice-ufrag / ice-pwd length (RFC 8839) */
#define ANC_SDP_MAX_FP_ALG     15
#define ANC_SDP_MAX_FP_VALUE   191 /* sha-512 as colon-separated hex */
#define ANC_SDP_MAX_FMT_TEXT   639 /* the m= line's format list as text */
#define ANC_SDP_MAX_TOKEN      31  /* media name, proto, encoding name */

/* Room anc_sdp_build_answer() never needs more than, given at most ANC_SDP_MAX_CANDIDATES. */
#define ANC_SDP_ANSWER_MAX     (32 * 1024)
#define ANC_SDP_MAX_CANDIDATES 8 /* our host candidates per answer */

enum anc_sdp_setup {
    ANC_SDP_SETUP_NONE = 0, /* absent */
    ANC_SDP_SETUP_ACTPASS,
    ANC_SDP_SETUP_ACTIVE,  /* DTLS client */
    ANC_SDP_SETUP_PASSIVE, /* DTLS server */
    ANC_SDP_SETUP_HOLDCONN,
};

enum anc_sdp_dir {
    ANC_SDP_DIR_NONE = 0, /* absent (sendrecv is the default) */
    ANC_SDP_DIR_SENDRECV,
    ANC_SDP_DIR_SENDONLY,
    ANC_SDP_DIR_RECVONLY,
    ANC_SDP_DIR_INACTIVE,
};

enum anc_sdp_kind {
    ANC_SDP_KIND_OTHER = 0,
    ANC_SDP_KIND_VIDEO,
    ANC_SDP_KIND_AUDIO,
    ANC_SDP_KIND_APPLICATION,
};

/* a=rtcp-fb values we understand, as bits of anc_sdp_codec.fb. */
#define ANC_SDP_FB_NACK 0x01u /* nack */
#define ANC_SDP_FB_PLI  0x02u /* nack pli */
#define ANC_SDP_FB_FIR  0x04u /* ccm fir */
#define ANC_SDP_FB_REMB 0x08u /* goog-remb */
#define ANC_SDP_FB_TWCC 0x10u /* transport-cc */

/* One payload type of an RTP m-section: its rtpmap, the fmtp parameters we care about, and its
 * rtcp-fb (including those given for "*"). */
struct anc_sdp_codec {
    uint8_t pt;
    char name[ANC_SDP_MAX_TOKEN + 1]; /* encoding name as offered; "" without a=rtpmap */
    uint32_t clock_rate;
    uint16_t channels;          /* 0 when not given */
    uint8_t packetization_mode; /* H.264; absent means 0 (RFC 6184) */
    bool has_profile_level_id;
    uint32_t profile_level_id; /* 24 bits, e.g. 0x42e01f */
    bool level_asymmetry_allowed;
    int16_t apt; /* rtx: associated payload type, -1 if none */
    uint8_t fb;  /* ANC_SDP_FB_* */
};

struct anc_sdp_extmap {
    uint16_t id;
    enum anc_sdp_dir dir; /* ANC_SDP_DIR_NONE when the optional /direction is absent */
    char uri[ANC_SDP_MAX_EXTMAP_URI + 1];
};

struct anc_sdp_fingerprint {
    char alg[ANC_SDP_MAX_FP_ALG + 1];     /* lower case, e.g. "sha-256"; "" when absent */
    char value[ANC_SDP_MAX_FP_VALUE + 1]; /* as offered, e.g. "62:AB:..." */
};

/* The ICE/DTLS attributes that may appear at session or media level. */
struct anc_sdp_transport {
    char ice_ufrag[ANC_SDP_MAX_ICE + 1]; /* "" when absent */
    char ice_pwd[ANC_SDP_MAX_ICE + 1];
    struct anc_sdp_fingerprint fingerprint;
    enum anc_sdp_setup setup;
};

struct anc_sdp_media {
    enum anc_sdp_kind kind;
    char media[ANC_SDP_MAX_TOKEN + 1]; /* "video", "audio", ... as offered */
    uint16_t port;
    char proto[ANC_SDP_MAX_TOKEN + 1];
    char fmts[ANC_SDP_MAX_FMT_TEXT + 1]; /* format list as offered (echoed when rejecting) */
    char mid[ANC_SDP_MAX_MID + 1];       /* "" when absent */
    enum anc_sdp_dir dir; /* effective: media level, else session level, else sendrecv */
    bool rtcp_mux;
    bool rtcp_rsize;
    bool bundle_only;
    bool rejected; /* port 0, unless a=bundle-only and in the BUNDLE group */
    bool accepted; /* set by validation: this section is in our answer */
    /* effective: each field from media level, else from session level */
    struct anc_sdp_transport transport;
    size_t n_codecs; /* RTP sections: one per payload type of the m= line, in its order */
    struct anc_sdp_codec codecs[ANC_SDP_MAX_CODECS];
    size_t n_extmaps;
    size_t n_extmaps_dropped; /* beyond ANC_SDP_MAX_EXTMAPS or with an overlong URI */
    struct anc_sdp_extmap extmaps[ANC_SDP_MAX_EXTMAPS];
    size_t n_candidates; /* a=candidate lines; their contents are not used (we are ICE-lite) */
    bool has_sctp_port;
    uint16_t sctp_port;
    bool has_max_message_size;
    uint64_t max_message_size; /* 0 means "no limit" (RFC 8841) */
};

struct anc_sdp_offer {
    /* As offered. */
    struct anc_sdp_transport session; /* session-level ICE/DTLS attributes */
    enum anc_sdp_dir session_dir;
    bool has_bundle; /* a=group:BUNDLE present (only the first is kept) */
    size_t n_bundle;
    char bundle[ANC_SDP_MAX_BUNDLE][ANC_SDP_MAX_MID + 1];
    size_t n_media;
    struct anc_sdp_media media[ANC_SDP_MAX_MEDIA];

    /* Filled by validation, i.e. only after anc_sdp_parse() returned 0. */
    int video_index;                 /* media[] index of the video section we send on */
    int data_index;                  /* media[] index of the data channel section, or -1 */
    struct anc_sdp_transport remote; /* the browser's ICE credentials, fingerprint, role */
    enum anc_sdp_setup local_setup;  /* the role we take: PASSIVE (browser is DTLS client)
                                         unless the browser offered passive */
    int h264_pt;                     /* chosen H.264 payload type */
    int h264_rtx_pt;                 /* its rtx payload type, -1 if none */
    uint32_t h264_profile_level_id;  /* what the answer states: as offered for h264_pt, or the
                                         stream's (see anc_sdp_parse_for_stream()) */
    bool has_datachannel;            /* a data channel section we accept (bundled with video) */
    uint16_t sctp_port;              /* the browser's (default 5000) */
    uint64_t max_message_size;       /* the browser's (default 65536; 0 = no limit) */
};

/* Our side of the answer. Strings are borrowed for the call only and must not contain
 * whitespace (ip, ufrag, pwd, fingerprint, cname, msid ids). */
struct anc_sdp_candidate {
    const char *ip; /* IPv4 or IPv6 literal */
    uint16_t port;
};

struct anc_sdp_answer_params {
    const char *ice_ufrag;
    const char *ice_pwd;
    const char *fingerprint_sha256; /* "AB:CD:..." */
    enum anc_sdp_setup setup;       /* NONE: offer->local_setup; else must fit the offer */
    const struct anc_sdp_candidate *candidates;
    size_t n_candidates; /* at most ANC_SDP_MAX_CANDIDATES */
    uint16_t tcp_port;   /* non-zero: each candidate address also as a passive ICE-TCP one */
    uint32_t video_ssrc;
    const char *cname;
    const char *msid_stream;
    const char *msid_track;
    uint64_t session_id; /* o= line; keep below 2^63 */
    uint64_t session_version;
    uint64_t max_message_size; /* ours; 0 means 262144 */
    uint16_t sctp_port;        /* ours; 0 means 5000 */
};

/* A zeroed offer on the heap (it is about 172 KiB: too big for most stacks); caller frees it
 * with anc_sdp_offer_free(), which accepts NULL. */
struct anc_sdp_offer *anc_sdp_offer_new(void);
void anc_sdp_offer_free(struct anc_sdp_offer *offer);

/* Parses sdp[0..len) (no NUL needed; \r\n or \n line endings) into *out and validates that we can
 * answer it. *out is overwritten even on failure, when its contents are unspecified. On failure
 * err (when errlen > 0) holds a NUL-terminated reason. */
int anc_sdp_parse(const char *sdp, size_t len, struct anc_sdp_offer *out, char *err, size_t errlen);

/* The same for a stream whose SPS says h264_profile_level_id (profile_idc, the constraint_set
 * flags, level_idc: e.g. 0x640029 for High 4.1); 0 is our own encoder's stream, as
 * anc_sdp_parse(). The chosen payload type is the first offered with packetization-mode=1 and the
 * stream's profile, read from profile_idc and the flags together as browsers do (42e0xx and
 * 42c0xx are both constrained baseline; 4d00xx is main, 6400xx high), else the first whose
 * profile includes the stream's (a constrained baseline stream on a baseline 42001f, constrained
 * high on high). The level may differ where the offer allows level-asymmetry; elsewhere it may
 * not pass the offered one. The answer states the stream's profile-level-id (on an including
 * profile: the offered profile with the stream's level). An offer with none of these fails with
 * -EPROTO and "offer has no H.264 profile compatible with the stream's High (profile-level-id
 * 640029)"; a stream profile browsers do not name (High 10...) can match no offer. */
int anc_sdp_parse_for_stream(const char *sdp, size_t len, uint32_t h264_profile_level_id,
                             struct anc_sdp_offer *out, char *err, size_t errlen);

/* Writes the answer to a successfully parsed offer into buf (NUL-terminated, \r\n line endings).
 * Returns its length without the NUL, -EMSGSIZE if cap is too small (ANC_SDP_ANSWER_MAX always
 * suffices) or -EINVAL for bad params. */
int anc_sdp_build_answer(const struct anc_sdp_offer *offer, const struct anc_sdp_answer_params *p,
                         char *buf, size_t cap);

/* The playout-delay RTP header extension: with min = max = 0 it asks the browser to render each
 * frame at once instead of smoothing playout — what an interactive remote screen needs. */
#define ANC_SDP_URI_PLAYOUT_DELAY "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* The id the section offered for uri (1..14, usable with one-byte header extensions), or -1. */
int anc_sdp_extmap_id(const struct anc_sdp_media *m, const char *uri);

/* Convenience accessors for a successfully parsed offer; NULL-safe. */
const struct anc_sdp_media *anc_sdp_video(const struct anc_sdp_offer *offer);
const struct anc_sdp_media *anc_sdp_data(const struct anc_sdp_offer *offer); /* NULL: none */

const char *anc_sdp_setup_name(enum anc_sdp_setup setup); /* "actpass", ...; "" for NONE */
const char *anc_sdp_dir_name(enum anc_sdp_dir dir);       /* "sendrecv", ...; "" for NONE */
