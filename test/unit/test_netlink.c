#include "test.h"

#include <arpa/inet.h>
#include <errno.h>

#include "net/netlink.h" /* first: <net/if.h> before the kernel headers */

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

static unsigned char buf[ANC_NL_BUFSIZE];

/* Finds a top-level attribute after the ifinfomsg. */
static const struct nlattr *attr(const struct nlmsghdr *nlh, size_t hdr, uint16_t type)
{
    const struct nlattr *a;
    mnl_attr_for_each(a, nlh, hdr)
    {
        if (mnl_attr_get_type(a) == type)
            return a;
    }
    return NULL;
}

TEST(set_netns_by_fd_sends_no_pid)
{
    struct nlmsghdr *nlh = anc_net_msg_set_netns(buf, 7, 12, 0, 5);
    CHECK_EQ(nlh->nlmsg_type, RTM_NEWLINK);
    CHECK_EQ(nlh->nlmsg_seq, 7);
    CHECK(nlh->nlmsg_flags & NLM_F_ACK);
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    CHECK_EQ(ifi->ifi_index, 12);
    CHECK(attr(nlh, sizeof(*ifi), IFLA_NET_NS_PID) == NULL);
    CHECK_EQ(mnl_attr_get_u32(attr(nlh, sizeof(*ifi), IFLA_NET_NS_FD)), 5);
    nlh = anc_net_msg_set_netns(buf, 8, 12, 4242, -1);
    CHECK(attr(nlh, sizeof(*ifi), IFLA_NET_NS_FD) == NULL);
    CHECK_EQ(mnl_attr_get_u32(attr(nlh, sizeof(*ifi), IFLA_NET_NS_PID)), 4242);
}

TEST(new_bridge_parses_back_as_a_bridge)
{
    struct anc_net_link l;
    struct nlmsghdr *nlh = anc_net_msg_new_bridge(buf, 1, "ancloud");
    CHECK(nlh->nlmsg_flags & NLM_F_CREATE && nlh->nlmsg_flags & NLM_F_EXCL);
    CHECK_EQ(anc_net_parse_link(nlh, &l), 0); /* same layout as the kernel's RTM_NEWLINK */
    CHECK_STREQ(l.name, "ancloud");
    CHECK_STREQ(l.kind, "bridge");
    CHECK(!l.up);
    nlh = anc_net_msg_new_veth(buf, 2, "h0", "g0");
    CHECK_EQ(anc_net_parse_link(nlh, &l), 0);
    CHECK_STREQ(l.kind, "veth");
    nlh = anc_net_msg_set_master(buf, 3, 9, 4);
    CHECK_EQ(anc_net_parse_link(nlh, &l), -EBADMSG); /* no IFLA_IFNAME */
    nlh->nlmsg_type = RTM_DELLINK;
    CHECK_EQ(anc_net_parse_link(nlh, &l), -ENOMSG);
}

TEST(new_addr_round_trip)
{
    struct anc_net_addr a = {.ifindex = 3, .addr = inet_addr("192.168.240.1"), .prefix = 24}, b;
    struct nlmsghdr *nlh = anc_net_msg_new_addr(buf, 1, &a);
    CHECK_EQ(anc_net_parse_addr(nlh, &b), 0);
    CHECK(b.addr == a.addr && b.prefix == 24 && b.ifindex == 3);
    const struct nlattr *brd = attr(nlh, sizeof(struct ifaddrmsg), IFA_BROADCAST);
    CHECK(brd && mnl_attr_get_u32(brd) == inet_addr("192.168.240.255"));
    nlh->nlmsg_len = 20; /* truncated */
    CHECK_EQ(anc_net_parse_addr(nlh, &b), -EBADMSG);
}

TEST(set_up_flags)
{
    struct nlmsghdr *nlh = anc_net_msg_set_up(buf, 1, 4, true);
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    CHECK_EQ(ifi->ifi_change, IFF_UP);
    CHECK_EQ(ifi->ifi_flags, IFF_UP);
    nlh = anc_net_msg_set_up(buf, 1, 4, false);
    CHECK_EQ(ifi->ifi_flags, 0);
}
