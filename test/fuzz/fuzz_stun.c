/* Fuzzes the STUN parser, its accessors and verifiers, and the ICE-lite agent behind them. The
 * session uses RFC 5769's credentials so the committed test vector reaches the authenticated path. */
#include <stdint.h>
#include <stdlib.h>

#include "rtc/ice.h"
#include "rtc/stun.h"

static const char pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void poke_accessors(const struct anc_stun_msg *m)
{
    struct anc_stun_attr attr;
    struct anc_addr addr;
    uint32_t u32;
    uint64_t u64;
    int code;
    const char *reason;
    size_t reason_len;
    anc_stun_find(m, ANC_STUN_ATTR_USERNAME, &attr);
    anc_stun_find(m, ANC_STUN_ATTR_FINGERPRINT, &attr);
    anc_stun_get_u32(m, ANC_STUN_ATTR_PRIORITY, &u32);
    anc_stun_get_u64(m, ANC_STUN_ATTR_ICE_CONTROLLING, &u64);
    anc_stun_get_u64(m, ANC_STUN_ATTR_ICE_CONTROLLED, &u64);
    anc_stun_get_xor_addr(m, &addr);
    anc_stun_get_error_code(m, &code, &reason, &reason_len);
    anc_stun_verify_integrity(m, (const uint8_t *)pwd, sizeof(pwd) - 1);
    anc_stun_verify_fingerprint(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anc_stun_msg m;
    struct anc_ice_result res;
    struct anc_ice_event ev;
    struct anc_addr from;
    static int user;

    anc_stun_is_stun(data, size);
    if (anc_stun_parse(&m, data, size) == 0)
        poke_accessors(&m);

    struct anc_ice_agent *a = anc_ice_agent_new(1);
    if (!a)
        return 0;
    anc_addr_from_string(&from, "192.0.2.1", 32853);
    if (anc_ice_session_add(a, 0, "evtj", pwd, "h6vY", NULL, &user) == 0) {
        if (anc_ice_handle_packet(a, 1000, &from, data, size, &res) == 0 && res.len > 0 &&
            anc_stun_parse(&m, res.buf, res.len) != 0)
            abort(); /* our own responses must always parse */
        anc_ice_session_for_addr(a, &from);
        anc_ice_handle_timeout(a, anc_ice_next_timeout(a));
        while (anc_ice_poll_event(a, &ev))
            ;
    }
    anc_ice_agent_free(a);
    return 0;
}
