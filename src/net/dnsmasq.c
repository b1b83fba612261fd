/* dnsmasq's command line and hosts file. Pure. */
#include "net/dnsmasq.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 24

static int add(char **argv, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int add(char **argv, size_t *n, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0 || *n + 1 >= MAX_ARGS) {
        free(r < 0 ? NULL : s);
        return -ENOMEM;
    }
    argv[(*n)++] = s;
    return 0;
}

static const char *domain_of(const struct anc_dnsmasq_config *c)
{
    return c->domain[0] ? c->domain : "ancloud";
}

static void ntoa(uint32_t a, char *buf)
{
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int add_dhcp(char **argv, size_t *n, const struct anc_dnsmasq_config *c)
{
    char first[INET_ADDRSTRLEN], last[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
    int r;
    if (!c->dhcp_first && !c->dhcp_last)
        return 0;
    ntoa(c->dhcp_first, first);
    ntoa(c->dhcp_last, last);
    ntoa(htonl(~0u << (32 - c->prefix)), mask);
    if ((r = add(argv, n, "--dhcp-range=%s,%s,%s,1h", first, last, mask)) < 0 ||
        (r = add(argv, n, "--dhcp-no-override")) < 0 ||
        (r = add(argv, n, "--dhcp-authoritative")) < 0 ||
        (r = add(argv, n, "--dhcp-leasefile=%s/dnsmasq.leases", c->dir)) < 0)
        return r;
    return 0;
}

int anc_dnsmasq_argv(const struct anc_dnsmasq_config *c, char ***out)
{
    char gw[INET_ADDRSTRLEN];
    size_t n = 0;
    int r;

    if (!c->bridge[0] || !c->dir[0] || c->prefix < 8 || c->prefix > 30)
        return -EINVAL;
    char **argv = calloc(MAX_ARGS, sizeof(*argv));
    if (!argv)
        return -ENOMEM;
    ntoa(c->gateway, gw);
    if ((r = add(argv, &n, "%s", c->binary[0] ? c->binary : ANC_DNSMASQ_BIN)) < 0 ||
        (r = add(argv, &n, "--keep-in-foreground")) < 0 ||
        (r = add(argv, &n, "--conf-file=/dev/null")) < 0 || /* never /etc/dnsmasq.conf */
        (r = add(argv, &n, "--pid-file")) < 0 ||            /* no pid file: we are the parent */
        (r = add(argv, &n, "--log-facility=-")) < 0 ||
        (r = add(argv, &n, "--bind-interfaces")) < 0 ||
        (r = add(argv, &n, "--interface=%s", c->bridge)) < 0 ||
        (r = add(argv, &n, "--except-interface=lo")) < 0 ||
        (r = add(argv, &n, "--listen-address=%s", gw)) < 0 ||
        (r = add(argv, &n, "--domain=%s", domain_of(c))) < 0 ||
        (r = add(argv, &n, "--local=/%s/", domain_of(c))) < 0 ||
        (r = add(argv, &n, "--expand-hosts")) < 0 ||
        (r = add(argv, &n, "--host-record=gateway.%s,%s", domain_of(c), gw)) < 0 ||
        (r = add(argv, &n, "--addn-hosts=%s/hosts", c->dir)) < 0 ||
        (r = add_dhcp(argv, &n, c)) < 0) {
        anc_dnsmasq_argv_free(argv);
        return r;
    }
    *out = argv;
    return 0;
}

void anc_dnsmasq_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

static bool hostname_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= ANC_DNSMASQ_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

int anc_dnsmasq_hosts_text(const struct anc_dnsmasq_host *hosts, size_t n, const char *domain,
                           char **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    fputs("# written by ancloudd; rewritten on every change\n", f);
    for (size_t i = 0; i < n; i++) {
        char a[INET_ADDRSTRLEN];
        if (!hostname_ok(hosts[i].name))
            continue;
        ntoa(hosts[i].addr, a);
        fprintf(f, "%s %s %s.%s\n", a, hosts[i].name, hosts[i].name,
                domain && *domain ? domain : "ancloud");
    }
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    return 0;
}
