/* Fuzz target for the agent client: any bytes the agent sends on either socket, then input.
 * Layout: byte 0 picks the chunk size, bytes 1-2 (big-endian) how many of the rest go to the
 * video socket; the remainder goes to the control socket. Both are fed whole and in chunks,
 * interleaved, and both runs must see the same events. Every keyframe must start with the last
 * config packet, and after READY every kind of input must serialize within the documented
 * bound. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "agent/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t on_event(struct anc_agent_client *c, uint64_t h,
                         const struct anc_agent_client_event *ev)
{
    if (ev->type == ANC_AGENT_CLIENT_EV_NONE)
        return h; /* how many partial feeds an event took depends on the chunking */
    h = mix(h, &ev->type, sizeof(ev->type));
    switch (ev->type) {
    case ANC_AGENT_CLIENT_EV_READY:
        h = mix(h, ev->ready.device, strlen(ev->ready.device));
        h = mix(h, &ev->ready.width, sizeof(ev->ready.width));
        h = mix(h, &ev->ready.height, sizeof(ev->ready.height));
        if (ev->ready.width == 0 || ev->ready.height == 0)
            __builtin_trap();
        break;
    case ANC_AGENT_CLIENT_EV_AU:
        if (ev->au.len == 0)
            __builtin_trap();
        if (ev->au.keyframe && c->config_len &&
            (ev->au.len <= c->config_len || memcmp(ev->au.data, c->config, c->config_len) != 0))
            __builtin_trap();
        h = mix(h, ev->au.data, ev->au.len);
        h = mix(h, &ev->au.pts_us, sizeof(ev->au.pts_us));
        break;
    case ANC_AGENT_CLIENT_EV_CLIPBOARD:
        h = mix(h, ev->clipboard.utf8, ev->clipboard.len);
        break;
    case ANC_AGENT_CLIENT_EV_ERROR:
        h = mix(h, &ev->error.code, sizeof(ev->error.code));
        break;
    default:
        break;
    }
    return h;
}

/* Feeds up to step bytes of one socket; returns false once the client failed. */
static bool feed(struct anc_agent_client *c, bool video, const uint8_t *b, size_t n, size_t *off,
                 size_t step, uint64_t *h)
{
    size_t chunk = n - *off < step ? n - *off : step;
    struct anc_agent_client_event ev;
    ssize_t used = video ? anc_agent_client_feed_video(c, 0, b + *off, chunk, &ev)
                         : anc_agent_client_feed_control(c, 0, b + *off, chunk, &ev);
    if (used < 0)
        return false;
    if (used == 0 || (size_t)used > chunk)
        __builtin_trap();
    *off += (size_t)used;
    *h = on_event(c, *h, &ev);
    return ev.type != ANC_AGENT_CLIENT_EV_ERROR;
}

static void input_all(struct anc_agent_client *c, const uint8_t *seed, size_t n)
{
    static uint8_t out[ANC_AGENT_CLIENT_INPUT_MAX];
    uint16_t v = n >= 2 ? (uint16_t)(seed[0] << 8 | seed[1]) : 0;
    struct anc_input_msg msgs[] = {
        {.type = ANC_INPUT_TOUCH, .touch = {.action = 0, .pointer_id = 9, .x = v, .y = 65535}},
        {.type = ANC_INPUT_TOUCH, .touch = {.action = 3, .pointer_id = 9, .x = 65535, .y = v}},
        {.type = ANC_INPUT_SCROLL, .scroll = {.dx = (int16_t)v, .dy = -32768, .x = v}},
        {.type = ANC_INPUT_KEY, .key = {.action = 0, .keycode = v & 0x2ff, .modifiers = v}},
        {.type = ANC_INPUT_TEXT, .text = {.utf8 = seed, .len = n < 4096 ? n : 4096}},
        {.type = ANC_INPUT_CONTROL, .control = {.op = (uint8_t)(v % 11)}},
        {.type = ANC_INPUT_CLIPBOARD,
         .clipboard = {.flags = (uint8_t)v, .utf8 = seed, .len = n < 65534 ? n : 65534}},
    };
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        if (msgs[i].type == ANC_INPUT_TEXT && n == 0)
            continue;
        ssize_t r = anc_agent_client_input(c, &msgs[i], out, sizeof(out));
        if (r == -ENOBUFS || r > (ssize_t)sizeof(out))
            __builtin_trap();
    }
}

static uint64_t run(const uint8_t *v, size_t vn, const uint8_t *d, size_t dn, size_t step)
{
    struct anc_agent_client c;
    uint64_t h = 0xcbf29ce484222325ull;
    size_t vo = 0, dof = 0;
    bool ok = true;
    anc_agent_client_init(&c, 0, 1000000);
    while (ok && (vo < vn || dof < dn)) {
        if (vo < vn)
            ok = feed(&c, true, v, vn, &vo, step, &h);
        if (ok && dof < dn)
            ok = feed(&c, false, d, dn, &dof, step, &h);
    }
    if (ok && c.ready)
        input_all(&c, d, dn);
    anc_agent_client_destroy(&c);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t step = 1 + data[0];
    size_t vn = (size_t)(data[1] << 8 | data[2]);
    data += 3;
    size -= 3;
    if (vn > size)
        vn = size;
    /* Whole vs chunked: events may interleave differently between the sockets, but each
     * socket's own sequence is fixed, so compare the runs socket by socket. */
    if (run(data, vn, NULL, 0, vn ? vn : 1) != run(data, vn, NULL, 0, step))
        __builtin_trap();
    run(data, vn, data + vn, size - vn, step);
    return 0;
}
