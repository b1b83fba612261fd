#include "instance/session.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "base/log.h"
#include "instance/instance.h"
#include "instance/session_internal.h"
#include "media/stream.h"
#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/ice.h"
#include "rtc/sdp.h"
#include "input/proto.h"

static void random_hex(char *out, size_t n_chars)
{
    unsigned char raw[32];
    RAND_bytes(raw, (int)(n_chars / 2));
    for (size_t i = 0; i < n_chars / 2; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
}

static struct anc_session *find(struct anc_sessions *s, const char *sid)
{
    for (struct anc_session *x = s->list; x; x = x->next)
        if (strcmp(x->sid, sid) == 0)
            return x;
    return NULL;
}

static void on_frame(struct anc_stream_viewer *v, const struct anc_encoder_output *au,
                     uint64_t capture_us)
{
    struct anc_session *x =
        (struct anc_session *)((char *)v - offsetof(struct anc_session, viewer));
    struct anc_sessions *s = x->owner;
    struct anc_peer *peer = anc_rtc_host_peer(s->host, x);
    if (!peer)
        return;
    uint64_t now = anc__sessions_now(s);
    int r = anc_peer_send_video(peer, now, au->data, au->len, capture_us);
    if (r > 0 && !x->first_frame_us)
        x->first_frame_us = now;
    if (r > 0)
        anc__session_frame_sent(s, x, peer, capture_us, now);
    anc__sessions_flush(s);
}

static void end_session(struct anc_sessions *s, struct anc_session *x, const char *why)
{
    for (struct anc_session **pp = &s->list; *pp; pp = &(*pp)->next) {
        if (*pp == x) {
            *pp = x->next;
            break;
        }
    }
    if (x->viewing && x->inst->stream)
        anc_stream_remove_viewer(x->inst->stream, &x->viewer);
    if (x->controller)
        anc__sessions_pass_control(s, x->inst);
    if (x->inst->viewers > 0)
        x->inst->viewers--;
    anc_rtc_host_remove(s->host, anc__sessions_now(s), x);
    anc__smetrics_session_end(s, x);
    s->count--;
    anc_metric_set(s->m_sessions, (double)s->count);
    anc_info("session %s of instance %s ended: %s", x->sid, x->inst->id, why);
    free(x);
}

/* Every viewer's PLI, FIR and keyframe message: the stream grants at most one a second per
 * instance and merges the rest into the pending one, counted here. */
static void request_keyframe(struct anc_sessions *s, struct anc_session *x)
{
    if (x->inst->stream && !anc_stream_request_keyframe(x->inst->stream))
        anc_metric_inc(s->m_kf_coalesced);
}

static bool is_input(const struct anc_peer_event *ev)
{
    return strcmp(ev->label ? ev->label : "", "input") == 0;
}

static void on_message(struct anc_session *x, const struct anc_peer_event *ev)
{
    if (!is_input(ev))
        return;
    x->input_channel = ev->channel;
    x->in_seq++;
    x->in_msgs++;
    x->in_bytes += ev->len;
    /* FNV-1a over every message in arrival order, with the length as a separator: a client can
     * compute the same value over what it sent to prove completeness and order. */
    uint64_t h = x->in_hash;
    for (size_t i = 0; i < ev->len; i++)
        h = (h ^ ev->data[i]) * 0x100000001b3ull;
    h = (h ^ (uint64_t)(ev->len & 0xffff)) * 0x100000001b3ull;
    x->in_hash = h;
    anc_metric_inc(x->owner->m_input);

    struct anc_input_msg m;
    int r = anc_input_decode(ev->data, ev->len, &m);
    if (r < 0) {
        x->in_bad++;
        anc_metric_inc(x->owner->m_input_bad);
        anc_debug("session %s: input message dropped: %s", x->sid, strerror(-r));
        return;
    }
    if (m.type == ANC_INPUT_LATENCY) {
        x->in_msgs--; /* telemetry, not input */
        x->in_reports++;
        anc__session_latency(x->owner, x, &m.latency); /* the page's, not the guest's */
        return;
    }
    if (m.type == ANC_INPUT_CONTROL && m.control.op == ANC_INPUT_CTL_KEYFRAME) {
        r = ANC_INPUT_KEYFRAME;
    } else if (!x->controller) {
        /* Only the controller's input reaches the guest (session.h). */
        x->in_refused++;
        anc_metric_inc(x->owner->m_input_refused);
        return;
    } else if (x->inst->input) {
        r = x->inst->input(x->inst, &m);
    }
    if (r == ANC_INPUT_APPLIED && x->controller) /* no sink (pattern): the next frame answers */
        anc__session_injected(x, (uint32_t)x->in_seq, anc__sessions_now(x->owner));
    if (r == ANC_INPUT_KEYFRAME)
        request_keyframe(x->owner, x);
    else if (r < 0) {
        x->in_unsupported++;
        anc_debug("session %s: input message not (fully) applied: %s", x->sid,
                  r == -E2BIG ? "too many characters outside the keymap in one text message"
                              : strerror(-r));
    }
}

static void on_peer_event(struct anc_sessions *s, struct anc_session *x,
                          const struct anc_peer_event *ev)
{
    switch (ev->type) {
    case ANC_PEER_EV_CONNECTED:
        x->connected_us = anc__sessions_now(s);
        if (x->inst->stream && !x->viewing) {
            anc_stream_add_viewer(x->inst->stream, &x->viewer);
            x->viewing = true;
        }
        anc_info("session %s connected", x->sid);
        break;
    case ANC_PEER_EV_KEYFRAME:
        request_keyframe(s, x);
        break;
    case ANC_PEER_EV_BITRATE:
        if (x->inst->stream)
            anc_stream_viewer_estimate(x->inst->stream, &x->viewer, ev->bitrate_bps);
        break;
    case ANC_PEER_EV_MESSAGE:
        on_message(x, ev);
        break;
    case ANC_PEER_EV_FAILED:
        end_session(s, x,
                    ev->error == -EKEYREJECTED ? "DTLS fingerprint mismatch"
                    : ev->error == -ETIMEDOUT  ? "DTLS handshake timed out"
                                               : "DTLS handshake failed");
        break;
    case ANC_PEER_EV_CLOSED:
        end_session(s, x, "closed by the viewer");
        break;
    case ANC_PEER_EV_CHANNEL_OPEN:
        if (is_input(ev)) {
            x->input_channel = ev->channel;
            anc__sessions_tell_control(s, x);
        }
        break;
    case ANC_PEER_EV_DATACHANNEL_UP:
        break;
    }
}

void anc_sessions_on_host_event(void *arg, const struct anc_rtc_host_event *ev)
{
    struct anc_sessions *s = arg;
    struct anc_session *x = ev->user;
    if (ev->expired)
        end_session(s, x, "ICE consent expired");
    else
        on_peer_event(s, x, &ev->peer);
}

/* Builds the peer and the answer; on success the session is registered with the host. */
/* NACK history: every packet of the last 1.25 s at the highest bitrate the stream may reach
 * (packets of about 1,100 bytes), at least the peer's default. */
static size_t history_packets(int max_bitrate_kbps)
{
    size_t n = (size_t)max_bitrate_kbps * 1000 / 8 * 5 / 4 / 1100;
    return n > 2048 ? n : 2048;
}

/* The random identities of one session: ICE credentials, RTCP CNAME, track id, video SSRC. */
struct session_ids {
    char ufrag[ANC_ICE_UFRAG_LEN + 1], pwd[ANC_ICE_PWD_LEN + 1], cname[17], track[17];
    uint32_t ssrc;
};

static void new_ids(struct session_ids *ids)
{
    anc_ice_random_string(ids->ufrag, ANC_ICE_UFRAG_LEN);
    anc_ice_random_string(ids->pwd, ANC_ICE_PWD_LEN);
    random_hex(ids->cname, 16);
    random_hex(ids->track, 16);
    RAND_bytes((unsigned char *)&ids->ssrc, sizeof(ids->ssrc));
}

static int new_peer(struct anc_sessions *s, const struct anc_sdp_offer *offer,
                    const struct session_ids *ids, uint64_t now, int64_t wall_us,
                    struct anc_peer **out)
{
    struct anc_peer_config pc = {
        .dtls_ctx = s->dtls,
        .dtls_server = offer->local_setup == ANC_SDP_SETUP_PASSIVE,
        .remote_fp_alg = offer->remote.fingerprint.alg,
        .remote_fp = offer->remote.fingerprint.value,
        .h264_pt = (uint8_t)offer->h264_pt,
        .video_ssrc = ids->ssrc,
        .cname = ids->cname,
        .datachannel = offer->has_datachannel,
        .sctp_remote_port = offer->sctp_port,
        .max_message_size = (size_t)s->cfg->max_message_kib * 1024,
        .remote_max_message_size = (size_t)offer->max_message_size,
        .history_packets = history_packets(s->cfg->max_bitrate_kbps),
        .wall_offset_us = wall_us - (int64_t)now,
        .playout_delay_id = anc_sdp_extmap_id(anc_sdp_video(offer), ANC_SDP_URI_PLAYOUT_DELAY),
    };
    return anc_peer_new(&pc, now, out);
}

/* The largest message the browser takes from us: the least of its a=max-message-size (the SDP
 * parser makes an absent one 64 KiB, RFC 8841; 0 is no limit), ours, and the largest input
 * protocol message. */
static size_t out_max(const struct anc_sessions *s, const struct anc_sdp_offer *offer)
{
    size_t n = ANC_INPUT_MAX_SIZE, ours = (size_t)s->cfg->max_message_kib * 1024;
    size_t theirs = offer->max_message_size ? (size_t)offer->max_message_size : SIZE_MAX;
    if (ours < n)
        n = ours;
    return theirs < n ? theirs : n;
}

/* The SDP answer into a new buffer (caller frees), or NULL. */
static char *new_answer(struct anc_sessions *s, const struct anc_session *x,
                        const struct anc_sdp_offer *offer, const struct session_ids *ids,
                        int64_t wall_us, int *err)
{
    struct anc_sdp_candidate cands[ANC_SESSION_CANDIDATES];
    uint16_t port = (uint16_t)s->io.port(s->io.arg);
    for (int i = 0; i < s->n_candidates; i++)
        cands[i] = (struct anc_sdp_candidate){s->candidates[i], port};
    struct anc_sdp_answer_params ap = {
        .ice_ufrag = ids->ufrag,
        .ice_pwd = ids->pwd,
        .fingerprint_sha256 = anc_cert_fingerprint(s->cert),
        .candidates = cands,
        .n_candidates = (size_t)s->n_candidates,
        .tcp_port = (uint16_t)s->cfg->tcp_port,
        .video_ssrc = ids->ssrc,
        .cname = ids->cname,
        .msid_stream = x->inst->id,
        .msid_track = ids->track,
        .session_id = (uint64_t)wall_us & 0x7fffffffffffffffull,
        .session_version = 1,
        .max_message_size = (size_t)s->cfg->max_message_kib * 1024,
    };
    char *answer = malloc(ANC_SDP_ANSWER_MAX);
    *err = answer ? anc_sdp_build_answer(offer, &ap, answer, ANC_SDP_ANSWER_MAX) : -ENOMEM;
    if (*err < 0) {
        free(answer);
        return NULL;
    }
    return answer;
}

static int setup_session(struct anc_sessions *s, struct anc_session *x,
                         const struct anc_sdp_offer *offer, struct anc_whep_result *res)
{
    struct session_ids ids;
    struct anc_peer *peer;
    uint64_t now = anc__sessions_now(s);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t wall_us = (int64_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000;

    new_ids(&ids);
    int r = new_peer(s, offer, &ids, now, wall_us, &peer);
    if (r < 0) {
        snprintf(res->error, sizeof(res->error), "cannot set up the peer: %s", strerror(-r));
        return r;
    }
    res->answer = new_answer(s, x, offer, &ids, wall_us, &r);
    if (res->answer)
        r = anc_rtc_host_add(s->host, now, ids.ufrag, ids.pwd, offer->remote.ice_ufrag,
                             offer->remote.ice_pwd, peer, x);
    else
        anc_peer_free(peer);
    if (r < 0) {
        free(res->answer);
        res->answer = NULL;
        snprintf(res->error, sizeof(res->error), "cannot answer: %s", strerror(-r));
        return r == -EINVAL ? -EPROTO : r; /* our answer parameters, not the offer */
    }
    x->created_us = now;
    x->out_max = out_max(s, offer);
    return 0;
}

static const char *role_name(const struct anc_session_who *who)
{
    if (who->admin)
        return "admin";
    return who->control ? "control" : "view";
}

int anc_sessions_create(struct anc_sessions *s, struct anc_instance *inst, const char *offer_text,
                        size_t len, struct anc_whep_result *res)
{
    static const struct anc_session_who admin = {.admin = true, .control = true};
    return anc_sessions_create_as(s, inst, &admin, offer_text, len, res);
}

int anc_sessions_create_as(struct anc_sessions *s, struct anc_instance *inst,
                           const struct anc_session_who *who, const char *offer_text, size_t len,
                           struct anc_whep_result *res)
{
    memset(res, 0, sizeof(*res));
    if (s->count >= (size_t)s->cfg->max_sessions) {
        snprintf(res->error, sizeof(res->error), "%zu viewer sessions already ([rtc] max_sessions)",
                 s->count);
        return -ENOSPC;
    }
    struct anc_sdp_offer *offer = anc_sdp_offer_new();
    struct anc_session *x = calloc(1, sizeof(*x));
    int r = offer && x ? 0 : -ENOMEM;
    /* A pass-through stream's own profile once its first SPS went by; 0 is our encoder's. */
    uint32_t profile = 0;
    if (inst->stream)
        anc_stream_profile(inst->stream, &profile);
    if (r == 0 && anc_sdp_parse_for_stream(offer_text, len, profile, offer, res->error,
                                           sizeof(res->error)) < 0)
        r = -EINVAL; /* whatever was wrong with it, the offer is unusable */
    if (r == 0) {
        x->owner = s;
        x->inst = inst;
        x->viewer.on_frame = on_frame;
        x->input_channel = -1;
        x->who = *who;
        x->created_at = (int64_t)time(NULL);
        random_hex(x->sid, ANC_SESSION_ID_LEN);
        r = setup_session(s, x, offer, res);
    }
    anc_sdp_offer_free(offer);
    if (r < 0) {
        free(x);
        return r;
    }
    memcpy(res->sid, x->sid, sizeof(res->sid));
    x->next = s->list;
    s->list = x;
    s->count++;
    inst->viewers++;
    anc_metric_set(s->m_sessions, (double)s->count);
    anc_metric_inc(s->m_sessions_total);
    anc__smetrics_session_start(s, x);
    anc_info("session %s for instance %s created (%s)", x->sid, inst->id, role_name(who));
    if (who->control && !anc__sessions_controller(s, inst))
        anc__sessions_set_controller(s, x);
    anc__sessions_flush(s);
    return 0;
}

int anc_sessions_delete(struct anc_sessions *s, const char *sid)
{
    struct anc_session *x = find(s, sid);
    if (!x)
        return -ENOENT;
    end_session(s, x, "deleted through the API");
    anc__sessions_flush(s);
    return 0;
}

void anc_sessions_end_instance(struct anc_sessions *s, struct anc_instance *inst)
{
    if (!s)
        return; /* shutting down: the sessions are gone already */
    for (struct anc_session *x = s->list, *next; x; x = next) {
        next = x->next;
        if (x->inst == inst)
            end_session(s, x, "the instance stopped");
    }
    anc__smetrics_instance_end(s, inst);
    anc__sessions_flush(s);
}

void anc__sessions_send_to_page(struct anc_sessions *s, struct anc_session *x, const uint8_t *msg,
                                size_t len, uint64_t now)
{
    struct anc_peer *peer = anc_rtc_host_peer(s->host, x);
    int r = peer ? anc_peer_send_message(peer, now, (uint16_t)x->input_channel, true, msg, len)
                 : -ENOTCONN;
    if (r < 0) {
        x->out_dropped++;
        anc_debug("session %s: message to the page not sent: %s", x->sid, strerror(-r));
    } else {
        x->out_msgs++;
    }
}

void anc_sessions_clipboard(struct anc_sessions *s, struct anc_instance *inst, const char *utf8,
                            size_t len)
{
    if (!s)
        return;
    uint8_t *buf = NULL;
    uint64_t now = anc__sessions_now(s);
    for (struct anc_session *x = s->list; x; x = x->next) {
        if (x->inst != inst || x->input_channel < 0)
            continue;
        if (!buf && !(buf = malloc(ANC_INPUT_MAX_SIZE)))
            return;
        ssize_t n = anc_input_encode_out_clipboard((const uint8_t *)utf8, len, x->out_max, buf,
                                                   ANC_INPUT_MAX_SIZE);
        if (n < 0)
            x->out_dropped++;
        else
            anc__sessions_send_to_page(s, x, buf, (size_t)n, now);
    }
    if (buf)
        anc__sessions_flush(s);
    free(buf);
}

static json_t *session_json(struct anc_sessions *s, struct anc_session *x)
{
    struct anc_peer_stats ps = {0};
    struct anc_peer *peer = anc_rtc_host_peer(s->host, x);
    if (peer)
        anc_peer_get_stats(peer, &ps);
    char hash[17];
    snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)x->in_hash);
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:s, "
        "s:I, s:I, s:I, s:I, s:I, s:I}, s:s, s:b}",
        "id", x->sid, "instance", x->inst->id, "state",
        x->connected_us ? "connected" : "connecting", "created_at", (json_int_t)x->created_at,
        "video", "frames", (json_int_t)ps.frames_sent, "packets", (json_int_t)ps.rtp_packets,
        "bytes", (json_int_t)ps.rtp_bytes, "retransmits", (json_int_t)ps.retransmits,
        "retransmits_denied", (json_int_t)ps.retransmits_denied, "nacks", (json_int_t)ps.nacks,
        "plis", (json_int_t)ps.plis, "firs", (json_int_t)ps.firs, "remb_bps",
        (json_int_t)ps.last_remb_bps, "input", "messages", (json_int_t)x->in_msgs, "bytes",
        (json_int_t)x->in_bytes, "hash", hash, "dropped", (json_int_t)x->in_bad, "unsupported",
        (json_int_t)x->in_unsupported, "sent", (json_int_t)x->out_msgs, "not_sent",
        (json_int_t)x->out_dropped, "refused", (json_int_t)x->in_refused, "latency_reports",
        (json_int_t)x->in_reports, "role", role_name(&x->who), "controller", x->controller);
    if (o && x->connected_us)
        json_object_set_new(o, "connect_ms",
                            json_integer((json_int_t)((x->connected_us - x->created_us) / 1000)));
    return o;
}

json_t *anc_sessions_get_json(struct anc_sessions *s, const char *sid)
{
    struct anc_session *x = find(s, sid);
    return x ? session_json(s, x) : NULL;
}

json_t *anc_sessions_list_json(struct anc_sessions *s)
{
    json_t *a = json_array();
    for (struct anc_session *x = s->list; x && a; x = x->next)
        json_array_append_new(a, session_json(s, x));
    return a;
}

int anc_sessions_who(const struct anc_sessions *s, const char *sid, struct anc_session_who *who,
                     char *instance_id, size_t id_cap)
{
    struct anc_session *x = find((struct anc_sessions *)s, sid);
    if (!x)
        return -ENOENT;
    *who = x->who;
    if (instance_id)
        snprintf(instance_id, id_cap, "%s", x->inst->id);
    return 0;
}

size_t anc_sessions_end_token(struct anc_sessions *s, const char *tid)
{
    size_t n = 0;
    for (struct anc_session *x = s->list, *next; x; x = next) {
        next = x->next;
        if (tid[0] && strcmp(x->who.token_id, tid) == 0) {
            end_session(s, x, "its viewer token was revoked");
            n++;
        }
    }
    if (n)
        anc__sessions_flush(s);
    return n;
}

size_t anc_sessions_count(const struct anc_sessions *s)
{
    return s->count;
}
