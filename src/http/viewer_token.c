#include "http/viewer_token.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define MAC_LEN     32
#define MAC_B64_LEN 43 /* 32 bytes, unpadded */
#define CLAIMS_MAX  96 /* "1 " + 16 + " " + 32 + " control " + 19 digits, with room */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum anc_vt_role anc_vt_role_parse(const char *s)
{
    if (s && strcmp(s, "control") == 0)
        return ANC_VT_CONTROL;
    if (s && strcmp(s, "view") == 0)
        return ANC_VT_VIEW;
    return 0;
}

const char *anc_vt_role_name(enum anc_vt_role role)
{
    return role == ANC_VT_CONTROL ? "control" : role == ANC_VT_VIEW ? "view" : "?";
}

ssize_t anc_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
    if (cap < need + 1)
        return -ENOBUFS;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (n > 2)
            v |= in[i + 2];
        for (size_t k = 0; k <= n; k++)
            out[o++] = alphabet[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
    return (ssize_t)o;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

ssize_t anc_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 == 1)
        return -EBADMSG;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (cap < need)
        return -ENOBUFS;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -EBADMSG;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* The unused low bits of the last character must be zero: one text per byte string. */
    if (acc != 0)
        return -EBADMSG;
    return (ssize_t)o;
}

static bool is_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool claims_valid(const struct anc_vt_claims *c)
{
    size_t il = strnlen(c->instance, sizeof(c->instance));
    return strnlen(c->id, sizeof(c->id)) == ANC_VT_ID_LEN && is_lower_hex(c->id, ANC_VT_ID_LEN) &&
           il >= 1 && il <= ANC_VT_INSTANCE_MAX && is_lower_hex(c->instance, il) &&
           (c->role == ANC_VT_VIEW || c->role == ANC_VT_CONTROL) && c->expires_at > 0;
}

static void mac(const uint8_t key[ANC_VT_KEY_LEN], const char *msg, size_t len,
                uint8_t out[MAC_LEN])
{
    unsigned int n = MAC_LEN;
    HMAC(EVP_sha256(), key, ANC_VT_KEY_LEN, (const uint8_t *)msg, len, out, &n);
}

ssize_t anc_vt_encode(const struct anc_vt_claims *c, const uint8_t key[ANC_VT_KEY_LEN], char *out,
                      size_t cap)
{
    char text[CLAIMS_MAX];
    if (!claims_valid(c))
        return -EINVAL;
    int n = snprintf(text, sizeof(text), "1 %s %s %s %" PRId64, c->id, c->instance,
                     anc_vt_role_name(c->role), c->expires_at);
    ssize_t p = anc_b64url_encode((const uint8_t *)text, (size_t)n, out, cap);
    if (p < 0 || (size_t)p + 1 + MAC_B64_LEN + 1 > cap)
        return -ENOBUFS;
    uint8_t m[MAC_LEN];
    mac(key, out, (size_t)p, m);
    out[p] = '.';
    ssize_t s = anc_b64url_encode(m, sizeof(m), out + p + 1, cap - (size_t)p - 1);
    return s < 0 ? s : p + 1 + s;
}

/* Exactly "<digits>" with no sign and no leading zero, at most 18 digits (fits int64_t). */
static int parse_expiry(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18 || (s[0] == '0'))
        return -EBADMSG;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EBADMSG;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The next field of text up to a single space (or the end); NULL when empty. */
static const char *field(const char **p, const char *end, size_t *len)
{
    const char *start = *p, *sp = memchr(start, ' ', (size_t)(end - start));
    const char *stop = sp ? sp : end;
    *len = (size_t)(stop - start);
    *p = sp ? sp + 1 : end;
    return *len ? start : NULL;
}

static int parse_claims(const char *text, size_t len, struct anc_vt_claims *c)
{
    const char *p = text, *end = text + len, *f;
    size_t n;
    memset(c, 0, sizeof(*c));
    if (!(f = field(&p, end, &n)) || n != 1 || f[0] != '1')
        return -EBADMSG;
    if (!(f = field(&p, end, &n)) || n != ANC_VT_ID_LEN)
        return -EBADMSG;
    memcpy(c->id, f, n);
    if (!(f = field(&p, end, &n)) || n > ANC_VT_INSTANCE_MAX)
        return -EBADMSG;
    memcpy(c->instance, f, n);
    char role[8] = "";
    if (!(f = field(&p, end, &n)) || n >= sizeof(role))
        return -EBADMSG;
    memcpy(role, f, n);
    c->role = anc_vt_role_parse(role);
    /* The expiry is the last field: nothing may follow it, not even a space. */
    const char *last = p;
    if (last >= end || memchr(last, ' ', (size_t)(end - last)) || (last > text && last[-1] != ' '))
        return -EBADMSG;
    if (parse_expiry(last, (size_t)(end - last), &c->expires_at) < 0)
        return -EBADMSG;
    return claims_valid(c) ? 0 : -EBADMSG;
}

int anc_vt_verify(const char *text, size_t len, const uint8_t key[ANC_VT_KEY_LEN], int64_t now_s,
                  struct anc_vt_claims *c)
{
    if (!text || len > ANC_VT_MAX_LEN)
        return -EBADMSG;
    const char *dot = memchr(text, '.', len);
    if (!dot || dot == text)
        return -EBADMSG;
    size_t plen = (size_t)(dot - text), slen = len - plen - 1;
    uint8_t sig[MAC_LEN + 2], want[MAC_LEN];
    if (slen != MAC_B64_LEN || anc_b64url_decode(dot + 1, slen, sig, sizeof(sig)) != MAC_LEN)
        return -EBADMSG;
    mac(key, text, plen, want);
    if (CRYPTO_memcmp(sig, want, MAC_LEN) != 0)
        return -EKEYREJECTED;
    char claims[CLAIMS_MAX];
    ssize_t n = anc_b64url_decode(text, plen, (uint8_t *)claims, sizeof(claims) - 1);
    if (n < 0)
        return -EBADMSG;
    struct anc_vt_claims got;
    if (parse_claims(claims, (size_t)n, &got) < 0)
        return -EBADMSG;
    if (now_s >= got.expires_at)
        return -EKEYEXPIRED;
    *c = got;
    return 0;
}
