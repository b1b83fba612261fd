/* The etcd client over TLS against a real etcd (/usr/bin/etcd) run with --cert-file, --key-file,
 * --trusted-ca-file and --client-cert-auth, in a network namespace this test makes for itself
 * (its loopback and a member address, 10.99.0.1, are ours). The certificates come from `openssl
 * req` (a CA, a server certificate for the member's IP, client certificates from that CA and
 * from another). range/put/txn/watch with the client certificate; without it, with a stranger's,
 * trusting another CA, through an address the certificate does not name, and https to etcd's
 * plain-HTTP listener: each a clear error. Needs root. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <uv.h>

#include "cluster/etcd_uv.h"
#include "http/tls_client.h"
#include "test.h"
#include "test_sh.h"
#include "test_uv.h"

#define IP       "10.99.0.1"
#define URL      "https://" IP ":2379"
#define URL_LO   "https://127.0.0.1:2379" /* the same member, through a name its cert lacks */
#define URL_HTTP "http://" IP ":2381"     /* its plain listener */
#define WAIT_MS  10000

static struct {
    pid_t pid;
    char dir[64];
} etcd;

static uv_loop_t loop;

struct res {
    int done, err;
    char message[512], val[64];
    int64_t revision;
    bool succeeded;
    size_t n;
};

static void on_res(void *arg, const struct anc_etcd_result *r)
{
    struct res *s = arg;
    s->done++;
    s->err = r->err;
    snprintf(s->message, sizeof(s->message), "%s", r->message ? r->message : "");
    s->revision = r->revision;
    s->succeeded = r->succeeded;
    s->n = r->n_kvs;
    if (r->n_kvs)
        snprintf(s->val, sizeof(s->val), "%.*s", (int)r->kvs[0].value_len,
                 (const char *)r->kvs[0].value);
}

#define CALL(expr, res)                                                                            \
    do {                                                                                           \
        memset(&(res), 0, sizeof(res));                                                            \
        CHECK_EQ((expr), 0);                                                                       \
        CHECK(anc_test_run_until(&loop, &(res).done, 1, WAIT_MS));                                 \
    } while (0)

static const char *file(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", etcd.dir, name);
    return p[i];
}

/* A client on the loop as it is. ca: the CA file trusted (NULL: the system store); cert: "cli",
 * "stranger" or NULL. */
static struct anc_etcd *client_on(const char *url, const char *ca, const char *cert)
{
    char err[256], c[32], k[32];
    snprintf(c, sizeof(c), "%s.pem", cert ? cert : "");
    snprintf(k, sizeof(k), "%s.key", cert ? cert : "");
    struct anc_tls_client *t = NULL;
    if (strncmp(url, "https", 5) == 0) {
        t = anc_tls_client_new(ca ? file(ca) : NULL, cert ? file(c) : NULL, cert ? file(k) : NULL,
                               err, sizeof(err));
        if (!t)
            fprintf(stderr, "anc_tls_client_new: %s\n", err);
        CHECK(t != NULL);
    }
    const char *eps[] = {url};
    struct anc_etcd_opts o = {
        .loop = &loop, .endpoints = eps, .n_endpoints = 1, .timeout_ms = 3000, .tls = t};
    struct anc_etcd *e = NULL;
    CHECK_EQ(anc_etcd_new(&o, &e), 0);
    return e;
}

/* The first client of a fresh loop. */
static struct anc_etcd *client(const char *url, const char *ca, const char *cert)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    return client_on(url, ca, cert);
}

static void on_closed(void *arg)
{
    (*(int *)arg)++;
}

static void close_client(struct anc_etcd *c)
{
    int closed = 0;
    anc_etcd_close(c, on_closed, &closed);
    CHECK(anc_test_run_until(&loop, &closed, 1, WAIT_MS));
}

/* Closes the last client and proves the loop holds nothing of it. */
static void finish(struct anc_etcd *c)
{
    close_client(c);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

/* A CA, the member's certificate (its IP only), a client's from the CA, a stranger's from
 * another CA: what an operator would type (docs/cluster.md). */
static void make_certs(void)
{
    const char *d = etcd.dir;
    const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    CHECK_EQ(test_sh("cd %s && openssl req -x509 %s -keyout ca.key -out ca.pem -days 2 "
                     "-subj /CN=test-etcd-ca 2>/dev/null && "
                     "openssl req -x509 %s -keyout ca2.key -out ca2.pem -days 2 "
                     "-subj /CN=other-ca 2>/dev/null",
                     d, ec, ec),
             0);
    const char *leafs[][4] = {{"srv", "ca", "etcd", "subjectAltName=IP:" IP},
                              {"cli", "ca", "node-1", "extendedKeyUsage=clientAuth"},
                              {"stranger", "ca2", "node-x", "extendedKeyUsage=clientAuth"}};
    for (int i = 0; i < 3; i++)
        CHECK_EQ(test_sh("cd %s && echo '%s' > %s.ext && "
                         "openssl req -new %s -keyout %s.key -out %s.csr -subj /CN=%s "
                         "2>/dev/null && "
                         "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key "
                         "-CAcreateserial -days 1 -extfile %s.ext -out %s.pem 2>/dev/null",
                         d, leafs[i][3], leafs[i][0], ec, leafs[i][0], leafs[i][0], leafs[i][2],
                         leafs[i][0], leafs[i][1], leafs[i][1], leafs[i][0], leafs[i][0]),
                 0);
}

static void etcd_exec(void)
{
    char log[128], data[128];
    snprintf(log, sizeof(log), "%s/etcd.log", etcd.dir);
    snprintf(data, sizeof(data), "%s/data", etcd.dir);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test, whatever ends it */
    if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0)
        _exit(126);
    execl("/usr/bin/etcd", "etcd", "--name", "t", "--data-dir", data, "--listen-client-urls",
          URL "," URL_LO "," URL_HTTP, "--advertise-client-urls", URL, "--cert-file",
          file("srv.pem"), "--key-file", file("srv.key"), "--trusted-ca-file", file("ca.pem"),
          "--client-cert-auth", "--listen-peer-urls", "http://127.0.0.1:2380",
          "--initial-advertise-peer-urls", "http://127.0.0.1:2380", "--initial-cluster",
          "t=http://127.0.0.1:2380", "--experimental-watch-progress-notify-interval", "500ms",
          (char *)NULL);
    _exit(127);
}

static void etcd_down(void)
{
    if (etcd.pid > 0) {
        kill(etcd.pid, SIGKILL);
        waitpid(etcd.pid, NULL, 0);
        etcd.pid = 0;
    }
    if (etcd.dir[0]) {
        test_sh("rm -rf %s", etcd.dir);
        etcd.dir[0] = 0;
    }
}

static void etcd_up(void)
{
    if (etcd.pid > 0)
        return;
    if (geteuid() != 0)
        ANC_SKIP("needs root (a network namespace of its own)");
    if (access("/usr/bin/etcd", X_OK) != 0)
        ANC_SKIP("needs /usr/bin/etcd (Debian package etcd-server)");
    if (test_sh("command -v openssl >/dev/null") != 0)
        ANC_SKIP("needs the openssl command (Debian package openssl)");
    CHECK_EQ(unshare(CLONE_NEWNET), 0);
    CHECK_EQ(test_sh("ip link set lo up && ip addr add " IP "/32 dev lo"), 0);
    snprintf(etcd.dir, sizeof(etcd.dir), "/tmp/anc-etcdtls-test-XXXXXX");
    CHECK(mkdtemp(etcd.dir));
    atexit(etcd_down);
    make_certs();
    etcd.pid = fork();
    CHECK(etcd.pid >= 0);
    if (etcd.pid == 0)
        etcd_exec();
    uint64_t t0 = test_now_ms();
    for (;;) {
        struct anc_etcd *c = client(URL, "ca.pem", "cli");
        struct res r;
        CALL(anc_etcd_range(c, "ready", false, on_res, &r), r);
        finish(c);
        if (r.err == 0)
            break;
        CHECK(test_now_ms() - t0 < 20000);
        usleep(100 * 1000);
    }
    fprintf(stderr, "  etcd (TLS, client certificates) up in %llu ms\n",
            (unsigned long long)(test_now_ms() - t0));
}

struct wres {
    int events, ended, err, created;
    char last[32];
};

static void on_watch(void *arg, int err, int64_t revision, const struct anc_etcd_event *ev,
                     size_t n)
{
    (void)revision;
    struct wres *w = arg;
    if (err) {
        w->ended++;
        w->err = err;
        return;
    }
    w->created++;
    for (size_t i = 0; i < n; i++, w->events++)
        snprintf(w->last, sizeof(w->last), "%.*s", (int)ev[i].kv.value_len,
                 (const char *)ev[i].kv.value);
}

TEST(range_put_txn_watch_over_tls)
{
    etcd_up();
    struct anc_etcd *c = client(URL, "ca.pem", "cli");
    struct wres w = {0};
    struct anc_etcd_watch *h;
    CHECK_EQ(anc_etcd_watch(c, "tls/", true, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.created, 1, WAIT_MS));
    struct res r;
    CALL(anc_etcd_put(c, "tls/a", (const uint8_t *)"one", 3, 0, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    int64_t rev = r.revision;
    CALL(anc_etcd_range(c, "tls/a", false, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.n, 1);
    CHECK_STREQ(r.val, "one");
    struct anc_etcd_cmp cmp = {
        .key = "tls/a", .target = ANC_ETCD_MOD, .op = ANC_ETCD_EQ, .number = rev};
    struct anc_etcd_op op = {
        .type = ANC_ETCD_OP_PUT, .key = "tls/a", .value = (const uint8_t *)"two", .value_len = 3};
    CALL(anc_etcd_txn(c, &cmp, 1, &op, 1, NULL, 0, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK(r.succeeded);
    CHECK(anc_test_run_until(&loop, &w.events, 2, WAIT_MS));
    CHECK_STREQ(w.last, "two");
    CHECK_EQ(w.ended, 0);
    /* What a request costs, each on its own connection: TLS (handshake included) vs plain. */
    struct anc_etcd *plain = client_on(URL_HTTP, NULL, NULL);
    for (int tls = 1; tls >= 0; tls--) {
        uint64_t t0 = uv_hrtime();
        for (int i = 0; i < 20; i++) {
            CALL(anc_etcd_range(tls ? c : plain, "tls/a", false, on_res, &r), r);
            CHECK_EQ(r.err, 0);
            CHECK_STREQ(r.val, "two");
        }
        fprintf(stderr, "  range over %s, a new connection each: %.2f ms\n",
                tls ? "https + client cert" : "http", (double)(uv_hrtime() - t0) / 20e6);
    }
    close_client(plain);
    anc_etcd_watch_cancel(h);
    finish(c);
}

static void expect(struct res *r, int err, const char *part)
{
    if (r->err != err || !strstr(r->message, part)) {
        fprintf(stderr, "got %d \"%s\", wanted %d \"%s\"\n", r->err, r->message, err, part);
        CHECK(false);
    }
}

TEST(refused_without_client_certificate)
{
    etcd_up();
    struct res r;
    struct anc_etcd *c = client(URL, "ca.pem", NULL);
    CALL(anc_etcd_range(c, "tls/a", false, on_res, &r), r);
    expect(&r, -EPROTO, "alert");
    fprintf(stderr, "  without a client certificate: %s\n", r.message);
    struct wres w = {0};
    struct anc_etcd_watch *h;
    CHECK_EQ(anc_etcd_watch(c, "tls/", true, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.ended, 1, WAIT_MS));
    CHECK_EQ(w.err, -EPROTO);
    CHECK_EQ(w.created, 0);
    finish(c);
    c = client(URL, "ca.pem", "stranger");
    CALL(anc_etcd_range(c, "tls/a", false, on_res, &r), r);
    expect(&r, -EPROTO, "alert");
    finish(c);
}

TEST(server_not_verified)
{
    etcd_up();
    struct res r;
    struct anc_etcd *c = client(URL, "ca2.pem", "cli");
    CALL(anc_etcd_range(c, "tls/a", false, on_res, &r), r);
    expect(&r, -EKEYREJECTED, "server certificate did not verify: unable to get local issuer");
    finish(c);
    c = client(URL_LO, "ca.pem", "cli");
    CALL(anc_etcd_range(c, "tls/a", false, on_res, &r), r);
    expect(&r, -EKEYREJECTED, "IP address mismatch");
    finish(c);
    /* The system store does not know the test CA. */
    c = client(URL, NULL, "cli");
    CALL(anc_etcd_range(c, "tls/a", false, on_res, &r), r);
    expect(&r, -EKEYREJECTED, "did not verify");
    finish(c);
}

TEST(https_to_plain_listener)
{
    etcd_up();
    struct res r;
    struct anc_etcd *c = client("https://" IP ":2381", "ca.pem", "cli");
    CALL(anc_etcd_range(c, "tls/a", false, on_res, &r), r);
    if (r.err == -ECONNRESET) /* a server may hang up on a ClientHello instead of answering */
        expect(&r, -ECONNRESET, "closed the connection during the TLS handshake");
    else
        expect(&r, -EPROTO, "does not speak TLS");
    finish(c);
}

/* The daemon (ANCLOUDD) with [cluster] etcd_ca/etcd_cert/etcd_key, in the test's own namespace.
 * Returns its pid; its output goes to <dir>/<name>.log. */
static pid_t daemon_start(const char *name, const char *key)
{
    char conf[128], log[128];
    snprintf(conf, sizeof(conf), "%s/%s.conf", etcd.dir, name);
    snprintf(log, sizeof(log), "%s/%s.log", etcd.dir, name);
    FILE *f = fopen(conf, "w");
    CHECK(f != NULL);
    fprintf(f,
            "[server]\nlisten = " IP ":18080\n[rtc]\nudp_port = 0\n[paths]\nstate_dir = %s/%s\n"
            "run_dir = %s/%s-run\n[network]\nenabled = false\n[cluster]\netcd = " URL "\n"
            "etcd_ca = %s\netcd_cert = %s\netcd_key = %s\nnode = %s\nlease_s = 2\n",
            etcd.dir, name, etcd.dir, name, file("ca.pem"), file("cli.pem"), key, name);
    fclose(f);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0)
            _exit(126);
        execl(getenv("ANCLOUDD"), "ancloudd", "-c", conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

TEST(daemon_joins_over_tls)
{
    if (!getenv("ANCLOUDD"))
        ANC_SKIP("needs ANCLOUDD (the daemon, set by meson test)");
    etcd_up();
    /* A key that does not load stops the start, with the reason. */
    pid_t pid = daemon_start("bad", "/nonexistent/node.key");
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    CHECK_EQ(test_sh("grep -q 'TLS to etcd: private key /nonexistent/node.key: No such file' "
                     "%s/bad.log",
                     etcd.dir),
             0);
    /* With the right files the node joins: its record appears in etcd. */
    pid = daemon_start("n1", file("cli.key"));
    struct anc_etcd *c = client(URL, "ca.pem", "cli");
    struct res r = {0};
    uint64_t t0 = test_now_ms();
    while (r.n == 0 && test_now_ms() - t0 < 20000) {
        usleep(100 * 1000);
        CALL(anc_etcd_range(c, "/ancloud/nodes/n1", false, on_res, &r), r);
        CHECK_EQ(r.err, 0);
        CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
    }
    CHECK_EQ(r.n, 1);
    fprintf(stderr, "  node n1 joined over TLS %llu ms after its start\n",
            (unsigned long long)(test_now_ms() - t0));
    finish(c);
    kill(pid, SIGTERM);
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ(test_sh("grep -q 'cluster: node n1 joined' %s/n1.log", etcd.dir), 0);
}
