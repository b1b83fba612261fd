/* Server-side ICE-lite (RFC 8445 §2.5) with consent freshness (RFC 7675), sans-IO.
 *
 * One struct anc_ice_agent serves every session on one UDP port. Sessions are keyed by our local
 * ufrag. A remote address becomes "validated" for a session only by a Binding request whose
 * USERNAME is "ourUfrag:theirUfrag" of a live session and whose MESSAGE-INTEGRITY verifies with our
 * password; the caller then routes DTLS/RTP from validated addresses only (anc_ice_session_for_addr)
 * and drops everything else. Invalid packets change nothing, allocate nothing and get no answer.
 *
 * Consent is per candidate pair, i.e. per remote address (we have one local candidate): once a
 * pair is selected (USE-CANDIDATE), only valid checks from the selected address itself renew the
 * session's consent; checks from other addresses validate them (and a nominating one moves the
 * session there) but never keep the selected pair alive. Without a valid check from the selected
 * address for ANC_ICE_CONSENT_US the session expires: nothing more may be sent to it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

#define ANC_ICE_UFRAG_LEN    8           /* length anc_ice_random_string() callers use for ufrags */
#define ANC_ICE_PWD_LEN      24          /* ...and for passwords */
#define ANC_ICE_CRED_MAX     256         /* longest ufrag or password accepted (RFC 8839) */
#define ANC_ICE_MAX_ADDRS    4           /* validated addresses remembered per session */
#define ANC_ICE_CONSENT_US   30000000ull /* RFC 7675: consent lost after 30 s */
#define ANC_ICE_RESPONSE_MAX 128

struct anc_ice_agent;

enum anc_ice_event_type {
    ANC_ICE_EVENT_SELECTED = 1, /* first nomination: addr is the session's address */
    ANC_ICE_EVENT_ADDR_CHANGED, /* a later nomination moved the session to addr */
    ANC_ICE_EVENT_EXPIRED,      /* consent lost; the session answers nothing more */
};

struct anc_ice_event {
    enum anc_ice_event_type type;
    void *user;           /* the session's user pointer */
    struct anc_addr addr; /* selected address (SELECTED, ADDR_CHANGED) */
};

/* What one packet produced. When len > 0 the caller sends buf[0..len) back to the packet's
 * sender; user names the session a valid check belonged to (NULL otherwise). */
struct anc_ice_result {
    void *user;
    size_t len;
    uint8_t buf[ANC_ICE_RESPONSE_MAX];
};

/* Returns a new agent holding at most max_sessions sessions (memory is bounded by that), or NULL
 * when out of memory. Caller frees with anc_ice_agent_free(), which accepts NULL. */
struct anc_ice_agent *anc_ice_agent_new(size_t max_sessions);
void anc_ice_agent_free(struct anc_ice_agent *a);

/* Writes n random ice-chars (ALPHA / DIGIT / "+" / "/") and a NUL into out (n + 1 bytes), from
 * OpenSSL's RAND_bytes. Use ANC_ICE_UFRAG_LEN (>= 4) and ANC_ICE_PWD_LEN (>= 22). 0 or -EIO. */
int anc_ice_random_string(char *out, size_t n);

/* Adds a session. The strings are copied. user is the caller's (never dereferenced here, must not
 * be NULL) and is handed back in events and lookups. The consent timer starts at now_us.
 * Returns 0, -EINVAL (bad strings), -EEXIST (local ufrag in use), -ENOSPC (table full), -ENOMEM. */
int anc_ice_session_add(struct anc_ice_agent *a, uint64_t now_us, const char *local_ufrag,
                        const char *local_pwd, const char *remote_ufrag, const char *remote_pwd,
                        void *user);
/* Removes a session and any event still pending for it. Returns 0 or -ENOENT. */
int anc_ice_session_remove(struct anc_ice_agent *a, const char *local_ufrag);

/* Feeds one datagram received from `from`. Returns 0 when the packet was a valid check (answered
 * in *res) or was STUN that needs nothing (indications, responses: res->len == 0); -EBADMSG for
 * malformed or non-STUN input; -ENOENT for an unknown or expired ufrag; -EACCES when integrity or
 * fingerprint fail. On every error res->len is 0 and nothing changed. A check that claims
 * ICE-CONTROLLED is answered with a 487 (Role Conflict) error and validates nothing. */
int anc_ice_handle_packet(struct anc_ice_agent *a, uint64_t now_us, const struct anc_addr *from,
                          const uint8_t *buf, size_t len, struct anc_ice_result *res);

/* The user pointer of the live session whose selected or validated address is `from`, or NULL. */
void *anc_ice_session_for_addr(const struct anc_ice_agent *a, const struct anc_addr *from);

/* Expires sessions whose consent ran out by now_us (see the top comment), queueing EXPIRED
 * events, and forgets non-selected addresses that sent no valid check for ANC_ICE_CONSENT_US. */
void anc_ice_handle_timeout(struct anc_ice_agent *a, uint64_t now_us);
/* When anc_ice_handle_timeout() must next be called; UINT64_MAX: never. */
uint64_t anc_ice_next_timeout(const struct anc_ice_agent *a);

/* Takes the next pending event; false when none. Events of one session come in the order
 * SELECTED, ADDR_CHANGED, EXPIRED; repeated address changes before a poll are reported once, with
 * the latest address. */
bool anc_ice_poll_event(struct anc_ice_agent *a, struct anc_ice_event *ev);
