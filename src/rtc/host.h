/* The WebRTC host: every viewer session on the one UDP port, sans-IO. It owns the ICE-lite agent
 * and the peers, demultiplexes datagrams (RFC 7983: STUN to ICE, the rest to the peer whose
 * address ICE validated; anything from an unvalidated address is dropped), and gathers output.
 * Loop thread only; the UDP glue (udp_uv.c) drives it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "rtc/peer.h"

struct anc_rtc_host;

struct anc_rtc_host_event {
    void *user;                 /* the session's user pointer */
    bool expired;               /* ICE consent lost: the session should end */
    struct anc_peer_event peer; /* when !expired; pointers valid until the next poll */
};

struct anc_rtc_host_stats {
    uint64_t datagrams_in, stun_in, stun_answered, dropped_unknown, dropped_invalid_stun;
    uint64_t dropped_tx; /* STUN answers and farewells lost: queue full or too large */
};

int anc_rtc_host_new(size_t max_sessions, struct anc_rtc_host **out);
/* Frees every session and peer; accepts NULL. */
void anc_rtc_host_free(struct anc_rtc_host *h);

/* Adds a session: ICE credentials (copied) and a peer (ownership passes to the host). user must
 * not be NULL. Returns 0, -EEXIST, -ENOSPC or -ENOMEM (the peer is freed on error). */
int anc_rtc_host_add(struct anc_rtc_host *h, uint64_t now_us, const char *local_ufrag,
                     const char *local_pwd, const char *remote_ufrag, const char *remote_pwd,
                     struct anc_peer *peer, void *user);

/* Ends a session: close_notify is queued (still drained by poll_transmit), then everything of it
 * is freed. No event of it is reported afterwards. */
void anc_rtc_host_remove(struct anc_rtc_host *h, uint64_t now_us, void *user);

struct anc_peer *anc_rtc_host_peer(struct anc_rtc_host *h, void *user);

/* Whether ICE validated this remote address for some session (a connectivity check from it was
 * answered): the ICE-TCP glue closes connections that never get there. */
bool anc_rtc_host_validated(const struct anc_rtc_host *h, const struct anc_addr *from);

void anc_rtc_host_handle_datagram(struct anc_rtc_host *h, uint64_t now_us,
                                  const struct anc_addr *from, const uint8_t *buf, size_t len);
void anc_rtc_host_handle_timeout(struct anc_rtc_host *h, uint64_t now_us);
uint64_t anc_rtc_host_next_timeout(const struct anc_rtc_host *h, uint64_t now_us);

bool anc_rtc_host_poll_transmit(struct anc_rtc_host *h, uint8_t *buf, size_t cap, size_t *len,
                                struct anc_addr *to);
bool anc_rtc_host_poll_event(struct anc_rtc_host *h, struct anc_rtc_host_event *ev);

void anc_rtc_host_get_stats(const struct anc_rtc_host *h, struct anc_rtc_host_stats *out);
size_t anc_rtc_host_sessions(const struct anc_rtc_host *h);
