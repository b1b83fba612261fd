/* Internals shared by sctp.c (the association: usrsctp glue, queues, timers, notifications)
 * and sctp_channel.c (data channels: DCEP, sending, reassembly, stream resets). Nothing
 * outside those two files includes this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/dgramq.h"
#include "rtc/sctp.h"

#define RECV_CHUNK         65536 /* one usrsctp_recvv; larger messages come in parts */
#define RESET_ATTEMPTS_MAX 3

struct anc__sctp_event_node {
    struct anc__sctp_event_node *next;
    struct anc_sctp_event ev;
    uint8_t payload[]; /* message data, or label NUL protocol NUL */
};

struct anc__sctp_channel {
    char *label, *protocol;
    uint8_t type;
    uint32_t reliability;
    bool local;         /* we sent the OPEN */
    bool open_pending;  /* OPEN not sent yet (association down or send buffer full) */
    bool ack_pending;   /* ACK not sent yet (send buffer full) */
    bool acked;         /* ACK or data seen: unordered sending allowed */
    bool open_reported; /* CHANNEL_OPEN event queued */
    bool closing;       /* no more sending; waiting for both stream resets */
    bool reset_wanted;  /* our outgoing stream reset still to be requested */
    bool reset_out_done, reset_in_done;
    bool rejected; /* a peer's OPEN we refused: only its stream reset, no events */
    int reset_attempts;
};

struct anc_sctp {
    uint64_t id;
    struct socket *sock;
    bool registered, connect_called, connected, closed;
    struct anc_sctp_config cfg;
    uint16_t out_streams;
    struct anc_dgramq tx;
    struct anc_dgram *tx_polled; /* handed out by poll_transmit, freed by the next poll */
    struct anc__sctp_event_node *ev_head, *ev_tail, *ev_polled;
    struct anc__sctp_channel *chans[ANC_SCTP_MAX_STREAMS];
    uint8_t *rbuf;
    /* Reassembly of a message delivered in parts (no MSG_EOR). */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    uint16_t rx_sid;
    uint32_t rx_ppid;
    bool rx_active, rx_discard;
    struct anc_sctp_stats stats;
};

/* sctp.c */
int anc__sctp_setopt(struct anc_sctp *s, int level, int name, const void *val, socklen_t len);
struct anc__sctp_event_node *anc__sctp_event_push(struct anc_sctp *s,
                                                  const struct anc_sctp_event *ev, const void *p1,
                                                  size_t n1, const void *p2, size_t n2);
void anc__sctp_push_simple(struct anc_sctp *s, enum anc_sctp_event_type type, uint16_t sid);
/* 0, -EAGAIN when the send buffer is full, or another negative errno. */
int anc__sctp_send_raw(struct anc_sctp *s, uint16_t sid, uint32_t ppid, const void *buf, size_t len,
                       bool unordered, uint16_t pr_policy, uint32_t pr_value);

/* sctp_channel.c */
void anc__sctp_channel_free(struct anc__sctp_channel *ch);
/* Sends what waited for the association or for send-buffer space: OPENs, ACKs, resets. */
void anc__sctp_flush_pending(struct anc_sctp *s);
/* One read from usrsctp: a whole message (eor) or a part of one. */
void anc__sctp_on_data(struct anc_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf,
                       size_t n, bool eor);
void anc__sctp_on_stream_reset_event(struct anc_sctp *s, const uint8_t *buf, size_t len);
