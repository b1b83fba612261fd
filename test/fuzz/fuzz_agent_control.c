/* Fuzz target for the control socket parsers: control messages as the stand-in agent reads
 * them (first byte even) or device messages as ancloudd reads them (odd). Every parsed message
 * must serialize back to the bytes it came from (booleans normalized to 0/1). */
#include <stdint.h>
#include <string.h>

#include "agent/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[ANC_AGENT_MSG_MAX + 16], norm[ANC_AGENT_MSG_MAX + 16];

static void check_ctrl(const struct anc_agent_ctrl *m, const uint8_t *raw, size_t len)
{
    ssize_t n = anc_agent_ctrl_serialize(m, out, sizeof(out));
    if (n != (ssize_t)len)
        __builtin_trap();
    memcpy(norm, raw, len);
    if (m->type == ANC_AGENT_CTRL_SET_CLIPBOARD)
        norm[9] = norm[9] != 0;
    if (m->type == ANC_AGENT_CTRL_SET_DISPLAY_POWER)
        norm[1] = norm[1] != 0;
    if (memcmp(out, norm, len) != 0)
        __builtin_trap();
}

static void run_ctrl(const uint8_t *data, size_t size)
{
    struct anc_agent_ctrl_parser p;
    size_t off = 0;

    anc_agent_ctrl_parser_init(&p);
    while (off < size) {
        struct anc_agent_ctrl m;
        ssize_t used = anc_agent_ctrl_parser_feed(&p, data + off, size - off, &m);
        if (used <= 0)
            break;
        if (m.type != ANC_AGENT_CTRL_NONE)
            check_ctrl(&m, data + off, (size_t)used);
        off += (size_t)used;
    }
    anc_agent_ctrl_parser_destroy(&p);
}

static void run_devmsg(const uint8_t *data, size_t size)
{
    struct anc_agent_devmsg_parser p;
    size_t off = 0;

    anc_agent_devmsg_parser_init(&p);
    while (off < size) {
        struct anc_agent_devmsg m;
        ssize_t used = anc_agent_devmsg_parser_feed(&p, data + off, size - off, &m);
        if (used <= 0)
            break;
        if (m.type != ANC_AGENT_DEVMSG_NONE) {
            ssize_t n = anc_agent_devmsg_serialize(&m, out, sizeof(out));
            if (n != used || memcmp(out, data + off, (size_t)n) != 0)
                __builtin_trap();
        }
        off += (size_t)used;
    }
    anc_agent_devmsg_parser_destroy(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        run_devmsg(data + 1, size - 1);
    else
        run_ctrl(data + 1, size - 1);
    return 0;
}
