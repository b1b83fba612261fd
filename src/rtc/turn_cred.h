/* The WHEP/WHIP `Link: <url>; rel="ice-server"` header of one [rtc] ice_servers URL, with
 * time-limited TURN credentials when a shared secret is set: coturn's "TURN REST API" scheme
 * (use-auth-secret / static-auth-secret), username = "<expiry unix time>:<name>",
 * credential = base64(HMAC-SHA1(secret, username)). Pure: the caller passes the wall clock. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Writes the Link header value for url into out. For turn: and turns: URLs with a non-empty
 * secret, username and credential (credential-type "password") are added, valid until
 * expiry_unix; name (visible ASCII without '"' or '\\', e.g. a session id) follows the expiry in
 * the username. Other URLs, or no secret: just the URL. Returns 0, -EMSGSIZE when out is too
 * small, -EINVAL for a url or name with characters a header cannot carry. */
int anc_turn_link(const char *url, const char *secret, uint64_t expiry_unix, const char *name,
                  char *out, size_t cap);

/* The credential of a username: base64(HMAC-SHA1(secret, username)), 28 characters + NUL.
 * Returns 0 or -EMSGSIZE (cap < 29) / -EIO. */
int anc_turn_credential(const char *secret, const char *username, char *out, size_t cap);
