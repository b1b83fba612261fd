/* Instance records: what an instance is (kind, geometry, rate), its lifecycle state, and their
 * JSON form for the REST API and the store. Pure: no I/O here. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define ANC_INSTANCE_ID_LEN 12

enum anc_instance_kind {
    ANC_KIND_PATTERN = 0, /* synthetic test card, no guest: checks a viewer's network and browser */
    ANC_KIND_X11,         /* a command run on the host, on the instance's own X display */
    ANC_KIND_LINUX,       /* a container from an image, on the instance's own X display */
    ANC_KIND_ANDROID,     /* an Android (redroid) container; its in-guest agent supplies video */
};

/* Where a linux guest's video comes from (kind android: always the agent). */
enum anc_capture {
    ANC_CAPTURE_HOST = 0, /* the instance's Xvfb, captured and encoded with x264 by ancloudd */
    ANC_CAPTURE_AGENT,    /* the in-guest agent's H.264 stream */
};

/* Android display density (dpi), as accepted from a request. */
#define ANC_INSTANCE_DPI_MIN     72
#define ANC_INSTANCE_DPI_MAX     640
#define ANC_INSTANCE_DPI_DEFAULT 320

/* What happens when the guest ends by itself (kinds linux and android). */
enum anc_restart_policy {
    ANC_RESTART_NO = 0,
    ANC_RESTART_ON_FAILURE, /* unless it exited with status 0 */
    ANC_RESTART_ALWAYS,
};

#define ANC_INSTANCE_MAX_ARGS 32
#define ANC_INSTANCE_MAX_ARG  512

enum anc_instance_state {
    ANC_STATE_STOPPED = 0,
    ANC_STATE_STARTING,
    ANC_STATE_RUNNING,
    ANC_STATE_STOPPING,
    ANC_STATE_ERROR,
};

struct anc_stream;
struct anc_input_msg;

struct anc_instance {
    char id[ANC_INSTANCE_ID_LEN + 1];
    char name[64];
    enum anc_instance_kind kind;
    int width, height, fps;
    int bitrate_kbps; /* 0: [stream] bitrate_kbps */
    enum anc_instance_state state;
    char error[256];                                           /* reason, when state is error */
    int64_t created_at;                                        /* unix seconds */
    char command[ANC_INSTANCE_MAX_ARGS][ANC_INSTANCE_MAX_ARG]; /* x11, linux: argv */
    int n_command;
    char image[128]; /* linux, android: <image_dir>/<image>.img */
    int memory_mb;   /* linux, android: 0 = no limit */
    int cpus;        /* linux, android: 0 = default weight */
    enum anc_restart_policy restart;
    int dpi;                  /* android: display density */
    enum anc_capture capture; /* linux; android instances are always ANC_CAPTURE_AGENT */

    /* The store's revision of the record this copy was read from or last written as; 0: never
     * stored. Kept by the store, not part of the record's JSON (instance/store.h). */
    uint64_t revision;

    /* Runtime only (not persisted). */
    struct anc_stream *stream;
    /* Where decoded input goes (XTest for X11 guests); NULL: input is validated and counted only.
     * Returns ANC_INPUT_APPLIED, ANC_INPUT_KEYFRAME or a negative errno. */
    int (*input)(struct anc_instance *inst, const struct anc_input_msg *m);
    void *input_ctx;
    int viewers;
    void *rt;                             /* the manager's runtime state of a started instance */
    bool pending_delete, pending_restart; /* acted on when the runtime has stopped */
    /* Restart policy back-off: a guest that keeps dying is started again after 1 s, doubling up
     * to 60 s, back to 1 s once a run lasted a minute. */
    uint64_t started_ms, restart_at_ms, restart_delay_ms;
    unsigned restarts; /* by the policy, since the daemon started */
    struct anc_instance *next;
};

const char *anc_instance_state_name(enum anc_instance_state s);
const char *anc_instance_kind_name(enum anc_instance_kind k);
const char *anc_instance_restart_name(enum anc_restart_policy p);
const char *anc_instance_capture_name(enum anc_capture c);
/* True for the kinds that run a container from an image (linux, android). */
bool anc_instance_has_image(const struct anc_instance *inst);

/* Validates a creation request. On error returns -EINVAL and names the field and the reason:
 * "width: must be an even integer from 16 to 4096". fps/bitrate default from the arguments. */
int anc_instance_from_request(struct anc_instance *out, json_t *req, int default_fps, char *err,
                              size_t errlen);

/* A new random id (12 lowercase hex characters). */
int anc_instance_new_id(char out[ANC_INSTANCE_ID_LEN + 1]);

/* JSON for the API and the store: a new reference. */
json_t *anc_instance_to_json(const struct anc_instance *inst);

/* Reads a stored record (strict: every field checked). Returns 0 or -EINVAL with a reason. */
int anc_instance_from_record(struct anc_instance *out, json_t *rec, char *err, size_t errlen);
