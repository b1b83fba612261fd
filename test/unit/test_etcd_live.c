/* The etcd client against a real etcd (/usr/bin/etcd, Debian etcd-server) in a network namespace
 * this test makes for itself (unshare: only its own loopback, fixed ports are then ours). Every
 * call, watches (order, resume, compaction), lease expiry, failover, timeouts, a silent watch
 * peer, close with calls pending, and etcd killed under a watch. Needs root. */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "cluster/etcd_uv.h"
#include "http/client_uv.h"
#include "test.h"
#include "test_sh.h"
#include "test_uv.h"

#define URL     "http://127.0.0.1:2379"
#define URL6    "http://[::1]:2379"
#define DEAD    "http://127.0.0.1:1"
#define WAIT_MS 10000

static struct {
    pid_t pid;
    char dir[64];
} etcd;

static uv_loop_t loop;

struct res {
    int done, err;
    int64_t revision, lease_id, ttl, deleted;
    bool succeeded;
    size_t n;
    char keys[8][32], vals[8][32];
    int64_t mod[8], lease[8];
};

static void on_res(void *arg, const struct anc_etcd_result *r)
{
    struct res *s = arg;
    s->done++;
    s->err = r->err;
    if (r->err)
        fprintf(stderr, "  (etcd answered %d: %s)\n", r->err, r->message);
    s->revision = r->revision;
    s->lease_id = r->lease_id;
    s->ttl = r->ttl;
    s->deleted = r->deleted;
    s->succeeded = r->succeeded;
    s->n = r->n_kvs;
    for (size_t i = 0; i < r->n_kvs && i < 8; i++) {
        snprintf(s->keys[i], sizeof(s->keys[i]), "%s", r->kvs[i].key);
        snprintf(s->vals[i], sizeof(s->vals[i]), "%s", (const char *)r->kvs[i].value);
        s->mod[i] = r->kvs[i].mod_revision;
        s->lease[i] = r->kvs[i].lease;
    }
}

#define RUN(res) CHECK(anc_test_run_until(&loop, &(res).done, 1, WAIT_MS))
#define CALL(expr, res)                                                                            \
    do {                                                                                           \
        memset(&(res), 0, sizeof(res));                                                            \
        CHECK_EQ((expr), 0);                                                                       \
        RUN(res);                                                                                  \
        CHECK_EQ((res).done, 1);                                                                   \
    } while (0)

static struct anc_etcd *client(const char *const *eps, size_t n, unsigned timeout_ms)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    struct anc_etcd_opts o = {
        .loop = &loop, .endpoints = eps, .n_endpoints = n, .timeout_ms = timeout_ms};
    struct anc_etcd *c = NULL;
    CHECK_EQ(anc_etcd_new(&o, &c), 0);
    return c;
}

static void on_closed(void *arg)
{
    (*(int *)arg)++;
}

/* Closes the client and proves the loop holds nothing of it. */
static void finish(struct anc_etcd *c)
{
    int closed = 0;
    anc_etcd_close(c, on_closed, &closed);
    CHECK(anc_test_run_until(&loop, &closed, 1, WAIT_MS));
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static void enter_netns(void)
{
    static bool in;
    if (in)
        return;
    if (geteuid() != 0)
        ANC_SKIP("needs root (a network namespace of its own)");
    if (access("/usr/bin/etcd", X_OK) != 0)
        ANC_SKIP("needs /usr/bin/etcd (Debian package etcd-server)");
    CHECK_EQ(unshare(CLONE_NEWNET), 0);
    CHECK_EQ(test_sh("ip link set lo up"), 0);
    in = true;
}

static void etcd_exec(void)
{
    char log[128];
    snprintf(log, sizeof(log), "%s/etcd.log", etcd.dir);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test, whatever ends it */
    if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0)
        _exit(126);
    execl("/usr/bin/etcd", "etcd", "--name", "t", "--data-dir", etcd.dir, "--listen-client-urls",
          URL "," URL6, "--advertise-client-urls", URL, "--listen-peer-urls",
          "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
          "--initial-cluster", "t=http://127.0.0.1:2380",
          "--experimental-watch-progress-notify-interval", "500ms", (char *)NULL);
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

/* Starts etcd once and waits until it answers a range. */
static void etcd_up(void)
{
    enter_netns();
    if (etcd.pid > 0)
        return;
    snprintf(etcd.dir, sizeof(etcd.dir), "/tmp/anc-etcd-client-test-XXXXXX");
    CHECK(mkdtemp(etcd.dir));
    atexit(etcd_down); /* also when only some tests were selected */
    etcd.pid = fork();
    CHECK(etcd.pid >= 0);
    if (etcd.pid == 0)
        etcd_exec();
    const char *eps[] = {URL};
    uint64_t t0 = test_now_ms();
    for (;;) {
        struct anc_etcd *c = client(eps, 1, 1000);
        struct res r = {0};
        CHECK_EQ(anc_etcd_range(c, "ready", false, on_res, &r), 0);
        RUN(r);
        finish(c);
        if (r.err == 0)
            break;
        CHECK(test_now_ms() - t0 < 20000);
        usleep(100 * 1000);
    }
    fprintf(stderr, "  etcd up in %llu ms\n", (unsigned long long)(test_now_ms() - t0));
}

TEST(put_range_delete)
{
    etcd_up();
    const char *eps[] = {URL};
    struct anc_etcd *c = client(eps, 1, 0);
    struct res r;
    CALL(anc_etcd_put(c, "a/1", (const uint8_t *)"one", 3, 0, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    int64_t rev1 = r.revision;
    CHECK(rev1 > 0);
    CALL(anc_etcd_put(c, "a/2", (const uint8_t *)"two", 3, 0, on_res, &r), r);
    CALL(anc_etcd_put(c, "b", (const uint8_t *)"", 0, 0, on_res, &r), r);
    CHECK_EQ(r.revision, rev1 + 2);
    CALL(anc_etcd_range(c, "a/1", false, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.n, 1);
    CHECK_STREQ(r.keys[0], "a/1");
    CHECK_STREQ(r.vals[0], "one");
    CHECK_EQ(r.mod[0], rev1);
    CALL(anc_etcd_range(c, "a/", true, on_res, &r), r);
    CHECK_EQ(r.n, 2);
    CHECK_STREQ(r.keys[1], "a/2");
    CHECK_STREQ(r.vals[1], "two");
    CALL(anc_etcd_delete(c, "a/", true, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.deleted, 2);
    CALL(anc_etcd_range(c, "a/", true, on_res, &r), r);
    CHECK_EQ(r.n, 0);
    CALL(anc_etcd_range(c, "b", false, on_res, &r), r);
    CHECK_EQ(r.n, 1);
    CHECK_STREQ(r.vals[0], "");
    CHECK_EQ(anc_etcd_range(c, "", false, on_res, &r), -EINVAL);
    finish(c);
}

TEST(ipv6_literal_and_name)
{
    etcd_up();
    const char *eps[] = {URL6, "http://localhost:2379"};
    for (size_t i = 0; i < 2; i++) {
        struct anc_etcd *c = client(eps + i, 1, 0);
        struct res r;
        CALL(anc_etcd_put(c, "v6", (const uint8_t *)"x", 1, 0, on_res, &r), r);
        CHECK_EQ(r.err, 0);
        finish(c);
    }
}

TEST(txn_both_branches)
{
    etcd_up();
    const char *eps[] = {URL};
    struct anc_etcd *c = client(eps, 1, 0);
    struct res r;
    CALL(anc_etcd_put(c, "t", (const uint8_t *)"1", 1, 0, on_res, &r), r);
    int64_t rev = r.revision;
    struct anc_etcd_cmp cmp = {
        .key = "t", .target = ANC_ETCD_MOD, .op = ANC_ETCD_EQ, .number = rev};
    struct anc_etcd_op then[] = {
        {.type = ANC_ETCD_OP_PUT, .key = "t", .value = (const uint8_t *)"2", .value_len = 1},
        {.type = ANC_ETCD_OP_RANGE, .key = "t"},
    };
    struct anc_etcd_op otherwise[] = {{.type = ANC_ETCD_OP_RANGE, .key = "t"},
                                      {.type = ANC_ETCD_OP_DELETE, .key = "nothing"}};
    CALL(anc_etcd_txn(c, &cmp, 1, then, 2, otherwise, 2, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK(r.succeeded);
    CHECK_EQ(r.revision, rev + 1);
    CHECK_EQ(r.n, 1);
    CHECK_STREQ(r.vals[0], "2");
    /* The same compare again: the revision moved, the other branch runs. */
    CALL(anc_etcd_txn(c, &cmp, 1, then, 2, otherwise, 2, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK(!r.succeeded);
    CHECK_EQ(r.n, 1);
    CHECK_STREQ(r.vals[0], "2");
    CHECK_EQ(r.mod[0], rev + 1);
    CHECK_EQ(r.deleted, 0);
    finish(c);
}

TEST(lease_grant_keepalive_expiry)
{
    etcd_up();
    const char *eps[] = {URL};
    struct anc_etcd *c = client(eps, 1, 0);
    struct res r;
    CALL(anc_etcd_lease_grant(c, 2, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.ttl, 2);
    int64_t id = r.lease_id;
    CHECK(id != 0);
    CALL(anc_etcd_put(c, "l", (const uint8_t *)"x", 1, id, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CALL(anc_etcd_range(c, "l", false, on_res, &r), r);
    CHECK_EQ(r.n, 1);
    CHECK_EQ(r.lease[0], id);
    CALL(anc_etcd_lease_keepalive(c, id, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(r.lease_id, id);
    CHECK_EQ(r.ttl, 2);
    uint64_t t0 = test_now_ms();
    anc_test_run_until(&loop, NULL, 0, 3500); /* no more keepalives: it expires */
    CALL(anc_etcd_range(c, "l", false, on_res, &r), r);
    CHECK_EQ(r.n, 0);
    fprintf(stderr, "  key gone %llu ms after the last keepalive (ttl 2 s)\n",
            (unsigned long long)(test_now_ms() - t0));
    CALL(anc_etcd_lease_keepalive(c, id, on_res, &r), r);
    CHECK_EQ(r.err, -ENOENT);
    CALL(anc_etcd_lease_revoke(c, id, on_res, &r), r);
    CHECK_EQ(r.err, -ENOENT);
    /* Revoking a live lease deletes its keys at once. */
    CALL(anc_etcd_lease_grant(c, 60, on_res, &r), r);
    id = r.lease_id;
    CALL(anc_etcd_put(c, "l2", (const uint8_t *)"y", 1, id, on_res, &r), r);
    CALL(anc_etcd_lease_revoke(c, id, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CALL(anc_etcd_range(c, "l2", false, on_res, &r), r);
    CHECK_EQ(r.n, 0);
    finish(c);
}

struct wres {
    int calls, created, ended, err, events;
    int64_t rev;
    char log[1024];
};

static void on_watch(void *arg, int err, int64_t revision, const struct anc_etcd_event *ev,
                     size_t n)
{
    struct wres *w = arg;
    w->calls++;
    w->rev = revision;
    if (err) {
        w->ended++;
        w->err = err;
        return;
    }
    w->created += n == 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(w->log);
        snprintf(w->log + l, sizeof(w->log) - l, "%s %s=%s;",
                 ev[i].type == ANC_ETCD_EV_PUT ? "PUT" : "DEL", ev[i].kv.key,
                 (const char *)ev[i].kv.value);
        w->events++;
    }
}

TEST(watch_order_resume_and_progress)
{
    etcd_up();
    const char *eps[] = {URL};
    struct anc_etcd *c = client(eps, 1, 1000); /* idle limit 2 s */
    struct wres w = {0};
    struct anc_etcd_watch *h;
    CHECK_EQ(anc_etcd_watch(c, "w/", true, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.created, 1, WAIT_MS));
    struct res r;
    CALL(anc_etcd_put(c, "w/1", (const uint8_t *)"a", 1, 0, on_res, &r), r);
    int64_t first = r.revision;
    CALL(anc_etcd_put(c, "w/2", (const uint8_t *)"b", 1, 0, on_res, &r), r);
    CALL(anc_etcd_put(c, "other", (const uint8_t *)"c", 1, 0, on_res, &r), r);
    CALL(anc_etcd_delete(c, "w/1", false, on_res, &r), r);
    CHECK(anc_test_run_until(&loop, &w.events, 3, WAIT_MS));
    CHECK_STREQ(w.log, "PUT w/1=a;PUT w/2=b;DEL w/1=;");
    /* Quiet for longer than the idle limit: etcd's progress notifications keep it alive. */
    anc_test_run_until(&loop, NULL, 0, 3000);
    CHECK_EQ(w.ended, 0);
    anc_etcd_watch_cancel(h);

    struct wres again = {0};
    CHECK_EQ(anc_etcd_watch(c, "w/", true, first, on_watch, &again, &h), 0);
    CHECK(anc_test_run_until(&loop, &again.events, 3, WAIT_MS));
    CHECK_STREQ(again.log, "PUT w/1=a;PUT w/2=b;DEL w/1=;");
    CHECK_EQ(again.ended, 0);
    anc_etcd_watch_cancel(h);
    CHECK_EQ(w.calls, 1 + 3); /* created + one call per put/delete; nothing after cancel */
    finish(c);
}

static void on_compacted(void *arg, int err, int status,
                         const struct anc_http_response_parser *headers, const uint8_t *body,
                         size_t len)
{
    (void)headers, (void)body, (void)len;
    int *done = arg;
    CHECK_EQ(err, 0);
    CHECK_EQ(status, 200);
    (*done)++;
}

TEST(watch_compacted)
{
    etcd_up();
    const char *eps[] = {URL};
    struct anc_etcd *c = client(eps, 1, 0);
    struct res r;
    for (int i = 0; i < 3; i++)
        CALL(anc_etcd_put(c, "cmp/k", (const uint8_t *)"v", 1, 0, on_res, &r), r);
    char body[64];
    snprintf(body, sizeof(body), "{\"revision\":\"%lld\",\"physical\":true}",
             (long long)r.revision);
    int done = 0;
    CHECK_EQ(anc_http_fetch(&loop, URL "/v3/kv/compaction", "POST", NULL, 0, body, strlen(body),
                            3000, on_compacted, &done),
             0);
    CHECK(anc_test_run_until(&loop, &done, 1, WAIT_MS));
    struct wres w = {0};
    struct anc_etcd_watch *h;
    CHECK_EQ(anc_etcd_watch(c, "cmp/", true, 1, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.ended, 1, WAIT_MS));
    CHECK_EQ(w.err, -ERANGE);
    CHECK_EQ(w.rev, r.revision);
    finish(c);
}

TEST(failover)
{
    etcd_up();
    const char *eps[] = {DEAD, URL};
    struct anc_etcd *c = client(eps, 2, 0);
    struct res r;
    uint64_t t0 = test_now_ms();
    CALL(anc_etcd_range(c, "b", false, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    uint64_t t1 = test_now_ms();
    CALL(anc_etcd_range(c, "b", false, on_res, &r), r); /* the good one first now */
    CHECK_EQ(r.err, 0);
    fprintf(stderr, "  range over a dead first endpoint: %llu ms, then %llu ms\n",
            (unsigned long long)(t1 - t0), (unsigned long long)(test_now_ms() - t1));
    struct wres w = {0};
    struct anc_etcd_watch *h;
    CHECK_EQ(anc_etcd_watch(c, "b", false, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.created, 1, WAIT_MS));
    anc_etcd_watch_cancel(h);
    finish(c);

    const char *dead[] = {DEAD, "http://127.0.0.1:2"};
    c = client(dead, 2, 0);
    CALL(anc_etcd_put(c, "x", (const uint8_t *)"y", 1, 0, on_res, &r), r);
    CHECK_EQ(r.err, -ECONNREFUSED);
    memset(&w, 0, sizeof(w));
    CHECK_EQ(anc_etcd_watch(c, "x", false, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.ended, 1, WAIT_MS));
    CHECK_EQ(w.err, -ECONNREFUSED);
    CHECK_EQ(w.calls, 1);
    finish(c);
}

/* A listener that never accepts: connects complete (the backlog), nothing ever answers. */
static int silent_listener(char *url, size_t cap)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    CHECK(s >= 0);
    CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    CHECK_EQ(listen(s, 16), 0);
    CHECK_EQ(getsockname(s, (struct sockaddr *)&a, &l), 0);
    snprintf(url, cap, "http://127.0.0.1:%u", ntohs(a.sin_port));
    return s;
}

TEST(timeouts)
{
    etcd_up();
    char silent[64];
    int s = silent_listener(silent, sizeof(silent));
    const char *eps[] = {silent, URL};
    struct anc_etcd *c = client(eps, 1, 300);
    struct res r;
    uint64_t t0 = test_now_ms();
    CALL(anc_etcd_range(c, "b", false, on_res, &r), r);
    uint64_t took = test_now_ms() - t0;
    CHECK_EQ(r.err, -ETIMEDOUT);
    CHECK(took >= 290 && took < 2000);
    struct wres w = {0};
    struct anc_etcd_watch *h;
    CHECK_EQ(anc_etcd_watch(c, "b", false, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.ended, 1, WAIT_MS));
    CHECK_EQ(w.err, -ETIMEDOUT);
    finish(c);
    /* A silent first endpoint costs one timeout, then the next one answers. */
    c = client(eps, 2, 300);
    t0 = test_now_ms();
    CALL(anc_etcd_range(c, "b", false, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    fprintf(stderr, "  range %llu ms in a call timing out on the first endpoint (300 ms)\n",
            (unsigned long long)(test_now_ms() - t0));
    finish(c);
    close(s);
}

/* A watch peer that answers the headers and the created message, then says nothing. */
static pid_t mute_peer(char *url, size_t cap)
{
    int s = silent_listener(url, cap);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid > 0) {
        close(s);
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int a = accept(s, NULL, NULL);
    char buf[4096];
    if (a < 0 || read(a, buf, sizeof(buf)) <= 0)
        _exit(1);
    const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "35\r\n{\"result\":{\"header\":{\"revision\":\"7\"},\"created\":true}}\r\n";
    if (write(a, resp, strlen(resp)) < 0)
        _exit(1);
    pause();
    _exit(0);
}

TEST(watch_silent_peer)
{
    enter_netns();
    char url[64];
    pid_t peer = mute_peer(url, sizeof(url));
    const char *eps[] = {url};
    struct anc_etcd *c = client(eps, 1, 300);
    struct wres w = {0};
    struct anc_etcd_watch *h;
    uint64_t t0 = test_now_ms();
    CHECK_EQ(anc_etcd_watch(c, "k", false, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.ended, 1, WAIT_MS));
    uint64_t took = test_now_ms() - t0;
    CHECK_EQ(w.created, 1);
    CHECK_EQ(w.rev, 0);
    CHECK_EQ(w.err, -ETIMEDOUT);
    CHECK(took >= 590 && took < 3000); /* 2 x 300 ms without progress */
    fprintf(stderr, "  silent watch peer detected after %llu ms\n", (unsigned long long)took);
    finish(c);
    kill(peer, SIGKILL);
    waitpid(peer, NULL, 0);
}

/* Calls may finish before the close (then their callbacks run); none may run after it. */
static bool closed_now;

static void until_close(void *arg, const struct anc_etcd_result *r)
{
    (void)arg, (void)r;
    CHECK(!closed_now);
}

static void until_close_watch(void *arg, int err, int64_t revision, const struct anc_etcd_event *ev,
                              size_t n)
{
    (void)arg, (void)err, (void)revision, (void)ev, (void)n;
    CHECK(!closed_now);
}

static void never_watch(void *arg, int err, int64_t revision, const struct anc_etcd_event *ev,
                        size_t n)
{
    (void)arg, (void)err, (void)revision, (void)ev, (void)n;
    CHECK(!"a cancelled watch's callback ran");
}

/* Close (and so cancel) at every point of the calls' lives: resolving, connecting, writing,
 * reading. No callback runs after it and the loop closes empty. */
TEST(close_at_any_point)
{
    etcd_up();
    const char *eps[] = {DEAD, URL};
    for (int spins = 0; spins < 40; spins++) {
        struct anc_etcd *c = client(eps, 2, 0);
        struct anc_etcd_watch *h;
        closed_now = false;
        CHECK_EQ(anc_etcd_range(c, "b", true, until_close, NULL), 0);
        CHECK_EQ(anc_etcd_lease_grant(c, 5, until_close, NULL), 0);
        CHECK_EQ(anc_etcd_watch(c, "b", false, 0, until_close_watch, NULL, &h), 0);
        CHECK_EQ(anc_etcd_watch(c, "c", false, 0, never_watch, NULL, &h), 0);
        anc_etcd_watch_cancel(h);
        for (int i = 0; i < spins; i++)
            uv_run(&loop, UV_RUN_NOWAIT);
        closed_now = true;
        finish(c);
    }
}

/* A large binary value (every byte value, 768 KiB): base64 both ways and a body read over many
 * socket reads. */
static size_t big_len;
static bool big_same;
static int big_done;

static void on_big(void *arg, const struct anc_etcd_result *r)
{
    const uint8_t *want = arg;
    big_done++;
    big_len = r->n_kvs == 1 ? r->kvs[0].value_len : 0;
    big_same = big_len && memcmp(r->kvs[0].value, want, big_len) == 0 && !r->kvs[0].value[big_len];
}

TEST(large_binary_value)
{
    etcd_up();
    const char *eps[] = {URL};
    struct anc_etcd *c = client(eps, 1, 0);
    size_t n = 768 * 1024;
    uint8_t *v = malloc(n);
    for (size_t i = 0; i < n; i++)
        v[i] = (uint8_t)(i * 7 + i / 256);
    struct res r;
    CALL(anc_etcd_put(c, "big", v, n, 0, on_res, &r), r);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(anc_etcd_range(c, "big", false, on_big, v), 0);
    CHECK(anc_test_run_until(&loop, &big_done, 1, WAIT_MS));
    CHECK_EQ(big_len, n);
    CHECK(big_same);
    CALL(anc_etcd_delete(c, "big", false, on_res, &r), r);
    free(v);
    finish(c);
}

/* The client closed from inside its own callbacks: a unary one and a watch's. */
static struct anc_etcd *closing_client;
static int closed_inside;

static void close_in_call(void *arg, const struct anc_etcd_result *r)
{
    (void)r;
    (*(int *)arg)++;
    anc_etcd_close(closing_client, on_closed, &closed_inside);
}

static void close_in_watch(void *arg, int err, int64_t revision, const struct anc_etcd_event *ev,
                           size_t n)
{
    (void)err, (void)revision, (void)ev, (void)n;
    (*(int *)arg)++;
    anc_etcd_close(closing_client, on_closed, &closed_inside);
}

static void count_watch(void *arg, int err, int64_t revision, const struct anc_etcd_event *ev,
                        size_t n)
{
    (void)err, (void)revision, (void)ev, (void)n;
    (*(int *)arg)++;
}

TEST(close_from_callbacks)
{
    etcd_up();
    const char *eps[] = {URL};
    for (int kind = 0; kind < 2; kind++) {
        closing_client = client(eps, 1, 0);
        closed_inside = 0;
        int calls = 0, watch_calls = 0;
        struct anc_etcd_watch *h;
        if (kind) {
            CHECK_EQ(anc_etcd_watch(closing_client, "z", false, 0, close_in_watch, &calls, &h), 0);
        } else {
            CHECK_EQ(anc_etcd_watch(closing_client, "z", false, 0, count_watch, &watch_calls, &h),
                     0);
            CHECK_EQ(anc_etcd_range(closing_client, "z", false, close_in_call, &calls), 0);
        }
        CHECK(anc_test_run_until(&loop, &closed_inside, 1, WAIT_MS));
        CHECK_EQ(calls, 1);
        uv_run(&loop, UV_RUN_NOWAIT);
        CHECK_EQ(uv_loop_close(&loop), 0);
    }
}

TEST(etcd_killed)
{
    etcd_up();
    const char *eps[] = {URL};
    struct anc_etcd *c = client(eps, 1, 0);
    struct wres w = {0};
    struct anc_etcd_watch *h;
    CHECK_EQ(anc_etcd_watch(c, "k", true, 0, on_watch, &w, &h), 0);
    CHECK(anc_test_run_until(&loop, &w.created, 1, WAIT_MS));
    uint64_t t0 = test_now_ms();
    kill(etcd.pid, SIGKILL);
    CHECK(anc_test_run_until(&loop, &w.ended, 1, WAIT_MS));
    CHECK(w.err == -ECONNRESET || w.err == -ECONNREFUSED);
    fprintf(stderr, "  watch ended (%s) %llu ms after etcd was killed\n", strerror(-w.err),
            (unsigned long long)(test_now_ms() - t0));
    /* Reaped, its listener is gone for sure (before, a connect may still meet it and be reset). */
    CHECK_EQ(waitpid(etcd.pid, NULL, 0), etcd.pid);
    etcd.pid = 0;
    struct res r;
    CALL(anc_etcd_range(c, "k", false, on_res, &r), r);
    CHECK_EQ(r.err, -ECONNREFUSED);
    finish(c);
    etcd_down();
}
