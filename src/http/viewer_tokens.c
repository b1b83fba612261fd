#include "http/viewer_tokens.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"

struct record {
    char id[ANC_VT_ID_LEN + 1];
    char instance[ANC_VT_INSTANCE_MAX + 1];
    enum anc_vt_role role;
    int64_t expires_at;
};

struct anc_vtokens {
    uint8_t key[ANC_VT_KEY_LEN];
    uint8_t redirect_key[ANC_VT_KEY_LEN]; /* derive_redirect_key(key) */
    char key_path[PATH_MAX], records_path[PATH_MAX];
    struct record *recs;
    size_t n, cap;
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Redirect tokens are signed with HMAC-SHA256(key, label): a separate key, so that a recorded
 * token never verifies as a redirect token (which needs no record) and the reverse. */
static void derive_redirect_key(struct anc_vtokens *v)
{
    static const char label[] = "ancloud viewer token: redirect";
    unsigned n = ANC_VT_KEY_LEN;
    HMAC(EVP_sha256(), v->key, ANC_VT_KEY_LEN, (const uint8_t *)label, sizeof(label) - 1,
         v->redirect_key, &n);
}

/* The key file holds 64 lowercase hex digits and a newline. */
static int load_or_create_key(struct anc_vtokens *v)
{
    char *text;
    size_t len;
    int r = anc_read_file(v->key_path, 4096, &text, &len);
    if (r == 0) {
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
            len--;
        r = len == 2 * ANC_VT_KEY_LEN ? 0 : -EBADMSG;
        for (size_t i = 0; r == 0 && i < ANC_VT_KEY_LEN; i++) {
            int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
            if (hi < 0 || lo < 0)
                r = -EBADMSG;
            else
                v->key[i] = (uint8_t)(hi << 4 | lo);
        }
        OPENSSL_cleanse(text, len);
        free(text);
        return r;
    }
    if (r != -ENOENT)
        return r;
    if (RAND_bytes(v->key, sizeof(v->key)) != 1)
        return -EIO;
    char line[2 * ANC_VT_KEY_LEN + 2];
    for (size_t i = 0; i < ANC_VT_KEY_LEN; i++)
        snprintf(line + 2 * i, 3, "%02x", v->key[i]);
    line[2 * ANC_VT_KEY_LEN] = '\n';
    r = anc_write_file_atomic(v->key_path, line, sizeof(line) - 1, 0600);
    OPENSSL_cleanse(line, sizeof(line));
    return r;
}

static int add_record(struct anc_vtokens *v, const struct record *rec)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        struct record *n = realloc(v->recs, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        v->recs = n;
        v->cap = cap;
    }
    v->recs[v->n++] = *rec;
    return 0;
}

static void drop_expired(struct anc_vtokens *v, int64_t now_s)
{
    size_t k = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->recs[i].expires_at > now_s)
            v->recs[k++] = v->recs[i];
    v->n = k;
}

/* A record read back must be one we could have issued. */
static int record_from_json(json_t *o, struct record *rec)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *inst = json_string_value(json_object_get(o, "instance"));
    struct anc_vt_claims c = {.role =
                                  anc_vt_role_parse(json_string_value(json_object_get(o, "role"))),
                              .expires_at = json_integer_value(json_object_get(o, "expires_at"))};
    if (!id || !inst || strlen(id) != ANC_VT_ID_LEN || strlen(inst) > ANC_VT_INSTANCE_MAX)
        return -EBADMSG;
    memcpy(c.id, id, ANC_VT_ID_LEN + 1);
    snprintf(c.instance, sizeof(c.instance), "%s", inst);
    char probe[ANC_VT_MAX_LEN + 1];
    uint8_t zero[ANC_VT_KEY_LEN] = {0};
    if (anc_vt_encode(&c, zero, probe, sizeof(probe)) < 0) /* validates the claims */
        return -EBADMSG;
    memcpy(rec->id, c.id, sizeof(rec->id));
    memcpy(rec->instance, c.instance, sizeof(rec->instance));
    rec->role = c.role;
    rec->expires_at = c.expires_at;
    return 0;
}

static int load_records(struct anc_vtokens *v, int64_t now_s)
{
    char *text;
    size_t len;
    int r = anc_read_file(v->records_path, 4u << 20, &text, &len);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    json_t *root = json_loadb(text, len, 0, NULL);
    free(text);
    json_t *arr = json_object_get(root, "tokens");
    r = json_is_array(arr) ? 0 : -EBADMSG;
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        struct record rec;
        if (r == 0 && (r = record_from_json(o, &rec)) == 0)
            r = add_record(v, &rec);
    }
    json_decref(root);
    drop_expired(v, now_s);
    return r;
}

static int save(struct anc_vtokens *v, int64_t now_s)
{
    drop_expired(v, now_s);
    json_t *arr = json_array();
    for (size_t i = 0; i < v->n && arr; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I}", "id", v->recs[i].id, "instance",
                                             v->recs[i].instance, "role",
                                             anc_vt_role_name(v->recs[i].role), "expires_at",
                                             (json_int_t)v->recs[i].expires_at));
    json_t *root = json_pack("{s:o}", "tokens", arr);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text)
        return -ENOMEM;
    int r = anc_write_file_atomic(v->records_path, text, strlen(text), 0600);
    free(text);
    return r;
}

int anc_vtokens_open(const char *state_dir, int64_t now_s, struct anc_vtokens **out)
{
    struct anc_vtokens *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    int r = 0;
    if (snprintf(v->key_path, sizeof(v->key_path), "%s/viewer.key", state_dir) >=
            (int)sizeof(v->key_path) ||
        snprintf(v->records_path, sizeof(v->records_path), "%s/viewer-tokens.json", state_dir) >=
            (int)sizeof(v->records_path))
        r = -ENAMETOOLONG;
    if (r == 0)
        r = anc_mkdir_p(state_dir, 0700);
    if (r == 0)
        r = load_or_create_key(v);
    if (r == 0)
        r = load_records(v, now_s);
    if (r == 0)
        derive_redirect_key(v);
    if (r < 0) {
        anc_vtokens_free(v);
        return r;
    }
    *out = v;
    return 0;
}

void anc_vtokens_free(struct anc_vtokens *v)
{
    if (!v)
        return;
    OPENSSL_cleanse(v->key, sizeof(v->key));
    OPENSSL_cleanse(v->redirect_key, sizeof(v->redirect_key));
    free(v->recs);
    free(v);
}

static struct record *find(const struct anc_vtokens *v, const char *tid)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->recs[i].id, tid) == 0)
            return &v->recs[i];
    return NULL;
}

static int new_id(char id[ANC_VT_ID_LEN + 1])
{
    uint8_t raw[ANC_VT_ID_LEN / 2];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -EIO;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

int anc_vtokens_issue(struct anc_vtokens *v, const char *instance, enum anc_vt_role role,
                      int64_t ttl_s, int64_t now_s, char out[ANC_VT_MAX_LEN + 1],
                      struct anc_vt_claims *c)
{
    if (ttl_s < 1 || ttl_s > ANC_VT_MAX_TTL_S || strlen(instance) > ANC_VT_INSTANCE_MAX)
        return -EINVAL;
    drop_expired(v, now_s);
    if (v->n >= ANC_VT_MAX_RECORDS)
        return -ENOSPC;
    memset(c, 0, sizeof(*c));
    do {
        if (new_id(c->id) < 0)
            return -EIO;
    } while (find(v, c->id));
    snprintf(c->instance, sizeof(c->instance), "%s", instance);
    c->role = role;
    c->expires_at = now_s + ttl_s;
    ssize_t n = anc_vt_encode(c, v->key, out, ANC_VT_MAX_LEN + 1);
    if (n < 0)
        return (int)n;
    struct record rec = {.role = role, .expires_at = c->expires_at};
    memcpy(rec.id, c->id, sizeof(rec.id));
    memcpy(rec.instance, c->instance, sizeof(rec.instance));
    int r = add_record(v, &rec);
    if (r == 0 && (r = save(v, now_s)) < 0)
        v->n--; /* not recorded: not issued */
    return r;
}

int anc_vtokens_revoke(struct anc_vtokens *v, const char *instance, const char *tid, int64_t now_s)
{
    struct record *rec = find(v, tid);
    if (!rec || strcmp(rec->instance, instance) != 0 || rec->expires_at <= now_s)
        return -ENOENT;
    *rec = v->recs[--v->n];
    return save(v, now_s);
}

json_t *anc_vtokens_list_json(const struct anc_vtokens *v, const char *instance, int64_t now_s)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < v->n && arr; i++) {
        const struct record *rec = &v->recs[i];
        if (strcmp(rec->instance, instance) != 0 || rec->expires_at <= now_s)
            continue;
        json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "id", rec->id, "role",
                                             anc_vt_role_name(rec->role), "expires_at",
                                             (json_int_t)rec->expires_at));
    }
    return arr;
}

void anc_vtokens_set_key(struct anc_vtokens *v, const uint8_t key[ANC_VT_KEY_LEN])
{
    memcpy(v->key, key, ANC_VT_KEY_LEN);
    derive_redirect_key(v);
}

int anc_vtokens_issue_redirect(const struct anc_vtokens *v, const char *instance,
                               enum anc_vt_role role, int64_t now_s, char out[ANC_VT_MAX_LEN + 1],
                               struct anc_vt_claims *c)
{
    if (strlen(instance) > ANC_VT_INSTANCE_MAX)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    if (new_id(c->id) < 0)
        return -EIO;
    snprintf(c->instance, sizeof(c->instance), "%s", instance);
    c->role = role;
    c->expires_at = now_s + ANC_VT_REDIRECT_TTL_S;
    ssize_t n = anc_vt_encode(c, v->redirect_key, out, ANC_VT_MAX_LEN + 1);
    return n < 0 ? (int)n : 0;
}

/* A token that failed the signing key may be a redirect token: signed with the derived key, and
 * with no more time left than a redirect token is issued with (one with more is none of ours). */
static int check_redirect(const struct anc_vtokens *v, const char *text, size_t len, int64_t now_s,
                          struct anc_vt_claims *c)
{
    struct anc_vt_claims got;
    int r = anc_vt_verify(text, len, v->redirect_key, now_s, &got);
    if (r < 0)
        return r;
    if (got.expires_at - now_s > ANC_VT_REDIRECT_TTL_S)
        return -EKEYREJECTED;
    *c = got;
    return 0;
}

int anc_vtokens_check_signed(const struct anc_vtokens *v, const char *text, size_t len,
                             int64_t now_s, struct anc_vt_claims *c)
{
    return anc_vt_verify(text, len, v->key, now_s, c);
}

int anc_vtokens_check(const struct anc_vtokens *v, const char *text, size_t len, int64_t now_s,
                      struct anc_vt_claims *c)
{
    struct anc_vt_claims got;
    int r = anc_vt_verify(text, len, v->key, now_s, &got);
    if (r == -EKEYREJECTED && check_redirect(v, text, len, now_s, c) == 0)
        return 0;
    if (r < 0)
        return r;
    const struct record *rec = find(v, got.id);
    if (!rec || strcmp(rec->instance, got.instance) != 0 || rec->role != got.role)
        return -ENOENT;
    *c = got;
    return 0;
}
