/* Viewer tokens: signed, expiring credentials that open one instance's stream (docs/api.md,
 * "Viewer tokens"). Pure code: the caller gives the key bytes and the clock.
 *
 * Wire form (compact text, URL-safe):
 *
 *     base64url(claims) "." base64url(HMAC-SHA256(key, base64url(claims)))
 *
 * without padding, where claims is the ASCII text "1 <token id> <instance id> <role> <expiry>":
 * version 1, a token id of 16 lowercase hex digits, an instance id of 1..32 lowercase hex
 * digits, "control" or "view", and the expiry in unix seconds (decimal, no sign, no leading
 * zero). The MAC covers the encoded claims exactly as sent, so nothing is ever re-encoded
 * before it is checked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ANC_VT_ID_LEN       16  /* token id: lowercase hex digits */
#define ANC_VT_INSTANCE_MAX 32  /* instance id: at most this many lowercase hex digits */
#define ANC_VT_KEY_LEN      32  /* the server secret */
#define ANC_VT_MAX_LEN      160 /* the longest token text, without NUL */

enum anc_vt_role {
    ANC_VT_VIEW = 1,    /* watches only */
    ANC_VT_CONTROL = 2, /* may hold control of the instance (inject input) */
};

struct anc_vt_claims {
    char id[ANC_VT_ID_LEN + 1];
    char instance[ANC_VT_INSTANCE_MAX + 1];
    enum anc_vt_role role;
    int64_t expires_at; /* unix seconds; the token is valid while now < expires_at */
};

/* "control" / "view" → role; 0 for anything else. And back ("?" for an invalid role). */
enum anc_vt_role anc_vt_role_parse(const char *s);
const char *anc_vt_role_name(enum anc_vt_role role);

/* Writes the token for c, signed with key, as a NUL-terminated string into out (cap bytes; at
 * least ANC_VT_MAX_LEN + 1 always suffices). Returns its length, -EINVAL for invalid claims, or
 * -ENOBUFS. */
ssize_t anc_vt_encode(const struct anc_vt_claims *c, const uint8_t key[ANC_VT_KEY_LEN], char *out,
                      size_t cap);

/* Checks text[0..len) (untrusted bytes): its MAC under key first (constant time), then its
 * claims, then its expiry against now_s (unix seconds). Returns 0 with *c filled, -EBADMSG
 * (malformed: not two base64url parts, bad claims text), -EKEYREJECTED (wrong MAC: tampered or
 * another server's key) or -EKEYEXPIRED (now_s >= expiry). *c is written only on success. */
int anc_vt_verify(const char *text, size_t len, const uint8_t key[ANC_VT_KEY_LEN], int64_t now_s,
                  struct anc_vt_claims *c);

/* Strict base64url without padding (RFC 4648 §5): decoding rejects '=', characters outside the
 * alphabet, a length of 1 mod 4 and non-zero unused bits (one text per byte string). Encode
 * returns the text length (NUL-terminated) or -ENOBUFS; decode the byte count, -EBADMSG or
 * -ENOBUFS. */
ssize_t anc_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
ssize_t anc_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);
