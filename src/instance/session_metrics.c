/* Per-instance and per-session Prometheus series, and input-to-present latency.
 *
 * Series are refreshed from the stream's and the peers' own statistics by a collector that runs
 * before each render of /metrics, not on every packet. A session's series go when it ends and an
 * instance's when it stops, so label sets never outlive what they describe.
 *
 * Latency: each input a session injects is remembered with its message number; the first frame
 * sent to that session that was captured after it answers it (and every earlier one) with a frame
 * message (type 130: the number and the frame's RTP timestamp). The page matches the timestamp
 * with requestVideoFrameCallback's rtpTimestamp, measures its send time to the frame's
 * presentation, and reports the samples back (type 16), which land in the histograms here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance/instance.h"
#include "instance/session_internal.h"
#include "rtc/peer.h"

/* Input to present, in seconds: a frame period at 60 fps up to "broken". */
static const double latency_bounds[] = {0.016, 0.033, 0.05, 0.075, 0.1, 0.15, 0.2,
                                        0.3,   0.5,   0.75, 1,     2,   5};
#define N_BOUNDS (sizeof(latency_bounds) / sizeof(latency_bounds[0]))
/* A sample above this is a page's clock or matching gone wrong, not a latency. */
#define LATENCY_MAX_US (60u * 1000000u)

struct anc__instance_series {
    struct anc__instance_series *next;
    char id[ANC_INSTANCE_ID_LEN + 1];
    struct anc_metric *captured, *encoded, *bytes, *keyframes, *encode_ms, *fps, *bitrate;
    struct anc_metric *viewers, *latency;
    uint64_t fps_frames, fps_us; /* frames encoded at the last collection, and when */
};

static struct anc__instance_series *instance_series(struct anc_sessions *s, const char *id)
{
    for (struct anc__instance_series *i = s->instances; i; i = i->next)
        if (strcmp(i->id, id) == 0)
            return i;
    return NULL;
}

static struct anc__instance_series *instance_series_new(struct anc_sessions *s, const char *id)
{
    struct anc__instance_series *i = calloc(1, sizeof(*i));
    if (!i)
        return NULL;
    snprintf(i->id, sizeof(i->id), "%s", id);
    char l[64];
    snprintf(l, sizeof(l), "instance=\"%s\"", id);
    struct anc_metrics *m = s->metrics;
    i->captured = anc_metrics_counter(m, "ancloud_stream_frames_captured_total", l,
                                      "capture ticks that made an encode job, per instance");
    i->encoded = anc_metrics_counter(m, "ancloud_stream_frames_encoded_total", l,
                                     "frames encoded (or passed through), per instance");
    i->bytes =
        anc_metrics_counter(m, "ancloud_stream_bytes_total", l, "encoded bytes, per instance");
    i->keyframes =
        anc_metrics_counter(m, "ancloud_stream_keyframes_total", l, "keyframes, per instance");
    i->encode_ms =
        anc_metrics_gauge(m, "ancloud_stream_encode_ms", l, "the last frame's encode time");
    i->fps = anc_metrics_gauge(m, "ancloud_stream_fps", l,
                               "frames encoded per second since the previous scrape");
    i->bitrate =
        anc_metrics_gauge(m, "ancloud_stream_bitrate_kbps", l, "the encoder's target bit rate");
    i->viewers = anc_metrics_gauge(m, "ancloud_stream_viewers", l, "viewer sessions");
    i->latency = anc_metrics_histogram(
        m, "ancloud_input_to_present_seconds", l,
        "from a page sending an input to its presenting the first frame captured after it",
        latency_bounds, N_BOUNDS);
    i->next = s->instances;
    s->instances = i;
    return i;
}

static void instance_series_free(struct anc_sessions *s, struct anc__instance_series *i)
{
    struct anc_metric *all[] = {i->captured, i->encoded, i->bytes,   i->keyframes, i->encode_ms,
                                i->fps,      i->bitrate, i->viewers, i->latency};
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
        anc_metrics_remove(s->metrics, all[k]);
    free(i);
}

static void collect_instance(struct anc_sessions *s, const struct anc_instance *inst, uint64_t now)
{
    struct anc__instance_series *i = instance_series(s, inst->id);
    if (!i || !inst->stream)
        return;
    struct anc_stream_stats st;
    anc_stream_get_stats(inst->stream, &st);
    anc_metric_set(i->captured, (double)st.frames_captured);
    anc_metric_set(i->encoded, (double)st.frames_encoded);
    anc_metric_set(i->bytes, (double)st.bytes_encoded);
    anc_metric_set(i->keyframes, (double)st.keyframes);
    anc_metric_set(i->encode_ms, st.last_encode_ms);
    anc_metric_set(i->bitrate, st.bitrate_kbps);
    anc_metric_set(i->viewers, inst->viewers);
    if (i->fps_us && now > i->fps_us) {
        if (now - i->fps_us >= 100000) { /* two scrapes in a burst keep the last figure */
            anc_metric_set(i->fps, (double)(st.frames_encoded - i->fps_frames) * 1e6 /
                                       (double)(now - i->fps_us));
            i->fps_frames = st.frames_encoded;
            i->fps_us = now;
        }
    } else {
        i->fps_frames = st.frames_encoded;
        i->fps_us = now;
    }
}

static void collect_session(struct anc_sessions *s, struct anc_session *x)
{
    struct anc_peer_stats ps = {0};
    struct anc_peer *peer = anc_rtc_host_peer(s->host, x);
    if (peer)
        anc_peer_get_stats(peer, &ps);
    struct anc__session_series *m = &x->series;
    anc_metric_set(m->frames, (double)ps.frames_sent);
    anc_metric_set(m->bytes, (double)ps.rtp_bytes);
    anc_metric_set(m->retransmits, (double)ps.retransmits);
    anc_metric_set(m->nacks, (double)ps.nacks);
    anc_metric_set(m->plis, (double)ps.plis);
    anc_metric_set(m->firs, (double)ps.firs);
    anc_metric_set(m->remb, (double)ps.last_remb_bps);
    anc_metric_set(m->rtt, (double)ps.rtt_us / 1e6);
    anc_metric_set(m->input, (double)x->in_msgs);
}

static void collect(void *arg)
{
    struct anc_sessions *s = arg;
    uint64_t now = anc__sessions_now(s);
    for (struct anc_session *x = s->list; x; x = x->next)
        collect_session(s, x);
    /* Instances are reached through their sessions: one without a viewer captures nothing, so
     * its figures stand still anyway. */
    for (struct anc_session *x = s->list; x; x = x->next) {
        bool first = true;
        for (struct anc_session *y = s->list; y != x; y = y->next)
            first = first && y->inst != x->inst;
        if (first)
            collect_instance(s, x->inst, now);
    }
}

void anc__smetrics_init(struct anc_sessions *s, struct anc_metrics *m)
{
    s->metrics = m;
    anc_metrics_add_collector(m, collect, s);
}

void anc__smetrics_close(struct anc_sessions *s)
{
    anc_metrics_remove_collector(s->metrics, collect, s);
    while (s->instances) {
        struct anc__instance_series *i = s->instances;
        s->instances = i->next;
        instance_series_free(s, i);
    }
}

void anc__smetrics_session_start(struct anc_sessions *s, struct anc_session *x)
{
    if (!s->metrics)
        return;
    if (!instance_series(s, x->inst->id))
        instance_series_new(s, x->inst->id);
    char l[128];
    snprintf(l, sizeof(l), "instance=\"%s\",session=\"%s\"", x->inst->id, x->sid);
    struct anc_metrics *m = s->metrics;
    struct anc__session_series *ss = &x->series;
    ss->frames = anc_metrics_counter(m, "ancloud_session_frames_sent_total", l,
                                     "video frames sent, per viewer session");
    ss->bytes = anc_metrics_counter(m, "ancloud_session_bytes_sent_total", l,
                                    "RTP bytes sent, per viewer session");
    ss->retransmits = anc_metrics_counter(m, "ancloud_session_retransmits_total", l,
                                          "RTP packets resent for NACKs");
    ss->nacks = anc_metrics_counter(m, "ancloud_session_nacks_total", l, "RTCP NACKs received");
    ss->plis = anc_metrics_counter(m, "ancloud_session_plis_total", l, "RTCP PLIs received");
    ss->firs = anc_metrics_counter(m, "ancloud_session_firs_total", l, "RTCP FIRs received");
    ss->remb = anc_metrics_gauge(m, "ancloud_session_remb_bps", l,
                                 "the viewer's last bandwidth estimate (REMB)");
    ss->rtt = anc_metrics_gauge(m, "ancloud_session_rtt_seconds", l,
                                "round-trip time from RTCP receiver reports");
    ss->input = anc_metrics_counter(m, "ancloud_session_input_messages_total", l,
                                    "messages received on the input data channel");
    ss->latency =
        anc_metrics_histogram(m, "ancloud_session_input_to_present_seconds", l,
                              "input to present, per viewer session", latency_bounds, N_BOUNDS);
}

void anc__smetrics_session_end(struct anc_sessions *s, struct anc_session *x)
{
    struct anc__session_series *ss = &x->series;
    struct anc_metric *all[] = {ss->frames, ss->bytes, ss->retransmits, ss->nacks, ss->plis,
                                ss->firs,   ss->remb,  ss->rtt,         ss->input, ss->latency};
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
        anc_metrics_remove(s->metrics, all[k]);
    memset(ss, 0, sizeof(*ss));
}

void anc__smetrics_instance_end(struct anc_sessions *s, const struct anc_instance *inst)
{
    for (struct anc__instance_series **pp = &s->instances; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, inst->id) == 0) {
            struct anc__instance_series *i = *pp;
            *pp = i->next;
            instance_series_free(s, i);
            return;
        }
    }
}

void anc__session_injected(struct anc_session *x, uint32_t seq, uint64_t now)
{
    /* Full: the oldest goes. A later answer covers it, so only its precision is lost. */
    if (x->echo_n == ANC_SESSION_ECHO_MAX) {
        memmove(x->echo, x->echo + 1, sizeof(x->echo[0]) * (ANC_SESSION_ECHO_MAX - 1));
        x->echo_n--;
    }
    x->echo[x->echo_n++] = (struct anc__session_echo){seq, now};
}

void anc__session_frame_sent(struct anc_sessions *s, struct anc_session *x, struct anc_peer *peer,
                             uint64_t capture_us, uint64_t now)
{
    unsigned n = 0; /* inputs injected before the capture: the oldest n */
    while (n < x->echo_n && x->echo[n].us <= capture_us)
        n++;
    if (n == 0 || x->input_channel < 0)
        return;
    uint8_t msg[ANC_INPUT_OUT_FRAME_SIZE];
    anc_input_encode_out_frame(x->echo[n - 1].seq, anc_peer_video_ts(peer, capture_us), msg,
                               sizeof(msg));
    anc__sessions_send_to_page(s, x, msg, sizeof(msg), now);
    memmove(x->echo, x->echo + n, sizeof(x->echo[0]) * (x->echo_n - n));
    x->echo_n -= n;
}

void anc__session_latency(struct anc_sessions *s, struct anc_session *x,
                          const struct anc_input_latency *l)
{
    struct anc__instance_series *i = instance_series(s, x->inst->id);
    for (size_t k = 0; k < l->n; k++) {
        uint32_t us = anc_input_latency_us(l, k);
        if (us > LATENCY_MAX_US)
            continue;
        anc_metric_observe(x->series.latency, us / 1e6);
        if (i)
            anc_metric_observe(i->latency, us / 1e6);
    }
}
