/* Shared by sdp.c (parsing), sdp_check.c (validation) and sdp_answer.c; not a public API.
 * A span is a borrowed (pointer, length) view into the offer text; nothing here allocates. */
#pragma once

#include "rtc/sdp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct anc__span {
    const char *p;
    size_t n;
};

static inline bool anc__span_is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

static inline struct anc__span anc__span_trim(struct anc__span s)
{
    while (s.n > 0 && anc__span_is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && anc__span_is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* Splits off the next whitespace-separated word; s is advanced past it. */
static inline struct anc__span anc__span_word(struct anc__span *s)
{
    *s = anc__span_trim(*s);
    size_t i = 0;
    while (i < s->n && !anc__span_is_space(s->p[i]))
        i++;
    struct anc__span w = {s->p, i};
    s->p += i;
    s->n -= i;
    return w;
}

/* Splits off everything before the first sep (all of s if none); s is advanced past sep. */
static inline struct anc__span anc__span_until(struct anc__span *s, char sep)
{
    const char *q = s->n ? memchr(s->p, sep, s->n) : NULL;
    size_t i = q ? (size_t)(q - s->p) : s->n;
    struct anc__span w = {s->p, i};
    s->p += q ? i + 1 : i;
    s->n -= q ? i + 1 : i;
    return w;
}

static inline bool anc__span_eq(struct anc__span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

static inline bool anc__span_ieq(struct anc__span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = s.p[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

/* Copies s into dst as a C string; -1 (dst untouched) if it does not fit in cap. */
static inline int anc__span_copy(struct anc__span s, char *dst, size_t cap)
{
    if (s.n >= cap)
        return -1;
    if (s.n)
        memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return 0;
}

/* Decimal digits only, no sign, value <= max. */
static inline bool anc__span_uint(struct anc__span s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 20)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned d = (unsigned)(s.p[i] - '0');
        if (d > 9 || v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static inline int anc__hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* 1..8 hex digits. */
static inline bool anc__span_hex(struct anc__span s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 8)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        int d = anc__hex_digit(s.p[i]);
        if (d < 0)
            return false;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return true;
}

/* RFC 8866 token: visible ASCII except a few separators. */
static inline bool anc__span_token(struct anc__span s)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]", ch))
            return false;
    }
    return s.n > 0;
}

/* Visible ASCII, no whitespace (e.g. a proto such as UDP/TLS/RTP/SAVPF). */
static inline bool anc__span_visible(struct anc__span s)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if (ch <= 0x20 || ch >= 0x7f)
            return false;
    }
    return s.n > 0;
}

/* Writes "line N: <reason>" (or just the reason when line is 0) into err; returns code. */
int anc__sdp_fail(char *err, size_t errlen, unsigned line, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* "sendrecv" etc. to the enum; ANC_SDP_DIR_NONE for anything else. */
enum anc_sdp_dir anc__sdp_dir_from(struct anc__span s);

/* Colon-separated pairs of hex digits, as a=fingerprint values are written. */
bool anc__sdp_fp_syntax(struct anc__span s);

/* Checks a parsed offer and fills its "filled by validation" fields (see sdp.h); want is the
 * stream's H.264 profile-level-id, 0 for our own encoder's (anc_sdp_parse_for_stream()). */
int anc__sdp_check(struct anc_sdp_offer *o, uint32_t want, char *err, size_t errlen);
