#include "rtc/peer_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void anc__peer_queue_tx(struct anc_peer *p, const uint8_t *buf, size_t len)
{
    /* A full queue or an oversized datagram is a drop the queue counts, reported in dropped_tx:
     * the browser recovers lost media with NACKs and DTLS/SCTP retransmit. */
    (void)anc_dgramq_push(&p->tx, buf, len, NULL);
}

struct anc_peer_event *anc__peer_push_event(struct anc_peer *p, enum anc_peer_event_type type)
{
    if (p->ev_count == EV_SLOTS)
        return NULL;
    struct ev_slot *s = &p->ev[(p->ev_head + p->ev_count) % EV_SLOTS];
    memset(s, 0, sizeof(*s));
    s->ev.type = type;
    p->ev_count++;
    return &s->ev;
}

static void free_slot(struct ev_slot *s)
{
    free(s->data);
    free(s->label);
    s->data = NULL;
    s->label = NULL;
}

int anc_peer_new(const struct anc_peer_config *cfg, uint64_t now_us, struct anc_peer **out)
{
    struct anc_peer *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->cfg = *cfg;
    snprintf(p->remote_fp_alg, sizeof(p->remote_fp_alg), "%s", cfg->remote_fp_alg);
    snprintf(p->remote_fp, sizeof(p->remote_fp), "%s", cfg->remote_fp);
    snprintf(p->cname, sizeof(p->cname), "%s", cfg->cname ? cfg->cname : "ancloud");
    p->cfg.remote_fp_alg = p->remote_fp_alg;
    p->cfg.remote_fp = p->remote_fp;
    p->cfg.cname = p->cname;
    anc_dgramq_init(&p->tx, TX_MAX, ANC_PEER_MAX_DATAGRAM);
    int r = anc_dtls_init(&p->dtls, cfg->dtls_ctx, cfg->dtls_server, cfg->remote_fp_alg,
                          cfg->remote_fp);
    if (r < 0)
        goto fail;
    r = anc__peer_media_init(p, now_us);
    if (r < 0)
        goto fail;
    *out = p;
    return 0;
fail:
    anc_peer_free(p);
    return r;
}

void anc_peer_free(struct anc_peer *p)
{
    if (!p)
        return;
    while (p->ev_count) {
        free_slot(&p->ev[p->ev_head]);
        p->ev_head = (p->ev_head + 1) % EV_SLOTS;
        p->ev_count--;
    }
    free_slot(&p->ev_current);
    for (size_t i = 0; i < ANC_SCTP_MAX_STREAMS; i++)
        free(p->labels[i]);
    anc_sctp_free(p->sctp);
    anc_srtp_free(p->srtp);
    anc_dtls_destroy(&p->dtls);
    anc__peer_media_destroy(p);
    anc_dgramq_destroy(&p->tx);
    free(p);
}

/* Moves what DTLS wants to send into the transmit queue. */
static void drain_dtls(struct anc_peer *p)
{
    uint8_t buf[ANC_PEER_MAX_DATAGRAM];
    size_t len;
    while (anc_dtls_poll_transmit(&p->dtls, buf, sizeof(buf), &len))
        anc__peer_queue_tx(p, buf, len);
}

/* SCTP packets go out inside DTLS records. */
static void drain_sctp_tx(struct anc_peer *p)
{
    struct anc_sctp_datagram d;
    while (p->sctp && anc_sctp_poll_transmit(p->sctp, &d))
        anc_dtls_write(&p->dtls, d.data, d.len);
}

static void on_sctp_message(struct anc_peer *p, const struct anc_sctp_event *e)
{
    p->stats.dc_messages_in++;
    p->stats.dc_bytes_in += e->len;
    struct anc_peer_event *ev = anc__peer_push_event(p, ANC_PEER_EV_MESSAGE);
    if (!ev)
        return;
    struct ev_slot *slot = (struct ev_slot *)ev;
    ev->channel = e->channel;
    ev->is_binary = e->is_binary;
    ev->len = e->len;
    if (e->len) {
        slot->data = malloc(e->len);
        if (slot->data)
            memcpy(slot->data, e->data, e->len);
        else
            ev->len = 0;
    }
    const char *label = e->channel < ANC_SCTP_MAX_STREAMS ? p->labels[e->channel] : NULL;
    slot->label = strdup(label ? label : "");
}

static void drain_sctp_events(struct anc_peer *p)
{
    struct anc_sctp_event e;
    /* Leave the rest in usrsctp while our queue is nearly full: its receive window then pushes
     * back on the browser, and anc_peer_poll_event() resumes reading. */
    while (p->sctp && p->ev_count + 2 < EV_SLOTS && anc_sctp_poll_event(p->sctp, &e)) {
        struct anc_peer_event *ev;
        switch (e.type) {
        case ANC_SCTP_EV_CONNECTED:
            p->sctp_up = true;
            anc__peer_push_event(p, ANC_PEER_EV_DATACHANNEL_UP);
            break;
        case ANC_SCTP_EV_CHANNEL_OPEN:
            if (e.channel < ANC_SCTP_MAX_STREAMS) {
                free(p->labels[e.channel]);
                p->labels[e.channel] = strdup(e.label ? e.label : "");
            }
            ev = anc__peer_push_event(p, ANC_PEER_EV_CHANNEL_OPEN);
            if (ev) {
                ev->channel = e.channel;
                ((struct ev_slot *)ev)->label = strdup(e.label ? e.label : "");
            }
            break;
        case ANC_SCTP_EV_MESSAGE:
            on_sctp_message(p, &e);
            break;
        case ANC_SCTP_EV_CHANNEL_CLOSED:
        case ANC_SCTP_EV_CLOSED:
            break;
        }
    }
}

static void on_dtls_connected(struct anc_peer *p, uint64_t now_us)
{
    struct anc_srtp_keys keys;
    int r = anc_dtls_export_srtp(&p->dtls, &keys);
    if (r == 0)
        r = anc_srtp_new(&keys, p->cfg.dtls_server, &p->srtp);
    if (r < 0) {
        struct anc_peer_event *ev = anc__peer_push_event(p, ANC_PEER_EV_FAILED);
        if (ev)
            ev->error = r;
        return;
    }
    p->dtls_up = true;
    p->next_sr_us = now_us;
    anc__peer_push_event(p, ANC_PEER_EV_CONNECTED);
    if (!p->cfg.datachannel)
        return;
    struct anc_sctp_config sc = {.dtls_client = !p->cfg.dtls_server,
                                 .remote_port = p->cfg.sctp_remote_port,
                                 .max_message_size = p->cfg.max_message_size,
                                 .remote_max_message_size = p->cfg.remote_max_message_size};
    if (anc_sctp_new(&sc, &p->sctp) == 0)
        anc_sctp_connect(p->sctp, now_us);
}

/* After any input: follow DTLS state changes, move records between DTLS and SCTP, queue output. */
static void pump(struct anc_peer *p, uint64_t now_us)
{
    enum anc_dtls_state st = anc_dtls_state(&p->dtls);
    if (!p->dtls_up && !p->srtp && st == ANC_DTLS_CONNECTED) {
        p->dtls_deadline_us = 0;
        on_dtls_connected(p, now_us);
    }
    if ((st == ANC_DTLS_FAILED || st == ANC_DTLS_CLOSED) && !p->end_reported && !p->closing) {
        struct anc_peer_event *ev = anc__peer_push_event(
            p, st == ANC_DTLS_FAILED ? ANC_PEER_EV_FAILED : ANC_PEER_EV_CLOSED);
        if (ev)
            ev->error = anc_dtls_error(&p->dtls);
        p->end_reported = true;
    }
    uint8_t rec[ANC_DTLS_MAX_RECORD];
    int n;
    while ((n = anc_dtls_read(&p->dtls, rec, sizeof(rec))) > 0 || n == -EMSGSIZE)
        if (n > 0 && p->sctp)
            anc_sctp_handle_data(p->sctp, now_us, rec, (size_t)n);
    drain_sctp_events(p);
    drain_sctp_tx(p);
    drain_dtls(p);
}

/* The handshake clock starts at the first sign of a connection: ICE selection or DTLS. */
static void start_deadline(struct anc_peer *p, uint64_t now_us)
{
    if (!p->dtls_up && !p->dtls_deadline_us && !p->end_reported)
        p->dtls_deadline_us = now_us + (p->cfg.dtls_deadline_us ? p->cfg.dtls_deadline_us
                                                                : ANC_PEER_DTLS_DEADLINE_US);
}

/* A handshake still unfinished at its deadline ends the peer: a half-open connection must not
 * hold its DTLS and SCTP state for as long as ICE consent lasts. */
static void check_deadline(struct anc_peer *p, uint64_t now_us)
{
    if (p->dtls_up || !p->dtls_deadline_us || now_us < p->dtls_deadline_us)
        return;
    p->dtls_deadline_us = 0;
    if (p->end_reported || p->closing)
        return;
    struct anc_peer_event *ev = anc__peer_push_event(p, ANC_PEER_EV_FAILED);
    if (ev)
        ev->error = -ETIMEDOUT;
    p->end_reported = true;
    p->closing = true; /* nothing more is fed to or sent by this handshake */
    anc_dgramq_clear(&p->tx);
}

void anc_peer_set_remote(struct anc_peer *p, uint64_t now_us, const struct anc_addr *addr)
{
    bool first = !p->have_remote;
    start_deadline(p, now_us);
    p->remote = *addr;
    p->have_remote = true;
    if (first && !p->cfg.dtls_server) {
        anc_dtls_start(&p->dtls, now_us);
        pump(p, now_us);
    }
}

int anc_peer_handle_datagram(struct anc_peer *p, uint64_t now_us, const uint8_t *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (buf[0] >= 20 && buf[0] <= 63) {
        if (p->closing)
            return 0;
        start_deadline(p, now_us);
        anc_dtls_handle_datagram(&p->dtls, now_us, buf, len);
        pump(p, now_us);
    } else if (buf[0] >= 128 && buf[0] <= 191 && p->srtp && anc_rtp_is_rtcp(buf, len)) {
        uint8_t copy[ANC_PEER_MAX_DATAGRAM];
        size_t n = len;
        if (len > sizeof(copy))
            return 0;
        memcpy(copy, buf, len);
        if (anc_srtp_unprotect_rtcp(p->srtp, copy, &n) < 0) {
            p->stats.srtp_errors++;
            return 0;
        }
        anc__peer_handle_rtcp(p, now_us, copy, n);
    }
    /* Anything else (RTP from a recvonly browser, unknown first bytes) is ignored. */
    return 0;
}

int anc_peer_handle_timeout(struct anc_peer *p, uint64_t now_us)
{
    check_deadline(p, now_us);
    if (p->closing)
        return 0;
    if (anc_dtls_next_timeout(&p->dtls, now_us) <= now_us)
        anc_dtls_handle_timeout(&p->dtls, now_us);
    if (p->sctp && anc_sctp_next_timeout(p->sctp, now_us) <= now_us)
        anc_sctp_handle_timeout(p->sctp, now_us);
    if (p->dtls_up && p->have_remote && now_us >= p->next_sr_us) {
        anc__peer_send_sr(p, now_us);
        p->next_sr_us = now_us + SR_PERIOD_US;
    }
    pump(p, now_us);
    return 0;
}

uint64_t anc_peer_next_timeout(const struct anc_peer *p, uint64_t now)
{
    uint64_t t = UINT64_MAX;
    if (p->closing)
        return t;
    uint64_t d = anc_dtls_next_timeout(&p->dtls, now);
    if (d < t)
        t = d;
    if (p->sctp) {
        d = anc_sctp_next_timeout(p->sctp, now);
        if (d < t)
            t = d;
    }
    if (p->dtls_up && p->next_sr_us < t)
        t = p->next_sr_us;
    if (!p->dtls_up && p->dtls_deadline_us && p->dtls_deadline_us < t)
        t = p->dtls_deadline_us;
    return t;
}

bool anc_peer_poll_transmit(struct anc_peer *p, uint8_t *buf, size_t cap, size_t *len,
                            struct anc_addr *to)
{
    if (!p->have_remote)
        return false;
    if (!anc_dgramq_pop_copy(&p->tx, buf, cap, len, NULL, &p->stats.dropped_tx))
        return false;
    *to = p->remote;
    return true;
}

bool anc_peer_poll_event(struct anc_peer *p, struct anc_peer_event *ev)
{
    free_slot(&p->ev_current);
    if (!p->ev_count && p->sctp) {
        drain_sctp_events(p);
        drain_sctp_tx(p);
        drain_dtls(p);
    }
    if (!p->ev_count)
        return false;
    p->ev_current = p->ev[p->ev_head];
    p->ev_head = (p->ev_head + 1) % EV_SLOTS;
    p->ev_count--;
    *ev = p->ev_current.ev;
    ev->data = p->ev_current.data;
    ev->label = p->ev_current.label;
    return true;
}

int anc_peer_send_message(struct anc_peer *p, uint64_t now_us, uint16_t channel, bool is_binary,
                          const void *buf, size_t len)
{
    if (!p->sctp_up)
        return -ENOTCONN;
    int r = anc_sctp_send(p->sctp, channel, is_binary, buf, len);
    pump(p, now_us);
    return r;
}

void anc_peer_close(struct anc_peer *p, uint64_t now_us)
{
    p->closing = true;
    anc_dtls_close(&p->dtls);
    drain_dtls(p);
    (void)now_us;
}

bool anc_peer_connected(const struct anc_peer *p)
{
    return p->dtls_up;
}

void anc_peer_get_stats(const struct anc_peer *p, struct anc_peer_stats *out)
{
    *out = p->stats;
    out->dropped_tx += anc_dgramq_drops(&p->tx);
}
