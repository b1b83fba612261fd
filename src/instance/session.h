/* Viewer sessions: one WebRTC peer watching one instance (WHEP). The sessions drive a sans-IO RTC
 * host they are given; whoever owns the host also owns its transport (the UDP port) and tells the
 * sessions about it through struct anc_sessions_io. Loop thread only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct anc_cert;
struct anc_config;
struct anc_dtls_ctx;
struct anc_instance;
struct anc_metrics;
struct anc_rtc_host;
struct anc_rtc_host_event;
struct anc_sessions;
struct anc_session;

#define ANC_SESSION_ID_LEN     16
#define ANC_SESSION_CANDIDATES 8

/* The transport under the host, as far as sessions need it. */
struct anc_sessions_io {
    uint64_t (*now_us)(void *arg); /* the monotonic clock every rtc/ call takes */
    void (*flush)(void *arg);      /* after changing the host outside a host event: send */
    int (*port)(void *arg);        /* the UDP port advertised in answers */
    void *arg;
};

/* What the sessions use; everything is borrowed and must outlive them. */
struct anc_sessions_deps {
    const struct anc_config *cfg; /* max_sessions (read live), max_message_kib, max_bitrate_kbps */
    struct anc_metrics *metrics;  /* ancloud_rtc_sessions, ancloud_input_... series */
    struct anc_rtc_host *host;    /* sessions add and remove their peers here */
    struct anc_dtls_ctx *dtls;
    const struct anc_cert *cert;   /* its fingerprint goes into answers */
    const char *const *candidates; /* addresses advertised in answers (copied) */
    int n_candidates;              /* at most ANC_SESSION_CANDIDATES are kept */
    struct anc_sessions_io io;
};

/* Returns 0 or -ENOMEM. */
int anc_sessions_new(const struct anc_sessions_deps *deps, struct anc_sessions **out);

/* The host's event callback (anc_rtc_udp_event_fn): arg is the struct anc_sessions. */
void anc_sessions_on_host_event(void *arg, const struct anc_rtc_host_event *ev);

/* Ends every session (close_notify queued on the host and flushed), frees s, then calls
 * done(arg) before returning. s may be NULL. The host outlives this call: its owner closes the
 * transport afterwards so that close_notify leaves. */
void anc_sessions_close(struct anc_sessions *s, void (*done)(void *arg), void *arg);

/* The result of a WHEP offer. On success: sid and answer (caller frees answer). On failure: a
 * reason for the viewer. */
struct anc_whep_result {
    char sid[ANC_SESSION_ID_LEN + 1];
    char *answer;
    char error[300];
};

/* Who opens a session (the credential of its WHEP offer). Roles: one session per instance is the
 * controller, whose input reaches the guest; the others watch (their input is refused, their
 * keyframe requests still count). The first control-capable session of an instance gets control;
 * when the controller ends, the oldest remaining control-capable one does. Every change is told to
 * every viewer of the instance as an ANC_INPUT_OUT_CONTROL message (input/proto.h). */
struct anc_session_who {
    bool admin;        /* the admin token (always control-capable) */
    bool control;      /* may hold control: admin, or a control-role viewer token */
    char token_id[17]; /* the viewer token's id; "" for the admin token */
};

/* Creates a session for a running instance from an SDP offer. Returns 0, or with res->error
 * set: -EINVAL (the offer is unusable), -ENOSPC ([rtc] max_sessions reached, or the host is
 * full) or another -errno (ours). anc_sessions_create opens it as the admin. */
int anc_sessions_create_as(struct anc_sessions *s, struct anc_instance *inst,
                           const struct anc_session_who *who, const char *offer, size_t len,
                           struct anc_whep_result *res);
int anc_sessions_create(struct anc_sessions *s, struct anc_instance *inst, const char *offer,
                        size_t len, struct anc_whep_result *res);

/* Who opened session sid, and its instance's id (ANC_INSTANCE_ID_LEN + 1 bytes; may be NULL).
 * Returns 0 or -ENOENT. */
int anc_sessions_who(const struct anc_sessions *s, const char *sid, struct anc_session_who *who,
                     char *instance_id, size_t id_cap);

/* Hands control of sid's instance to sid, on behalf of by: the admin, or the holder of the current
 * controller's token. Returns 0, -ENOENT (no such session), -EACCES (by is not the controller)
 * or -EPERM (sid may not control: a view-role token). */
int anc_sessions_give_control(struct anc_sessions *s, const char *sid,
                              const struct anc_session_who *by);

/* Ends every session opened with viewer token tid (it was revoked). Returns how many. */
size_t anc_sessions_end_token(struct anc_sessions *s, const char *tid);

/* Ends one session; -ENOENT when unknown. */
int anc_sessions_delete(struct anc_sessions *s, const char *sid);

/* Ends every session of an instance (it stops or goes away). s may be NULL: there are none (the
 * owner closed them at shutdown while instances were still stopping). */
void anc_sessions_end_instance(struct anc_sessions *s, struct anc_instance *inst);

/* The guest of inst has a new clipboard (utf8[0..len)): every viewer of inst with an open
 * "input" data channel gets an ANC_INPUT_OUT_CLIPBOARD message (input/proto.h), cut to what its
 * browser takes. s may be NULL (shutting down: nobody to tell). */
void anc_sessions_clipboard(struct anc_sessions *s, struct anc_instance *inst, const char *utf8,
                            size_t len);

/* JSON of one session (new reference) or NULL when unknown; and of all (an array). */
json_t *anc_sessions_get_json(struct anc_sessions *s, const char *sid);
json_t *anc_sessions_list_json(struct anc_sessions *s);

size_t anc_sessions_count(const struct anc_sessions *s);
