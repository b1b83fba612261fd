/* Fuzz target for the XWD header parser: the framebuffer file Xvfb writes (a file another process
 * controls). An accepted header must describe pixels that lie inside the input. */
#include <stdint.h>
#include <string.h>

#include "media/xwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anc_xwd_info info;
    if (anc_xwd_parse(data, size, &info) != 0)
        return 0;
    if (info.pixel_offset > size || info.pixel_bytes > size - info.pixel_offset ||
        info.stride < info.width * 4u || info.width == 0 || info.height == 0)
        __builtin_trap();
    /* Touch the first and last pixel byte: ASan sees any out-of-bounds claim. */
    volatile uint8_t first = data[info.pixel_offset];
    volatile uint8_t last = data[info.pixel_offset + info.pixel_bytes - 1];
    (void)first;
    (void)last;
    return 0;
}
