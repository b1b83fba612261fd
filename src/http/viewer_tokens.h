/* The viewer-token registry: the server secret (state_dir/viewer.key, 0600) and the record of
 * every token issued and not revoked (state_dir/viewer-tokens.json, 0600), so that tokens and
 * revocations survive a restart. A token is accepted only while its signature verifies, it has
 * not expired and its record exists: revoking deletes the record, and losing the file revokes
 * everything (fails closed). The token text itself is never stored. Loop thread only; files are
 * written synchronously (small, rare). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/viewer_token.h"

#define ANC_VT_MAX_RECORDS    4096 /* issued and unexpired tokens, daemon-wide */
#define ANC_VT_MAX_TTL_S      (366 * 24 * 3600)
#define ANC_VT_REDIRECT_TTL_S 60 /* redirect tokens (anc_vtokens_issue_redirect) */

struct anc_vtokens;

/* Loads or creates the key and loads the records (expired ones are dropped). Returns 0 or
 * -errno (-EBADMSG: a key or records file that is not ours). */
int anc_vtokens_open(const char *state_dir, int64_t now_s, struct anc_vtokens **out);
void anc_vtokens_free(struct anc_vtokens *v);

/* Issues a token for instance with role, valid ttl_s seconds from now_s (1..ANC_VT_MAX_TTL_S),
 * and records it. out (ANC_VT_MAX_LEN + 1 bytes) gets the text, *c its claims. Returns 0,
 * -EINVAL, -ENOSPC (ANC_VT_MAX_RECORDS) or -errno of the write (nothing issued then). */
int anc_vtokens_issue(struct anc_vtokens *v, const char *instance, enum anc_vt_role role,
                      int64_t ttl_s, int64_t now_s, char out[ANC_VT_MAX_LEN + 1],
                      struct anc_vt_claims *c);

/* Revokes token tid of instance: its record goes. Returns 0, -ENOENT (no such unexpired token of
 * that instance) or -errno of the write (then it stays revoked in memory). */
int anc_vtokens_revoke(struct anc_vtokens *v, const char *instance, const char *tid, int64_t now_s);

/* [{"id":..,"role":..,"expires_at":..}, ...] of instance's unexpired tokens (new reference). */
json_t *anc_vtokens_list_json(const struct anc_vtokens *v, const char *instance, int64_t now_s);

/* Replaces the signing key in memory (the file keeps this node's own key): a cluster gives every
 * node the same key, so that a token one node issued verifies on the others. Tokens signed with
 * the previous key stop verifying. Nothing calls it on a single host. */
void anc_vtokens_set_key(struct anc_vtokens *v, const uint8_t key[ANC_VT_KEY_LEN]);

/* Issues a redirect token: what a node that does not run instance puts in the 307 it answers a
 * WHEP offer with, so that the owner node admits the repeated offer (rest.h). It is valid
 * ANC_VT_REDIRECT_TTL_S seconds and is not recorded (the owner node has no record of it, and it
 * cannot be revoked: it outlives no revocation by more than its minute). It is signed with a key
 * derived from the signing key, so no recorded token can pass for one, and a redirect token is
 * accepted by anc_vtokens_check only while its expiry is at most ANC_VT_REDIRECT_TTL_S away.
 * Returns 0 (out and *c filled), -EINVAL or -EIO. */
int anc_vtokens_issue_redirect(const struct anc_vtokens *v, const char *instance,
                               enum anc_vt_role role, int64_t now_s, char out[ANC_VT_MAX_LEN + 1],
                               struct anc_vt_claims *c);

/* Checks only the signature and expiry of a token signed with the key: anc_vt_verify's result.
 * For a token recorded on another node of a cluster (which checks its record). */
int anc_vtokens_check_signed(const struct anc_vtokens *v, const char *text, size_t len,
                             int64_t now_s, struct anc_vt_claims *c);

/* Checks a presented token (untrusted bytes): anc_vt_verify's result, or -ENOENT when it verifies
 * but was revoked. A redirect token (above) verifies without a record. *c is filled on success. */
int anc_vtokens_check(const struct anc_vtokens *v, const char *text, size_t len, int64_t now_s,
                      struct anc_vt_claims *c);
