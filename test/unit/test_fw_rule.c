#include "test.h"

#include <arpa/inet.h>
#include <errno.h>

#include "net/fw_rule.h" /* first: <net/if.h> before the kernel headers */

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>

#define N_ISO  14 /* isolate = true with one allowed pair */
#define N_OPEN 11 /* isolate = false */
#define FWD_IN 10 /* index of "-A FORWARD -i ancloud ... -j ACCEPT" in expected[] */

static const char *const expected[N_ISO] = {
    "-A POSTROUTING -s 192.168.240.0/24 ! -d 192.168.240.0/24 -m comment --comment ancloud "
    "-j MASQUERADE",
    "-A INPUT -i ancloud -p udp -m udp --dport 67 -m comment --comment ancloud -j ACCEPT",
    "-A INPUT -i ancloud -p tcp -m tcp --dport 67 -m comment --comment ancloud -j ACCEPT",
    "-A INPUT -i ancloud -p udp -m udp --dport 53 -m comment --comment ancloud -j ACCEPT",
    "-A INPUT -i ancloud -p tcp -m tcp --dport 53 -m comment --comment ancloud -j ACCEPT",
    "-A INPUT -i ancloud -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ancloud "
    "-j ACCEPT",
    "-A INPUT -i ancloud -m comment --comment ancloud -j REJECT --reject-with "
    "icmp-admin-prohibited",
    "-A FORWARD -s 192.168.240.5/32 -d 192.168.240.6/32 -i ancloud -o ancloud -m comment "
    "--comment ancloud -j ACCEPT",
    "-A FORWARD -s 192.168.240.6/32 -d 192.168.240.5/32 -i ancloud -o ancloud -m comment "
    "--comment ancloud -j ACCEPT",
    "-A FORWARD -i ancloud -o ancloud -m comment --comment ancloud -j REJECT --reject-with "
    "icmp-admin-prohibited",
    "-A FORWARD -i ancloud -m comment --comment ancloud -j ACCEPT",
    "-A FORWARD -o ancloud -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "
    "ancloud -j ACCEPT",
    "-A FORWARD -o ancloud -m comment --comment ancloud -j DROP",
    "-A POSTROUTING -o ancloud -p udp -m udp --dport 68 -m comment --comment ancloud "
    "-j CHECKSUM --checksum-fill",
};

static struct anc_fw_policy policy(bool isolate)
{
    struct anc_fw_policy p = {.isolate = isolate, .n_pairs = 1};
    p.pairs[0][0] = inet_addr("192.168.240.5");
    p.pairs[0][1] = inet_addr("192.168.240.6");
    return p;
}

static int rules_with(struct anc_fw_rule *r, bool isolate)
{
    uint32_t net;
    int prefix;
    struct anc_fw_policy p = policy(isolate);
    CHECK_EQ(anc_fw_parse_subnet("192.168.240.0/24", &net, &prefix), 0);
    return anc_fw_rules_for("ancloud", net, prefix, &p, r, ANC_FW_MAX_RULES);
}

static int rules(struct anc_fw_rule *r)
{
    return rules_with(r, true);
}

TEST(parse_subnet)
{
    uint32_t net;
    int prefix;
    CHECK_EQ(anc_fw_parse_subnet("10.0.0.0/8", &net, &prefix), 0);
    CHECK(net == htonl(0x0a000000) && prefix == 8);
    CHECK_EQ(anc_fw_parse_subnet("192.168.240.1/24", &net, &prefix), -EINVAL); /* host bits */
    CHECK_EQ(anc_fw_parse_subnet("192.168.240.0", &net, &prefix), -EINVAL);
    CHECK_EQ(anc_fw_parse_subnet("192.168.240.0/31", &net, &prefix), -EINVAL);
    CHECK_EQ(anc_fw_parse_subnet("192.168.240.0/2x", &net, &prefix), -EINVAL);
    CHECK_EQ(anc_fw_parse_subnet("300.1.1.0/24", &net, &prefix), -EINVAL);
}

TEST(rules_format_as_iptables_save)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct anc_fw_policy p = policy(true);
    char line[256];
    CHECK_EQ(rules(r), N_ISO);
    for (int i = 0; i < N_ISO; i++) {
        CHECK_EQ(anc_fw_rule_format(&r[i], line, sizeof(line)), 0);
        CHECK_STREQ(line, expected[i]);
    }
    CHECK_STREQ(r[0].table, "nat");
    CHECK_STREQ(r[N_ISO - 1].table, "mangle");
    CHECK(!r[0].insert && !r[N_ISO - 1].insert);
    for (int i = 1; i < N_ISO - 1; i++) /* filter: all at the top of INPUT and FORWARD */
        CHECK(r[i].insert && strcmp(r[i].table, "filter") == 0);
    CHECK_EQ(anc_fw_rule_format(&r[0], line, 20), -EMSGSIZE);
    CHECK_EQ(anc_fw_rules_for("a-name-longer-than-15", 0, 24, &p, r, ANC_FW_MAX_RULES), -EINVAL);
    CHECK_EQ(anc_fw_rules_for("ancloud", 0, 24, &p, r, N_ISO - 1), -ENOSPC);
    p.n_pairs = ANC_FW_MAX_PAIRS + 1;
    CHECK_EQ(anc_fw_rules_for("ancloud", 0, 24, &p, r, ANC_FW_MAX_RULES), -EINVAL);
    p.n_pairs = ANC_FW_MAX_PAIRS;
    CHECK_EQ(anc_fw_rules_for("ancloud", 0, 24, &p, r, ANC_FW_MAX_RULES),
             12 + 2 * ANC_FW_MAX_PAIRS);
}

/* isolate = false: no guest-to-guest rules (the pairs are ignored), the host and the way in
 * stay closed. */
TEST(rules_without_isolation)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    char line[256];
    CHECK_EQ(rules_with(r, false), N_OPEN);
    for (int i = 0, j = 0; i < N_OPEN; i++, j++) {
        if (j == 7)
            j = FWD_IN; /* skip the pairs and the guest-to-guest REJECT */
        CHECK_EQ(anc_fw_rule_format(&r[i], line, sizeof(line)), 0);
        CHECK_STREQ(line, expected[j]);
    }
}

/* The conntrack match and the REJECT target laid out as iptables-legacy writes them, so that a
 * rule read back from the kernel (or written by iptables) compares equal. */
TEST(conntrack_and_reject_layout)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct ipt_entry *e = NULL;
    CHECK_EQ(rules(r), N_ISO);
    CHECK_EQ(anc_fw_entry_build(&r[5], &e), 0); /* INPUT RELATED,ESTABLISHED */
    const struct xt_entry_match *m = (const void *)((const unsigned char *)e + sizeof(*e));
    CHECK_STREQ(m->u.user.name, "conntrack");
    CHECK_EQ(m->u.user.revision, 3);
    CHECK_EQ(m->u.match_size, XT_ALIGN(sizeof(*m) + sizeof(struct xt_conntrack_mtinfo3)));
    const struct xt_conntrack_mtinfo3 *ct = (const void *)m->data;
    CHECK_EQ(ct->match_flags, XT_CONNTRACK_STATE);
    CHECK_EQ(ct->state_mask,
             XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) | XT_CONNTRACK_STATE_BIT(IP_CT_RELATED));
    CHECK(anc_fw_entry_has_comment(e, ANC_FW_COMMENT));
    free(e);
    CHECK_EQ(anc_fw_entry_build(&r[6], &e), 0); /* INPUT REJECT */
    const struct xt_entry_target *t = (const void *)((const unsigned char *)e + e->target_offset);
    CHECK_STREQ(t->u.user.name, "REJECT");
    CHECK_EQ(((const struct ipt_reject_info *)t->data)->with, IPT_ICMP_ADMIN_PROHIBITED);
    free(e);
    CHECK_EQ(anc_fw_entry_build(&r[12], &e), 0); /* FORWARD -o DROP: a standard verdict */
    t = (const void *)((const unsigned char *)e + e->target_offset);
    CHECK_STREQ(t->u.user.name, "DROP");
    CHECK_EQ(((const struct xt_standard_target *)t)->verdict, -NF_DROP - 1);
    free(e);
    CHECK_EQ(anc_fw_entry_build(&r[7], &e), 0); /* a pair: exact addresses */
    CHECK(e->ip.src.s_addr == inet_addr("192.168.240.5") && e->ip.smsk.s_addr == 0xffffffffu);
    CHECK(e->ip.dst.s_addr == inet_addr("192.168.240.6") && e->ip.dmsk.s_addr == 0xffffffffu);
    CHECK(memcmp(e->ip.outiface, "ancloud", 8) == 0);
    free(e);
}

/* A conntrack match the formatter does not know (another state set) is not described as ours. */
TEST(conntrack_other_states_not_formatted)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct ipt_entry *e = NULL;
    char line[256];
    CHECK_EQ(rules(r), N_ISO);
    CHECK_EQ(anc_fw_entry_build(&r[11], &e), 0);
    struct xt_entry_match *m = (void *)((unsigned char *)e + sizeof(*e));
    ((struct xt_conntrack_mtinfo3 *)m->data)->state_mask |= XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
    CHECK_EQ(anc_fw_entry_format(e, "FORWARD", line, sizeof(line)), -EBADMSG);
    free(e);
}

TEST(entry_layout)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct ipt_entry *e = NULL;
    CHECK_EQ(rules(r), N_ISO);
    CHECK_EQ(anc_fw_entry_build(&r[1], &e), 0); /* INPUT udp 67 */
    CHECK_EQ(e->ip.proto, IPPROTO_UDP);
    CHECK(memcmp(e->ip.iniface, "ancloud", 8) == 0);
    for (int i = 0; i < 16; i++) /* the mask covers the name and its NUL */
        CHECK_EQ(e->ip.iniface_mask[i], i < 8 ? 0xff : 0);
    const struct xt_entry_match *m = (const void *)((const unsigned char *)e + sizeof(*e));
    CHECK_STREQ(m->u.user.name, "udp");
    CHECK_EQ(m->u.match_size % 8, 0);
    const struct xt_entry_target *t = (const void *)((const unsigned char *)e + e->target_offset);
    CHECK_STREQ(t->u.user.name, "ACCEPT");
    CHECK_EQ(((const struct xt_standard_target *)t)->verdict, -NF_ACCEPT - 1);
    CHECK_EQ(e->next_offset, e->target_offset + t->u.target_size);
    CHECK_EQ(anc_fw_entry_size(e), e->next_offset);
    free(e);
}

TEST(entries_compare_like_the_kernel_returns_them)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct ipt_entry *e[ANC_FW_MAX_RULES];
    char line[256];
    CHECK_EQ(rules(r), N_ISO);
    for (int i = 0; i < N_ISO; i++)
        CHECK_EQ(anc_fw_entry_build(&r[i], &e[i]), 0);
    for (int i = 0; i < N_ISO; i++)
        for (int j = 0; j < N_ISO; j++)
            CHECK_EQ(anc_fw_entry_same(e[i], e[j]), i == j);
    /* The kernel hands a standard target back unnamed, with counters and a match header whose
     * name bytes after the NUL may differ: still the same rule. */
    struct ipt_entry *k = malloc(e[FWD_IN]->next_offset);
    memcpy(k, e[FWD_IN], e[FWD_IN]->next_offset);
    struct xt_entry_target *t = (void *)((unsigned char *)k + k->target_offset);
    memset(t->u.user.name, 0, sizeof(t->u.user.name));
    k->counters.pcnt = 42;
    k->comefrom = 7;
    CHECK(anc_fw_entry_same(k, e[FWD_IN]));
    CHECK(anc_fw_entry_has_comment(k, ANC_FW_COMMENT));
    CHECK_EQ(anc_fw_entry_format(k, "FORWARD", line, sizeof(line)), 0);
    CHECK_STREQ(line, expected[FWD_IN]);
    ((struct xt_standard_target *)t)->verdict = -NF_DROP - 1; /* now a DROP: another rule */
    CHECK(!anc_fw_entry_same(k, e[FWD_IN]));
    CHECK_EQ(anc_fw_entry_format(k, "FORWARD", line, sizeof(line)), 0);
    CHECK_STREQ(line, "-A FORWARD -i ancloud -m comment --comment ancloud -j DROP");
    ((struct xt_standard_target *)t)->verdict = -NF_QUEUE - 1;
    CHECK_EQ(anc_fw_entry_format(k, "FORWARD", line, sizeof(line)), -EBADMSG);
    free(k);
    for (int i = 0; i < N_ISO; i++)
        free(e[i]);
}

TEST(malformed_entries)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct ipt_entry *e = NULL;
    char line[256];
    CHECK_EQ(rules(r), N_ISO);
    CHECK_EQ(anc_fw_entry_build(&r[0], &e), 0);
    CHECK(anc_fw_entry_has_comment(e, "ancloud"));
    CHECK(!anc_fw_entry_has_comment(e, "other"));
    struct xt_entry_match *m = (void *)((unsigned char *)e + sizeof(*e));
    m->u.match_size = 0; /* would loop forever without the bounds checks */
    CHECK(!anc_fw_entry_has_comment(e, "ancloud"));
    CHECK_EQ(anc_fw_entry_format(e, "POSTROUTING", line, sizeof(line)), -EBADMSG);
    m->u.match_size = 0xfff0;
    CHECK(!anc_fw_entry_has_comment(e, "ancloud"));
    e->target_offset = 4;
    CHECK_EQ(anc_fw_entry_format(e, "POSTROUTING", line, sizeof(line)), -EBADMSG);
    free(e);
}
