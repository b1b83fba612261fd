/* ICE-TCP (RFC 6544) on [rtc] tcp_port: the libuv glue that lets a browser whose network blocks
 * UDP reach the same RTC host over TCP. It listens, accepts up to max_conns connections, unframes
 * each one's RFC 4571 stream (rtc/tcpframe.h) and hands every packet to the host as a datagram
 * from the connection's remote address; packets the host sends to such an address are taken off
 * the UDP path (anc_rtc_udp_set_divert) and framed onto the connection. A connection that sends a
 * non-STUN packet before ICE validated it, an oversized frame, or never completes ICE within
 * ANC_RTC_TCP_ICE_DEADLINE_S, or that is silent for ANC_RTC_TCP_IDLE_S, is closed. Outgoing
 * bytes waiting in a connection beyond ANC_RTC_TCP_MAX_BUFFERED are not queued: that packet is
 * dropped, as UDP would lose it, and SRTP/SCTP recover as they do on UDP. Packets to the address
 * of a connection that closed after ICE are dropped until the session's consent would have run
 * out, never sent by UDP. An address is looked up among TCP connections before UDP: a browser
 * using the same ip:port for a UDP and a TCP candidate would get everything over TCP. Loop thread
 * only. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "rtc/host.h"
#include "rtc/udp_uv.h"

#define ANC_RTC_TCP_ICE_DEADLINE_S 10
#define ANC_RTC_TCP_IDLE_S         30 /* browsers send consent checks every ~5 s */
#define ANC_RTC_TCP_MAX_BUFFERED   (512 * 1024)

struct anc_rtc_tcp;

struct anc_rtc_tcp_stats {
    uint64_t accepted, refused; /* refused: over max_conns */
    uint64_t closed_garbage;    /* oversized frame, or not STUN before ICE */
    uint64_t closed_deadline;   /* ICE not done in time, or idle */
    uint64_t packets_in, packets_out, dropped_out;
    size_t open;
};

/* Listens on ip:port (0: ephemeral, for tests) and diverts the UDP glue's packets for TCP peers. host and udp
 * must outlive the glue. Returns 0 and the glue in *out, or a libuv error. */
int anc_rtc_tcp_start(uv_loop_t *loop, const char *ip, int port, size_t max_conns,
                      struct anc_rtc_host *host, struct anc_rtc_udp *udp, struct anc_rtc_tcp **out);

/* The bound port. */
int anc_rtc_tcp_port(const struct anc_rtc_tcp *t);

void anc_rtc_tcp_get_stats(const struct anc_rtc_tcp *t, struct anc_rtc_tcp_stats *out);

/* Stops diverting, closes every connection and the listener, then calls done(arg). t may be
 * NULL: done runs at once. */
void anc_rtc_tcp_close(struct anc_rtc_tcp *t, void (*done)(void *arg), void *arg);
