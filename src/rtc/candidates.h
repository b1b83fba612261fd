/* The host candidates every WebRTC session advertises, from the configuration and this host's
 * addresses. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"

/* The host part of [server] listen ("[::1]:8080" → "::1"). */
void anc_rtc_listen_host(const char *listen, char *out, size_t cap);
/* [rtc] public_ip; else the listen host; else every non-loopback, non-link-local address of this
 * host. At most max; returns how many went into out. */
int anc_rtc_pick_candidates(const struct anc_config *c, const char *host, char (*out)[64], int max);
