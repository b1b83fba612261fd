/* Viewer sessions: one WebRTC peer watching one instance (WHEP). Owns the daemon's certificate,
 * the DTLS context, the RTC host and its UDP port. Loop thread only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct anc_app;
struct anc_instance;
struct anc_sessions;
struct anc_session;

#define ANC_SESSION_ID_LEN 16

/* Loads or creates the certificate in state_dir, binds [rtc] udp_port. Returns 0 or -errno
 * (logged with context by the caller). */
int anc_sessions_new(struct anc_app *app, struct anc_sessions **out);

/* Ends every session, sends close_notify, closes the UDP port, then calls done(arg). */
void anc_sessions_close(struct anc_sessions *s, void (*done)(void *arg), void *arg);

/* The result of a WHEP offer. On success: sid and answer (caller frees answer). On failure: an
 * HTTP status (400 bad offer, 503 full) and a reason. */
struct anc_whep_result {
    char sid[ANC_SESSION_ID_LEN + 1];
    char *answer;
    int status;
    char error[300];
};

/* Creates a session for a running instance from an SDP offer. Returns 0 or -errno with
 * res->status and res->error set. */
int anc_sessions_create(struct anc_sessions *s, struct anc_instance *inst, const char *offer,
                        size_t len, struct anc_whep_result *res);

/* Ends one session; -ENOENT when unknown. */
int anc_sessions_delete(struct anc_sessions *s, const char *sid);

/* Ends every session of an instance (it stops or goes away). */
void anc_sessions_end_instance(struct anc_sessions *s, struct anc_instance *inst);

/* JSON of one session (new reference) or NULL when unknown; and of all (an array). */
json_t *anc_sessions_get_json(struct anc_sessions *s, const char *sid);
json_t *anc_sessions_list_json(struct anc_sessions *s);

size_t anc_sessions_count(const struct anc_sessions *s);
int anc_sessions_udp_port(const struct anc_sessions *s);
