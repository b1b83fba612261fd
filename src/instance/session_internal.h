/* Private to session.c and session_setup.c. */
#pragma once

#include <stdint.h>

#include "base/metrics.h"
#include "input/proto.h"
#include "instance/session.h"
#include "media/stream.h"
#include "rtc/host.h"

/* An input injected and not yet answered with a frame message (session_metrics.c). */
#define ANC_SESSION_ECHO_MAX 16
struct anc__session_echo {
    uint32_t seq; /* in_seq when it arrived */
    uint64_t us;  /* when it was injected */
};

/* The session's own Prometheus series, labelled instance and session; removed when it ends. */
struct anc__session_series {
    struct anc_metric *frames, *bytes, *retransmits, *nacks, *plis, *firs, *remb, *rtt, *input;
    struct anc_metric *latency;
};

struct anc_session {
    char sid[ANC_SESSION_ID_LEN + 1];
    struct anc_sessions *owner;
    struct anc_instance *inst;
    struct anc_stream_viewer viewer;
    bool viewing;
    uint64_t created_us, connected_us, first_frame_us;
    int64_t created_at; /* unix seconds */
    uint64_t in_msgs, in_bytes, in_hash;
    /* in_seq counts every message on the input channel (the page counts the same way: type-130
     * answers name it); in_msgs leaves out the page's latency reports (in_reports). */
    uint64_t in_seq, in_reports;
    uint64_t in_bad;         /* malformed: dropped */
    uint64_t in_unsupported; /* valid, but the instance cannot apply it */
    uint64_t in_refused;     /* valid, but this session does not hold control */
    struct anc_session_who who;
    bool controller;                /* holds control of its instance (session.h) */
    int input_channel;              /* the "input" data channel's stream id once open, else -1 */
    size_t out_max;                 /* the largest message the browser takes on it */
    uint64_t out_msgs, out_dropped; /* messages to the page: sent, not sent */
    struct anc__session_echo echo[ANC_SESSION_ECHO_MAX]; /* oldest first */
    unsigned echo_n;
    struct anc__session_series series;
    struct anc_session *next;
};

struct anc_sessions {
    const struct anc_config *cfg;
    const struct anc_cert *cert;
    struct anc_dtls_ctx *dtls;
    struct anc_rtc_host *host;
    struct anc_sessions_io io;
    struct anc_session *list;
    size_t count;
    char candidates[ANC_SESSION_CANDIDATES][64];
    int n_candidates;
    struct anc_metric *m_sessions, *m_sessions_total, *m_input, *m_input_bad;
    struct anc_metric *m_input_refused, *m_kf_coalesced;
    struct anc_metrics *metrics;
    struct anc__instance_series *instances; /* per-instance series (session_metrics.c) */
};

static inline uint64_t anc__sessions_now(const struct anc_sessions *s)
{
    return s->io.now_us(s->io.arg);
}

static inline void anc__sessions_flush(const struct anc_sessions *s)
{
    s->io.flush(s->io.arg);
}

/* session.c: one message to x's page on its "input" channel (counted as sent or not sent). */
void anc__sessions_send_to_page(struct anc_sessions *s, struct anc_session *x, const uint8_t *msg,
                                size_t len, uint64_t now);

/* session_control.c: who holds control of each instance (session.h). */
struct anc_session *anc__sessions_controller(struct anc_sessions *s,
                                             const struct anc_instance *inst);
/* x gets control of its instance; every viewer of it is told. */
void anc__sessions_set_controller(struct anc_sessions *s, struct anc_session *x);
/* inst's controller is leaving (already unlinked): the oldest control-capable session left gets
 * control, or nobody; every viewer is told. */
void anc__sessions_pass_control(struct anc_sessions *s, const struct anc_instance *inst);
/* Tells x alone who holds control (its "input" channel just opened). */
void anc__sessions_tell_control(struct anc_sessions *s, struct anc_session *x);

/* session_metrics.c: per-instance and per-session series, refreshed by a collector before each
 * render of /metrics, and the input-to-present echo (docs/api.md, frame message type 130). */
void anc__smetrics_init(struct anc_sessions *s, struct anc_metrics *m);
void anc__smetrics_close(struct anc_sessions *s);
void anc__smetrics_session_start(struct anc_sessions *s, struct anc_session *x);
void anc__smetrics_session_end(struct anc_sessions *s, struct anc_session *x);
void anc__smetrics_instance_end(struct anc_sessions *s, const struct anc_instance *inst);
/* x's input message number seq was injected (or, without a sink, accepted) at now. */
void anc__session_injected(struct anc_session *x, uint32_t seq, uint64_t now);
/* A frame captured at capture_us went to x's peer: answers the inputs injected before it. */
void anc__session_frame_sent(struct anc_sessions *s, struct anc_session *x, struct anc_peer *peer,
                             uint64_t capture_us, uint64_t now);
/* The page's input-to-present samples (a latency report). */
void anc__session_latency(struct anc_sessions *s, struct anc_session *x,
                          const struct anc_input_latency *l);
