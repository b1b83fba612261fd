/* Host networking for guests, composed: the bridge with the gateway address, IPv4 forwarding,
 * the firewall rules, address management and dnsmasq. Setup and teardown block on netlink and
 * libiptc round trips: call them at daemon start and exit only. */
#pragma once

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "net/dnsmasq.h"
#include "net/fw_rule.h"
#include "net/ipam.h"

/* [network] in ancloud.conf. */
struct anc_net_config {
    char bridge[IFNAMSIZ]; /* bridge = ancloud */
    char subnet[32];       /* subnet = 192.168.240.0/24; the gateway is .1 */
    bool dhcp;             /* dhcp = true: run dnsmasq (DHCP + DNS) on the bridge */
    bool keep_on_exit;     /* keep_on_exit = false: teardown deletes the bridge */
    bool isolate;          /* isolate = true: guests cannot reach each other... */
    /* ...except these pairs of instance ids (allow = ID ID, repeatable), both ways. */
    char allow[ANC_FW_MAX_PAIRS][2][ANC_IPAM_ID_MAX];
    size_t n_allow;
    /* The command LXC runs to isolate a guest's bridge port (port_hook.h); empty: setup uses
     * "<this executable> --net-isolate-port". Not used with isolate = false. */
    char port_hook[PATH_MAX + 32];
    char state_dir[PATH_MAX]; /* ipam.json lives here; empty: addresses are not persisted */
    char run_dir[PATH_MAX];   /* dnsmasq's files go to <run_dir>/dnsmasq */
    char dnsmasq[PATH_MAX];   /* empty: /usr/sbin/dnsmasq */
};

struct anc_config;
/* Fills nc from the daemon's configuration ([network], state and run directories). */
void anc_net_config_from(const struct anc_config *cfg, struct anc_net_config *nc);

void anc_net_config_defaults(struct anc_net_config *c);

struct anc_network {
    struct anc_net_config cfg;
    uint32_t net, gateway; /* network byte order */
    int prefix;
    bool created_bridge; /* setup made the bridge (rather than adopting one) */
    struct anc_fw_policy policy;
    struct anc_fw_rule rules[ANC_FW_MAX_RULES];
    size_t n_rules;
    struct anc_ipam ipam;        /* instances take their addresses from here */
    struct anc_dnsmasq *dnsmasq; /* NULL: dhcp = false, or no loop given */
    void (*done_cb)(void *ud);
    void *done_ud;
};

/* Creates (or adopts) the bridge, gives it the gateway address, brings it up, enables
 * ip_forward, sets the bridge's proxy_arp_pvlan (isolate: guest-to-guest traffic is routed
 * through the host, where the allow pairs are checked), reserves the addresses of the allowed
 * instance ids in ipam.json (the rules name them), applies the firewall rules, opens <state_dir>/ipam.json and, when loop is not NULL
 * and c->dhcp, starts dnsmasq. Idempotent: run twice, it changes nothing the second time. On
 * failure everything done so far is undone and err holds one sentence naming what the host lacks
 * (CAP_NET_ADMIN, the bridge module, legacy iptables support, dnsmasq). Returns 0 or -errno. */
int anc_network_setup(const struct anc_net_config *c, uv_loop_t *loop, struct anc_network **out,
                      char *err, size_t errlen);

/* A guest's address on the bridge, in the forms a container configuration takes. */
struct anc_network_lease {
    uint32_t addr;         /* network byte order */
    char cidr[24];         /* "192.168.240.7/24" */
    char gateway[16];      /* "192.168.240.1" */
    char bridge[IFNAMSIZ]; /* the bridge the guest's veth joins */
    const char *port_hook; /* lxc.net.0.script.up for the guest (owned by the network, valid
                            * while it lives); NULL: isolate = false */
};

/* The address of owner (an instance id): the one it had, else a free one, persisted in
 * <state_dir>/ipam.json. Returns 0, or -ENOSPC when the subnet is full, or -errno. */
int anc_network_lease(struct anc_network *n, const char *owner, struct anc_network_lease *out);
/* Gives owner's address back; -ENOENT when it had none. An id named in an allow pair keeps its
 * address (the rules name it): 0, nothing released. */
int anc_network_release(struct anc_network *n, const char *owner);
/* owner's address without taking one; -ENOENT when it has none. */
int anc_network_lookup(const struct anc_network *n, const char *owner, uint32_t *addr);

/* Publishes instance names to dnsmasq (NAME and NAME.ancloud). No-op without dnsmasq. */
int anc_network_set_hosts(struct anc_network *n, const struct anc_dnsmasq_host *hosts,
                          size_t count);

/* Stops dnsmasq; once it has exited, removes exactly our firewall rules, deletes the bridge
 * unless keep_on_exit (an adopted bridge too: set keep_on_exit for a bridge the administrator
 * manages), frees n and calls cb (may be NULL). Without dnsmasq all that happens before this
 * returns; with it, the loop must run until cb (at most ~2 s: SIGTERM, then SIGKILL).
 * Accepts NULL. Errors are logged at debug level and otherwise ignored: teardown goes on. */
void anc_network_teardown(struct anc_network *n, void (*cb)(void *ud), void *ud);

/* At exit with guests left running ([instance] keep_running_on_exit): changes nothing on the host
 * (bridge, rules and dnsmasq stay for the guests; the next start adopts them), frees n, then cb. */
void anc_network_detach(struct anc_network *n, void (*cb)(void *ud), void *ud);

/* ancloudd --teardown-network: what a daemon that did not exit cleanly left on the host, removed
 * without a running daemon: its dnsmasq, exactly our firewall rules (matched by their comment),
 * and the bridge unless keep_on_exit (a link of that name that is not a bridge is left alone).
 * report gets one line saying what was done. Returns 0 or -errno. */
int anc_network_teardown_host(const struct anc_net_config *c, char *report, size_t len);
