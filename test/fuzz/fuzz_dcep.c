/* Fuzz target for the DCEP parser: any bytes that arrive on a data channel with PPID 50. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "rtc/dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anc_dcep_open o;
    int r;
    uint8_t out[ANC_DCEP_OPEN_HEADER_SIZE + 2 * 65535];

    switch (anc_dcep_message_type(data, size)) {
    case ANC_DCEP_MSG_ACK:
        (void)anc_dcep_parse_ack(data, size);
        break;
    case ANC_DCEP_MSG_OPEN:
        r = anc_dcep_parse_open(data, size, &o);
        /* -EMSGSIZE only for a well-formed OPEN whose label or protocol is over the cap. */
        if (r == -EMSGSIZE && size >= ANC_DCEP_OPEN_HEADER_SIZE &&
            ((size_t)data[8] << 8 | data[9]) <= ANC_DCEP_LABEL_MAX &&
            ((size_t)data[10] << 8 | data[11]) <= ANC_DCEP_LABEL_MAX)
            __builtin_trap();
        if (r == 0 && (o.label_len > ANC_DCEP_LABEL_MAX || o.protocol_len > ANC_DCEP_LABEL_MAX))
            __builtin_trap();
        if (r == 0) {
            /* A parsed OPEN must rebuild to the same bytes. */
            ssize_t n = anc_dcep_build_open(&o, out, sizeof(out));
            if (n != (ssize_t)size || memcmp(out, data, size) != 0) {
                if ((o.channel_type & 0x7f) != 0)
                    __builtin_trap();
            }
        }
        break;
    default:
        break;
    }
    return 0;
}
