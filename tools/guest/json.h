/* One-line JSON objects for the demo's event log on stdout, and the UTF-8 decoding they share with
 * the text area. Pure functions on buffers: tested in test_json.c without a display. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEMO_JSON_MAX 1024

/* Builds {"event":"...",...}\n in a fixed buffer. A line that would not fit is dropped whole
 * (demo_json_end returns NULL) instead of being cut into invalid JSON. */
struct demo_json {
    char buf[DEMO_JSON_MAX];
    size_t len;
    bool overflow;
};

void demo_json_begin(struct demo_json *j, const char *event);
void demo_json_int(struct demo_json *j, const char *key, long long v);
void demo_json_bool(struct demo_json *j, const char *key, bool v);
/* v is UTF-8; invalid sequences are written as U+FFFD so the line stays valid JSON. */
void demo_json_str(struct demo_json *j, const char *key, const char *v);
/* Closes the object and appends '\n'; returns the NUL-terminated line, or NULL on overflow. */
const char *demo_json_end(struct demo_json *j);

/* Decodes one code point from s (len bytes, len > 0) into *cp and returns the bytes used (1..4).
 * Malformed, overlong or surrogate sequences give U+FFFD and consume one byte. */
size_t demo_utf8_next(const char *s, size_t len, uint32_t *cp);
/* Encodes cp as UTF-8 into out (4 bytes room); returns the length. */
size_t demo_utf8_put(uint32_t cp, char *out);
