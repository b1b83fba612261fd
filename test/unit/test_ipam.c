#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "net/fw_rule.h"
#include "net/ipam.h"

static uint32_t ip(const char *s)
{
    struct in_addr a;
    CHECK(inet_pton(AF_INET, s, &a) == 1);
    return a.s_addr;
}

static void init24(struct anc_ipam *p)
{
    uint32_t net;
    int prefix;
    CHECK_EQ(anc_fw_parse_subnet("192.168.240.0/24", &net, &prefix), 0);
    CHECK_EQ(anc_ipam_init(p, net, prefix), 0);
}

TEST(ranges_of_a_24)
{
    struct anc_ipam p;
    init24(&p);
    CHECK(p.gateway == ip("192.168.240.1"));
    CHECK(p.static_first == ip("192.168.240.2"));
    CHECK(p.static_last == ip("192.168.240.199"));
    CHECK(p.dhcp_first == ip("192.168.240.200"));
    CHECK(p.dhcp_last == ip("192.168.240.254"));
    anc_ipam_destroy(&p);
    anc_ipam_destroy(NULL);
}

TEST(same_id_same_address_and_reuse)
{
    struct anc_ipam p;
    uint32_t a, b, c, again;
    init24(&p);
    CHECK_EQ(anc_ipam_alloc(&p, "one", &a), 0);
    CHECK_EQ(anc_ipam_alloc(&p, "two", &b), 0);
    CHECK_EQ(anc_ipam_alloc(&p, "one", &again), 0);
    CHECK(a == ip("192.168.240.2") && b == ip("192.168.240.3") && again == a);
    CHECK_EQ(anc_ipam_release(&p, "one"), 0);
    CHECK_EQ(anc_ipam_release(&p, "one"), -ENOENT);
    CHECK_EQ(anc_ipam_lookup(&p, "one", &again), -ENOENT);
    CHECK_EQ(anc_ipam_alloc(&p, "three", &c), 0);
    CHECK(c == a); /* the freed address comes back first */
    CHECK_EQ(anc_ipam_alloc(&p, "", &c), -EINVAL);
    anc_ipam_destroy(&p);
}

TEST(exhaustion)
{
    struct anc_ipam p;
    uint32_t a;
    char id[16];
    CHECK_EQ(anc_ipam_init(&p, ip("10.0.0.0"), 28), 0);
    CHECK(p.dhcp_first == 0 && p.dhcp_last == 0); /* too small for a DHCP part */
    for (int i = 0; i < 13; i++) {                /* .2 .. .14 */
        snprintf(id, sizeof(id), "i%d", i);
        CHECK_EQ(anc_ipam_alloc(&p, id, &a), 0);
    }
    CHECK(a == ip("10.0.0.14"));
    CHECK_EQ(anc_ipam_alloc(&p, "late", &a), -ENOSPC);
    CHECK_EQ(anc_ipam_release(&p, "i5"), 0);
    CHECK_EQ(anc_ipam_alloc(&p, "late", &a), 0);
    CHECK(a == ip("10.0.0.7"));
    anc_ipam_destroy(&p);
    CHECK_EQ(anc_ipam_init(&p, ip("10.0.0.0"), 31), -EINVAL);
    anc_ipam_destroy(&p);
}

TEST(json_round_trip_and_subnet_change)
{
    struct anc_ipam p, q, r;
    uint32_t a;
    char *text = NULL;
    init24(&p);
    CHECK_EQ(anc_ipam_alloc(&p, "alpha", &a), 0);
    CHECK_EQ(anc_ipam_alloc(&p, "beta", &a), 0);
    CHECK_EQ(anc_ipam_to_json(&p, &text), 0);
    CHECK(strstr(text, "\"subnet\": \"192.168.240.0/24\""));
    CHECK(strstr(text, "\"beta\": \"192.168.240.3\""));
    init24(&q);
    CHECK_EQ(anc_ipam_from_json(&q, text), 0);
    CHECK_EQ(q.n, 2);
    CHECK_EQ(anc_ipam_lookup(&q, "beta", &a), 0);
    CHECK(a == ip("192.168.240.3"));
    CHECK_EQ(anc_ipam_init(&r, ip("10.1.0.0"), 24), 0);
    CHECK_EQ(anc_ipam_from_json(&r, text), 0);
    CHECK_EQ(r.n, 0); /* leases of another subnet are dropped */
    CHECK_EQ(anc_ipam_from_json(&r, "[1,2]"), -EBADMSG);
    CHECK_EQ(anc_ipam_from_json(&r, "{\"leases\": {\"x\": \"10.1.0.200\", \"y\": 5}}"), 0);
    CHECK_EQ(r.n, 0); /* a DHCP-range address and a non-string are not leases */
    free(text);
    anc_ipam_destroy(&p);
    anc_ipam_destroy(&q);
    anc_ipam_destroy(&r);
}

TEST(persistence)
{
    char dir[] = "/tmp/anc-ipam-XXXXXX", path[64];
    struct anc_ipam p, q;
    uint32_t a, b;
    CHECK(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ipam.json", dir);
    init24(&p);
    CHECK_EQ(anc_ipam_open(&p, path), 0); /* missing file: empty */
    CHECK_EQ(anc_ipam_alloc(&p, "one", &a), 0);
    CHECK_EQ(anc_ipam_alloc(&p, "two", &b), 0);
    CHECK_EQ(anc_ipam_release(&p, "one"), 0);
    init24(&q);
    CHECK_EQ(anc_ipam_open(&q, path), 0);
    CHECK_EQ(q.n, 1);
    CHECK_EQ(anc_ipam_alloc(&q, "two", &a), 0);
    CHECK(a == b);
    anc_ipam_destroy(&p);
    anc_ipam_destroy(&q);
    CHECK_EQ(unlink(path), 0);
    CHECK_EQ(rmdir(dir), 0);
}
