/* libiptc commit of the rules built by fw_rule.c. Synchronous by design (see firewall.h). */
#include "net/firewall.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libiptc/libiptc.h>

static const char *table_module(const char *table)
{
    if (strcmp(table, "nat") == 0)
        return "iptable_nat";
    if (strcmp(table, "mangle") == 0)
        return "iptable_mangle";
    return "iptable_filter";
}

static const char *target_module(const struct anc_fw_rule *r)
{
    switch (r->target) {
    case ANC_FW_MASQUERADE:
        return "xt_MASQUERADE";
    case ANC_FW_CHECKSUM_FILL:
        return "xt_CHECKSUM";
    case ANC_FW_REJECT:
        return "ipt_REJECT";
    default:
        return r->established ? "xt_conntrack" : "xt_comment";
    }
}

/* One message naming the call, the table, the cause and what to do. */
static int fail(int e, char *err, size_t errlen, const char *call, const char *table,
                const struct anc_fw_rule *r)
{
    char line[256] = "";
    if (r)
        anc_fw_rule_format(r, line, sizeof(line));
    if (e == EPERM || e == EACCES)
        snprintf(err, errlen, "libiptc: %s(%s)%s%s: %s — needs CAP_NET_ADMIN (run as root)", call,
                 table, r ? " " : "", line, iptc_strerror(e));
    else
        snprintf(err, errlen,
                 "libiptc: %s(%s)%s%s: %s — is the legacy iptables kernel support available? "
                 "(modprobe ip_tables %s %s xt_comment xt_tcpudp)",
                 call, table, r ? " " : "", line, iptc_strerror(e), table_module(table),
                 r ? target_module(r) : "");
    return -e;
}

static int find_rule(struct xtc_handle *h, const char *chain, const struct ipt_entry *want)
{
    int num = 0;
    for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h), num++)
        if (anc_fw_entry_has_comment(e, ANC_FW_COMMENT) && anc_fw_entry_same(e, want))
            return num;
    return -1;
}

static bool in_chain(const struct anc_fw_rule *r, const char *table, const char *chain)
{
    return strcmp(r->table, table) == 0 && strcmp(r->chain, chain) == 0;
}

/* Whether our rules in the chain are exactly the wanted ones, in list order. Order matters: a
 * REJECT above the DHCP accepts would cut guests off, so a chain whose rules of ours are all there
 * but shuffled (an older ancloudd's set plus new rules) is rebuilt. */
static bool chain_as_wanted(struct xtc_handle *h, const char *table, const char *chain,
                            struct ipt_entry **built, const struct anc_fw_rule *rules, size_t n)
{
    size_t i = 0;
    for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h)) {
        if (!anc_fw_entry_has_comment(e, ANC_FW_COMMENT))
            continue;
        while (i < n && !in_chain(&rules[i], table, chain))
            i++;
        if (i == n || !anc_fw_entry_same(e, built[i]))
            return false;
        i++;
    }
    while (i < n && !in_chain(&rules[i], table, chain))
        i++;
    return i == n;
}

/* Deletes all our rules in one chain. */
static int clear_chain(struct xtc_handle *h, const char *chain, bool *changed)
{
    bool again = true;
    while (again) {
        again = false;
        unsigned int num = 0;
        for (const struct ipt_entry *e = iptc_first_rule(chain, h); e;
             e = iptc_next_rule(e, h), num++) {
            if (!anc_fw_entry_has_comment(e, ANC_FW_COMMENT))
                continue;
            if (!iptc_delete_num_entry(chain, num, h))
                return -errno;
            *changed = again = true;
            break; /* the iterator is invalid after a delete: start over */
        }
    }
    return 0;
}

/* Adds the rules of one chain: appended ones in list order, then inserted ones in reverse so
 * that they end up in list order at the top of the chain. */
static int fill_chain(struct xtc_handle *h, const char *table, const char *chain,
                      struct ipt_entry **built, const struct anc_fw_rule *rules, size_t n,
                      char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (in_chain(&rules[i], table, chain) && !rules[i].insert &&
            !iptc_append_entry(chain, built[i], h))
            return fail(errno, err, errlen, "iptc_append_entry", table, &rules[i]);
    for (size_t i = n; i > 0; i--)
        if (in_chain(&rules[i - 1], table, chain) && rules[i - 1].insert &&
            !iptc_insert_entry(chain, built[i - 1], 0, h))
            return fail(errno, err, errlen, "iptc_insert_entry", table, &rules[i - 1]);
    return 0;
}

static bool seen_chain(const struct anc_fw_rule *rules, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(rules[j].table, rules[i].table) == 0 &&
            strcmp(rules[j].chain, rules[i].chain) == 0)
            return true;
    return false;
}

/* Brings one chain to the wanted rules (none when built is NULL). */
static int sync_chain(struct xtc_handle *h, const char *table, const char *chain,
                      struct ipt_entry **built, const struct anc_fw_rule *rules, size_t n,
                      bool *changed, char *err, size_t errlen)
{
    if (built && chain_as_wanted(h, table, chain, built, rules, n))
        return 0;
    int r = clear_chain(h, chain, changed);
    if (r < 0)
        return fail(-r, err, errlen, "iptc_delete_num_entry", table, NULL);
    if (!built)
        return 0;
    *changed = true;
    return fill_chain(h, table, chain, built, rules, n, err, errlen);
}

/* Reads one table, changes it and commits it when something changed. built NULL: remove ours. */
static int sync_table(const char *table, struct ipt_entry **built, const struct anc_fw_rule *rules,
                      size_t n, char *err, size_t errlen)
{
    bool changed = false;
    int r = 0;
    struct xtc_handle *h = iptc_init(table);
    if (!h)
        return fail(errno, err, errlen, "iptc_init", table, NULL);
    for (size_t i = 0; i < n && r == 0; i++)
        if (strcmp(rules[i].table, table) == 0 && !seen_chain(rules, i))
            r = sync_chain(h, table, rules[i].chain, built, rules, n, &changed, err, errlen);
    if (r == 0 && changed && !iptc_commit(h))
        r = fail(errno, err, errlen, "iptc_commit", table, NULL);
    iptc_free(h);
    return r;
}

static bool seen_table(const struct anc_fw_rule *rules, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(rules[j].table, rules[i].table) == 0)
            return true;
    return false;
}

static int sync_all(const struct anc_fw_rule *rules, size_t n, struct ipt_entry **built, char *err,
                    size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (seen_table(rules, i))
            continue;
        int r = sync_table(rules[i].table, built, rules, n, err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

int anc_fw_apply(const struct anc_fw_rule *rules, size_t n, char *err, size_t errlen)
{
    int r = 0;
    struct ipt_entry **built = calloc(n ? n : 1, sizeof(*built));
    if (!built)
        return -ENOMEM;
    for (size_t i = 0; i < n && r == 0; i++) {
        r = anc_fw_entry_build(&rules[i], &built[i]);
        if (r < 0)
            snprintf(err, errlen, "firewall: cannot build rule %zu: %s", i, strerror(-r));
    }
    if (r == 0)
        r = sync_all(rules, n, built, err, errlen);
    for (size_t i = 0; i < n; i++)
        free(built[i]);
    free(built);
    return r;
}

int anc_fw_remove(const struct anc_fw_rule *rules, size_t n, char *err, size_t errlen)
{
    return sync_all(rules, n, NULL, err, errlen);
}

int anc_fw_count(const char *table, const char *chain, int *total, int *ours)
{
    int t = 0, o = 0;
    struct xtc_handle *h = iptc_init(table);
    if (!h)
        return -errno;
    if (!iptc_is_chain(chain, h)) {
        iptc_free(h);
        return -ENOENT;
    }
    for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h)) {
        t++;
        o += anc_fw_entry_has_comment(e, ANC_FW_COMMENT);
    }
    iptc_free(h);
    if (total)
        *total = t;
    if (ours)
        *ours = o;
    return 0;
}

int anc_fw_present(const struct anc_fw_rule *r)
{
    struct ipt_entry *e = NULL;
    int ret = anc_fw_entry_build(r, &e);
    if (ret < 0)
        return ret;
    struct xtc_handle *h = iptc_init(r->table);
    if (!h) {
        ret = -errno;
        goto out;
    }
    ret = find_rule(h, r->chain, e) >= 0;
    iptc_free(h);
out:
    free(e);
    return ret;
}
