/* The scrcpy-server command line: "3.3.3 key=value ...", so ancloudd's launcher is shared. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

enum agent_log_level agent_log_level = AGENT_LOG_INFO;

void agent_log(enum agent_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"VERBOSE", "DEBUG", "INFO", "WARN", "ERROR"};
    va_list ap;
    if (level < agent_log_level)
        return;
    fprintf(stderr, "ancloud-agent: %s: ", names[level]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int parse_bool(const char *key, const char *v, bool *out)
{
    if (strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0)
        *out = false;
    else {
        AGENT_ERROR("%s: not a boolean: %s", key, v);
        return -EINVAL;
    }
    return 0;
}

static int parse_level(const char *v)
{
    static const char *const names[] = {"verbose", "debug", "info", "warn", "error"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v, names[i]) == 0) {
            agent_log_level = (enum agent_log_level)i;
            return 0;
        }
    AGENT_ERROR("log_level: unknown level %s", v);
    return -EINVAL;
}

static int parse_scid(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 16);
    /* scrcpy draws a 31-bit id and formats it as 8 hex digits; -1 means none. */
    if (strcmp(v, "-1") == 0) {
        *out = -1;
        return 0;
    }
    if (*v == '\0' || *end != '\0' || errno || n > 0x7fffffffULL) {
        AGENT_ERROR("scid: not a 31-bit hex number: %s", v);
        return -EINVAL;
    }
    *out = (int64_t)n;
    return 0;
}

static int parse_int(const char *key, const char *v, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno || n < 0 || n > 1000000000L) {
        AGENT_ERROR("%s: not a number: %s", key, v);
        return -EINVAL;
    }
    *out = (int)n;
    return 0;
}

static int parse_fps(const char *v, double *out)
{
    char *end;
    double f = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || !(f >= 0 && f <= 1000)) {
        AGENT_ERROR("max_fps: not a frame rate: %s", v);
        return -EINVAL;
    }
    *out = f;
    return 0;
}

/* Options scrcpy-server knows that make no difference to a stand-in on an X display. */
static bool known_noop(const char *key)
{
    static const char *const keys[] = {
        "cleanup",
        "power_on",
        "power_off_on_close",
        "stay_awake",
        "show_touches",
        "clipboard_autosync",
        "downsize_on_error",
        "display_id",
        "video_source",
        "audio_source",
        "audio_codec",
        "audio_bit_rate",
        "video_encoder",
        "video_codec_options",
        "max_size",
        "lock_video_orientation",
        "capture_orientation",
        "angle",
        "crop",
        "audio_dup",
        "screen_off_timeout",
        "display_ime_policy",
        "vd_system_decorations",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

static int parse_pair(struct agent_opts *o, const char *key, const char *v)
{
    struct {
        const char *key;
        bool *field;
    } bools[] = {
        {"tunnel_forward", &o->tunnel_forward},
        {"video", &o->video},
        {"audio", &o->audio},
        {"control", &o->control},
        {"send_device_meta", &o->send_device_meta},
        {"send_dummy_byte", &o->send_dummy_byte},
        {"send_codec_meta", &o->send_codec_meta},
        {"send_frame_meta", &o->send_frame_meta},
    };
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
        if (strcmp(key, bools[i].key) == 0)
            return parse_bool(key, v, bools[i].field);
    if (strcmp(key, "scid") == 0)
        return parse_scid(v, &o->scid);
    if (strcmp(key, "log_level") == 0)
        return parse_level(v);
    if (strcmp(key, "video_bit_rate") == 0)
        return parse_int(key, v, &o->video_bit_rate);
    if (strcmp(key, "max_fps") == 0)
        return parse_fps(v, &o->max_fps);
    if (strcmp(key, "video_codec") == 0) {
        if (strcmp(v, "h264") == 0)
            return 0;
        AGENT_ERROR("video_codec=%s: this agent encodes h264 only", v);
        return -EINVAL;
    }
    if (strcmp(key, "raw_stream") == 0) {
        bool raw;
        int r = parse_bool(key, v, &raw);
        if (r == 0 && raw)
            o->send_device_meta = o->send_codec_meta = o->send_frame_meta = o->send_dummy_byte =
                false;
        return r;
    }
    if (known_noop(key))
        AGENT_DEBUG("%s=%s has no effect here", key, v);
    else
        AGENT_WARN("unknown option %s=%s, ignored", key, v);
    return 0;
}

int agent_opts_parse(struct agent_opts *o, int argc, char **argv)
{
    *o = (struct agent_opts){
        .scid = -1,
        .video = true,
        .audio = true,
        .control = true,
        .send_device_meta = true,
        .send_dummy_byte = true,
        .send_codec_meta = true,
        .send_frame_meta = true,
        .video_bit_rate = 8000000,
    };
    if (argc < 2) {
        AGENT_ERROR("usage: ancloud-agent %s [key=value...]", ANC_AGENT_SCRCPY_VERSION);
        return -EINVAL;
    }
    if (strcmp(argv[1], ANC_AGENT_SCRCPY_VERSION) != 0) {
        AGENT_ERROR("The server version (%s) does not match the client (%s)",
                    ANC_AGENT_SCRCPY_VERSION, argv[1]);
        return -EINVAL;
    }
    for (int i = 2; i < argc; i++) {
        char key[64];
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key)) {
            AGENT_ERROR("not a key=value option: %s", argv[i]);
            return -EINVAL;
        }
        memcpy(key, argv[i], (size_t)(eq - argv[i]));
        key[eq - argv[i]] = '\0';
        int r = parse_pair(o, key, eq + 1);
        if (r < 0)
            return r;
    }
    if (o->video_bit_rate < 10000) {
        AGENT_ERROR("video_bit_rate=%d is too low", o->video_bit_rate);
        return -EINVAL;
    }
    return 0;
}
