#include "rtc/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/dgramq.h"
#include "rtc/ice.h"
#include "rtc/stun.h"

#define MAX_OUT 32 /* ICE answers and farewell datagrams waiting for the glue */

struct entry {
    void *user;
    char ufrag[ANC_ICE_CRED_MAX + 1];
    struct anc_peer *peer;
    bool in_use;
    bool expired; /* consent lost, not reported yet */
    bool silent;  /* consent lost: nothing more goes to the peer's address */
};

struct anc_rtc_host {
    struct anc_ice_agent *ice;
    struct entry *entries;
    size_t max, count;
    /* Sent before any peer's datagrams. The queue counts what it refused; stats.dropped_tx only
     * what was too large for poll_transmit's buffer; anc_rtc_host_get_stats reports the sum. */
    struct anc_dgramq out;
    size_t tx_cursor, ev_cursor; /* round robin over peers */
    struct anc_rtc_host_stats stats;
};

int anc_rtc_host_new(size_t max_sessions, struct anc_rtc_host **out)
{
    struct anc_rtc_host *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->max = max_sessions;
    anc_dgramq_init(&h->out, MAX_OUT, ANC_PEER_MAX_DATAGRAM);
    h->entries = calloc(max_sessions, sizeof(*h->entries));
    h->ice = anc_ice_agent_new(max_sessions);
    if (!h->entries || !h->ice) {
        anc_rtc_host_free(h);
        return -ENOMEM;
    }
    *out = h;
    return 0;
}

void anc_rtc_host_free(struct anc_rtc_host *h)
{
    if (!h)
        return;
    for (size_t i = 0; h->entries && i < h->max; i++)
        if (h->entries[i].in_use)
            anc_peer_free(h->entries[i].peer);
    free(h->entries);
    anc_ice_agent_free(h->ice);
    anc_dgramq_destroy(&h->out);
    free(h);
}

static struct entry *find(struct anc_rtc_host *h, void *user)
{
    for (size_t i = 0; i < h->max; i++)
        if (h->entries[i].in_use && h->entries[i].user == user)
            return &h->entries[i];
    return NULL;
}

int anc_rtc_host_add(struct anc_rtc_host *h, uint64_t now_us, const char *local_ufrag,
                     const char *local_pwd, const char *remote_ufrag, const char *remote_pwd,
                     struct anc_peer *peer, void *user)
{
    struct entry *e = NULL;
    for (size_t i = 0; i < h->max && !e; i++)
        if (!h->entries[i].in_use)
            e = &h->entries[i];
    if (!e || strlen(local_ufrag) > ANC_ICE_CRED_MAX) {
        anc_peer_free(peer);
        return e ? -EINVAL : -ENOSPC;
    }
    int r =
        anc_ice_session_add(h->ice, now_us, local_ufrag, local_pwd, remote_ufrag, remote_pwd, e);
    if (r < 0) {
        anc_peer_free(peer);
        return r;
    }
    *e = (struct entry){.user = user, .peer = peer, .in_use = true};
    strcpy(e->ufrag, local_ufrag);
    h->count++;
    return 0;
}

void anc_rtc_host_remove(struct anc_rtc_host *h, uint64_t now_us, void *user)
{
    struct entry *e = find(h, user);
    if (!e)
        return;
    /* Say goodbye (close_notify) before the peer goes; its queue is flushed into ours. What does
     * not fit is dropped (and counted): the browser then learns of the end from its unanswered
     * consent checks. */
    anc_peer_close(e->peer, now_us);
    uint8_t buf[ANC_PEER_MAX_DATAGRAM];
    size_t len;
    struct anc_addr to;
    /* Not to an address whose consent ran out: it may never have wanted our traffic. */
    while (!e->silent && anc_peer_poll_transmit(e->peer, buf, sizeof(buf), &len, &to))
        if (buf[0] >= 20 && buf[0] <= 63)
            (void)anc_dgramq_push(&h->out, buf, len, &to);
    anc_ice_session_remove(h->ice, e->ufrag);
    anc_peer_free(e->peer);
    memset(e, 0, sizeof(*e));
    h->count--;
}

struct anc_peer *anc_rtc_host_peer(struct anc_rtc_host *h, void *user)
{
    struct entry *e = find(h, user);
    return e ? e->peer : NULL;
}

bool anc_rtc_host_validated(const struct anc_rtc_host *h, const struct anc_addr *from)
{
    return anc_ice_session_for_addr(h->ice, from) != NULL;
}

static void follow_ice_events(struct anc_rtc_host *h, uint64_t now_us)
{
    struct anc_ice_event ev;
    /* EXPIRED events are left for poll_event; selection changes are applied here. */
    while (anc_ice_poll_event(h->ice, &ev)) {
        struct entry *e = ev.user;
        if (ev.type == ANC_ICE_EVENT_EXPIRED) {
            e->expired = true; /* reported by poll_event */
            e->silent = true;  /* RFC 7675 §5.1: stop sending at once, before the owner acts */
            continue;
        }
        anc_peer_set_remote(e->peer, now_us, &ev.addr);
    }
}

void anc_rtc_host_handle_datagram(struct anc_rtc_host *h, uint64_t now_us,
                                  const struct anc_addr *from, const uint8_t *buf, size_t len)
{
    h->stats.datagrams_in++;
    if (len == 0)
        return;
    if (buf[0] <= 3) {
        struct anc_ice_result res;
        h->stats.stun_in++;
        if (anc_ice_handle_packet(h->ice, now_us, from, buf, len, &res) < 0) {
            h->stats.dropped_invalid_stun++;
            return;
        }
        if (res.len) {
            h->stats.stun_answered++;
            /* If the queue is full the answer is dropped (and counted); the browser retries. */
            (void)anc_dgramq_push(&h->out, res.buf, res.len, from);
        }
        follow_ice_events(h, now_us);
        return;
    }
    struct entry *e = anc_ice_session_for_addr(h->ice, from);
    if (!e) {
        h->stats.dropped_unknown++;
        return;
    }
    anc_peer_handle_datagram(e->peer, now_us, buf, len);
}

void anc_rtc_host_handle_timeout(struct anc_rtc_host *h, uint64_t now_us)
{
    anc_ice_handle_timeout(h->ice, now_us);
    follow_ice_events(h, now_us);
    for (size_t i = 0; i < h->max; i++) {
        struct entry *e = &h->entries[i];
        if (e->in_use && anc_peer_next_timeout(e->peer, now_us) <= now_us)
            anc_peer_handle_timeout(e->peer, now_us);
    }
}

uint64_t anc_rtc_host_next_timeout(const struct anc_rtc_host *h, uint64_t now_us)
{
    uint64_t t = anc_ice_next_timeout(h->ice);
    for (size_t i = 0; i < h->max; i++) {
        const struct entry *e = &h->entries[i];
        if (!e->in_use)
            continue;
        if (e->expired)
            return now_us;
        uint64_t d = anc_peer_next_timeout(e->peer, now_us);
        if (d < t)
            t = d;
    }
    return t;
}

bool anc_rtc_host_poll_transmit(struct anc_rtc_host *h, uint8_t *buf, size_t cap, size_t *len,
                                struct anc_addr *to)
{
    if (anc_dgramq_pop_copy(&h->out, buf, cap, len, to, &h->stats.dropped_tx))
        return true;
    /* Round robin, so one busy viewer does not starve the others within a flush. */
    for (size_t n = 0; n < h->max; n++) {
        struct entry *e = &h->entries[(h->tx_cursor + n) % h->max];
        if (e->in_use && !e->silent && anc_peer_poll_transmit(e->peer, buf, cap, len, to)) {
            h->tx_cursor = (h->tx_cursor + n + 1) % h->max;
            return true;
        }
    }
    return false;
}

bool anc_rtc_host_poll_event(struct anc_rtc_host *h, struct anc_rtc_host_event *ev)
{
    for (size_t n = 0; n < h->max; n++) {
        struct entry *e = &h->entries[(h->ev_cursor + n) % h->max];
        if (!e->in_use)
            continue;
        if (e->expired) {
            e->expired = false;
            *ev = (struct anc_rtc_host_event){.user = e->user, .expired = true};
            return true;
        }
        if (anc_peer_poll_event(e->peer, &ev->peer)) {
            ev->user = e->user;
            ev->expired = false;
            h->ev_cursor = (h->ev_cursor + n) % h->max;
            return true;
        }
    }
    return false;
}

void anc_rtc_host_get_stats(const struct anc_rtc_host *h, struct anc_rtc_host_stats *out)
{
    *out = h->stats;
    out->dropped_tx += anc_dgramq_drops(&h->out);
}

size_t anc_rtc_host_sessions(const struct anc_rtc_host *h)
{
    return h->count;
}
