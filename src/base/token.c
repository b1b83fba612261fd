#include "base/token.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsutil.h"

int anc_token_ensure(char *token, size_t cap, const char *state_dir, bool *generated)
{
    char path[PATH_MAX];
    *generated = false;
    if (token[0])
        return 0;
    if (snprintf(path, sizeof(path), "%s/token", state_dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;

    char *text;
    size_t len;
    int r = anc_read_file(path, 4096, &text, &len);
    if (r == 0) {
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
            text[--len] = '\0';
        if (len > 0 && len < cap) {
            memcpy(token, text, len + 1);
            free(text);
            return 0;
        }
        free(text);
    } else if (r != -ENOENT) {
        return r;
    }

    unsigned char raw[32];
    if (cap < 2 * sizeof(raw) + 1 || RAND_bytes(raw, sizeof(raw)) != 1)
        return -EIO;
    for (size_t i = 0; i < sizeof(raw); i++)
        sprintf(token + 2 * i, "%02x", raw[i]);
    r = anc_mkdir_p(state_dir, 0700);
    if (r < 0)
        return r;
    char line[80];
    int n = snprintf(line, sizeof(line), "%s\n", token);
    r = anc_write_file_atomic(path, line, (size_t)n, 0600);
    if (r < 0)
        return r;
    *generated = true;
    return 0;
}

bool anc_token_equal(const char *expected, const char *presented, size_t presented_len)
{
    size_t elen = strlen(expected);
    /* Compare over the expected length regardless of where a mismatch is; the length itself is
     * not secret (it is fixed for generated tokens). */
    if (presented_len != elen || elen == 0)
        return false;
    return CRYPTO_memcmp(expected, presented, elen) == 0;
}
