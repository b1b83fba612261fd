/* dnsmasq serving DHCP and DNS on the bridge: its command line and hosts file (pure, here) and
 * its supervision as a child process (dnsmasq_uv.h).
 *
 * dnsmasq binds only the bridge (--bind-interfaces --interface=BRIDGE --listen-address=GW),
 * forwards other names to the host's resolvers (/etc/resolv.conf), answers
 * gateway.<domain> with the gateway and every instance name (NAME and NAME.<domain>) from an
 * addn-hosts file that is rewritten and reloaded with SIGHUP. It drops privileges to its own user,
 * so its directory (<run_dir>/dnsmasq, created 0755) and hosts file (0644) are world-readable. */
#pragma once

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define ANC_DNSMASQ_BIN      "/usr/sbin/dnsmasq"
#define ANC_DNSMASQ_NAME_MAX 64

struct anc_dnsmasq_config {
    char binary[PATH_MAX]; /* empty: ANC_DNSMASQ_BIN */
    char bridge[IFNAMSIZ];
    char domain[64];  /* empty: "ancloud" */
    uint32_t gateway; /* network byte order, like every address here */
    int prefix;
    uint32_t dhcp_first, dhcp_last; /* both 0: DNS only, no DHCP */
    char dir[PATH_MAX];             /* holds hosts and dnsmasq.leases; e.g. <run_dir>/dnsmasq */
};

struct anc_dnsmasq_host {
    char name[ANC_DNSMASQ_NAME_MAX];
    uint32_t addr;
};

/* Builds the argument vector (NULL-terminated, argv[0] is the binary). Caller frees it with
 * anc_dnsmasq_argv_free. Returns 0 or -ENOMEM/-EINVAL. */
int anc_dnsmasq_argv(const struct anc_dnsmasq_config *c, char ***out);
void anc_dnsmasq_argv_free(char **argv);

/* The addn-hosts text: "ADDR NAME NAME.DOMAIN" per line. Caller frees *out. Names that are not
 * valid host names are skipped. */
int anc_dnsmasq_hosts_text(const struct anc_dnsmasq_host *hosts, size_t n, const char *domain,
                           char **out);
