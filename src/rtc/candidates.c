#include "rtc/candidates.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

/* Splits cfg.listen into its host part. */
void anc_rtc_listen_host(const char *listen, char *out, size_t cap)
{
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        snprintf(out, cap, "%.*s", end ? (int)(end - listen - 1) : 0, listen + 1);
    } else {
        const char *colon = strrchr(listen, ':');
        snprintf(out, cap, "%.*s", colon ? (int)(colon - listen) : (int)strlen(listen), listen);
    }
}

static bool unspecified(const char *ip)
{
    return strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* Candidates: [rtc] public_ip; else the listen address; else every non-loopback address. */
int anc_rtc_pick_candidates(const struct anc_config *c, const char *host, char (*out)[64], int max)
{
    int n = 0;
    for (int i = 0; i < c->n_public_ip && n < max; i++)
        snprintf(out[n++], 64, "%s", c->public_ip[i]);
    if (n)
        return n;
    if (!unspecified(host)) {
        snprintf(out[n++], 64, "%.63s", host);
        return n;
    }
    uv_interface_address_t *ifs;
    int n_ifs;
    if (uv_interface_addresses(&ifs, &n_ifs) != 0)
        return 0;
    for (int i = 0; i < n_ifs && n < max; i++) {
        char ip[64];
        if (ifs[i].is_internal)
            continue;
        if (ifs[i].address.address4.sin_family == AF_INET) {
            uv_ip4_name(&ifs[i].address.address4, ip, sizeof(ip));
        } else {
            if (IN6_IS_ADDR_LINKLOCAL(&ifs[i].address.address6.sin6_addr))
                continue;
            uv_ip6_name(&ifs[i].address.address6, ip, sizeof(ip));
        }
        snprintf(out[n++], 64, "%s", ip);
    }
    uv_free_interface_addresses(ifs, n_ifs);
    return n;
}
