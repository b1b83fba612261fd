/* Private to session.c and session_setup.c. */
#pragma once

#include <stdint.h>

#include "base/metrics.h"
#include "instance/session.h"
#include "media/stream.h"
#include "rtc/host.h"
#include "rtc/udp_uv.h"

#define MAX_CANDIDATES 8

struct anc_session {
    char sid[ANC_SESSION_ID_LEN + 1];
    struct anc_sessions *owner;
    struct anc_instance *inst;
    struct anc_stream_viewer viewer;
    bool viewing;
    uint64_t created_us, connected_us, first_frame_us;
    int64_t created_at; /* unix seconds */
    uint64_t in_msgs, in_bytes, in_hash;
    uint64_t in_bad;         /* malformed: dropped */
    uint64_t in_unsupported; /* valid, but the instance cannot apply it */
    struct anc_session *next;
};

struct anc_sessions {
    struct anc_app *app;
    struct anc_cert *cert;
    struct anc_dtls_ctx *dtls;
    struct anc_rtc_host *host;
    struct anc_rtc_udp *udp;
    struct anc_session *list;
    size_t count;
    char candidates[MAX_CANDIDATES][64];
    int n_candidates;
    struct anc_metric *m_sessions, *m_sessions_total, *m_input, *m_input_bad;
    void (*done)(void *arg);
    void *done_arg;
};

/* session.c: dispatches RTC host events to sessions. */
void anc__sessions_on_host_event(void *arg, const struct anc_rtc_host_event *ev);
