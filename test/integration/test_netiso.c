/* Guest network isolation, end to end: real LXC guests (busybox) on the bridge that
 * anc_network_setup makes, all inside network namespaces this test creates (anc-iso-<pid> as the
 * host, anc-iso-<pid>-i as "the internet" behind the NAT), re-executed with `unshare --mount` +
 * `nsenter --net` as test_container does. The host runs stand-ins for ancloudd's HTTP (TCP 8080)
 * and WebRTC (UDP 8443) ports on every address and another service on its uplink address only
 * (TCP 2222): the firewall sees them as it sees the daemon's sockets. UDP is probed with busybox
 * nslookup against a responder that answers any datagram. Guests: a and b (an allowed pair) and c.
 *
 * ANC_NETISO_OLD=1 replaces the rules with the set of the code before isolation (and no port
 * hook) and only reports which hostile cases get through, to show they fail there. */
#include "../unit/test.h"
#include "../unit/test_sh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base/fsutil.h"
#include "container/forkstart.h"
#include "container/image.h"
#include "container/lxc.h"
#include "container/lxc_ops.h"
#include "container/profile_linux.h"
#include "net/dnsmasq_uv.h"
#include "net/firewall.h"
#include "net/network.h"
#include "net/port_hook.h"

static char top[PATH_MAX], image_dir[PATH_MAX + 16], state_dir[PATH_MAX + 16],
    run_dir[PATH_MAX + 16];
static uv_loop_t loop;
static struct anc_image_mounts *mounts;
static bool old_mode;
static int old_breaches;

static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
    char cmd[4096], chunk[4096];
    char *buf = NULL;
    size_t len = 0, n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *out = open_memstream(&buf, &len), *p = popen(cmd, "r");
    CHECK(out && p);
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        fwrite(chunk, 1, n, out);
    pclose(p);
    fclose(out);
    return buf;
}

/* ---- guests ---- */

struct guest {
    const char *id;
    struct anc_container *ct;
    struct anc_network_lease lease;
    char ip[16];
    bool started;
    int status;
    char error[512];
};

static void on_started(struct anc_container *c, int status, int pid, const char *error, void *d)
{
    struct guest *g = d;
    g->started = true;
    g->status = status;
    snprintf(g->error, sizeof(g->error), "%s", error ? error : "");
}
static void on_exit_cb(struct anc_container *c, const char *reason, void *d)
{
}
static bool stopped;
static void on_stopped(struct anc_container *c, int status, void *d)
{
    stopped = true;
}
static const struct anc_container_callbacks cbs = {on_started, on_exit_cb, on_stopped};

static void run_until(bool *flag, int ms)
{
    for (int i = 0; i < ms / 10 && !*flag; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(10000);
    }
    CHECK(*flag);
}

/* Every guest listens on TCP 7777 and answers "pong-guest". */
static void start_guest(struct anc_network *n, struct guest *g)
{
    static const char *const argv[] = {"/bin/nc", "-ll",       "-p",         "7777",
                                       "-e",      "/bin/echo", "pong-guest", NULL};
    CHECK_EQ(anc_network_lease(n, g->id, &g->lease), 0);
    snprintf(g->ip, sizeof(g->ip), "%.*s", (int)(strchr(g->lease.cidr, '/') - g->lease.cidr),
             g->lease.cidr);
    struct anc_container_spec s = {.id = g->id,
                                   .image = "tiny",
                                   .image_dir = image_dir,
                                   .state_dir = state_dir,
                                   .run_dir = run_dir,
                                   .argv = argv,
                                   .memory_mb = 128,
                                   .pids_max = 64,
                                   .cgroup = anc_profile_cgroup_layout(),
                                   .apparmor = anc_profile_apparmor_enabled(),
                                   .bridge = g->lease.bridge,
                                   .ipv4_cidr = g->lease.cidr,
                                   .gateway = g->lease.gateway,
                                   .net_hook = old_mode ? NULL : g->lease.port_hook};
    CHECK_EQ(anc_container_new(&loop, mounts, "/proc/self/exe", &s, &cbs, g, &g->ct), 0);
    CHECK_EQ(anc_container_start(g->ct), 0);
    run_until(&g->started, 30000);
    if (g->status != 0)
        fprintf(stderr, "start of %s failed: %s\n", g->id, g->error);
    CHECK_EQ(g->status, 0);
}

static bool freed;
static void on_freed(void *d)
{
    freed = true;
}

static void stop_guest(struct guest *g)
{
    stopped = freed = false;
    CHECK_EQ(anc_container_stop(g->ct, 0), 0);
    run_until(&stopped, 30000);
    anc_container_free(g->ct, on_freed, NULL);
    run_until(&freed, 5000);
}

/* Runs a shell command inside guest g and returns its output (caller frees). */
static char *in_guest(const struct guest *g, const char *cmd)
{
    return sh_out("lxc-attach -P %s/lxc -n ancloud-%s -- /bin/sh -c '%s' 2>&1", state_dir, g->id,
                  cmd);
}

/* Whether guest g gets want back from a TCP connection to ip:port. */
static bool tcp_from(const struct guest *g, const char *ip, int port, const char *want)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "echo hi | nc -w 2 %s %d", ip, port);
    char *out = in_guest(g, cmd);
    bool ok = strstr(out, want) != NULL;
    free(out);
    return ok;
}

/* Whether a datagram from g to ip:port gets an answer (the responder answers any query). */
static bool udp_from(const struct guest *g, const char *ip, int port)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "timeout 4 nslookup probe.test %s:%d", ip, port);
    char *out = in_guest(g, cmd);
    bool ok = strstr(out, "NXDOMAIN") != NULL;
    free(out);
    return ok;
}

/* A hostile case: must hold with the new rules; in old mode only counted. */
static void expect(bool ok, const char *what)
{
    fprintf(stderr, "%s %s\n", ok ? "ok  " : "FAIL", what);
    if (old_mode) {
        old_breaches += !ok;
        return;
    }
    CHECK(ok);
}

/* ---- the host's and the internet's services ---- */

static const char responder_py[] =
    "import socket, sys, threading\n"
    "def tcp(addr, port):\n"
    "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "    s.bind((addr, port)); s.listen(16)\n"
    "    while True:\n"
    "        c, _ = s.accept(); c.sendall(b'pong-%s\\n' % sys.argv[1].encode()); c.close()\n"
    "def udp(addr, port):\n"
    "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, port))\n"
    "    while True:\n"
    "        d, a = s.recvfrom(2048)\n"
    "        if len(d) >= 12: s.sendto(d[:2] + bytes([0x81, 0x83]) + d[4:], a)\n"
    "for spec in sys.argv[2:]:\n"
    "    kind, addr, port = spec.split(':')\n"
    "    threading.Thread(target=tcp if kind == 'tcp' else udp, args=(addr, int(port)),\n"
    "                     daemon=True).start()\n"
    "threading.Event().wait()\n";

static void start_services(const char *inet_ns)
{
    char py[PATH_MAX + 32];
    snprintf(py, sizeof(py), "%s/responder.py", top);
    FILE *f = fopen(py, "w");
    CHECK(f);
    fputs(responder_py, f);
    fclose(f);
    /* The host: "ancloudd" on every address, another service on the uplink address only. UDP is
     * bound per address so that an answer leaves from the address the guest asked. */
    CHECK_EQ(test_sh("python3 %s host tcp:0.0.0.0:8080 udp:192.168.240.1:8443 udp:10.99.0.1:8443 "
                     "tcp:10.99.0.1:2222 "
                     ">/dev/null 2>&1 &",
                     py),
             0);
    CHECK_EQ(test_sh("nsenter --net=/run/netns/%s python3 %s internet tcp:10.99.0.2:80 >/dev/null "
                     "2>&1 &",
                     inet_ns, py),
             0);
    usleep(500000);
}

/* The uplink: host 10.99.0.1 <-> internet 10.99.0.2, which also routes the guests' subnet back
 * to the host (an attacker next to the host trying to get in). */
static void make_internet(const char *inet_ns)
{
    CHECK_EQ(
        test_sh("ip link set lo up && ip link add up0 type veth peer name wan0 && "
                "ip link set wan0 netns %s && ip addr add 10.99.0.1/24 dev up0 && "
                "ip link set up0 up && ip -n %s link set lo up && ip -n %s link set wan0 up && "
                "ip -n %s addr add 10.99.0.2/24 dev wan0 && "
                "ip -n %s route add 192.168.240.0/24 via 10.99.0.1",
                inet_ns, inet_ns, inet_ns, inet_ns, inet_ns),
        0);
}

/* Today's rules before isolation, for ANC_NETISO_OLD. */
static void apply_old_rules(void)
{
    CHECK_EQ(test_sh("for c in INPUT FORWARD; do iptables-legacy-save -t filter | "
                     "grep -- \"-A $c .*--comment ancloud\" | sed 's/^-A/-D/' | "
                     "while read -r r; do eval iptables-legacy $r; done; done"),
             0);
    const char *c = "-m comment --comment ancloud -j ACCEPT";
    CHECK_EQ(
        test_sh(
            "iptables-legacy -I INPUT -i ancloud -p tcp --dport 53 %s && "
            "iptables-legacy -I INPUT -i ancloud -p udp --dport 53 %s && "
            "iptables-legacy -I INPUT -i ancloud -p tcp --dport 67 %s && "
            "iptables-legacy -I INPUT -i ancloud -p udp --dport 67 %s && "
            "iptables-legacy -I FORWARD -o ancloud %s && iptables-legacy -I FORWARD -i ancloud %s",
            c, c, c, c, c, c),
        0);
}

/* ---- the cases ---- */

static void check_dhcp_dns(struct anc_network *n, const struct guest *g)
{
    bool ok = false;
    char *out = NULL;
    /* dnsmasq needs a moment to start; then a lease for a second address on the guest. */
    for (int i = 0; i < 10 && !ok; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        free(out);
        out = in_guest(g, "udhcpc -i eth0 -n -q -t 3 -T 1 -s /bin/true");
        ok = strstr(out, "lease of 192.168.240.2") != NULL;
    }
    if (!ok)
        fprintf(stderr, "udhcpc:\n%s\n", out);
    free(out);
    expect(ok, "DHCP: the guest gets a lease from dnsmasq");
    struct anc_dnsmasq_host h[] = {{"peer", inet_addr("192.168.240.77")}};
    CHECK_EQ(anc_network_set_hosts(n, h, 1), 0);
    ok = false;
    for (int i = 0; i < 20 && !ok; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        out = in_guest(g, "nslookup peer.ancloud 192.168.240.1");
        ok = strstr(out, "192.168.240.77") != NULL;
        if (!ok && i == 19)
            fprintf(stderr, "nslookup:\n%s\n", out);
        free(out);
        if (!ok)
            usleep(200000);
    }
    expect(ok, "DNS: the guest resolves a name through dnsmasq");
}

static void check_host_closed(const struct guest *g)
{
    expect(!tcp_from(g, "192.168.240.1", 8080, "pong-host"),
           "the daemon's HTTP port on the bridge address is unreachable");
    expect(!tcp_from(g, "10.99.0.1", 8080, "pong-host"),
           "the daemon's HTTP port on the host's other address is unreachable");
    expect(!udp_from(g, "192.168.240.1", 8443),
           "the daemon's UDP port on the bridge address is unreachable");
    expect(!udp_from(g, "10.99.0.1", 8443),
           "the daemon's UDP port on the host's other address is unreachable");
    expect(!tcp_from(g, "10.99.0.1", 2222, "pong-host"), "another host service is unreachable");
    /* The responder itself works: from the host it answers. */
    char *out = sh_out("echo hi | busybox nc -w 2 10.99.0.1 2222");
    CHECK(strstr(out, "pong-host"));
    free(out);
}

static void check_guests(const struct guest *a, const struct guest *b, const struct guest *c)
{
    expect(!tcp_from(c, a->ip, 7777, "pong-guest"), "isolate: guest c cannot reach guest a");
    expect(!tcp_from(a, c->ip, 7777, "pong-guest"), "isolate: guest a cannot reach guest c");
    expect(!tcp_from(c, b->ip, 7777, "pong-guest"), "isolate: guest c cannot reach guest b");
    expect(tcp_from(a, b->ip, 7777, "pong-guest"), "allow: guest a reaches guest b");
    expect(tcp_from(b, a->ip, 7777, "pong-guest"), "allow: guest b reaches guest a");
}

static void check_outside(const char *inet_ns, const struct guest *a)
{
    expect(tcp_from(a, "10.99.0.2", 80, "pong-internet"), "the guest reaches the outside (NAT)");
    char *out = sh_out("nsenter --net=/run/netns/%s busybox nc -w 2 %s 7777 </dev/null 2>&1",
                       inet_ns, a->ip);
    expect(!strstr(out, "pong-guest"), "the outside cannot connect into a guest");
    free(out);
}

static void check_ports_isolated(const struct guest *gs, size_t n)
{
    char *out = sh_out("ip -d -o link show master ancloud type veth");
    int isolated = 0;
    for (const char *p = out; (p = strstr(p, "isolated on")); p++)
        isolated++;
    fprintf(stderr, "%s", out);
    free(out);
    expect(isolated == (int)n, "every guest port on the bridge is isolated");
}

static int run_tests(void)
{
    char inet_ns[64], err[512] = "";
    old_mode = getenv("ANC_NETISO_OLD") != NULL;
    snprintf(top, sizeof(top), "/tmp/anc-iso-%d", (int)getpid());
    snprintf(image_dir, sizeof(image_dir), "%s/images", top);
    snprintf(state_dir, sizeof(state_dir), "%s/state", top);
    snprintf(run_dir, sizeof(run_dir), "%s/run", top);
    snprintf(inet_ns, sizeof(inet_ns), "%s", getenv("ANC_NETISO_INET"));
    CHECK_EQ(anc_mkdir_p(image_dir, 0755), 0);
    CHECK_EQ(anc_mkdir_p(run_dir, 0755), 0);
    CHECK_EQ(anc_mkdir_p(state_dir, 0755), 0);
    CHECK_EQ(chmod(top, 0755), 0);
    CHECK_EQ(
        test_sh("mkdir %s/cg && mount --rbind /sys/fs/cgroup %s/cg && mount -t sysfs sysfs /sys && "
                "mount --move %s/cg /sys/fs/cgroup && rmdir %s/cg",
                top, top, top, top),
        0);
    CHECK_EQ(
        test_sh("s=%s/stage && mkdir -p $s/bin $s/proc $s/sys $s/dev $s/tmp $s/etc $s/sbin && "
                "cp /bin/busybox $s/bin/ && for x in sh nc hostname echo nslookup udhcpc timeout "
                "true cat ip; do ln -s busybox $s/bin/$x; done && "
                "mksquashfs $s %s/tiny.img -noappend -quiet -comp gzip >/dev/null && rm -rf $s",
                top, image_dir),
        0);
    make_internet(inet_ns);
    CHECK_EQ(uv_loop_init(&loop), 0);
    mounts = anc_image_mounts_new(image_dir, run_dir);

    struct guest a = {.id = "0000000000aa"}, b = {.id = "0000000000bb"}, c = {.id = "0000000000cc"};
    struct anc_net_config nc;
    struct anc_network *n = NULL;
    anc_net_config_defaults(&nc);
    snprintf(nc.state_dir, sizeof(nc.state_dir), "%.200s", state_dir);
    snprintf(nc.run_dir, sizeof(nc.run_dir), "%.200s", run_dir);
    snprintf(nc.allow[0][0], sizeof(nc.allow[0][0]), "%s", a.id);
    snprintf(nc.allow[0][1], sizeof(nc.allow[0][1]), "%s", b.id);
    nc.n_allow = 1;
    if (anc_network_setup(&nc, &loop, &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    if (old_mode)
        apply_old_rules();
    start_services(inet_ns);
    start_guest(n, &a);
    start_guest(n, &b);
    start_guest(n, &c);
    fprintf(stderr, "guests: a %s, b %s, c %s\n", a.ip, b.ip, c.ip);

    check_ports_isolated(&a, 3);
    check_dhcp_dns(n, &a);
    check_host_closed(&c);
    check_guests(&a, &b, &c);
    check_outside(inet_ns, &a);

    stop_guest(&a);
    stop_guest(&b);
    stop_guest(&c);
    anc_network_teardown(n, NULL, NULL);
    for (int i = 0; i < 300; i++) /* dnsmasq's exit */
        uv_run(&loop, UV_RUN_NOWAIT), usleep(10000);
    CHECK_EQ(test_sh("! iptables-legacy-save | grep -q 'comment ancloud'"), 0);
    anc_image_mounts_free(mounts);
    if (old_mode) {
        fprintf(stderr, "old rules: %d hostile case(s) got through\n", old_breaches);
        return old_breaches > 0 ? 0 : 1;
    }
    fprintf(stderr, "all isolation tests passed\n");
    return 0;
}

static int skip_code(const char *reason)
{
    const char *ci = getenv("CI");
    bool in_ci = ci && strcmp(ci, "true") == 0;
    fprintf(stderr, "SKIP%s: %s\n", in_ci ? " (a failure in CI)" : "", reason);
    return in_ci ? 1 : 77;
}

int main(int argc, char **argv)
{
    char ns[64], inet_ns[80];
    if (argc > 1 && strcmp(argv[1], ANC_LXC_FORKSTART_ARG) == 0)
        return anc_lxc_forkstart_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], ANC_NET_PORT_HOOK_ARG) == 0)
        return anc_net_port_hook_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--in-netns") == 0)
        return run_tests();
    if (geteuid() != 0)
        return skip_code("needs root (LXC, mounts, network namespaces)");
    if (test_sh("{ command -v lxc-attach && command -v mksquashfs && command -v ip && command -v "
                "nsenter && command -v unshare && command -v python3 && command -v "
                "iptables-legacy; } >/dev/null && test -x " ANC_SQUASHFUSE_BIN
                " && test -x /bin/busybox && test -x " ANC_DNSMASQ_BIN) != 0)
        return skip_code("needs lxc-utils, squashfs-tools, squashfuse, iproute2, util-linux, "
                         "busybox-static, python3, iptables, dnsmasq-base");
    snprintf(ns, sizeof(ns), "anc-iso-%d", (int)getpid());
    snprintf(inet_ns, sizeof(inet_ns), "%s-i", ns);
    if (test_sh("ip netns add %s && ip netns add %s", ns, inet_ns) != 0)
        return skip_code("`ip netns add` failed: no network namespaces here");
    setenv("ANC_NETISO_INET", inet_ns, 1);
    int rc = test_sh("unshare --mount --propagation slave nsenter --net=/run/netns/%s "
                     "/proc/%d/exe --in-netns",
                     ns, (int)getpid());
    test_sh("ip netns pids %s | xargs -r kill -9; ip netns pids %s | xargs -r kill -9; "
            "ip netns del %s; ip netns del %s; rm -rf /tmp/anc-iso-%d",
            ns, inet_ns, ns, inet_ns, (int)getpid());
    return rc;
}
