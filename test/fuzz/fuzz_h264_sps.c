/* Fuzz target for the SPS size parser: config packets the in-guest agent sends (Annex-B). */
#include <errno.h>
#include <stdint.h>

#include "agent/h264_sps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anc_h264_sps sps;
    int r = anc_h264_sps_find(data, size, &sps);
    if (r == 0 && (sps.width == 0 || sps.height == 0 || sps.width > ANC_H264_SPS_SIZE_MAX ||
                   sps.height > ANC_H264_SPS_SIZE_MAX))
        __builtin_trap();
    if (r != 0 && r != -ENOENT && r != -EBADMSG && r != -EINVAL)
        __builtin_trap();
    if (size > 0) {
        /* The same bytes as one NAL. */
        r = anc_h264_sps_parse(data, size, &sps);
        if (r != 0 && r != -EBADMSG && r != -EINVAL)
            __builtin_trap();
    }
    return 0;
}
