#include "test.h"

#include <arpa/inet.h>
#include <errno.h>

#include "net/fw_rule.h" /* first: <net/if.h> before the kernel headers */

#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>

static const char *const expected[] = {
    "-A POSTROUTING -s 192.168.240.0/24 ! -d 192.168.240.0/24 -m comment --comment ancloud "
    "-j MASQUERADE",
    "-A INPUT -i ancloud -p udp -m udp --dport 67 -m comment --comment ancloud -j ACCEPT",
    "-A INPUT -i ancloud -p tcp -m tcp --dport 67 -m comment --comment ancloud -j ACCEPT",
    "-A INPUT -i ancloud -p udp -m udp --dport 53 -m comment --comment ancloud -j ACCEPT",
    "-A INPUT -i ancloud -p tcp -m tcp --dport 53 -m comment --comment ancloud -j ACCEPT",
    "-A FORWARD -i ancloud -m comment --comment ancloud -j ACCEPT",
    "-A FORWARD -o ancloud -m comment --comment ancloud -j ACCEPT",
    "-A POSTROUTING -o ancloud -p udp -m udp --dport 68 -m comment --comment ancloud "
    "-j CHECKSUM --checksum-fill",
};

static int rules(struct anc_fw_rule *r)
{
    uint32_t net;
    int prefix;
    CHECK_EQ(anc_fw_parse_subnet("192.168.240.0/24", &net, &prefix), 0);
    return anc_fw_rules_for("ancloud", net, prefix, r, ANC_FW_MAX_RULES);
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
    char line[256];
    CHECK_EQ(rules(r), 8);
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(anc_fw_rule_format(&r[i], line, sizeof(line)), 0);
        CHECK_STREQ(line, expected[i]);
    }
    CHECK_STREQ(r[0].table, "nat");
    CHECK_STREQ(r[7].table, "mangle");
    CHECK(!r[0].insert && r[1].insert && r[5].insert && !r[7].insert);
    CHECK_EQ(anc_fw_rule_format(&r[0], line, 20), -EMSGSIZE);
    CHECK_EQ(anc_fw_rules_for("a-name-longer-than-15", 0, 24, r, 8), -EINVAL);
    CHECK_EQ(anc_fw_rules_for("ancloud", 0, 24, r, 7), -ENOSPC);
}

TEST(entry_layout)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct ipt_entry *e = NULL;
    CHECK_EQ(rules(r), 8);
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
    CHECK_EQ(rules(r), 8);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(anc_fw_entry_build(&r[i], &e[i]), 0);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            CHECK_EQ(anc_fw_entry_same(e[i], e[j]), i == j);
    /* The kernel hands a standard target back unnamed, with counters and a match header whose
     * name bytes after the NUL may differ: still the same rule. */
    struct ipt_entry *k = malloc(e[5]->next_offset);
    memcpy(k, e[5], e[5]->next_offset);
    struct xt_entry_target *t = (void *)((unsigned char *)k + k->target_offset);
    memset(t->u.user.name, 0, sizeof(t->u.user.name));
    k->counters.pcnt = 42;
    k->comefrom = 7;
    CHECK(anc_fw_entry_same(k, e[5]));
    CHECK(anc_fw_entry_has_comment(k, ANC_FW_COMMENT));
    CHECK_EQ(anc_fw_entry_format(k, "FORWARD", line, sizeof(line)), 0);
    CHECK_STREQ(line, expected[5]);
    ((struct xt_standard_target *)t)->verdict = -NF_DROP - 1;
    CHECK(!anc_fw_entry_same(k, e[5]));
    CHECK_EQ(anc_fw_entry_format(k, "FORWARD", line, sizeof(line)), -EBADMSG);
    free(k);
    for (int i = 0; i < 8; i++)
        free(e[i]);
}

TEST(malformed_entries)
{
    struct anc_fw_rule r[ANC_FW_MAX_RULES];
    struct ipt_entry *e = NULL;
    char line[256];
    CHECK_EQ(rules(r), 8);
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
