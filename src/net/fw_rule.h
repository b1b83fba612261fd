/* Firewall rules as data, and the iptables entry blobs (struct ipt_entry + matches + target) that
 * libiptc commits. Pure: nothing here talks to the kernel; firewall.c does the libiptc part.
 *
 * Every rule built here carries a comment match ("-m comment --comment ancloud") so that setup
 * can recognise its own rules (idempotence) and teardown removes exactly those. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h>

struct ipt_entry;

#define ANC_FW_COMMENT   "ancloud"
#define ANC_FW_MAX_PAIRS 8 /* [network] allow lines */
#define ANC_FW_MAX_RULES (14 + 2 * ANC_FW_MAX_PAIRS)

enum anc_fw_target {
    ANC_FW_ACCEPT = 0,    /* standard verdict ACCEPT */
    ANC_FW_MASQUERADE,    /* nat: -j MASQUERADE */
    ANC_FW_CHECKSUM_FILL, /* mangle: -j CHECKSUM --checksum-fill */
    ANC_FW_DROP,          /* standard verdict DROP */
    ANC_FW_REJECT,        /* filter: -j REJECT --reject-with icmp-admin-prohibited */
};

/* Guest-to-guest policy. isolate: traffic between two guests (which, with isolated bridge ports,
 * is routed through the host) is rejected unless a pair allows it, both ways. Addresses are in
 * network byte order. */
struct anc_fw_policy {
    bool isolate;
    uint32_t pairs[ANC_FW_MAX_PAIRS][2];
    size_t n_pairs;
};

struct anc_fw_rule {
    const char *table;        /* "filter" | "nat" | "mangle" (static strings) */
    const char *chain;        /* a built-in chain, e.g. "POSTROUTING" */
    bool insert;              /* true: -I (top of chain); false: -A */
    char in_iface[IFNAMSIZ];  /* -i; empty: any */
    char out_iface[IFNAMSIZ]; /* -o; empty: any */
    uint32_t src, src_mask;   /* -s, network byte order; mask 0: any */
    uint32_t dst, dst_mask;   /* -d, network byte order; mask 0: any */
    bool inv_dst;             /* ! -d */
    uint8_t proto;            /* IPPROTO_UDP / IPPROTO_TCP / 0: any */
    uint16_t dport;           /* -m udp|tcp --dport (host order); needs proto */
    bool established;         /* -m conntrack --ctstate RELATED,ESTABLISHED */
    enum anc_fw_target target;
};

/* Parses "a.b.c.d/len" into a network address (network order, host bits must be zero) and a
 * prefix length 1..30. Returns 0 or -EINVAL. */
int anc_fw_parse_subnet(const char *s, uint32_t *net, int *prefix);

/* Fills rules[] with the rules of docs/networking.md for a bridge, subnet and guest policy, in the
 * order they should appear in each chain: from the bridge the host accepts DHCP, DNS and replies
 * to its own connections and rejects the rest; into the bridge only replies are forwarded; with
 * pol->isolate, guest-to-guest traffic is rejected except for the allowed pairs. Returns the
 * count, or -EINVAL (bad bridge name, too many pairs), -ENOSPC. */
int anc_fw_rules_for(const char *bridge, uint32_t net, int prefix, const struct anc_fw_policy *pol,
                     struct anc_fw_rule *rules, size_t max);

/* Builds the entry blob for a rule with our comment. *out is a new calloc'd buffer (caller frees);
 * the standard target is named "ACCEPT" as libiptc expects on insert. Returns 0 or -errno. */
int anc_fw_entry_build(const struct anc_fw_rule *r, struct ipt_entry **out);

/* Total size of an entry blob (its next_offset). */
size_t anc_fw_entry_size(const struct ipt_entry *e);

/* Whether an entry carries a comment match with exactly this text. Walks the matches with bounds
 * checks; a malformed entry has no comment. */
bool anc_fw_entry_has_comment(const struct ipt_entry *e, const char *comment);

/* Whether two entries are the same rule: same ipt_ip, same matches, same target. A standard
 * target named "ACCEPT" (as built) equals the kernel's unnamed verdict -NF_ACCEPT-1. */
bool anc_fw_entry_same(const struct ipt_entry *a, const struct ipt_entry *b);

/* Formats an entry as iptables-legacy-save prints it ("-A CHAIN -s ... -j MASQUERADE") for the
 * subset of matches and targets used here. Returns 0, -EMSGSIZE, or -EBADMSG for an entry it
 * cannot describe. */
int anc_fw_entry_format(const struct ipt_entry *e, const char *chain, char *buf, size_t len);

/* The same line for a rule description (builds the entry and formats it). */
int anc_fw_rule_format(const struct anc_fw_rule *r, char *buf, size_t len);
