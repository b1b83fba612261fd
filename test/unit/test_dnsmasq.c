#include "test.h"

#include <arpa/inet.h>
#include <errno.h>

#include "net/dnsmasq.h"

static void config(struct anc_dnsmasq_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->bridge, sizeof(c->bridge), "ancloud");
    snprintf(c->dir, sizeof(c->dir), "/run/ancloud/dnsmasq");
    c->gateway = inet_addr("192.168.240.1");
    c->prefix = 24;
    c->dhcp_first = inet_addr("192.168.240.200");
    c->dhcp_last = inet_addr("192.168.240.254");
}

static bool has_arg(char **argv, const char *a)
{
    for (; *argv; argv++)
        if (strcmp(*argv, a) == 0)
            return true;
    return false;
}

TEST(argv_with_dhcp)
{
    struct anc_dnsmasq_config c;
    char **argv = NULL;
    config(&c);
    CHECK_EQ(anc_dnsmasq_argv(&c, &argv), 0);
    CHECK_STREQ(argv[0], "/usr/sbin/dnsmasq");
    static const char *const want[] = {
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--bind-interfaces",
        "--interface=ancloud",
        "--except-interface=lo",
        "--listen-address=192.168.240.1",
        "--host-record=gateway.ancloud,192.168.240.1",
        "--addn-hosts=/run/ancloud/dnsmasq/hosts",
        "--dhcp-range=192.168.240.200,192.168.240.254,255.255.255.0,1h",
        "--dhcp-no-override",
        "--dhcp-leasefile=/run/ancloud/dnsmasq/dnsmasq.leases",
        "--local=/ancloud/"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (!has_arg(argv, want[i]))
            fprintf(stderr, "missing %s\n", want[i]);
        CHECK(has_arg(argv, want[i]));
    }
    CHECK(!has_arg(argv, "--no-resolv")); /* other names go to the host's resolvers */
    anc_dnsmasq_argv_free(argv);
    anc_dnsmasq_argv_free(NULL);
}

TEST(argv_dns_only)
{
    struct anc_dnsmasq_config c;
    char **argv = NULL;
    config(&c);
    c.dhcp_first = c.dhcp_last = 0;
    snprintf(c.binary, sizeof(c.binary), "/opt/dnsmasq");
    CHECK_EQ(anc_dnsmasq_argv(&c, &argv), 0);
    CHECK_STREQ(argv[0], "/opt/dnsmasq");
    for (char **a = argv; *a; a++)
        CHECK(strncmp(*a, "--dhcp", 6) != 0);
    anc_dnsmasq_argv_free(argv);
    c.bridge[0] = '\0';
    CHECK_EQ(anc_dnsmasq_argv(&c, &argv), -EINVAL);
}

TEST(hosts_text)
{
    struct anc_dnsmasq_host h[] = {
        {"inst1", inet_addr("192.168.240.2")},
        {"bad name", inet_addr("192.168.240.3")}, /* skipped: not a host name */
        {"-x", inet_addr("192.168.240.4")},
        {"web-2", inet_addr("192.168.240.5")},
    };
    char *text = NULL;
    CHECK_EQ(anc_dnsmasq_hosts_text(h, 4, NULL, &text), 0);
    CHECK_STREQ(text, "# written by ancloudd; rewritten on every change\n"
                      "192.168.240.2 inst1 inst1.ancloud\n"
                      "192.168.240.5 web-2 web-2.ancloud\n");
    free(text);
}
