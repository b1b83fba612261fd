/* Fuzz target for viewer tokens: any bytes presented as "Authorization: Bearer <token>". */
#include <stdint.h>
#include <string.h>

#include "http/viewer_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[ANC_VT_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                            12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                            23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anc_vt_claims c;
    char again[2 * ANC_VT_MAX_LEN + 8];
    uint8_t raw[ANC_VT_MAX_LEN];

    /* A token that verifies must be exactly what we would have issued for its claims. */
    if (anc_vt_verify((const char *)data, size, key, 0, &c) == 0) {
        ssize_t n = anc_vt_encode(&c, key, again, sizeof(again));
        if (n != (ssize_t)size || memcmp(again, data, size) != 0)
            __builtin_trap();
    }
    /* Strict base64url: one text per byte string, so decoding then encoding gives it back. */
    ssize_t m = anc_b64url_decode((const char *)data, size, raw, sizeof(raw));
    if (m >= 0) {
        ssize_t n = anc_b64url_encode(raw, (size_t)m, again, sizeof(again));
        if (n != (ssize_t)size || memcmp(again, data, size) != 0)
            __builtin_trap();
    }
    return 0;
}
