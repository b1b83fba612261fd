/* rtnetlink message building and parsing with libmnl (its message helpers are pure). */
#include "net/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

static struct nlmsghdr *put_header(void *buf, uint32_t seq, uint16_t type, uint16_t flags)
{
    memset(buf, 0, ANC_NL_BUFSIZE);
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    nlh->nlmsg_seq = seq;
    return nlh;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int ifindex)
{
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    return ifi;
}

struct nlmsghdr *anc_net_msg_get_link(void *buf, uint32_t seq, const char *name)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_GETLINK, 0);
    put_ifinfo(nlh, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    return nlh;
}

static void put_kind(struct nlmsghdr *nlh, const char *kind)
{
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
    mnl_attr_nest_end(nlh, info);
}

struct nlmsghdr *anc_net_msg_new_bridge(void *buf, uint32_t seq, const char *name)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
    put_ifinfo(nlh, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    put_kind(nlh, "bridge");
    return nlh;
}

struct nlmsghdr *anc_net_msg_new_veth(void *buf, uint32_t seq, const char *name, const char *peer)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
    put_ifinfo(nlh, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    /* The peer is described by its own ifinfomsg followed by its attributes. */
    struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
    pifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
    mnl_attr_nest_end(nlh, p);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return nlh;
}

struct nlmsghdr *anc_net_msg_del_link(void *buf, uint32_t seq, int ifindex)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_DELLINK, NLM_F_ACK);
    put_ifinfo(nlh, ifindex);
    return nlh;
}

struct nlmsghdr *anc_net_msg_set_up(void *buf, uint32_t seq, int ifindex, bool up)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_NEWLINK, NLM_F_ACK);
    struct ifinfomsg *ifi = put_ifinfo(nlh, ifindex);
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    return nlh;
}

struct nlmsghdr *anc_net_msg_set_master(void *buf, uint32_t seq, int ifindex, int master)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_NEWLINK, NLM_F_ACK);
    put_ifinfo(nlh, ifindex);
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
    return nlh;
}

struct nlmsghdr *anc_net_msg_set_netns(void *buf, uint32_t seq, int ifindex, int pid, int fd)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_NEWLINK, NLM_F_ACK);
    put_ifinfo(nlh, ifindex);
    if (pid > 0)
        mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)pid);
    else
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)fd);
    return nlh;
}

struct nlmsghdr *anc_net_msg_set_port_isolated(void *buf, uint32_t seq, int ifindex, bool on)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_SETLINK, NLM_F_ACK);
    struct ifinfomsg *ifi = put_ifinfo(nlh, ifindex);
    ifi->ifi_family = AF_BRIDGE;
    struct nlattr *pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO); /* sets NLA_F_NESTED */
    mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, on ? 1 : 0);
    mnl_attr_nest_end(nlh, pi);
    return nlh;
}

struct nlmsghdr *anc_net_msg_new_addr(void *buf, uint32_t seq, const struct anc_net_addr *a)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)a->prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)a->ifindex;
    mnl_attr_put_u32(nlh, IFA_LOCAL, a->addr);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, a->addr);
    uint32_t host_mask = a->prefix >= 32 ? 0 : (~0u >> a->prefix);
    mnl_attr_put_u32(nlh, IFA_BROADCAST, a->addr | htonl(host_mask));
    return nlh;
}

struct nlmsghdr *anc_net_msg_get_addrs(void *buf, uint32_t seq)
{
    struct nlmsghdr *nlh = put_header(buf, seq, RTM_GETADDR, NLM_F_DUMP);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = AF_INET;
    return nlh;
}

struct attr_table {
    const struct nlattr **tb;
    int max;
};

static int collect_attr(const struct nlattr *attr, void *data)
{
    struct attr_table *t = data;
    int type = mnl_attr_get_type(attr);
    if (mnl_attr_type_valid(attr, (uint16_t)t->max) > 0)
        t->tb[type] = attr;
    return MNL_CB_OK;
}

static int parse_linkinfo(const struct nlattr *info, struct anc_net_link *out)
{
    const struct nlattr *tb[IFLA_INFO_MAX + 1] = {0};
    struct attr_table t = {tb, IFLA_INFO_MAX};
    if (mnl_attr_parse_nested(info, collect_attr, &t) < 0)
        return -EBADMSG;
    if (tb[IFLA_INFO_KIND]) {
        if (mnl_attr_validate(tb[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) < 0)
            return -EBADMSG;
        snprintf(out->kind, sizeof(out->kind), "%s", mnl_attr_get_str(tb[IFLA_INFO_KIND]));
    }
    return 0;
}

int anc_net_parse_link(const struct nlmsghdr *nlh, struct anc_net_link *out)
{
    const struct nlattr *tb[IFLA_MAX + 1] = {0};
    struct attr_table t = {tb, IFLA_MAX};

    if (nlh->nlmsg_type != RTM_NEWLINK)
        return -ENOMSG;
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
        return -EBADMSG;
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    memset(out, 0, sizeof(*out));
    out->ifindex = ifi->ifi_index;
    out->up = (ifi->ifi_flags & IFF_UP) != 0;
    if (mnl_attr_parse(nlh, sizeof(*ifi), collect_attr, &t) < 0)
        return -EBADMSG;
    if (!tb[IFLA_IFNAME] || mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) < 0)
        return -EBADMSG;
    snprintf(out->name, sizeof(out->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
    if (tb[IFLA_MASTER]) {
        if (mnl_attr_validate(tb[IFLA_MASTER], MNL_TYPE_U32) < 0)
            return -EBADMSG;
        out->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
    }
    return tb[IFLA_LINKINFO] ? parse_linkinfo(tb[IFLA_LINKINFO], out) : 0;
}

int anc_net_parse_addr(const struct nlmsghdr *nlh, struct anc_net_addr *out)
{
    const struct nlattr *tb[IFA_MAX + 1] = {0};
    struct attr_table t = {tb, IFA_MAX};

    if (nlh->nlmsg_type != RTM_NEWADDR)
        return -ENOMSG;
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifaddrmsg)))
        return -EBADMSG;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    if (ifa->ifa_family != AF_INET)
        return -ENOMSG;
    if (mnl_attr_parse(nlh, sizeof(*ifa), collect_attr, &t) < 0)
        return -EBADMSG;
    const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
    if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
        return -EBADMSG;
    out->ifindex = (int)ifa->ifa_index;
    out->prefix = ifa->ifa_prefixlen;
    out->addr = mnl_attr_get_u32(a);
    return 0;
}
