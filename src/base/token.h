/* The API token: configured, or generated once and kept 0600 in the state dir. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* If token is empty, loads state_dir/token or creates it (32 random bytes, hex, mode 0600,
 * written atomically). *generated tells whether a new one was made. Returns 0 or -errno. */
int anc_token_ensure(char *token, size_t cap, const char *state_dir, bool *generated);

/* Constant-time comparison of a presented token with the expected one. */
bool anc_token_equal(const char *expected, const char *presented, size_t presented_len);
