/* Fuzz target for the input protocol v1 decoder: any bytes that arrive on the "input" data
 * channel. No X display is involved; the sink only ever sees messages that decoded. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "input/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[ANC_INPUT_MAX_SIZE + 65536];
    struct anc_input_msg m;

    int r = anc_input_decode(data, size, &m);
    if (r != 0) {
        if (r != -EBADMSG && r != -EMSGSIZE && r != -EPROTONOSUPPORT)
            __builtin_trap();
        return 0;
    }
    /* A decoded message must re-encode to the same bytes (the key's reserved field aside). */
    ssize_t n = anc_input_encode(&m, out, sizeof(out));
    if (n != (ssize_t)size || out[0] != data[0])
        __builtin_trap();
    if (m.type == ANC_INPUT_KEY) {
        if (memcmp(out + 4, data + 4, size - 4) != 0 || out[1] != data[1])
            __builtin_trap();
    } else if (memcmp(out, data, size) != 0) {
        __builtin_trap();
    }
    return 0;
}
