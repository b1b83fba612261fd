/* Rule descriptions → ipt_entry blobs, and back to iptables-save text. No libiptc, no sockets. */
#include "net/fw_rule.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_CHECKSUM.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>

#define MATCH_SIZE(payload)  XT_ALIGN(sizeof(struct xt_entry_match) + (payload))
#define TARGET_SIZE(payload) XT_ALIGN(sizeof(struct xt_entry_target) + (payload))

/* The conntrack match revision iptables uses for --ctstate; RELATED,ESTABLISHED is its mask. */
#define CONNTRACK_REV 3
#define CTSTATE_REPLY                                                                              \
    (XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) | XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED))

int anc_fw_parse_subnet(const char *s, uint32_t *net, int *prefix)
{
    char ip[INET_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    char *end;
    struct in_addr a;

    if (!slash || (size_t)(slash - s) >= sizeof(ip))
        return -EINVAL;
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    if (inet_pton(AF_INET, ip, &a) != 1)
        return -EINVAL;
    errno = 0;
    long len = strtol(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || len < 1 || len > 30)
        return -EINVAL;
    uint32_t mask = htonl(~0u << (32 - len));
    if (a.s_addr & ~mask)
        return -EINVAL;
    *net = a.s_addr;
    *prefix = (int)len;
    return 0;
}

static void rule_init(struct anc_fw_rule *r, const char *table, const char *chain, bool insert,
                      enum anc_fw_target target)
{
    memset(r, 0, sizeof(*r));
    r->table = table;
    r->chain = chain;
    r->insert = insert;
    r->target = target;
}

static struct anc_fw_rule *add(struct anc_fw_rule *rules, size_t *n, const char *table,
                               const char *chain, bool insert, enum anc_fw_target target)
{
    struct anc_fw_rule *r = &rules[(*n)++];
    rule_init(r, table, chain, insert, target);
    return r;
}

/* INPUT from the bridge: DHCP, DNS and replies to the host's own connections; nothing else. */
static void input_rules(const char *bridge, struct anc_fw_rule *rules, size_t *n)
{
    static const struct {
        uint8_t proto;
        uint16_t port;
    } open[] = {{IPPROTO_UDP, 67}, {IPPROTO_TCP, 67}, {IPPROTO_UDP, 53}, {IPPROTO_TCP, 53}};
    struct anc_fw_rule *r;
    for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
        r = add(rules, n, "filter", "INPUT", true, ANC_FW_ACCEPT);
        strcpy(r->in_iface, bridge);
        r->proto = open[i].proto;
        r->dport = open[i].port;
    }
    r = add(rules, n, "filter", "INPUT", true, ANC_FW_ACCEPT);
    strcpy(r->in_iface, bridge);
    r->established = true;
    r = add(rules, n, "filter", "INPUT", true, ANC_FW_REJECT);
    strcpy(r->in_iface, bridge);
}

/* FORWARD: allowed guest pairs, other guest-to-guest traffic (isolate), out of the bridge, and
 * into it only replies. */
static void forward_rules(const char *bridge, const struct anc_fw_policy *pol,
                          struct anc_fw_rule *rules, size_t *n)
{
    struct anc_fw_rule *r;
    for (size_t i = 0; pol->isolate && i < pol->n_pairs; i++) {
        for (int dir = 0; dir < 2; dir++) {
            r = add(rules, n, "filter", "FORWARD", true, ANC_FW_ACCEPT);
            strcpy(r->in_iface, bridge);
            strcpy(r->out_iface, bridge);
            r->src = pol->pairs[i][dir];
            r->dst = pol->pairs[i][!dir];
            r->src_mask = r->dst_mask = 0xffffffffu;
        }
    }
    if (pol->isolate) {
        r = add(rules, n, "filter", "FORWARD", true, ANC_FW_REJECT);
        strcpy(r->in_iface, bridge);
        strcpy(r->out_iface, bridge);
    }
    r = add(rules, n, "filter", "FORWARD", true, ANC_FW_ACCEPT);
    strcpy(r->in_iface, bridge);
    r = add(rules, n, "filter", "FORWARD", true, ANC_FW_ACCEPT);
    strcpy(r->out_iface, bridge);
    r->established = true;
    r = add(rules, n, "filter", "FORWARD", true, ANC_FW_DROP);
    strcpy(r->out_iface, bridge);
}

int anc_fw_rules_for(const char *bridge, uint32_t net, int prefix, const struct anc_fw_policy *pol,
                     struct anc_fw_rule *rules, size_t max)
{
    uint32_t mask = htonl(~0u << (32 - prefix));
    size_t n = 0;
    struct anc_fw_rule *r;

    if (!bridge || !*bridge || strlen(bridge) >= IFNAMSIZ || prefix < 1 || prefix > 30 ||
        pol->n_pairs > ANC_FW_MAX_PAIRS)
        return -EINVAL;
    if (max < 12 + 2 * pol->n_pairs)
        return -ENOSPC;

    r = add(rules, &n, "nat", "POSTROUTING", false, ANC_FW_MASQUERADE);
    r->src = r->dst = net & mask;
    r->src_mask = r->dst_mask = mask;
    r->inv_dst = true;
    input_rules(bridge, rules, &n);
    forward_rules(bridge, pol, rules, &n);
    r = add(rules, &n, "mangle", "POSTROUTING", false, ANC_FW_CHECKSUM_FILL);
    strcpy(r->out_iface, bridge);
    r->proto = IPPROTO_UDP;
    r->dport = 68;
    return (int)n;
}

static size_t target_size(enum anc_fw_target t)
{
    switch (t) {
    case ANC_FW_MASQUERADE:
        return TARGET_SIZE(sizeof(struct nf_nat_ipv4_multi_range_compat));
    case ANC_FW_CHECKSUM_FILL:
        return TARGET_SIZE(sizeof(struct xt_CHECKSUM_info));
    case ANC_FW_REJECT:
        return TARGET_SIZE(sizeof(struct ipt_reject_info));
    default:
        return XT_ALIGN(sizeof(struct xt_standard_target));
    }
}

static void set_iface(const char *name, char *via, unsigned char *mask)
{
    size_t n = strlen(name);
    if (n == 0)
        return;
    memcpy(via, name, n + 1);
    memset(mask, 0xff, n + 1); /* an exact name: the mask covers the terminating NUL as well */
}

static unsigned char *put_match(unsigned char *p, const char *name, size_t payload)
{
    struct xt_entry_match *m = (struct xt_entry_match *)p;
    m->u.user.match_size = (uint16_t)MATCH_SIZE(payload);
    snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
    return p + MATCH_SIZE(payload);
}

/* -m conntrack --ctstate RELATED,ESTABLISHED, laid out as iptables does (revision 3). */
static unsigned char *put_ctstate_match(unsigned char *p)
{
    struct xt_entry_match *m = (struct xt_entry_match *)p;
    struct xt_conntrack_mtinfo3 *ct = (struct xt_conntrack_mtinfo3 *)m->data;
    ct->match_flags = XT_CONNTRACK_STATE;
    ct->state_mask = CTSTATE_REPLY;
    m->u.user.revision = CONNTRACK_REV;
    return put_match(p, "conntrack", sizeof(*ct));
}

static unsigned char *put_port_match(unsigned char *p, uint8_t proto, uint16_t dport)
{
    struct xt_entry_match *m = (struct xt_entry_match *)p;
    if (proto == IPPROTO_UDP) {
        struct xt_udp *u = (struct xt_udp *)m->data;
        u->spts[1] = 0xffff;
        u->dpts[0] = u->dpts[1] = dport;
        return put_match(p, "udp", sizeof(*u));
    }
    struct xt_tcp *t = (struct xt_tcp *)m->data;
    t->spts[1] = 0xffff;
    t->dpts[0] = t->dpts[1] = dport;
    return put_match(p, "tcp", sizeof(*t));
}

static void put_target(unsigned char *p, enum anc_fw_target target)
{
    struct xt_entry_target *t = (struct xt_entry_target *)p;
    t->u.user.target_size = (uint16_t)target_size(target);
    if (target == ANC_FW_MASQUERADE) {
        struct nf_nat_ipv4_multi_range_compat *mr = (void *)t->data;
        mr->rangesize = 1;
        strcpy(t->u.user.name, "MASQUERADE");
    } else if (target == ANC_FW_CHECKSUM_FILL) {
        struct xt_CHECKSUM_info *ci = (void *)t->data;
        ci->operation = XT_CHECKSUM_OP_FILL;
        strcpy(t->u.user.name, "CHECKSUM");
    } else if (target == ANC_FW_REJECT) {
        struct ipt_reject_info *ri = (void *)t->data;
        ri->with = IPT_ICMP_ADMIN_PROHIBITED;
        strcpy(t->u.user.name, "REJECT");
    } else {
        struct xt_standard_target *st = (struct xt_standard_target *)p;
        bool drop = target == ANC_FW_DROP;
        st->verdict = drop ? -NF_DROP - 1 : -NF_ACCEPT - 1;
        strcpy(t->u.user.name, drop ? "DROP" : "ACCEPT");
    }
}

int anc_fw_entry_build(const struct anc_fw_rule *r, struct ipt_entry **out)
{
    bool ports = r->proto == IPPROTO_UDP || r->proto == IPPROTO_TCP;
    size_t port_size = r->proto == IPPROTO_UDP ? MATCH_SIZE(sizeof(struct xt_udp))
                                               : MATCH_SIZE(sizeof(struct xt_tcp));
    size_t matches = (ports && r->dport ? port_size : 0) +
                     (r->established ? MATCH_SIZE(sizeof(struct xt_conntrack_mtinfo3)) : 0) +
                     MATCH_SIZE(sizeof(struct xt_comment_info));
    size_t size = XT_ALIGN(sizeof(struct ipt_entry)) + matches + target_size(r->target);

    if (r->dport && !ports)
        return -EINVAL;
    struct ipt_entry *e = calloc(1, size);
    if (!e)
        return -ENOMEM;
    e->ip.src.s_addr = r->src & r->src_mask;
    e->ip.smsk.s_addr = r->src_mask;
    e->ip.dst.s_addr = r->dst & r->dst_mask;
    e->ip.dmsk.s_addr = r->dst_mask;
    if (r->inv_dst)
        e->ip.invflags |= IPT_INV_DSTIP;
    set_iface(r->in_iface, e->ip.iniface, e->ip.iniface_mask);
    set_iface(r->out_iface, e->ip.outiface, e->ip.outiface_mask);
    e->ip.proto = r->proto;
    e->target_offset = (uint16_t)(XT_ALIGN(sizeof(struct ipt_entry)) + matches);
    e->next_offset = (uint16_t)size;

    unsigned char *p = (unsigned char *)e + XT_ALIGN(sizeof(struct ipt_entry));
    if (ports && r->dport)
        p = put_port_match(p, r->proto, r->dport);
    if (r->established)
        p = put_ctstate_match(p);
    struct xt_comment_info *ci = (void *)((struct xt_entry_match *)p)->data;
    snprintf(ci->comment, sizeof(ci->comment), "%s", ANC_FW_COMMENT);
    put_match(p, "comment", sizeof(*ci));
    put_target((unsigned char *)e + e->target_offset, r->target);
    *out = e;
    return 0;
}

size_t anc_fw_entry_size(const struct ipt_entry *e)
{
    return e->next_offset;
}

/* Calls fn for every match; stops at the first malformed one and returns -EBADMSG. */
static int each_match(const struct ipt_entry *e,
                      int (*fn)(const struct xt_entry_match *m, void *ud), void *ud)
{
    size_t off = XT_ALIGN(sizeof(struct ipt_entry));
    if (e->target_offset < off ||
        e->next_offset < e->target_offset + sizeof(struct xt_entry_target))
        return -EBADMSG;
    while (off < e->target_offset) {
        const struct xt_entry_match *m = (const void *)((const unsigned char *)e + off);
        if (e->target_offset - off < sizeof(*m) || m->u.match_size < sizeof(*m) ||
            m->u.match_size > e->target_offset - off)
            return -EBADMSG;
        int r = fn(m, ud);
        if (r != 0)
            return r;
        off += m->u.match_size;
    }
    return 0;
}

static int comment_is(const struct xt_entry_match *m, void *ud)
{
    const struct xt_comment_info *ci = (const void *)m->data;
    if (strcmp(m->u.user.name, "comment") != 0 || m->u.match_size < sizeof(*m) + sizeof(*ci))
        return 0;
    return strncmp(ci->comment, ud, sizeof(ci->comment)) == 0 ? 1 : 0;
}

bool anc_fw_entry_has_comment(const struct ipt_entry *e, const char *comment)
{
    return each_match(e, comment_is, (void *)comment) == 1;
}

static const struct xt_entry_target *entry_target(const struct ipt_entry *e)
{
    return (const void *)((const unsigned char *)e + e->target_offset);
}

/* "ACCEPT"/"DROP" for a built entry and for the kernel's unnamed verdict alike; NULL when
 * malformed or another verdict. */
static const char *target_name(const struct ipt_entry *e, int *verdict)
{
    const struct xt_entry_target *t = entry_target(e);
    *verdict = 0;
    if (e->next_offset < e->target_offset + sizeof(*t) || t->u.target_size < sizeof(*t) ||
        t->u.target_size > e->next_offset - e->target_offset)
        return NULL;
    if (t->u.user.name[0] && strcmp(t->u.user.name, "ACCEPT") != 0 &&
        strcmp(t->u.user.name, "DROP") != 0)
        return t->u.user.name;
    if (t->u.target_size < sizeof(struct xt_standard_target))
        return NULL;
    *verdict = ((const struct xt_standard_target *)t)->verdict;
    return *verdict == -NF_ACCEPT - 1 ? "ACCEPT" : *verdict == -NF_DROP - 1 ? "DROP" : NULL;
}

/* Compares the matches by size, name, revision and data: the rest of the header may hold
 * kernel bytes in entries read back from the kernel. */
static bool matches_same(const struct ipt_entry *a, const struct ipt_entry *b)
{
    size_t off = XT_ALIGN(sizeof(struct ipt_entry));
    if (a->target_offset != b->target_offset || a->target_offset < off)
        return false;
    while (off < a->target_offset) {
        const struct xt_entry_match *ma = (const void *)((const unsigned char *)a + off);
        const struct xt_entry_match *mb = (const void *)((const unsigned char *)b + off);
        size_t left = a->target_offset - off;
        if (left < sizeof(*ma) || ma->u.match_size < sizeof(*ma) || ma->u.match_size > left ||
            ma->u.match_size != mb->u.match_size ||
            strncmp(ma->u.user.name, mb->u.user.name, sizeof(ma->u.user.name)) != 0 ||
            ma->u.user.revision != mb->u.user.revision ||
            memcmp(ma->data, mb->data, ma->u.match_size - sizeof(*ma)) != 0)
            return false;
        off += ma->u.match_size;
    }
    return true;
}

bool anc_fw_entry_same(const struct ipt_entry *a, const struct ipt_entry *b)
{
    int va, vb;
    const char *na = target_name(a, &va), *nb = target_name(b, &vb);
    if (!na || !nb || strcmp(na, nb) != 0 || va != vb)
        return false;
    if (memcmp(&a->ip, &b->ip, sizeof(a->ip)) != 0 || !matches_same(a, b))
        return false;
    if (va != 0) /* both standard verdicts, already compared */
        return true;
    const struct xt_entry_target *ta = entry_target(a), *tb = entry_target(b);
    return ta->u.target_size == tb->u.target_size && ta->u.target_size >= sizeof(*ta) &&
           memcmp(ta->data, tb->data, ta->u.target_size - sizeof(*ta)) == 0;
}

/* Appends printf output to buf at *pos; -EMSGSIZE when it does not fit. */
static int emit(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int emit(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len - *pos)
        return -EMSGSIZE;
    *pos += (size_t)n;
    return 0;
}

struct fmt_state {
    char *buf;
    size_t len, pos;
};

static int emit_addr(struct fmt_state *f, bool inv, const char *opt, struct in_addr a,
                     struct in_addr mask)
{
    char ip[INET_ADDRSTRLEN];
    uint32_t m = ntohl(mask.s_addr);
    int len = 0;
    if (mask.s_addr == 0)
        return 0;
    while (len < 32 && (m & (0x80000000u >> len)))
        len++;
    if ((uint32_t)(len ? ~0u << (32 - len) : 0) != m)
        return -EBADMSG; /* a non-contiguous mask: not one of ours */
    inet_ntop(AF_INET, &a, ip, sizeof(ip));
    return emit(f->buf, f->len, &f->pos, "%s %s %s/%d", inv ? " !" : "", opt, ip, len);
}

static int emit_match(const struct xt_entry_match *m, void *ud)
{
    struct fmt_state *f = ud;
    size_t payload = m->u.match_size - sizeof(*m);
    if (strcmp(m->u.user.name, "udp") == 0 || strcmp(m->u.user.name, "tcp") == 0) {
        const struct xt_udp *u = (const void *)m->data; /* tcp's ports lead the same way */
        if (payload < sizeof(*u) || u->dpts[0] != u->dpts[1] || u->spts[0] != 0 ||
            u->spts[1] != 0xffff || u->invflags)
            return -EBADMSG;
        return emit(f->buf, f->len, &f->pos, " -m %s --dport %u", m->u.user.name, u->dpts[0]);
    }
    if (strcmp(m->u.user.name, "conntrack") == 0) {
        const struct xt_conntrack_mtinfo3 *ct = (const void *)m->data;
        if (payload < sizeof(*ct) || m->u.user.revision != CONNTRACK_REV ||
            ct->match_flags != XT_CONNTRACK_STATE || ct->invert_flags ||
            ct->state_mask != CTSTATE_REPLY)
            return -EBADMSG;
        return emit(f->buf, f->len, &f->pos, " -m conntrack --ctstate RELATED,ESTABLISHED");
    }
    if (strcmp(m->u.user.name, "comment") == 0) {
        const struct xt_comment_info *ci = (const void *)m->data;
        if (payload < sizeof(*ci) || !memchr(ci->comment, 0, sizeof(ci->comment)))
            return -EBADMSG;
        return emit(f->buf, f->len, &f->pos, " -m comment --comment %s", ci->comment);
    }
    return -EBADMSG;
}

static int emit_target(struct fmt_state *f, const struct ipt_entry *e)
{
    int verdict;
    const char *name = target_name(e, &verdict);
    const struct xt_entry_target *t = entry_target(e);
    if (!name)
        return -EBADMSG;
    if (strcmp(name, "CHECKSUM") == 0) {
        const struct xt_CHECKSUM_info *ci = (const void *)t->data;
        if (t->u.target_size < sizeof(*t) + sizeof(*ci) || ci->operation != XT_CHECKSUM_OP_FILL)
            return -EBADMSG;
        return emit(f->buf, f->len, &f->pos, " -j CHECKSUM --checksum-fill");
    }
    if (strcmp(name, "REJECT") == 0) {
        const struct ipt_reject_info *ri = (const void *)t->data;
        if (t->u.target_size < sizeof(*t) + sizeof(*ri) || ri->with != IPT_ICMP_ADMIN_PROHIBITED)
            return -EBADMSG;
        return emit(f->buf, f->len, &f->pos, " -j REJECT --reject-with icmp-admin-prohibited");
    }
    if (strcmp(name, "MASQUERADE") != 0 && strcmp(name, "ACCEPT") != 0 && strcmp(name, "DROP") != 0)
        return -EBADMSG;
    return emit(f->buf, f->len, &f->pos, " -j %s", name);
}

static const char *proto_name(uint8_t p)
{
    return p == IPPROTO_UDP ? "udp" : p == IPPROTO_TCP ? "tcp" : NULL;
}

int anc_fw_entry_format(const struct ipt_entry *e, const char *chain, char *buf, size_t len)
{
    struct fmt_state f = {buf, len, 0};
    int r;

    if (len == 0)
        return -EMSGSIZE;
    buf[0] = '\0';
    if ((e->ip.invflags & ~IPT_INV_DSTIP) || e->ip.flags)
        return -EBADMSG;
    if ((r = emit(buf, len, &f.pos, "-A %s", chain)) < 0 ||
        (r = emit_addr(&f, false, "-s", e->ip.src, e->ip.smsk)) < 0 ||
        (r = emit_addr(&f, e->ip.invflags & IPT_INV_DSTIP, "-d", e->ip.dst, e->ip.dmsk)) < 0)
        return r;
    if (e->ip.iniface[0] && (r = emit(buf, len, &f.pos, " -i %.*s", IFNAMSIZ, e->ip.iniface)) < 0)
        return r;
    if (e->ip.outiface[0] && (r = emit(buf, len, &f.pos, " -o %.*s", IFNAMSIZ, e->ip.outiface)) < 0)
        return r;
    if (e->ip.proto) {
        if (!proto_name((uint8_t)e->ip.proto))
            return -EBADMSG;
        if ((r = emit(buf, len, &f.pos, " -p %s", proto_name((uint8_t)e->ip.proto))) < 0)
            return r;
    }
    if ((r = each_match(e, emit_match, &f)) < 0 || (r = emit_target(&f, e)) < 0)
        return r;
    return 0;
}

int anc_fw_rule_format(const struct anc_fw_rule *r, char *buf, size_t len)
{
    struct ipt_entry *e = NULL;
    int ret = anc_fw_entry_build(r, &e);
    if (ret < 0)
        return ret;
    ret = anc_fw_entry_format(e, r->chain, buf, len);
    free(e);
    return ret;
}
