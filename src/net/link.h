/* Links, addresses and veth pairs of the current network namespace over rtnetlink (libmnl).
 * Each call opens a NETLINK_ROUTE socket, does one or a few request/answer round trips and
 * closes it: blocking but fast, meant for daemon start/teardown and container setup, not for a
 * hot path. All return 0 or -errno (the kernel's netlink error passes through). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/netlink.h"

/* Looks a link up by name: 0, -ENODEV when there is none. */
int anc_net_link_get(const char *name, struct anc_net_link *out);

/* Creates a bridge, or adopts an existing bridge of that name (*created says which).
 * An existing link of another kind is -EEXIST. */
int anc_net_bridge_ensure(const char *name, bool *created);

/* Adds addr/prefix to a link; an address already there is success (idempotent). */
int anc_net_addr_ensure(const char *name, uint32_t addr, int prefix);

/* Lists the IPv4 addresses of a link (up to max); returns the count or -errno. */
int anc_net_addr_list(const char *name, struct anc_net_addr *out, size_t max);

int anc_net_link_set_up(const char *name, bool up);
/* Deletes a link (deleting one end of a veth deletes both); -ENODEV when absent. */
int anc_net_link_delete(const char *name);

/* Creates a veth pair name <-> peer in the current namespace. */
int anc_net_veth_create(const char *name, const char *peer);
/* Moves a link into the network namespace of a process (pid > 0) or of an open namespace file
 * (/run/netns/NAME or /proc/PID/ns/net) when pid == 0. */
int anc_net_link_move_netns(const char *name, int pid, int netns_fd);
/* Attaches a link to a bridge (and brings the link up). */
int anc_net_link_attach(const char *name, const char *bridge);

/* Sets the isolated flag of a bridge port (see anc_net_msg_set_port_isolated). -EOPNOTSUPP: the
 * link is not on a bridge; -EINVAL: a kernel older than 4.18. */
int anc_net_port_set_isolated(const char *name, bool on);

/* Writes value to /proc/sys/net/ipv4/<dir>/<name>/<key>, dir "conf" or "neigh" (per network
 * namespace). */
int anc_net_sysctl_set(const char *dir, const char *name, const char *key, int value);

/* Writes 1 to /proc/sys/net/ipv4/ip_forward (per network namespace); reads it back. */
int anc_net_ip_forward_enable(void);
/* 1, 0, or -errno. */
int anc_net_ip_forward_get(void);
