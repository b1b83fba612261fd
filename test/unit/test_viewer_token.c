/* Viewer tokens: the sans-IO codec (claims, expiry, tampering, base64url edge cases) and the
 * registry (key and records in a state dir, revocation, restart). HMAC-SHA256 itself is
 * OpenSSL's (RFC 4231 vectors are its tests). */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/viewer_token.h"
#include "http/viewer_tokens.h"
#include "test.h"

static const uint8_t key[ANC_VT_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                            12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                            23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static struct anc_vt_claims sample(void)
{
    struct anc_vt_claims c = {.id = "0123456789abcdef",
                              .instance = "a1b2c3d4e5f6",
                              .role = ANC_VT_CONTROL,
                              .expires_at = 1800000000};
    return c;
}

static size_t encode(const struct anc_vt_claims *c, char *out)
{
    ssize_t n = anc_vt_encode(c, key, out, ANC_VT_MAX_LEN + 1);
    CHECK(n > 0);
    CHECK_EQ((size_t)n, strlen(out));
    return (size_t)n;
}

TEST(round_trip_carries_every_claim)
{
    struct anc_vt_claims c = sample(), got;
    char t[ANC_VT_MAX_LEN + 1];
    size_t n = encode(&c, t);
    CHECK(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == n);
    CHECK_EQ(anc_vt_verify(t, n, key, 1700000000, &got), 0);
    CHECK_STREQ(got.id, "0123456789abcdef");
    CHECK_STREQ(got.instance, "a1b2c3d4e5f6");
    CHECK_EQ(got.role, ANC_VT_CONTROL);
    CHECK_EQ(got.expires_at, 1800000000);
    c.role = ANC_VT_VIEW;
    n = encode(&c, t);
    CHECK_EQ(anc_vt_verify(t, n, key, 0, &got), 0);
    CHECK_EQ(got.role, ANC_VT_VIEW);
}

/* The claims text is the documented one: "1 <id> <instance> <role> <expiry>". */
TEST(claims_are_documented_text)
{
    struct anc_vt_claims c = sample();
    char t[ANC_VT_MAX_LEN + 1];
    size_t n = encode(&c, t);
    const char *dot = memchr(t, '.', n);
    CHECK(dot);
    uint8_t text[128];
    ssize_t m = anc_b64url_decode(t, (size_t)(dot - t), text, sizeof(text));
    CHECK(m > 0);
    text[m] = 0;
    CHECK_STREQ((char *)text, "1 0123456789abcdef a1b2c3d4e5f6 control 1800000000");
    CHECK_EQ(strlen(dot + 1), 43);
}

TEST(expiry_is_exclusive)
{
    struct anc_vt_claims c = sample(), got = {0};
    char t[ANC_VT_MAX_LEN + 1];
    size_t n = encode(&c, t);
    CHECK_EQ(anc_vt_verify(t, n, key, 1799999999, &got), 0);
    memset(&got, 0, sizeof(got));
    CHECK_EQ(anc_vt_verify(t, n, key, 1800000000, &got), -EKEYEXPIRED);
    CHECK_EQ(anc_vt_verify(t, n, key, 1900000000, &got), -EKEYEXPIRED);
    CHECK_EQ(got.role, 0); /* untouched on failure */
}

/* Any change anywhere fails: a flipped claim byte, a flipped MAC byte, another key, a claims part
 * swapped in from another token (for another instance), cut or extended text. */
TEST(tampering_is_rejected)
{
    struct anc_vt_claims c = sample(), got;
    char t[ANC_VT_MAX_LEN + 1], u[ANC_VT_MAX_LEN + 1], w[2 * ANC_VT_MAX_LEN];
    size_t n = encode(&c, t);
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '.')
            continue;
        memcpy(u, t, n + 1);
        u[i] = u[i] == 'A' ? 'B' : 'A';
        int r = anc_vt_verify(u, n, key, 0, &got);
        CHECK(r == -EKEYREJECTED || r == -EBADMSG);
    }
    uint8_t other[ANC_VT_KEY_LEN];
    memcpy(other, key, sizeof(other));
    other[31] ^= 1;
    CHECK_EQ(anc_vt_verify(t, n, other, 0, &got), -EKEYREJECTED);

    struct anc_vt_claims d = sample();
    snprintf(d.instance, sizeof(d.instance), "ffffffffffff");
    size_t m = encode(&d, u);
    const char *tdot = strchr(t, '.'), *udot = strchr(u, '.');
    snprintf(w, sizeof(w), "%.*s%s", (int)(udot - u), u, tdot); /* other claims, our MAC */
    CHECK_EQ(anc_vt_verify(w, strlen(w), key, 0, &got), -EKEYREJECTED);
    (void)m;

    CHECK_EQ(anc_vt_verify(t, n - 1, key, 0, &got), -EBADMSG);
    snprintf(w, sizeof(w), "%sA", t);
    CHECK_EQ(anc_vt_verify(w, n + 1, key, 0, &got), -EBADMSG);
    snprintf(w, sizeof(w), "%s.", t);
    CHECK_EQ(anc_vt_verify(w, n + 1, key, 0, &got), -EBADMSG);
    CHECK_EQ(anc_vt_verify("", 0, key, 0, &got), -EBADMSG);
    CHECK_EQ(anc_vt_verify(".", 1, key, 0, &got), -EBADMSG);
    CHECK_EQ(anc_vt_verify(t, (size_t)(tdot - t), key, 0, &got), -EBADMSG);
}

/* A correctly signed text whose claims are not valid claims is still refused. */
static int verify_signed_claims(const char *claims)
{
    char t[512];
    ssize_t p = anc_b64url_encode((const uint8_t *)claims, strlen(claims), t, sizeof(t));
    CHECK(p >= 0);
    /* Signed as anc_vt_encode signs: HMAC-SHA256 over the encoded claims. */
    uint8_t mac[32];
    unsigned int ml = 32;
    HMAC(EVP_sha256(), key, ANC_VT_KEY_LEN, (const uint8_t *)t, (size_t)p, mac, &ml);
    t[p] = '.';
    CHECK(anc_b64url_encode(mac, 32, t + p + 1, sizeof(t) - (size_t)p - 1) == 43);
    struct anc_vt_claims got;
    return anc_vt_verify(t, strlen(t), key, 0, &got);
}

TEST(signed_but_malformed_claims_are_rejected)
{
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1b2c3d4e5f6 control 1800000000"), 0);
    CHECK_EQ(verify_signed_claims("2 0123456789abcdef a1b2c3d4e5f6 control 1800000000"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789ABCDEF a1b2c3d4e5f6 control 1800000000"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcde a1b2c3d4e5f6 control 1800000000"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef  control 1800000000"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1b2 admin 1800000000"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1b2 view 01800000000"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1b2 view -1"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1b2 view 1800000000 "), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1b2 view 1800000000 x"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1b2 view 99999999999999999999"), -EBADMSG);
    CHECK_EQ(verify_signed_claims("1 0123456789abcdef a1/b view 1800000000"), -EBADMSG);
    CHECK_EQ(verify_signed_claims(""), -EBADMSG);
}

TEST(encode_refuses_invalid_claims)
{
    struct anc_vt_claims c = sample();
    char t[ANC_VT_MAX_LEN + 1];
    c.role = 0;
    CHECK_EQ(anc_vt_encode(&c, key, t, sizeof(t)), -EINVAL);
    c = sample();
    snprintf(c.instance, sizeof(c.instance), "a b");
    CHECK_EQ(anc_vt_encode(&c, key, t, sizeof(t)), -EINVAL);
    c = sample();
    CHECK_EQ(anc_vt_encode(&c, key, t, 20), -ENOBUFS);
}

TEST(base64url_edges)
{
    char t[16];
    uint8_t b[16];
    CHECK_EQ(anc_b64url_encode((const uint8_t *)"", 0, t, sizeof(t)), 0);
    CHECK_STREQ(t, "");
    CHECK_EQ(anc_b64url_encode((const uint8_t *)"f", 1, t, sizeof(t)), 2);
    CHECK_STREQ(t, "Zg");
    CHECK_EQ(anc_b64url_encode((const uint8_t *)"fo", 2, t, sizeof(t)), 3);
    CHECK_STREQ(t, "Zm8");
    CHECK_EQ(anc_b64url_encode((const uint8_t *)"foo", 3, t, sizeof(t)), 4);
    CHECK_STREQ(t, "Zm9v");
    const uint8_t hi[] = {0xfb, 0xff};
    CHECK_EQ(anc_b64url_encode(hi, 2, t, sizeof(t)), 3);
    CHECK_STREQ(t, "-_8"); /* the URL alphabet, not + and / */
    CHECK_EQ(anc_b64url_encode(hi, 2, t, 3), -ENOBUFS);

    CHECK_EQ(anc_b64url_decode("", 0, b, sizeof(b)), 0);
    CHECK_EQ(anc_b64url_decode("Zm9v", 4, b, sizeof(b)), 3);
    CHECK(memcmp(b, "foo", 3) == 0);
    CHECK_EQ(anc_b64url_decode("-_8", 3, b, sizeof(b)), 2);
    CHECK(b[0] == 0xfb && b[1] == 0xff);
    CHECK_EQ(anc_b64url_decode("Zg==", 4, b, sizeof(b)), -EBADMSG); /* no padding */
    CHECK_EQ(anc_b64url_decode("+/8", 3, b, sizeof(b)), -EBADMSG);  /* not the URL alphabet */
    CHECK_EQ(anc_b64url_decode("Z", 1, b, sizeof(b)), -EBADMSG);    /* 1 mod 4 */
    CHECK_EQ(anc_b64url_decode("Zh", 2, b, sizeof(b)), -EBADMSG);   /* unused bits set */
    CHECK_EQ(anc_b64url_decode("Zm9", 3, b, sizeof(b)), -EBADMSG);
    CHECK_EQ(anc_b64url_decode("Zm 8", 4, b, sizeof(b)), -EBADMSG);
    CHECK_EQ(anc_b64url_decode("Zm9v", 4, b, 2), -ENOBUFS);
}

static void temp_dir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/anc-vt-XXXXXX");
    CHECK(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
}

/* Tokens and revocations survive a restart (a new registry on the same dir); the key is 0600;
 * the records never hold the token text; a revoked token and one of a lost record fail. */
TEST(registry_survives_restart_and_revokes)
{
    char dir[64], path[128], a[ANC_VT_MAX_LEN + 1], b[ANC_VT_MAX_LEN + 1];
    struct anc_vtokens *v;
    struct anc_vt_claims ca, cb, got;
    temp_dir(dir, sizeof(dir));
    CHECK_EQ(anc_vtokens_open(dir, 1000, &v), 0);
    CHECK_EQ(anc_vtokens_issue(v, "a1b2c3d4e5f6", ANC_VT_CONTROL, 60, 1000, a, &ca), 0);
    CHECK_EQ(anc_vtokens_issue(v, "a1b2c3d4e5f6", ANC_VT_VIEW, 3600, 1000, b, &cb), 0);
    CHECK_EQ(anc_vtokens_issue(v, "a1b2c3d4e5f6", ANC_VT_VIEW, 0, 1000, b, &cb), -EINVAL);
    CHECK_EQ(anc_vtokens_issue(v, "a1b2c3d4e5f6", ANC_VT_VIEW, 3600, 1000, b, &cb), 0);
    CHECK_EQ(ca.expires_at, 1060);
    CHECK_EQ(anc_vtokens_check(v, a, strlen(a), 1001, &got), 0);
    anc_vtokens_free(v);

    struct stat st;
    snprintf(path, sizeof(path), "%s/viewer.key", dir);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/viewer-tokens.json", dir);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    FILE *f = fopen(path, "r");
    char text[4096] = "";
    CHECK(fread(text, 1, sizeof(text) - 1, f) > 0);
    fclose(f);
    CHECK(!strstr(text, strchr(a, '.') + 1) && !strstr(text, strchr(b, '.') + 1));

    CHECK_EQ(anc_vtokens_open(dir, 1002, &v), 0);
    CHECK_EQ(anc_vtokens_check(v, a, strlen(a), 1002, &got), 0);
    CHECK_EQ(anc_vtokens_check(v, b, strlen(b), 1002, &got), 0);
    json_t *l = anc_vtokens_list_json(v, "a1b2c3d4e5f6", 1002);
    CHECK_EQ(json_array_size(l), 3);
    json_decref(l);
    l = anc_vtokens_list_json(v, "ffffffffffff", 1002);
    CHECK_EQ(json_array_size(l), 0);
    json_decref(l);
    CHECK_EQ(anc_vtokens_revoke(v, "ffffffffffff", cb.id, 1002), -ENOENT); /* other instance */
    CHECK_EQ(anc_vtokens_revoke(v, "a1b2c3d4e5f6", cb.id, 1002), 0);
    CHECK_EQ(anc_vtokens_check(v, b, strlen(b), 1002, &got), -ENOENT);
    CHECK_EQ(anc_vtokens_revoke(v, "a1b2c3d4e5f6", cb.id, 1002), -ENOENT);
    anc_vtokens_free(v);

    CHECK_EQ(anc_vtokens_open(dir, 1003, &v), 0);
    CHECK_EQ(anc_vtokens_check(v, b, strlen(b), 1003, &got), -ENOENT); /* still revoked */
    CHECK_EQ(anc_vtokens_check(v, a, strlen(a), 1060, &got), -EKEYEXPIRED);
    anc_vtokens_free(v);

    /* Losing the records revokes everything. */
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(anc_vtokens_open(dir, 1004, &v), 0);
    CHECK_EQ(anc_vtokens_check(v, a, strlen(a), 1004, &got), -ENOENT);
    anc_vtokens_free(v);
    remove_dir(dir);
}

/* A key file that is not ours stops the daemon instead of silently making a new key. */
TEST(registry_refuses_a_bad_key_file)
{
    char dir[64], path[128];
    struct anc_vtokens *v;
    temp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/viewer.key", dir);
    FILE *f = fopen(path, "w");
    fputs("not hex\n", f);
    fclose(f);
    CHECK_EQ(anc_vtokens_open(dir, 1, &v), -EBADMSG);
    remove_dir(dir);
}
