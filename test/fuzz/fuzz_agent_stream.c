/* Fuzz target for the scrcpy video stream parser: any bytes the agent's video socket sends.
 * The first input byte picks the prelude flags and a chunk size; the rest is fed twice, whole
 * and in chunks, and both runs must see the same events and the same error. */
#include <stdint.h>
#include <string.h>

#include "agent/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over the event sequence. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t run(unsigned flags, const uint8_t *data, size_t size, size_t step, int *err)
{
    struct anc_agent_stream s;
    uint64_t h = 0xcbf29ce484222325ull;
    size_t off = 0;

    *err = 0;
    anc_agent_stream_init(&s, flags, 1u << 20);
    while (off < size) {
        struct anc_agent_stream_event ev;
        size_t n = size - off < step ? size - off : step;
        ssize_t used = anc_agent_stream_feed(&s, data + off, n, &ev);
        if (used < 0) {
            *err = (int)used;
            if (anc_agent_stream_feed(&s, data, size, &ev) != used)
                __builtin_trap(); /* errors are sticky */
            break;
        }
        if (used == 0 || (size_t)used > n)
            __builtin_trap();
        off += (size_t)used;
        if (ev.type != ANC_AGENT_EV_NONE)
            h = mix(h, &ev.type, sizeof(ev.type));
        if (ev.type == ANC_AGENT_EV_DEVICE)
            h = mix(h, ev.device.name, strlen(ev.device.name));
        if (ev.type == ANC_AGENT_EV_CODEC)
            h = mix(h, &ev.codec, sizeof(ev.codec));
        if (ev.type == ANC_AGENT_EV_PACKET) {
            uint8_t f = (uint8_t)(ev.packet.config | ev.packet.keyframe << 1);
            h = mix(h, &ev.packet.pts, sizeof(ev.packet.pts));
            h = mix(h, &f, 1);
            h = mix(h, &ev.packet.len, sizeof(ev.packet.len));
            h = mix(h, ev.packet.data, ev.packet.len);
        }
    }
    anc_agent_stream_destroy(&s);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0] & 3;
    size_t step = 1 + (data[0] >> 2);
    int err_whole, err_chunked;
    uint64_t whole = run(flags, data + 1, size - 1, size, &err_whole);
    uint64_t chunked = run(flags, data + 1, size - 1, step, &err_chunked);
    if (whole != chunked || err_whole != err_chunked)
        __builtin_trap();
    return 0;
}
