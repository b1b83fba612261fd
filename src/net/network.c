/* Composition of bridge, forwarding, firewall, IPAM and dnsmasq (see network.h). */
#include "net/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "net/dnsmasq_uv.h"
#include "net/firewall.h"
#include "net/link.h"
#include "net/port_hook.h"

void anc_net_config_defaults(struct anc_net_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->bridge, sizeof(c->bridge), "ancloud");
    snprintf(c->subnet, sizeof(c->subnet), "192.168.240.0/24");
    c->dhcp = true;
    c->isolate = true;
}

static const char *hint(int e)
{
    switch (e) {
    case EPERM:
    case EACCES:
        return " — ancloudd needs CAP_NET_ADMIN (run it as root)";
    case EOPNOTSUPP:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
        return " — is the bridge module available? (modprobe bridge)";
    default:
        return "";
    }
}

/* With isolated ports guests cannot see each other's frames, ARP included; with proxy_arp_pvlan
 * the host answers a guest's ARP for another guest with its own address, so guest-to-guest
 * traffic is routed through the host's FORWARD chain, where the allow pairs are checked (at once:
 * proxy_delay 0; and no ICMP redirect pointing a guest at a peer it cannot reach directly). */
static int setup_pvlan(struct anc_network *n, char *err, size_t errlen)
{
    static const struct {
        const char *dir, *key;
        int on, off;
    } keys[] = {{"conf", "proxy_arp_pvlan", 1, 0},
                {"conf", "send_redirects", 0, 1},
                {"neigh", "proxy_delay", 0, 80}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int v = n->cfg.isolate ? keys[i].on : keys[i].off;
        int r = anc_net_sysctl_set(keys[i].dir, n->cfg.bridge, keys[i].key, v);
        if (r < 0) {
            snprintf(err, errlen, "network: cannot set /proc/sys/net/ipv4/%s/%s/%s: %s%s",
                     keys[i].dir, n->cfg.bridge, keys[i].key, strerror(-r),
                     -r == EROFS ? " — /proc/sys is read-only here" : hint(-r));
            return r;
        }
    }
    return 0;
}

static int setup_bridge(struct anc_network *n, char *err, size_t errlen)
{
    const char *br = n->cfg.bridge;
    struct anc_net_link l;
    int r = anc_net_bridge_ensure(br, &n->created_bridge);
    if (r == -EEXIST) {
        anc_net_link_get(br, &l);
        snprintf(err, errlen,
                 "network: '%s' exists and is not a bridge (kind '%s'); "
                 "remove it or choose another [network] bridge",
                 br, l.kind);
        return r;
    }
    if (r < 0) {
        snprintf(err, errlen, "network: cannot create bridge '%s': %s%s", br, strerror(-r),
                 hint(-r));
        return r;
    }
    if ((r = anc_net_addr_ensure(br, n->gateway, n->prefix)) < 0) {
        snprintf(err, errlen, "network: cannot add the gateway address to '%s': %s%s", br,
                 strerror(-r), hint(-r));
        return r;
    }
    if ((r = anc_net_link_set_up(br, true)) < 0) {
        snprintf(err, errlen, "network: cannot bring '%s' up: %s%s", br, strerror(-r), hint(-r));
        return r;
    }
    if ((r = anc_net_ip_forward_enable()) < 0) {
        snprintf(err, errlen, "network: cannot enable /proc/sys/net/ipv4/ip_forward: %s%s",
                 strerror(-r), -r == EROFS ? " — /proc/sys is read-only here" : hint(-r));
        return r;
    }
    return setup_pvlan(n, err, errlen);
}

static int dnsmasq_config(const struct anc_network *n, struct anc_dnsmasq_config *dc)
{
    *dc = (struct anc_dnsmasq_config){0};
    snprintf(dc->binary, sizeof(dc->binary), "%s", n->cfg.dnsmasq);
    snprintf(dc->bridge, sizeof(dc->bridge), "%s", n->cfg.bridge);
    dc->gateway = n->gateway;
    dc->prefix = n->prefix;
    dc->dhcp_first = n->ipam.dhcp_first;
    dc->dhcp_last = n->ipam.dhcp_last;
    if (snprintf(dc->dir, sizeof(dc->dir), "%s/dnsmasq", n->cfg.run_dir) >= (int)sizeof(dc->dir))
        return -ENAMETOOLONG;
    return 0;
}

static int start_dnsmasq(struct anc_network *n, uv_loop_t *loop, char *err, size_t errlen)
{
    struct anc_dnsmasq_config dc;
    if (dnsmasq_config(n, &dc) < 0)
        return -ENAMETOOLONG;
    int r = anc_dnsmasq_start(loop, &dc, &n->dnsmasq);
    if (r < 0)
        snprintf(err, errlen,
                 "network: cannot start %s: %s — is dnsmasq installed "
                 "(Debian: dnsmasq-base)? Or set [network] dhcp = false",
                 dc.binary[0] ? dc.binary : ANC_DNSMASQ_BIN, uv_strerror(r));
    return r;
}

static int open_ipam(struct anc_network *n, char *err, size_t errlen)
{
    char path[PATH_MAX + 16];
    int r = anc_ipam_init(&n->ipam, n->net, n->prefix);
    if (r < 0) {
        snprintf(err, errlen, "network: subnet %s: the prefix must be /8../30", n->cfg.subnet);
        return r;
    }
    if (!n->cfg.state_dir[0])
        return 0;
    snprintf(path, sizeof(path), "%s/ipam.json", n->cfg.state_dir);
    if ((r = anc_ipam_open(&n->ipam, path)) < 0)
        snprintf(err, errlen, "network: cannot read %s: %s", path, strerror(-r));
    return r;
}

/* Undoes the host changes (our rules, and the bridge when asked); the memory stays. */
static void undo(struct anc_network *n, bool delete_bridge)
{
    char err[512];
    int r = anc_fw_remove(n->rules, n->n_rules, err, sizeof(err));
    if (r < 0)
        anc_debug("network: teardown: %s", err);
    if (delete_bridge && (r = anc_net_link_delete(n->cfg.bridge)) < 0 && r != -ENODEV)
        anc_debug("network: teardown: delete %s: %s", n->cfg.bridge, strerror(-r));
}

/* The allow pairs as addresses: each id gets (keeps) its address in ipam.json now, so that the
 * rules can name it before the instance starts. */
static int reserve_pairs(struct anc_network *n, char *err, size_t errlen)
{
    n->policy = (struct anc_fw_policy){.isolate = n->cfg.isolate, .n_pairs = n->cfg.n_allow};
    if (n->cfg.n_allow > ANC_FW_MAX_PAIRS)
        return -EINVAL;
    for (size_t i = 0; i < n->cfg.n_allow; i++) {
        for (int j = 0; j < 2; j++) {
            int r = anc_ipam_alloc(&n->ipam, n->cfg.allow[i][j], &n->policy.pairs[i][j]);
            if (r < 0) {
                snprintf(err, errlen, "network: [network] allow: no address for %s: %s",
                         n->cfg.allow[i][j], strerror(-r));
                return r;
            }
        }
    }
    return 0;
}

/* "<this executable> --net-isolate-port" unless the configuration names a hook. */
static int default_port_hook(struct anc_network *n, char *err, size_t errlen)
{
    char exe[PATH_MAX];
    if (!n->cfg.isolate || n->cfg.port_hook[0])
        return 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len < 0 || memchr(exe, ' ', (size_t)len)) {
        snprintf(err, errlen, "network: cannot name this executable for the port hook: %s",
                 len < 0 ? strerror(errno) : "its path has a blank");
        return len < 0 ? -errno : -EINVAL;
    }
    exe[len] = '\0';
    snprintf(n->cfg.port_hook, sizeof(n->cfg.port_hook), "%s " ANC_NET_PORT_HOOK_ARG, exe);
    return 0;
}

int anc_network_setup(const struct anc_net_config *c, uv_loop_t *loop, struct anc_network **out,
                      char *err, size_t errlen)
{
    struct anc_network *n = calloc(1, sizeof(*n));
    int r;
    if (!n)
        return -ENOMEM;
    n->cfg = *c;
    if ((r = anc_fw_parse_subnet(c->subnet, &n->net, &n->prefix)) < 0) {
        snprintf(err, errlen, "network: subnet '%s' is not a.b.c.d/len with a zero host part",
                 c->subnet);
        goto fail;
    }
    n->gateway = htonl(ntohl(n->net) + 1);
    if ((r = open_ipam(n, err, errlen)) < 0 || (r = reserve_pairs(n, err, errlen)) < 0 ||
        (r = default_port_hook(n, err, errlen)) < 0)
        goto fail;
    r = anc_fw_rules_for(c->bridge, n->net, n->prefix, &n->policy, n->rules, ANC_FW_MAX_RULES);
    if (r < 0) {
        snprintf(err, errlen, "network: bridge name '%s' is not a valid interface name", c->bridge);
        goto fail;
    }
    n->n_rules = (size_t)r;
    if ((r = setup_bridge(n, err, errlen)) < 0)
        goto fail_host;
    if ((r = anc_fw_apply(n->rules, n->n_rules, err, errlen)) < 0)
        goto fail_host;
    if (loop && c->dhcp && (r = start_dnsmasq(n, loop, err, errlen)) < 0)
        goto fail_host;
    *out = n;
    return 0;
fail_host:
    if (r != -EEXIST) /* not when the name belongs to a link that is not ours */
        undo(n, n->created_bridge);
fail:
    anc_ipam_destroy(&n->ipam);
    free(n);
    return r;
}

int anc_network_lease(struct anc_network *n, const char *owner, struct anc_network_lease *out)
{
    uint32_t addr;
    char a[INET_ADDRSTRLEN];
    int r = anc_ipam_alloc(&n->ipam, owner, &addr);
    if (r < 0)
        return r;
    *out = (struct anc_network_lease){.addr = addr};
    inet_ntop(AF_INET, &addr, a, sizeof(a));
    snprintf(out->cidr, sizeof(out->cidr), "%s/%d", a, n->prefix);
    inet_ntop(AF_INET, &n->gateway, out->gateway, sizeof(out->gateway));
    snprintf(out->bridge, sizeof(out->bridge), "%s", n->cfg.bridge);
    out->port_hook = n->cfg.isolate ? n->cfg.port_hook : NULL;
    return 0;
}

int anc_network_release(struct anc_network *n, const char *owner)
{
    for (size_t i = 0; i < n->cfg.n_allow; i++)
        if (strcmp(n->cfg.allow[i][0], owner) == 0 || strcmp(n->cfg.allow[i][1], owner) == 0)
            return 0; /* another instance must not inherit an allowed address */
    return anc_ipam_release(&n->ipam, owner);
}

int anc_network_lookup(const struct anc_network *n, const char *owner, uint32_t *addr)
{
    return anc_ipam_lookup(&n->ipam, owner, addr);
}

int anc_network_set_hosts(struct anc_network *n, const struct anc_dnsmasq_host *hosts, size_t count)
{
    return n->dnsmasq ? anc_dnsmasq_set_hosts(n->dnsmasq, hosts, count) : 0;
}

/* Runs once dnsmasq has exited or been let go (or at once without it): then the bridge can go,
 * unless the host is left as it is for guests still running (detach). */
static void dnsmasq_done(struct anc_network *n, bool undo_host)
{
    void (*cb)(void *) = n->done_cb;
    void *cb_ud = n->done_ud;
    if (undo_host)
        undo(n, !n->cfg.keep_on_exit);
    anc_ipam_destroy(&n->ipam);
    free(n);
    if (cb)
        cb(cb_ud);
}

static void dnsmasq_closed(void *ud)
{
    dnsmasq_done(ud, true);
}

static void dnsmasq_detached(void *ud)
{
    dnsmasq_done(ud, false);
}

static void end(struct anc_network *n, bool undo_host, void (*cb)(void *ud), void *ud)
{
    if (!n)
        return;
    n->done_cb = cb;
    n->done_ud = ud;
    if (!n->dnsmasq)
        dnsmasq_done(n, undo_host);
    else if (undo_host)
        anc_dnsmasq_close(n->dnsmasq, dnsmasq_closed, n);
    else
        anc_dnsmasq_detach(n->dnsmasq, dnsmasq_detached, n);
}

void anc_network_detach(struct anc_network *n, void (*cb)(void *ud), void *ud)
{
    end(n, false, cb, ud);
}

void anc_network_teardown(struct anc_network *n, void (*cb)(void *ud), void *ud)
{
    end(n, true, cb, ud);
}

int anc_network_teardown_host(const struct anc_net_config *c, char *report, size_t len)
{
    struct anc_network n = {.cfg = *c, .policy = {.isolate = true}};
    struct anc_dnsmasq_config dc;
    struct anc_net_link link;
    char err[512] = "";
    size_t at = 0;
    report[0] = '\0';
#define SAY(...) (at += (size_t)snprintf(report + at, at < len ? len - at : 0, __VA_ARGS__))
    int r = anc_fw_parse_subnet(c->subnet, &n.net, &n.prefix);
    if (r == 0)
        r = anc_fw_rules_for(c->bridge, n.net, n.prefix, &n.policy, n.rules, ANC_FW_MAX_RULES);
    if (r < 0) {
        SAY("network: [network] bridge or subnet is invalid (%s, %s)", c->bridge, c->subnet);
        return -EINVAL;
    }
    n.n_rules = (size_t)r;
    n.gateway = htonl(ntohl(n.net) + 1);
    int pid = dnsmasq_config(&n, &dc) == 0 ? anc_dnsmasq_kill_leftover(&dc) : 0;
    if (pid > 0)
        SAY("ended dnsmasq (pid %d); ", pid);
    r = anc_fw_remove(n.rules, n.n_rules, err, sizeof(err));
    if (r < 0) {
        SAY("cannot remove the firewall rules: %s", err);
        return r;
    }
    SAY("removed the ancloud firewall rules; ");
    r = anc_net_link_get(c->bridge, &link);
    if (r == -ENODEV) {
        SAY("no link %s", c->bridge);
        return 0;
    }
    if (r < 0 || strcmp(link.kind, "bridge") != 0) {
        SAY("left %s alone (%s)", c->bridge, r < 0 ? strerror(-r) : "not a bridge");
        return r < 0 ? r : 0;
    }
    if (c->keep_on_exit) {
        SAY("kept bridge %s ([network] keep_on_exit = true)", c->bridge);
        return 0;
    }
    r = anc_net_link_delete(c->bridge);
    if (r < 0) {
        SAY("cannot delete bridge %s: %s", c->bridge, strerror(-r));
        return r;
    }
    SAY("deleted bridge %s", c->bridge);
#undef SAY
    return 0;
}

/* [network] and [paths] of ancloud.conf, as the network wants them. */
void anc_net_config_from(const struct anc_config *cfg, struct anc_net_config *nc)
{
    anc_net_config_defaults(nc);
    snprintf(nc->bridge, sizeof(nc->bridge), "%s", cfg->net_bridge);
    snprintf(nc->subnet, sizeof(nc->subnet), "%s", cfg->net_subnet);
    nc->dhcp = cfg->net_dhcp;
    nc->keep_on_exit = cfg->net_keep_on_exit;
    nc->isolate = cfg->net_isolate;
    for (int i = 0; i < cfg->n_net_allow && i < ANC_FW_MAX_PAIRS; i++) {
        const char *pair = cfg->net_allow[i]; /* "ID ID", checked by the config parser */
        snprintf(nc->allow[i][0], sizeof(nc->allow[i][0]), "%.12s", pair);
        snprintf(nc->allow[i][1], sizeof(nc->allow[i][1]), "%s", pair + 13);
        nc->n_allow++;
    }
    snprintf(nc->state_dir, sizeof(nc->state_dir), "%s", cfg->state_dir);
    snprintf(nc->run_dir, sizeof(nc->run_dir), "%s", cfg->run_dir);
}
