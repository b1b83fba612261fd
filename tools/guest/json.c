#include "json.h"

#include <stdio.h>
#include <string.h>

static void put(struct demo_json *j, const char *s, size_t n)
{
    /* Keep room for the closing "}\n" and NUL so demo_json_end never has to fail late. */
    if (j->overflow || j->len + n + 3 > sizeof(j->buf)) {
        j->overflow = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void puts_(struct demo_json *j, const char *s)
{
    put(j, s, strlen(s));
}

static void put_escaped(struct demo_json *j, const char *s)
{
    size_t len = strlen(s);
    put(j, "\"", 1);
    while (len > 0) {
        uint32_t cp;
        size_t n = demo_utf8_next(s, len, &cp);
        char tmp[8];
        if (cp == '"' || cp == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)cp;
            put(j, tmp, 2);
        } else if (cp == '\n') {
            put(j, "\\n", 2);
        } else if (cp == '\t') {
            put(j, "\\t", 2);
        } else if (cp == '\r') {
            put(j, "\\r", 2);
        } else if (cp < 0x20) {
            snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
            put(j, tmp, 6);
        } else {
            put(j, tmp, demo_utf8_put(cp, tmp));
        }
        s += n;
        len -= n;
    }
    put(j, "\"", 1);
}

static void key(struct demo_json *j, const char *k)
{
    put(j, ",", 1);
    put_escaped(j, k);
    put(j, ":", 1);
}

void demo_json_begin(struct demo_json *j, const char *event)
{
    j->len = 0;
    j->overflow = false;
    puts_(j, "{\"event\":");
    put_escaped(j, event);
}

void demo_json_int(struct demo_json *j, const char *k, long long v)
{
    char tmp[24];
    key(j, k);
    snprintf(tmp, sizeof(tmp), "%lld", v);
    puts_(j, tmp);
}

void demo_json_bool(struct demo_json *j, const char *k, bool v)
{
    key(j, k);
    puts_(j, v ? "true" : "false");
}

void demo_json_str(struct demo_json *j, const char *k, const char *v)
{
    key(j, k);
    put_escaped(j, v);
}

const char *demo_json_end(struct demo_json *j)
{
    if (j->overflow)
        return NULL;
    /* put() reserved these three bytes. */
    memcpy(j->buf + j->len, "}\n", 3);
    j->len += 2;
    return j->buf;
}

size_t demo_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n;
    uint32_t c;

    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xe0) == 0xc0) {
        n = 2;
        c = u[0] & 0x1f;
    } else if ((u[0] & 0xf0) == 0xe0) {
        n = 3;
        c = u[0] & 0x0f;
    } else if ((u[0] & 0xf8) == 0xf0) {
        n = 4;
        c = u[0] & 0x07;
    } else {
        goto bad;
    }
    if (n > len)
        goto bad;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            goto bad;
        c = (c << 6) | (u[i] & 0x3f);
    }
    if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        goto bad;
    *cp = c;
    return n;
bad:
    *cp = 0xfffd;
    return 1;
}

size_t demo_utf8_put(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}
