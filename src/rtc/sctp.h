/* SCTP over DTLS (RFC 8261) with WebRTC data channels (RFC 8831, DCEP RFC 8832), sans-IO.
 *
 * One struct anc_sctp is one SCTP association on top of one DTLS connection. It never touches
 * a socket or the clock: DTLS-decrypted bytes go in with anc_sctp_handle_data(), SCTP packets
 * to be encrypted come out of anc_sctp_poll_transmit(), and what happened comes out of
 * anc_sctp_poll_event(). The SCTP stack is usrsctp, initialised once per process (refcounted)
 * with usrsctp_init_nothreads(), so it starts no threads; its timers are global to the
 * process and advance only when the caller ticks them (anc_sctp_handle_timeout / anc_sctp_tick).
 *
 * Driving it from the loop, after anything was fed in (data, timeout, open, send, close):
 *   1. drain anc_sctp_poll_event() until false (receiving happens lazily here, so a caller that
 *      stops polling events pushes back on the peer through the SCTP receive window);
 *   2. drain anc_sctp_poll_transmit() until false and hand each datagram to DTLS;
 *   3. rearm the timer with anc_sctp_next_timeout().
 * Timers: usrsctp's clock is process-wide. While any association exists, the glue calls
 * anc_sctp_handle_timeout() for each association when its next_timeout is due (about every
 * ANC_SCTP_TICK_US); the first call in a loop iteration advances usrsctp's clock, later ones in
 * the same iteration are no-ops for the clock. A tick may queue datagrams on any association
 * (retransmissions), so the glue drains every association's transmits after its timeout.
 *
 * Everything here runs on the loop thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANC_SCTP_DEFAULT_PORT             5000
#define ANC_SCTP_DEFAULT_MAX_MESSAGE_SIZE (256 * 1024)
#define ANC_SCTP_MAX_STREAMS              1024
#define ANC_SCTP_MAX_CHANNELS             16 /* default cap of channels open at once */
#define ANC_SCTP_TICK_US                  10000
/* Largest SCTP packet we emit: a DTLS record carrying one stays well under an Ethernet MTU. */
#define ANC_SCTP_MAX_PACKET 1200

struct anc_sctp;

struct anc_sctp_config {
    bool dtls_client;        /* DTLS role: the client opens even stream ids, the server odd ones */
    uint16_t local_port;     /* 0: 5000 */
    uint16_t remote_port;    /* 0: 5000; the peer's SDP a=sctp-port */
    size_t max_message_size; /* 0: 256 KiB; largest message accepted, and sent (else -EMSGSIZE) */
    /* The peer's a=max-message-size (RFC 8841): messages sent are also kept within it.
     * 0: no limit of its own. */
    size_t remote_max_message_size;
    /* Channels open at once, ours and the peer's (0: ANC_SCTP_MAX_CHANNELS). A peer's OPEN
     * beyond it is rejected: its stream is reset, the association and other channels stay. */
    size_t max_channels;
};

enum anc_sctp_event_type {
    ANC_SCTP_EV_CONNECTED,      /* association up; channels may now carry messages */
    ANC_SCTP_EV_CHANNEL_OPEN,   /* remote OPEN received (remote=true, ACK already queued), or
                                   the peer acknowledged our OPEN (remote=false) */
    ANC_SCTP_EV_MESSAGE,        /* a complete message on a channel */
    ANC_SCTP_EV_CHANNEL_CLOSED, /* both directions of the channel's stream were reset */
    ANC_SCTP_EV_CLOSED,         /* association gone (shutdown, abort, lost); nothing more comes */
};

struct anc_sctp_event {
    enum anc_sctp_event_type type;
    uint16_t channel; /* stream id: CHANNEL_OPEN, MESSAGE, CHANNEL_CLOSED */
    /* CHANNEL_OPEN */
    bool remote;
    uint8_t channel_type; /* ANC_DCEP_CHANNEL_* */
    uint32_t reliability;
    const char *label; /* NUL-terminated, owned by the anc_sctp (see below) */
    const char *protocol;
    /* MESSAGE */
    bool is_binary;
    const uint8_t *data; /* owned by the anc_sctp (see below); NULL when len is 0 */
    size_t len;
};
/* label, protocol and data stay valid until the next anc_sctp_poll_event() or anc_sctp_free()
 * on the same object; copy them to keep them. */

struct anc_sctp_datagram {
    const uint8_t *data; /* owned by the anc_sctp; valid until the next poll_transmit or free */
    size_t len;
};

struct anc_sctp_stats {
    uint64_t messages_sent;
    uint64_t messages_received;
    uint64_t dropped_oversize;   /* received messages above max_message_size */
    uint64_t dropped_no_channel; /* messages on a stream without an open channel */
    uint64_t bad_dcep;           /* malformed or unexpected DCEP messages */
    uint64_t rejected_opens;     /* peer OPENs refused (label/protocol too long, too many
                                    channels): their streams were reset */
    uint64_t bad_ppid;           /* unknown or deprecated PPIDs */
    uint64_t transmit_dropped;   /* outgoing datagrams dropped: queue full or out of memory */
};

/* Creates an association object (AF_CONN socket bound to local_port); cfg may be NULL for
 * the defaults. The first call initialises usrsctp for the process. On success *out is a new
 * object the caller frees with anc_sctp_free(). */
int anc_sctp_new(const struct anc_sctp_config *cfg, struct anc_sctp **out);

/* Aborts the association (an ABORT is not sent: free after DTLS is gone or about to go),
 * drops queued datagrams, events and data in flight. Accepts NULL. The last free releases
 * usrsctp (or, if it still holds state, the next anc_sctp_tick does). */
void anc_sctp_free(struct anc_sctp *s);

/* Starts the association: both sides connect to the peer's port (SCTP resolves the
 * simultaneous open). Call once DTLS is connected. */
int anc_sctp_connect(struct anc_sctp *s, uint64_t now_us);

/* Feeds one DTLS-decrypted record (one SCTP packet). */
int anc_sctp_handle_data(struct anc_sctp *s, uint64_t now_us, const uint8_t *buf, size_t len);

/* Next datagram for DTLS to encrypt and send, false when none is queued. */
bool anc_sctp_poll_transmit(struct anc_sctp *s, struct anc_sctp_datagram *out);

/* Next event, false when none. See struct anc_sctp_event for the lifetime of its pointers. */
bool anc_sctp_poll_event(struct anc_sctp *s, struct anc_sctp_event *out);

/* Absolute time (µs, caller's clock) of the next tick, UINT64_MAX when s needs none. */
uint64_t anc_sctp_next_timeout(const struct anc_sctp *s, uint64_t now_us);

/* Ticks usrsctp's timers (anc_sctp_tick) and retries pending stream resets of s. */
int anc_sctp_handle_timeout(struct anc_sctp *s, uint64_t now_us);

/* Module-level ticker: advances usrsctp's timers by the whole milliseconds elapsed since the
 * previous tick. Idempotent within a millisecond; a no-op while usrsctp is not initialised. */
void anc_sctp_tick(uint64_t now_us);

/* Opens a channel (-ENOSPC when max_channels are open): picks a free stream id of our parity, sends DATA_CHANNEL_OPEN (at once,
 * or when the association comes up) and stores the id in *id. max_retransmits and
 * max_lifetime_ms are -1 when unset (at most one may be set). Messages may be sent as soon
 * as the association is up; until the ACK arrives they go ordered (RFC 8832 §6).
 * label and protocol are copied. -ENOSPC when no stream id is free. */
int anc_sctp_open_channel(struct anc_sctp *s, const char *label, const char *protocol, bool ordered,
                          int max_retransmits, int max_lifetime_ms, uint16_t *id);

/* Sends one message (copied). 0-length messages use the empty PPIDs. -EMSGSIZE above
 * max_message_size, -ENOTCONN before CONNECTED, -ENOENT for an unknown or closing channel,
 * -EAGAIN when usrsctp's send buffer is full (drain transmits, feed the peer's SACKs, retry). */
int anc_sctp_send(struct anc_sctp *s, uint16_t id, bool is_binary, const void *buf, size_t len);

/* Closes a channel by resetting its outgoing stream (the peer resets its side in answer);
 * ANC_SCTP_EV_CHANNEL_CLOSED follows when both directions are reset. */
int anc_sctp_close_channel(struct anc_sctp *s, uint16_t id);

void anc_sctp_get_stats(const struct anc_sctp *s, struct anc_sctp_stats *out);
