#include "instance/instance.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const state_names[] = {"stopped", "starting", "running", "stopping", "error"};
static const char *const kind_names[] = {"pattern", "x11", "linux", "android"};
static const char *const restart_names[] = {"no", "on-failure", "always"};
static const char *const capture_names[] = {"host", "agent"};

const char *anc_instance_state_name(enum anc_instance_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

const char *anc_instance_kind_name(enum anc_instance_kind k)
{
    return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

const char *anc_instance_restart_name(enum anc_restart_policy p)
{
    return (unsigned)p < sizeof(restart_names) / sizeof(restart_names[0]) ? restart_names[p] : "?";
}

const char *anc_instance_capture_name(enum anc_capture c)
{
    return (unsigned)c < sizeof(capture_names) / sizeof(capture_names[0]) ? capture_names[c] : "?";
}

bool anc_instance_has_image(const struct anc_instance *inst)
{
    return inst->kind == ANC_KIND_LINUX || inst->kind == ANC_KIND_ANDROID;
}

static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

int anc_instance_new_id(char out[ANC_INSTANCE_ID_LEN + 1])
{
    unsigned char raw[ANC_INSTANCE_ID_LEN / 2];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -EIO;
    for (size_t i = 0; i < sizeof(raw); i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
    return 0;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -EINVAL;                                                                            \
    } while (0)

/* Reads an optional integer field; *out keeps its value when the field is absent. */
static int get_int(json_t *obj, const char *key, long lo, long hi, bool even, int *out, char *err,
                   size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi ||
        (even && json_integer_value(v) % 2))
        FAIL("%s: must be %s from %ld to %ld", key, even ? "an even integer" : "an integer", lo,
             hi);
    *out = (int)json_integer_value(v);
    return 0;
}

static int check_fields(json_t *req, const char *const *allowed, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(req, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok = ok || strcmp(key, *a) == 0;
        if (!ok)
            FAIL("%s: unknown field", key);
    }
    return 0;
}

/* "command": an array of 1..32 strings, the first an absolute path; required for x11, optional
 * for linux (default: the image's /sbin/ancloud-guest), not for pattern. */
static int get_command(json_t *req, struct anc_instance *out, char *err, size_t errlen)
{
    json_t *cmd = json_object_get(req, "command");
    if (out->kind == ANC_KIND_PATTERN || out->kind == ANC_KIND_ANDROID) {
        if (cmd)
            FAIL("command: only for kinds \"x11\" and \"linux\"");
        return 0;
    }
    if (!cmd && out->kind == ANC_KIND_LINUX)
        return 0;
    if (!json_is_array(cmd) || json_array_size(cmd) == 0 ||
        json_array_size(cmd) > ANC_INSTANCE_MAX_ARGS)
        FAIL("command: %san array of 1 to %d strings",
             out->kind == ANC_KIND_X11 ? "required for kind \"x11\": " : "", ANC_INSTANCE_MAX_ARGS);
    size_t i;
    json_t *arg;
    json_array_foreach(cmd, i, arg)
    {
        const char *a = json_string_value(arg);
        if (!a || strlen(a) >= ANC_INSTANCE_MAX_ARG || (i == 0 && a[0] != '/'))
            FAIL("command: element %zu must be a string shorter than %d bytes%s", i,
                 ANC_INSTANCE_MAX_ARG, i == 0 ? " and an absolute path" : "");
        snprintf(out->command[i], ANC_INSTANCE_MAX_ARG, "%s", a);
    }
    out->n_command = (int)json_array_size(cmd);
    return 0;
}

/* A string field whose value is one of names (n of them); *out keeps its value when absent. */
static int get_enum(json_t *req, const char *key, const char *const *names, size_t n, int *out,
                    const char *expect, char *err, size_t errlen)
{
    json_t *v = json_object_get(req, key);
    if (!v)
        return 0;
    int i = json_is_string(v) ? lookup(names, n, json_string_value(v)) : -1;
    if (i < 0)
        FAIL("%s: must be %s", key, expect);
    *out = i;
    return 0;
}

/* Fields that only some kinds take: each is refused, naming the kinds, on the others. */
static int check_kind_fields(json_t *req, enum anc_instance_kind kind, char *err, size_t errlen)
{
    static const struct {
        const char *field;
        unsigned kinds; /* bit per enum anc_instance_kind */
        const char *names;
    } only[] = {
        {"image", 1u << ANC_KIND_LINUX | 1u << ANC_KIND_ANDROID, "kinds \"linux\" and \"android\""},
        {"memory_mb", 1u << ANC_KIND_LINUX | 1u << ANC_KIND_ANDROID,
         "kinds \"linux\" and \"android\""},
        {"cpus", 1u << ANC_KIND_LINUX | 1u << ANC_KIND_ANDROID, "kinds \"linux\" and \"android\""},
        {"restart", 1u << ANC_KIND_LINUX | 1u << ANC_KIND_ANDROID,
         "kinds \"linux\" and \"android\""},
        {"capture", 1u << ANC_KIND_LINUX, "kind \"linux\" (android always uses the agent)"},
        {"dpi", 1u << ANC_KIND_ANDROID, "kind \"android\""},
    };
    for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++)
        if (!(only[i].kinds & 1u << kind) && json_object_get(req, only[i].field))
            FAIL("%s: only for %s", only[i].field, only[i].names);
    return 0;
}

/* linux, android: "image" (required), "memory_mb", "cpus", "restart"; linux: "capture";
 * android: "dpi". */
static int get_guest(json_t *req, struct anc_instance *out, char *err, size_t errlen)
{
    if (check_kind_fields(req, out->kind, err, errlen) < 0)
        return -EINVAL;
    if (!anc_instance_has_image(out))
        return 0;
    const char *image = json_string_value(json_object_get(req, "image"));
    if (!image || !valid_name(image) || image[0] == '.' || strlen(image) >= sizeof(out->image))
        FAIL("image: required for kind \"%s\": an image name (GET /api/v1/images)",
             anc_instance_kind_name(out->kind));
    snprintf(out->image, sizeof(out->image), "%s", image);
    int restart = ANC_RESTART_NO, capture = ANC_CAPTURE_HOST;
    if (get_int(req, "memory_mb", 16, 1048576, false, &out->memory_mb, err, errlen) < 0 ||
        get_int(req, "cpus", 1, 256, false, &out->cpus, err, errlen) < 0 ||
        get_enum(req, "restart", restart_names, 3, &restart, "\"no\", \"on-failure\" or \"always\"",
                 err, errlen) < 0 ||
        get_enum(req, "capture", capture_names, 2, &capture, "\"host\" or \"agent\"", err, errlen) <
            0)
        return -EINVAL;
    out->restart = (enum anc_restart_policy)restart;
    out->capture = out->kind == ANC_KIND_ANDROID ? ANC_CAPTURE_AGENT : (enum anc_capture)capture;
    if (out->kind == ANC_KIND_ANDROID) {
        out->dpi = ANC_INSTANCE_DPI_DEFAULT;
        return get_int(req, "dpi", ANC_INSTANCE_DPI_MIN, ANC_INSTANCE_DPI_MAX, false, &out->dpi,
                       err, errlen);
    }
    return 0;
}

/* Geometry and rate. Android's display (redroid) takes 128 to 4096 pixels a side and at most
 * 60 fps; the other kinds 16 to 4096 and 120. */
static int get_display(json_t *req, struct anc_instance *out, char *err, size_t errlen)
{
    bool android = out->kind == ANC_KIND_ANDROID;
    long min_size = android ? 128 : 16, max_fps = android ? 60 : 120;
    if (out->fps > max_fps)
        out->fps = (int)max_fps;
    if (get_int(req, "width", min_size, 4096, true, &out->width, err, errlen) < 0 ||
        get_int(req, "height", min_size, 4096, true, &out->height, err, errlen) < 0 ||
        get_int(req, "fps", 1, max_fps, false, &out->fps, err, errlen) < 0 ||
        get_int(req, "bitrate_kbps", 100, 100000, false, &out->bitrate_kbps, err, errlen) < 0)
        return -EINVAL;
    return 0;
}

int anc_instance_from_request(struct anc_instance *out, json_t *req, int default_fps, char *err,
                              size_t errlen)
{
    static const char *const allowed[] = {"name",         "kind",    "width",   "height",    "fps",
                                          "bitrate_kbps", "command", "image",   "memory_mb", "cpus",
                                          "restart",      "dpi",     "capture", NULL};
    memset(out, 0, sizeof(*out));
    if (!json_is_object(req))
        FAIL("body: must be a JSON object");
    if (check_fields(req, allowed, err, errlen) < 0)
        return -EINVAL;
    const char *name = json_string_value(json_object_get(req, "name"));
    if (!name || !valid_name(name))
        FAIL("name: required, 1-63 characters of A-Z a-z 0-9 . _ -");
    snprintf(out->name, sizeof(out->name), "%s", name);
    const char *kind = json_string_value(json_object_get(req, "kind"));
    if (!kind)
        FAIL("kind: required (\"pattern\")");
    int k = lookup(kind_names, sizeof(kind_names) / sizeof(kind_names[0]), kind);
    if (k < 0)
        FAIL("kind: \"%s\" is not supported (supported: \"pattern\", \"x11\", \"linux\", "
             "\"android\")",
             kind);
    out->kind = (enum anc_instance_kind)k;
    if (get_command(req, out, err, errlen) < 0 || get_guest(req, out, err, errlen) < 0)
        return -EINVAL;
    out->width = 720;
    out->height = 1280;
    out->fps = default_fps;
    if (get_display(req, out, err, errlen) < 0)
        return -EINVAL;
    out->state = ANC_STATE_STOPPED;
    out->created_at = (int64_t)time(NULL);
    return anc_instance_new_id(out->id);
}

json_t *anc_instance_to_json(const struct anc_instance *inst)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:I}", "id", inst->id, "name", inst->name,
                  "kind", anc_instance_kind_name(inst->kind), "width", inst->width, "height",
                  inst->height, "fps", inst->fps, "state", anc_instance_state_name(inst->state),
                  "created_at", (json_int_t)inst->created_at);
    if (!o)
        return NULL;
    if (inst->bitrate_kbps)
        json_object_set_new(o, "bitrate_kbps", json_integer(inst->bitrate_kbps));
    if (inst->n_command) {
        json_t *cmd = json_array();
        for (int i = 0; i < inst->n_command; i++)
            json_array_append_new(cmd, json_string(inst->command[i]));
        json_object_set_new(o, "command", cmd);
    }
    if (inst->kind == ANC_KIND_LINUX)
        json_object_set_new(o, "capture", json_string(anc_instance_capture_name(inst->capture)));
    if (inst->kind == ANC_KIND_ANDROID)
        json_object_set_new(o, "dpi", json_integer(inst->dpi));
    if (anc_instance_has_image(inst)) {
        json_object_set_new(o, "image", json_string(inst->image));
        json_object_set_new(o, "restart", json_string(anc_instance_restart_name(inst->restart)));
        if (inst->memory_mb)
            json_object_set_new(o, "memory_mb", json_integer(inst->memory_mb));
        if (inst->cpus)
            json_object_set_new(o, "cpus", json_integer(inst->cpus));
    }
    if (inst->state == ANC_STATE_ERROR)
        json_object_set_new(o, "error", json_string(inst->error));
    return o;
}

int anc_instance_from_record(struct anc_instance *out, json_t *rec, char *err, size_t errlen)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *state = json_string_value(json_object_get(rec, "state"));
    json_t *created = json_object_get(rec, "created_at");
    json_t *req = json_deep_copy(rec);
    if (!req)
        return -ENOMEM;
    json_object_del(req, "id");
    json_object_del(req, "state");
    json_object_del(req, "created_at");
    json_object_del(req, "error");
    int r = anc_instance_from_request(out, req, 30, err, errlen);
    json_decref(req);
    if (r < 0)
        return r;
    if (!id || strlen(id) != ANC_INSTANCE_ID_LEN || strspn(id, "0123456789abcdef") != strlen(id))
        FAIL("id: must be %d lowercase hex characters", ANC_INSTANCE_ID_LEN);
    int s = state ? lookup(state_names, sizeof(state_names) / sizeof(state_names[0]), state) : -1;
    if (s < 0)
        FAIL("state: unknown");
    if (!json_is_integer(created))
        FAIL("created_at: must be an integer");
    memcpy(out->id, id, ANC_INSTANCE_ID_LEN + 1);
    out->state = (enum anc_instance_state)s;
    out->created_at = (int64_t)json_integer_value(created);
    const char *e = json_string_value(json_object_get(rec, "error"));
    if (e)
        snprintf(out->error, sizeof(out->error), "%s", e);
    return 0;
}
