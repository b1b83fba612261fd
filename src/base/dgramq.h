/* A bounded FIFO of datagrams, for the sans-IO protocol code: what one layer produced and the next
 * (or the UDP glue) has not taken yet. Pure code: no clock, no I/O, no logging.
 *
 * Bounds: at most max_count datagrams are held, each of at most max_len bytes. A push beyond them
 * is refused and counted as a drop, the way a full socket buffer loses a datagram; the owner decides
 * whether that is an error (usually it is not: the peer retransmits or the media copes).
 *
 * Each datagram is one allocation, handed whole to the caller by anc_dgramq_pop, so a consumer can
 * keep it (e.g. until its next poll) without copying. Loop thread only; no locking. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

/* One queued datagram. The queue owns it until anc_dgramq_pop hands it to the caller. */
struct anc_dgram {
    struct anc_dgram *next; /* private to the queue */
    struct anc_addr addr;   /* as given to push; zeroed when push had none */
    size_t len;
    uint8_t data[];
};

/* Embedded in its owner. All fields are private; use the functions below. */
struct anc_dgramq {
    struct anc_dgram *head, *tail;
    size_t count, bytes;
    size_t max_count, max_len;
    uint64_t drops;
};

/* Initializes an empty queue holding at most max_count datagrams of at most max_len bytes each
 * (SIZE_MAX: no limit of its own). Cannot fail. A zeroed struct is a valid queue that refuses
 * every push. */
void anc_dgramq_init(struct anc_dgramq *q, size_t max_count, size_t max_len);

/* Frees every queued datagram and leaves q zeroed; accepts NULL and a zeroed q. Datagrams already
 * popped are the caller's and stay valid. */
void anc_dgramq_destroy(struct anc_dgramq *q);

/* Copies len bytes (data may be NULL when len is 0) to the tail, with addr (copied; NULL: none).
 * Returns 0, or refuses and counts a drop: -ENOBUFS when max_count datagrams are queued, -EMSGSIZE
 * when len > max_len, -ENOMEM. Nothing is queued on any error. */
int anc_dgramq_push(struct anc_dgramq *q, const void *data, size_t len,
                    const struct anc_addr *addr);

/* Detaches the head and returns it, NULL when empty. The caller owns it and frees it with
 * anc_dgram_free; it no longer counts against the queue's bounds. */
struct anc_dgram *anc_dgramq_pop(struct anc_dgramq *q);

/* Pops the head into buf (its address into *addr when addr is not NULL) and returns true, or false
 * when the queue is empty. A datagram larger than cap cannot be handed over: it is freed and
 * counted in *oversize, and the next one is tried. */
bool anc_dgramq_pop_copy(struct anc_dgramq *q, uint8_t *buf, size_t cap, size_t *len,
                         struct anc_addr *addr, uint64_t *oversize);

/* Frees a popped datagram; accepts NULL. */
void anc_dgram_free(struct anc_dgram *g);

/* Frees every queued datagram. The bounds and the drop count stay: discarding is the owner's
 * choice, not a drop. */
void anc_dgramq_clear(struct anc_dgramq *q);

size_t anc_dgramq_count(const struct anc_dgramq *q);   /* datagrams queued */
size_t anc_dgramq_bytes(const struct anc_dgramq *q);   /* payload bytes queued */
uint64_t anc_dgramq_drops(const struct anc_dgramq *q); /* pushes refused since init */
