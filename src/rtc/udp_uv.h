/* The one UDP port of every WebRTC session: the libuv glue around struct anc_rtc_host. The only
 * file of rtc/ that touches libuv. Loop thread only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "rtc/host.h"

struct anc_rtc_udp;

/* Called for each host event; it may add or remove sessions and send video. */
typedef void (*anc_rtc_udp_event_fn)(void *arg, const struct anc_rtc_host_event *ev);

struct anc_rtc_udp_stats {
    uint64_t datagrams_in, datagrams_out, bytes_in, bytes_out, send_errors;
};

/* Binds ip:port (port 0: ephemeral) and starts receiving. The host must outlive the glue.
 * Returns 0 and the glue in *out, or a libuv error. */
int anc_rtc_udp_start(uv_loop_t *loop, const char *ip, int port, struct anc_rtc_host *host,
                      anc_rtc_udp_event_fn on_event, void *arg, struct anc_rtc_udp **out);

/* The bound port. */
int anc_rtc_udp_port(const struct anc_rtc_udp *u);

/* Monotonic µs, the clock every rtc/ call takes. */
uint64_t anc_rtc_now_us(const struct anc_rtc_udp *u);

/* After changing the host from outside a callback (session added, video sent): sends what is
 * queued, dispatches events and re-arms the timer. */
void anc_rtc_udp_flush(struct anc_rtc_udp *u);

/* Packets to some addresses go another way (ICE-TCP connections, tcp_uv.c): divert is asked for
 * each outgoing packet first and returns true when it took it. NULL: all go by UDP. */
typedef bool (*anc_rtc_udp_divert_fn)(void *arg, const struct anc_addr *to, const uint8_t *buf,
                                      size_t len);
void anc_rtc_udp_set_divert(struct anc_rtc_udp *u, anc_rtc_udp_divert_fn divert, void *arg);

void anc_rtc_udp_get_stats(const struct anc_rtc_udp *u, struct anc_rtc_udp_stats *out);

/* Sends what is queued (e.g. close_notify of removed sessions), closes the handles, then calls
 * done(arg). u may be NULL: done runs at once. */
void anc_rtc_udp_close(struct anc_rtc_udp *u, void (*done)(void *arg), void *arg);
