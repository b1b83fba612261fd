/* rtnetlink messages for the bridge, its address and veth pairs: building and parsing only, on
 * caller buffers (at least ANC_NL_BUFSIZE bytes). No sockets here: link.c does the I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h>

struct nlmsghdr;

#define ANC_NL_BUFSIZE 8192

struct anc_net_link {
    int ifindex;
    char name[IFNAMSIZ];
    char kind[32]; /* IFLA_INFO_KIND ("bridge", "veth"), empty when the kernel sends none */
    bool up;       /* IFF_UP */
    int master;    /* ifindex of the bridge it is attached to; 0: none */
};

struct anc_net_addr {
    int ifindex;
    uint32_t addr; /* network byte order */
    int prefix;
};

/* Builders: each writes one request into buf (zeroing what it uses) and returns it. seq is the
 * sequence number to match the answer. */
struct nlmsghdr *anc_net_msg_get_link(void *buf, uint32_t seq, const char *name);
struct nlmsghdr *anc_net_msg_new_bridge(void *buf, uint32_t seq, const char *name);
struct nlmsghdr *anc_net_msg_new_veth(void *buf, uint32_t seq, const char *name, const char *peer);
struct nlmsghdr *anc_net_msg_del_link(void *buf, uint32_t seq, int ifindex);
/* Sets IFF_UP on (up) or off. */
struct nlmsghdr *anc_net_msg_set_up(void *buf, uint32_t seq, int ifindex, bool up);
/* Attaches a link to a bridge (IFLA_MASTER); master 0 detaches. */
struct nlmsghdr *anc_net_msg_set_master(void *buf, uint32_t seq, int ifindex, int master);
/* Moves a link into another network namespace, named by a pid (IFLA_NET_NS_PID) when pid > 0,
 * else by an open namespace file descriptor (IFLA_NET_NS_FD). */
struct nlmsghdr *anc_net_msg_set_netns(void *buf, uint32_t seq, int ifindex, int pid, int fd);
/* Sets a bridge port's "isolated" flag (IFLA_BRPORT_ISOLATED, Linux 4.18): an isolated port
 * exchanges no frames with other isolated ports, only with the rest (the bridge itself). Sent as
 * `bridge link set dev X isolated on` does: AF_BRIDGE, IFLA_PROTINFO nested. */
struct nlmsghdr *anc_net_msg_set_port_isolated(void *buf, uint32_t seq, int ifindex, bool on);
/* Adds an IPv4 address; NLM_F_EXCL so that "already there" answers -EEXIST. */
struct nlmsghdr *anc_net_msg_new_addr(void *buf, uint32_t seq, const struct anc_net_addr *a);
/* Dumps all IPv4 addresses. */
struct nlmsghdr *anc_net_msg_get_addrs(void *buf, uint32_t seq);

/* Parsers: 0, or -EBADMSG for a malformed message, -ENOMSG for a message of another type. */
int anc_net_parse_link(const struct nlmsghdr *nlh, struct anc_net_link *out);
int anc_net_parse_addr(const struct nlmsghdr *nlh, struct anc_net_addr *out);
