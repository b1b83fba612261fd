/* Host networking against the real kernel, as root, and only ever inside network namespaces this
 * program creates: for each test the parent makes anc-net-<pid>-<n> (host side) and
 * anc-net-<pid>-<n>g (guest side) with `ip netns add`, forks, and the child setns()es into the
 * host-side namespace and checks it is no longer in the namespace it started in before it touches
 * anything. The parent then kills what is left in both namespaces and deletes them. */
#include "../unit/test.h"
#include "../unit/test_sh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>

#include "base/fsutil.h"

#include "net/dnsmasq_uv.h"
#include "net/firewall.h"
#include "net/link.h"
#include "net/network.h"

static char ns_host[64], ns_guest[64];

static int skip_code(const char *reason)
{
    const char *ci = getenv("CI");
    fprintf(stderr, "SKIP%s: %s\n", ci && !strcmp(ci, "true") ? " (a failure in CI)" : "", reason);
    return ci && !strcmp(ci, "true") ? 1 : 77;
}

/* Runs a command and returns its stdout (caller frees). */
static char *sh_out(const char *cmd)
{
    char *buf = NULL;
    size_t len = 0, n;
    char chunk[4096];
    FILE *out = open_memstream(&buf, &len), *p = popen(cmd, "r");
    CHECK(out && p);
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        fwrite(chunk, 1, n, out);
    pclose(p);
    fclose(out);
    return buf;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

/* 0 when the path cannot be read (pid 1 may be out of reach in a container). */
static ino_t ns_inode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* The safety gate: after this, the process is in ns_host and provably not where it started. */
static void enter_host_ns(void)
{
    char path[128];
    ino_t before = ns_inode("/proc/self/ns/net");
    CHECK(before != 0);
    snprintf(path, sizeof(path), "/run/netns/%s", ns_host);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(setns(fd, CLONE_NEWNET) == 0);
    close(fd);
    CHECK(ns_inode("/proc/self/ns/net") != before);
    CHECK(ns_inode("/proc/self/ns/net") != ns_inode("/proc/1/ns/net"));
    CHECK(ns_inode("/proc/self/ns/net") != 0);
    CHECK(anc_net_link_set_up("lo", true) == 0);
}

static void make_dirs(struct anc_net_config *c)
{
    char tmpl[96];
    snprintf(tmpl, sizeof(tmpl), "/tmp/%s-XXXXXX", ns_host); /* removed by run_one */
    CHECK(mkdtemp(tmpl));
    CHECK(chmod(tmpl, 0755) == 0); /* dnsmasq drops privileges and reads its hosts file here */
    snprintf(c->state_dir, sizeof(c->state_dir), "%s", tmpl);
    snprintf(c->run_dir, sizeof(c->run_dir), "%s", tmpl);
}

static void count(const char *table, const char *chain, int *total, int *ours)
{
    CHECK_EQ(anc_fw_count(table, chain, total, ours), 0);
}

static void check_rules(const struct anc_network *n, bool present)
{
    char cmd[160], line[256];
    snprintf(cmd, sizeof(cmd), "ip netns exec %s iptables-legacy-save", ns_host);
    char *save = sh_out(cmd);
    for (size_t i = 0; i < n->n_rules; i++) {
        CHECK_EQ(anc_fw_present(&n->rules[i]), present);
        CHECK_EQ(anc_fw_rule_format(&n->rules[i], line, sizeof(line)), 0);
        if (has_line(save, line) != present) {
            fprintf(stderr, "rule %s in iptables-legacy-save:\n%s\n%s\n",
                    present ? "missing" : "left", line, save);
            abort();
        }
    }
    free(save);
}

static void check_bridge(const char *name)
{
    struct anc_net_link l;
    struct anc_net_addr a[8];
    CHECK_EQ(anc_net_link_get(name, &l), 0);
    CHECK_STREQ(l.kind, "bridge");
    CHECK(l.up);
    int na = anc_net_addr_list(name, a, 8), found = 0;
    CHECK(na >= 1);
    for (int i = 0; i < na; i++)
        found += a[i].addr == inet_addr("192.168.240.1") && a[i].prefix == 24;
    CHECK_EQ(found, 1);
    CHECK_EQ(anc_net_ip_forward_get(), 1);
}

static void test_setup_teardown(void)
{
    struct anc_net_config c;
    struct anc_network *n = NULL, *n2 = NULL;
    char err[512];
    int t_nat, t_in, t_fw, t_mg, o;

    anc_net_config_defaults(&c);
    make_dirs(&c);
    /* An older subnet's rule must be replaced, not kept beside the new one. */
    snprintf(c.subnet, sizeof(c.subnet), "10.77.0.0/24");
    CHECK_EQ(anc_network_setup(&c, NULL, &n, err, sizeof(err)), 0);
    free(n->ipam.leases);
    free(n);
    n = NULL; /* a "crash": leave everything in place */
    snprintf(c.subnet, sizeof(c.subnet), "192.168.240.0/24");
    if (anc_network_setup(&c, NULL, &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    check_bridge("ancloud");
    check_rules(n, true);
    count("nat", "POSTROUTING", &t_nat, &o);
    CHECK_EQ(o, 1);
    CHECK_EQ(t_nat, 1);
    count("filter", "INPUT", &t_in, &o);
    CHECK_EQ(o, 6);
    count("filter", "FORWARD", &t_fw, &o);
    CHECK_EQ(o, 4);
    count("mangle", "POSTROUTING", &t_mg, &o);
    CHECK_EQ(o, 1);
    CHECK_EQ(test_sh("iptables-legacy -A FORWARD -j ACCEPT"), 0); /* foreign: no comment */

    CHECK_EQ(anc_network_setup(&c, NULL, &n2, err, sizeof(err)), 0); /* idempotent */
    int t;
    count("nat", "POSTROUTING", &t, NULL);
    CHECK_EQ(t, t_nat);
    count("filter", "INPUT", &t, NULL);
    CHECK_EQ(t, t_in);
    count("filter", "FORWARD", &t, NULL);
    CHECK_EQ(t, t_fw + 1);
    count("mangle", "POSTROUTING", &t, NULL);
    CHECK_EQ(t, t_mg);
    check_bridge("ancloud");

    anc_network_teardown(n2, NULL, NULL);
    check_rules(n, false);
    count("filter", "FORWARD", &t, &o);
    CHECK_EQ(t, 1);
    CHECK_EQ(o, 0);
    struct anc_net_link l;
    CHECK_EQ(anc_net_link_get("ancloud", &l), -ENODEV);
    char *save = sh_out("iptables-legacy-save");
    CHECK(has_line(save, "-A FORWARD -j ACCEPT"));
    CHECK(!strstr(save, "ancloud"));
    free(save);
    anc_network_teardown(n, NULL, NULL); /* a second teardown finds nothing and is harmless */
    anc_network_teardown(NULL, NULL, NULL);
}

static void test_not_a_bridge(void)
{
    struct anc_net_config c;
    struct anc_network *n = NULL;
    struct anc_net_link l;
    char err[512] = "";
    anc_net_config_defaults(&c);
    snprintf(c.bridge, sizeof(c.bridge), "ancx0");
    CHECK_EQ(anc_net_veth_create("ancx0", "ancx1"), 0);
    CHECK_EQ(anc_network_setup(&c, NULL, &n, err, sizeof(err)), -EEXIST);
    fprintf(stderr, "expected error: %s\n", err);
    CHECK(strstr(err, "not a bridge") && strstr(err, "veth"));
    CHECK_EQ(anc_net_link_get("ancx0", &l), 0); /* not ours: left alone */
    CHECK_EQ(anc_net_link_delete("ancx1"), 0);
    CHECK_EQ(anc_net_link_get("ancx0", &l), -ENODEV);
}

/* A veth pair: host end on the bridge, guest end in the guest namespace. */
static void plug_guest(const char *addr)
{
    char path[128];
    struct anc_net_link br, h;
    CHECK_EQ(anc_net_veth_create("anc-h0", "anc-g0"), 0);
    snprintf(path, sizeof(path), "/run/netns/%s", ns_guest);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(anc_net_link_move_netns("anc-g0", 0, fd), 0);
    close(fd);
    CHECK_EQ(anc_net_link_get("anc-g0", &h), -ENODEV); /* gone from here */
    CHECK_EQ(anc_net_link_attach("anc-h0", "ancloud"), 0);
    CHECK_EQ(anc_net_link_get("ancloud", &br), 0);
    CHECK_EQ(anc_net_link_get("anc-h0", &h), 0);
    CHECK_EQ(h.master, br.ifindex);
    CHECK(h.up);
    CHECK_EQ(test_sh("ip netns exec %s ip link set lo up", ns_guest), 0);
    CHECK_EQ(test_sh("ip netns exec %s ip link set anc-g0 up", ns_guest), 0);
    if (addr)
        CHECK_EQ(test_sh("ip netns exec %s ip addr add %s dev anc-g0", ns_guest, addr), 0);
}

static void test_veth_ping(void)
{
    struct anc_net_config c;
    struct anc_network *n = NULL;
    char err[512];
    anc_net_config_defaults(&c);
    make_dirs(&c);
    CHECK_EQ(anc_network_setup(&c, NULL, &n, err, sizeof(err)), 0);
    plug_guest("192.168.240.10/24");
    /* The host answers guests only on DHCP and DNS: a ping of the gateway is rejected. */
    CHECK(test_sh("ip netns exec %s busybox ping -c1 -W2 192.168.240.1 >/dev/null", ns_guest) != 0);
    anc_network_teardown(n, NULL, NULL);
    /* Without our rules the same guest reaches it: the veth and the bridge work. */
    CHECK_EQ(anc_net_bridge_ensure("ancloud", &(bool){false}), 0);
    CHECK_EQ(anc_net_addr_ensure("ancloud", inet_addr("192.168.240.1"), 24), 0);
    CHECK_EQ(anc_net_link_set_up("ancloud", true), 0);
    CHECK_EQ(anc_net_link_attach("anc-h0", "ancloud"), 0);
    CHECK_EQ(test_sh("ip netns exec %s busybox ping -c1 -W2 192.168.240.1 >/dev/null", ns_guest),
             0);
}

/* Runs the loop until cond holds or ms pass. */
static bool run_until(uv_loop_t *loop, bool (*cond)(void *), void *ud, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        if (cond(ud))
            return true;
        usleep(10000);
    }
    return cond(ud);
}

struct restart_wait {
    struct anc_dnsmasq *d;
    int old_pid;
};

static bool restarted(void *ud)
{
    struct restart_wait *w = ud;
    int pid = anc_dnsmasq_pid(w->d);
    return anc_dnsmasq_restarts(w->d) == 1 && pid != 0 && pid != w->old_pid;
}

static bool is_true(void *ud)
{
    return *(bool *)ud;
}

static void set_true(void *ud)
{
    *(bool *)ud = true;
}

/* Asks dnsmasq from the guest until it answers name with want (it needs a moment to start). */
static void resolve(uv_loop_t *loop, const char *name, const char *want)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "ip netns exec %s busybox nslookup %s 192.168.240.1 2>&1", ns_guest,
             name);
    for (int i = 0; i < 30; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        char *out = sh_out(cmd);
        bool ok = strstr(out, want) != NULL;
        if (ok || i == 29)
            fprintf(stderr, "%s%s", ok ? "" : "nslookup failed:\n", ok ? "" : out);
        free(out);
        if (ok)
            return;
        usleep(200000);
    }
    abort();
}

static void get_lease(const char *dir)
{
    char script[PATH_MAX + 16], cmd[2 * PATH_MAX];
    snprintf(script, sizeof(script), "%s/udhcpc.sh", dir);
    FILE *f = fopen(script, "w");
    CHECK(f);
    fputs("#!/bin/sh\n[ \"$1\" = bound ] && ip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
          "exit 0\n",
          f);
    fclose(f);
    CHECK(chmod(script, 0755) == 0);
    snprintf(cmd, sizeof(cmd),
             "ip netns exec %s busybox udhcpc -i anc-g0 -n -q -t 5 -T 1 -s %s 2>&1", ns_guest,
             script);
    char *out = sh_out(cmd);
    fprintf(stderr, "%s", out);
    CHECK(strstr(out, "lease of 192.168.240.2"));
    free(out);
    snprintf(cmd, sizeof(cmd), "ip netns exec %s ip -4 -o addr show dev anc-g0", ns_guest);
    out = sh_out(cmd);
    CHECK(strstr(out, "inet 192.168.240.2"));
    free(out);
    snprintf(cmd, sizeof(cmd), "%s/dnsmasq/dnsmasq.leases", dir);
    char *leases = NULL;
    size_t len;
    CHECK_EQ(anc_read_file(cmd, 1 << 16, &leases, &len), 0);
    CHECK(strstr(leases, " 192.168.240.2"));
    free(leases);
}

static void test_dnsmasq(void)
{
    struct anc_net_config c;
    struct anc_network *n = NULL;
    uv_loop_t loop;
    char err[512];
    bool done = false;

    if (access(ANC_DNSMASQ_BIN, X_OK) != 0)
        exit(skip_code("no " ANC_DNSMASQ_BIN " (Debian: dnsmasq-base)"));
    CHECK_EQ(uv_loop_init(&loop), 0);
    anc_net_config_defaults(&c);
    make_dirs(&c);
    if (anc_network_setup(&c, &loop, &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    CHECK(n->dnsmasq && anc_dnsmasq_pid(n->dnsmasq) > 0);
    plug_guest(NULL);
    get_lease(c.run_dir);
    resolve(&loop, "gateway.ancloud", "192.168.240.1");

    struct anc_dnsmasq_host h[] = {{"inst1", inet_addr("192.168.240.5")}};
    CHECK_EQ(anc_network_set_hosts(n, h, 1), 0);
    resolve(&loop, "inst1.ancloud", "192.168.240.5");

    struct restart_wait w = {n->dnsmasq, anc_dnsmasq_pid(n->dnsmasq)};
    CHECK_EQ(kill(w.old_pid, SIGKILL), 0);
    CHECK(run_until(&loop, restarted, &w, 5000));
    resolve(&loop, "inst1.ancloud", "192.168.240.5"); /* the restarted one reads the hosts file */

    int pid = anc_dnsmasq_pid(n->dnsmasq);
    anc_network_teardown(n, set_true, &done);
    CHECK(run_until(&loop, is_true, &done, 5000));
    CHECK(kill(pid, 0) < 0 && errno == ESRCH);
    CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    {"setup_teardown", test_setup_teardown},
    {"not_a_bridge", test_not_a_bridge},
    {"veth_ping", test_veth_ping},
    {"dnsmasq", test_dnsmasq},
};

static void cleanup_ns(const char *ns)
{
    /* Only processes inside our own namespace: dnsmasq left behind by a failed test. */
    test_sh("for p in $(ip netns pids %s 2>/dev/null); do kill -9 $p; done", ns);
    test_sh("ip netns del %s 2>/dev/null", ns);
}

static int run_one(int i)
{
    snprintf(ns_host, sizeof(ns_host), "anc-net-%d-%d", (int)getpid(), i);
    snprintf(ns_guest, sizeof(ns_guest), "anc-net-%d-%dg", (int)getpid(), i);
    if (test_sh("ip netns add %s", ns_host) != 0)
        return skip_code("`ip netns add` failed: no network namespaces here");
    if (test_sh("ip netns add %s", ns_guest) != 0) {
        cleanup_ns(ns_host);
        return skip_code("`ip netns add` failed");
    }
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        enter_host_ns();
        fprintf(stderr, "== %s (netns %s, guest %s)\n", tests[i].name, ns_host, ns_guest);
        tests[i].fn();
        exit(0); /* not _exit: LeakSanitizer checks at exit */
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    cleanup_ns(ns_guest);
    cleanup_ns(ns_host);
    test_sh("rm -rf /tmp/%s-??????", ns_host);
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    fprintf(stderr, "%s: killed by signal %d\n", tests[i].name, WTERMSIG(st));
    return 1;
}

int main(int argc, char **argv)
{
    int ran = 0;
    if (geteuid() != 0)
        return skip_code("needs root (it creates network namespaces)");
    if (test_sh("command -v ip >/dev/null && command -v iptables-legacy-save >/dev/null") != 0)
        return skip_code("needs ip (iproute2) and iptables-legacy-save (iptables)");
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        bool pick = argc < 2;
        for (int a = 1; a < argc; a++)
            pick |= strcmp(argv[a], tests[i].name) == 0;
        if (!pick)
            continue;
        int r = run_one((int)i);
        if (r != 0)
            return r;
        ran++;
    }
    fprintf(stderr, "%d tests passed\n", ran);
    return ran > 0 ? 0 : 1;
}
