/* One connection to one run of the in-guest agent, on the loop: the libuv glue around the sans-IO
 * client (agent/client.h). It connects both sockets inside the guest's network namespace
 * (agent/nsconnect.h), feeds what they read into the client, writes control bytes with a bounded
 * queue, and reports through callbacks.
 *
 * Meant to be owned by a runtime kind together with one pass-through stream (media/stream.h):
 * the stream outlives connections, so when the agent dies or must restart at another bit rate
 * the kind closes this connection, restarts the agent and starts a new one, while viewers keep
 * their sessions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "input/proto.h"

struct anc_agent_conn;

/* Every callback runs on the loop with the arg of anc_agent_conn_start; pointers are valid only
 * during the call. None runs after anc_agent_conn_close. */
struct anc_agent_conn_cbs {
    /* The agent sent its video header: H.264 of width x height. Once. */
    void (*on_ready)(void *arg, const char *device, uint32_t width, uint32_t height);
    /* One access unit, Annex-B; keyframes carry SPS/PPS ahead (anc_stream_push_au takes it). */
    void (*on_au)(void *arg, const uint8_t *data, size_t len, bool keyframe, uint64_t pts_us);
    /* The device's clipboard changed. NULL: ignored. */
    void (*on_clipboard)(void *arg, const uint8_t *utf8, size_t len);
    /* The connection ended (could not connect, the agent closed a socket or sent garbage, no
     * header in time): status is a negative errno, why a sentence for the log. Once; nothing
     * else is reported after it. The owner still calls anc_agent_conn_close. */
    void (*on_closed)(void *arg, int status, const char *why);
};

struct anc_agent_conn_params {
    pid_t init_pid;              /* a process in the guest's network namespace */
    uint32_t scid;               /* the agent's scid= option: the socket is "scrcpy_%08x" */
    uint64_t bitrate_bps;        /* the agent's video_bit_rate= option */
    uint64_t connect_timeout_ms; /* 0: 10 s (the agent's JVM takes a while to listen) */
    size_t write_queue_max;      /* 0: 64 KiB of control bytes waiting for the guest */
};

struct anc_agent_conn_stats {
    uint64_t video_bytes, aus, keyframes;
    uint64_t input_sent, input_dropped; /* dropped: the guest did not keep up */
    size_t write_queued;
};

/* Starts connecting. Returns 0 and *out, or -errno (nsconnect's, -ENOMEM) with no callback. */
int anc_agent_conn_start(uv_loop_t *loop, const struct anc_agent_conn_params *p,
                         const struct anc_agent_conn_cbs *cbs, void *arg,
                         struct anc_agent_conn **out);

/* Sends one input message (what a runtime's input op does). Returns ANC_INPUT_APPLIED,
 * ANC_INPUT_KEYFRAME for a keyframe request (the session then asks the stream, whose
 * rate-limited request comes back as anc_agent_conn_reset_video), -ENOTCONN before the sockets
 * are connected or after on_closed, -EAGAIN for touch or wheel before on_ready, -ENOBUFS when
 * dropped because the guest does not keep up (moves above write_queue_max, anything above four
 * times that), or the client's errors. */
int anc_agent_conn_input(struct anc_agent_conn *c, const struct anc_input_msg *m);

/* RESET_VIDEO: the agent restarts its encoder, so a config packet and a keyframe come next. */
int anc_agent_conn_reset_video(struct anc_agent_conn *c);

/* Feeds the stream's estimate (anc_stream_passthrough_ops.estimate) to the bit-rate policy of
 * agent/client.h. Returns 0, or the bit rate to restart the agent at. */
uint64_t anc_agent_conn_estimate(struct anc_agent_conn *c, uint64_t bps);

void anc_agent_conn_get_stats(const struct anc_agent_conn *c, struct anc_agent_conn_stats *out);

/* Closes the sockets (pending writes are dropped), or stops connecting; no callback of cbs runs
 * after this. closed(arg) (may be NULL) runs once everything is freed. c may be NULL: closed
 * runs at once. */
void anc_agent_conn_close(struct anc_agent_conn *c, void (*closed)(void *arg), void *arg);
