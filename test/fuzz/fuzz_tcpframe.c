/* Fuzz target for the RFC 4571 framer: any bytes a TCP client sends to [rtc] tcp_port. Every
 * packet that comes out must re-encode to the bytes it came from, and the framer must never
 * consume more than it was given. */
#include <stdint.h>
#include <string.h>

#include "rtc/tcpframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct anc_tcpframe f;
    uint8_t out[2 + ANC_TCPFRAME_MAX];
    /* The first byte picks the read size, so frames are split across reads too. */
    size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1, off = size ? 1 : 0;
    anc_tcpframe_init(&f, 1500);
    while (off < size) {
        size_t len = size - off < chunk ? size - off : chunk, used = 0;
        while (used < len) {
            const uint8_t *p;
            size_t n;
            ssize_t r = anc_tcpframe_feed(&f, data + off + used, len - used, &p, &n);
            if (r < 0)
                return 0;
            if ((size_t)r > len - used || (r == 0 && !p))
                __builtin_trap();
            used += (size_t)r;
            if (p) {
                if (n == 0 || n > 1500 ||
                    anc_tcpframe_encode(p, n, out, sizeof(out)) != (ssize_t)n + 2)
                    __builtin_trap();
            }
        }
        off += len;
    }
    return 0;
}
