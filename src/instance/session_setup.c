/* Creating and closing the session layer. The certificate, the DTLS context, the RTC host and its
 * UDP port belong to whoever creates the sessions (the daemon's composition root). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance/session_internal.h"

static void register_metrics(struct anc_sessions *s, struct anc_metrics *m)
{
    s->m_sessions =
        anc_metrics_gauge(m, "ancloud_rtc_sessions", NULL, "WebRTC viewer sessions that exist now");
    s->m_sessions_total = anc_metrics_counter(m, "ancloud_rtc_sessions_total", NULL,
                                              "WebRTC viewer sessions created");
    s->m_input = anc_metrics_counter(m, "ancloud_input_messages_total", NULL,
                                     "messages received on input data channels");
    s->m_input_bad = anc_metrics_counter(m, "ancloud_input_dropped_total", NULL,
                                         "malformed input messages dropped");
    s->m_input_refused = anc_metrics_counter(m, "ancloud_input_refused_total", NULL,
                                             "input messages of viewers not holding control");
    s->m_kf_coalesced = anc_metrics_counter(
        m, "ancloud_keyframe_requests_coalesced_total", NULL,
        "viewer keyframe requests (PLI, FIR, control op 1) merged into a pending one (1/s limit)");
    anc__smetrics_init(s, m);
}

int anc_sessions_new(const struct anc_sessions_deps *deps, struct anc_sessions **out)
{
    struct anc_sessions *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->cfg = deps->cfg;
    s->cert = deps->cert;
    s->dtls = deps->dtls;
    s->host = deps->host;
    s->io = deps->io;
    for (int i = 0; i < deps->n_candidates && s->n_candidates < ANC_SESSION_CANDIDATES; i++)
        snprintf(s->candidates[s->n_candidates++], sizeof(s->candidates[0]), "%s",
                 deps->candidates[i]);
    register_metrics(s, deps->metrics);
    *out = s;
    return 0;
}

void anc_sessions_close(struct anc_sessions *s, void (*done)(void *arg), void *arg)
{
    if (s) {
        while (s->list)
            anc_sessions_delete(s, s->list->sid);
        anc__smetrics_close(s);
        free(s);
    }
    if (done)
        done(arg);
}
