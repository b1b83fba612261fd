/* The etcd gateway codec and the HTTP client codec, without a network: request bodies as literal
 * JSON, answers captured from etcd 3.4.23, the watch stream split at every byte position. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd.h"
#include "cluster/etcd_uv.h"
#include "http/client.h"
#include "http/client_uv.h"
#include "http/tls_client.h"
#include "test.h"

#define HDR                                                                                        \
    "{\"header\":{\"cluster_id\":\"324952591200643719\",\"revision\":\"%s\",\"raft_term\":\"2\"}"

static const uint8_t *U(const char *s)
{
    return (const uint8_t *)s;
}

TEST(base64_round_trips)
{
    uint8_t in[64], out[64];
    char enc[100];
    for (size_t n = 0; n < sizeof(in); n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(i * 37 + n);
        size_t e = anc_b64_encode(in, n, enc);
        CHECK_EQ(e, 4 * ((n + 2) / 3));
        CHECK_EQ(anc_b64_decode(enc, e, out), (ssize_t)n);
        CHECK(memcmp(in, out, n) == 0);
        CHECK_EQ(out[n], 0);
    }
    anc_b64_encode(U("foo"), 3, enc);
    CHECK_STREQ(enc, "Zm9v");
    anc_b64_encode(U("\xff\xfe"), 2, enc);
    CHECK_STREQ(enc, "//4=");
    CHECK_EQ(anc_b64_decode("YmFy", 4, out), 3);
    CHECK_STREQ((char *)out, "bar");
    CHECK_EQ(anc_b64_decode("YQ==", 4, out), 1);
    CHECK_EQ(anc_b64_decode("YQ=", 3, out), -EBADMSG);
    CHECK_EQ(anc_b64_decode("Y===", 4, out), -EBADMSG);
    CHECK_EQ(anc_b64_decode("YQ=a", 4, out), -EBADMSG);
    CHECK_EQ(anc_b64_decode("YQ==YQ==", 8, out), -EBADMSG);
    CHECK_EQ(anc_b64_decode("Zm9-", 4, out), -EBADMSG);
}

/* got is read after r was computed: the body the call just built. */
static void check_body(int r, char **got, const char *want)
{
    CHECK_EQ(r, 0);
    CHECK_STREQ(*got, want);
    free(*got);
    *got = NULL;
}

TEST(request_bodies)
{
    char *b = NULL;
    check_body(anc_etcd_body_range("foo", false, &b), &b, "{\"key\":\"Zm9v\"}");
    /* "a/" as a prefix ends at "a0"; a key ending in 0xff carries into the byte before. */
    check_body(anc_etcd_body_range("a/", true, &b), &b,
               "{\"key\":\"YS8=\",\"range_end\":\"YTA=\"}");
    check_body(anc_etcd_body_delete("a\xff", true, &b), &b,
               "{\"key\":\"Yf8=\",\"range_end\":\"Yg==\"}");
    check_body(anc_etcd_body_range("\xff", true, &b), &b,
               "{\"key\":\"/w==\",\"range_end\":\"AA==\"}");
    check_body(anc_etcd_body_put("k", U("v"), 1, 0, &b), &b,
               "{\"key\":\"aw==\",\"value\":\"dg==\"}");
    check_body(anc_etcd_body_put("k", NULL, 0, 7587883, &b), &b,
               "{\"key\":\"aw==\",\"value\":\"\",\"lease\":\"7587883\"}");
    check_body(anc_etcd_body_lease_grant(5, &b), &b, "{\"TTL\":\"5\"}");
    check_body(anc_etcd_body_lease_id(2324035815021873418, &b), &b,
               "{\"ID\":\"2324035815021873418\"}");
    check_body(anc_etcd_body_watch("a/", true, 12, &b), &b,
               "{\"create_request\":{\"key\":\"YS8=\",\"range_end\":\"YTA=\",\"start_revision\":"
               "\"12\",\"progress_notify\":true}}");
    check_body(anc_etcd_body_watch("k", false, 0, &b), &b,
               "{\"create_request\":{\"key\":\"aw==\",\"progress_notify\":true}}");
    CHECK_EQ(anc_etcd_body_range("", false, &b), -EINVAL);
    CHECK_EQ(anc_etcd_body_range(NULL, false, &b), -EINVAL);
    CHECK_EQ(anc_etcd_body_put("k", NULL, 3, 0, &b), -EINVAL);
    CHECK_EQ(anc_etcd_body_put("k", U("x"), ANC_ETCD_MAX_VALUE + 1, 0, &b), -EMSGSIZE);
    CHECK_EQ(anc_etcd_body_lease_grant(0, &b), -EINVAL);
    CHECK_EQ(anc_etcd_body_lease_id(0, &b), -EINVAL);
    CHECK_EQ(anc_etcd_body_watch("k", false, -1, &b), -EINVAL);
}

TEST(txn_body)
{
    struct anc_etcd_cmp cmp[] = {
        {.key = "k", .target = ANC_ETCD_MOD, .op = ANC_ETCD_EQ, .number = 5},
        {.key = "v", .target = ANC_ETCD_VALUE, .op = ANC_ETCD_NE, .value = U("x"), .value_len = 1},
        {.key = "c", .target = ANC_ETCD_CREATE, .op = ANC_ETCD_LT, .number = 1},
        {.key = "l", .target = ANC_ETCD_LEASE, .op = ANC_ETCD_GT, .number = 9},
        {.key = "n", .target = ANC_ETCD_VERSION, .op = ANC_ETCD_EQ, .number = 0},
    };
    struct anc_etcd_op then[] = {
        {.type = ANC_ETCD_OP_PUT, .key = "k", .value = U("v"), .value_len = 1, .lease = 3},
        {.type = ANC_ETCD_OP_RANGE, .key = "a/", .prefix = true},
    };
    struct anc_etcd_op otherwise[] = {{.type = ANC_ETCD_OP_DELETE, .key = "k"}};
    char *b = NULL;
    check_body(
        anc_etcd_body_txn(cmp, 5, then, 2, otherwise, 1, &b), &b,
        "{\"compare\":["
        "{\"key\":\"aw==\",\"target\":\"MOD\",\"result\":\"EQUAL\",\"mod_revision\":\"5\"},"
        "{\"key\":\"dg==\",\"target\":\"VALUE\",\"result\":\"NOT_EQUAL\",\"value\":\"eA==\"},"
        "{\"key\":\"Yw==\",\"target\":\"CREATE\",\"result\":\"LESS\",\"create_revision\":\"1\"},"
        "{\"key\":\"bA==\",\"target\":\"LEASE\",\"result\":\"GREATER\",\"lease\":\"9\"},"
        "{\"key\":\"bg==\",\"target\":\"VERSION\",\"result\":\"EQUAL\",\"version\":\"0\"}],"
        "\"success\":[{\"request_put\":{\"key\":\"aw==\",\"value\":\"dg==\",\"lease\":\"3\"}},"
        "{\"request_range\":{\"key\":\"YS8=\",\"range_end\":\"YTA=\"}}],"
        "\"failure\":[{\"request_delete_range\":{\"key\":\"aw==\"}}]}");
    check_body(anc_etcd_body_txn(NULL, 0, NULL, 0, NULL, 0, &b), &b,
               "{\"compare\":[],\"success\":[],\"failure\":[]}");
    struct anc_etcd_cmp bad = {.key = "k", .target = 9};
    CHECK_EQ(anc_etcd_body_txn(&bad, 1, NULL, 0, NULL, 0, &b), -EINVAL);
    struct anc_etcd_op badop = {.type = ANC_ETCD_OP_PUT, .key = ""};
    CHECK_EQ(anc_etcd_body_txn(NULL, 0, &badop, 1, NULL, 0, &b), -EINVAL);
    CHECK_EQ(anc_etcd_body_txn(cmp, ANC_ETCD_MAX_TXN_OPS + 1, NULL, 0, NULL, 0, &b), -E2BIG);
}

static struct anc_etcd_reply parse(enum anc_etcd_call call, int status, const char *body)
{
    struct anc_etcd_reply rep;
    anc_etcd_reply_parse(call, status, U(body), strlen(body), &rep);
    return rep;
}

TEST(range_answers)
{
    char body[1024];
    snprintf(body, sizeof(body),
             HDR ",\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"3\","
                 "\"version\":\"2\",\"value\":\"YmFy\",\"lease\":\"77\"},{\"key\":\"Zm9w\"}],"
                 "\"count\":\"2\"}",
             "9");
    struct anc_etcd_reply rep = parse(ANC_ETCD_CALL_RANGE, 200, body);
    CHECK_EQ(rep.r.err, 0);
    CHECK_EQ(rep.r.revision, 9);
    CHECK_EQ(rep.r.n_kvs, 2);
    CHECK_STREQ(rep.r.kvs[0].key, "foo");
    CHECK_EQ(rep.r.kvs[0].value_len, 3);
    CHECK_STREQ((const char *)rep.r.kvs[0].value, "bar");
    CHECK_EQ(rep.r.kvs[0].create_revision, 2);
    CHECK_EQ(rep.r.kvs[0].mod_revision, 3);
    CHECK_EQ(rep.r.kvs[0].version, 2);
    CHECK_EQ(rep.r.kvs[0].lease, 77);
    CHECK_STREQ(rep.r.kvs[1].key, "fop");
    CHECK_EQ(rep.r.kvs[1].value_len, 0);
    CHECK_EQ(rep.r.kvs[1].value[0], 0);
    anc_etcd_reply_destroy(&rep);

    snprintf(body, sizeof(body), HDR "}", "2");
    rep = parse(ANC_ETCD_CALL_RANGE, 200, body);
    CHECK_EQ(rep.r.err, 0);
    CHECK_EQ(rep.r.n_kvs, 0);
    CHECK_EQ(rep.r.revision, 2);
    anc_etcd_reply_destroy(&rep);

    const char *bad[] = {
        "",
        "[]",
        "{\"header\":{\"revision\":\"x\"}}",
        "{\"header\":{\"revision\":\"\"}}",
        "{\"kvs\":[{\"key\":\"Zm9\"}]}",
        "{\"kvs\":[{\"key\":7}]}",
        "{\"kvs\":{}}",
        "{\"kvs\":[1]}",
        "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"99999999999999999999\"}]}",
        "{\"kvs\":[{\"key\":\"Zm9v\",\"version\":true}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rep = parse(ANC_ETCD_CALL_RANGE, 200, bad[i]);
        CHECK_EQ(rep.r.err, -EPROTO);
        CHECK(rep.r.message && strstr(rep.r.message, "unparsable"));
        CHECK_EQ(rep.r.n_kvs, 0);
        anc_etcd_reply_destroy(&rep);
    }
    rep = parse(ANC_ETCD_CALL_RANGE, 502, "<html>bad gateway</html>");
    CHECK_EQ(rep.r.err, -EPROTO);
    CHECK(strstr(rep.r.message, "HTTP 502"));
    anc_etcd_reply_destroy(&rep);
}

TEST(txn_and_delete_answers)
{
    char body[1024];
    snprintf(body, sizeof(body),
             HDR ",\"succeeded\":true,\"responses\":[{\"response_range\":{\"header\":{\"revision\":"
                 "\"2\"},\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"2\",\"value\":\"YmFy\"}],"
                 "\"count\":\"1\"}},{\"response_delete_range\":{\"header\":{\"revision\":\"3\"},"
                 "\"deleted\":\"1\"}},{\"response_put\":{\"header\":{\"revision\":\"3\"}}},"
                 "{\"response_range\":{\"kvs\":[{\"key\":\"YQ==\"}]}}]}",
             "3");
    struct anc_etcd_reply rep = parse(ANC_ETCD_CALL_TXN, 200, body);
    CHECK_EQ(rep.r.err, 0);
    CHECK(rep.r.succeeded);
    CHECK_EQ(rep.r.revision, 3);
    CHECK_EQ(rep.r.deleted, 1);
    CHECK_EQ(rep.r.n_kvs, 2);
    CHECK_STREQ(rep.r.kvs[0].key, "foo");
    CHECK_STREQ(rep.r.kvs[1].key, "a");
    anc_etcd_reply_destroy(&rep);

    snprintf(body, sizeof(body), HDR ",\"responses\":[{\"response_put\":{}}]}", "4");
    rep = parse(ANC_ETCD_CALL_TXN, 200, body);
    CHECK_EQ(rep.r.err, 0);
    CHECK(!rep.r.succeeded);
    anc_etcd_reply_destroy(&rep);
    rep = parse(ANC_ETCD_CALL_TXN, 200, "{\"responses\":[{\"response_what\":{}}]}");
    CHECK_EQ(rep.r.err, -EPROTO);
    anc_etcd_reply_destroy(&rep);

    snprintf(body, sizeof(body), HDR ",\"deleted\":\"4\"}", "5");
    rep = parse(ANC_ETCD_CALL_DELETE, 200, body);
    CHECK_EQ(rep.r.err, 0);
    CHECK_EQ(rep.r.deleted, 4);
    CHECK_EQ(rep.r.revision, 5);
    anc_etcd_reply_destroy(&rep);
}

TEST(lease_answers)
{
    char body[1024];
    snprintf(body, sizeof(body), HDR ",\"ID\":\"2324035815021873418\",\"TTL\":\"5\"}", "4");
    struct anc_etcd_reply rep = parse(ANC_ETCD_CALL_LEASE_GRANT, 200, body);
    CHECK_EQ(rep.r.err, 0);
    CHECK_EQ(rep.r.lease_id, 2324035815021873418);
    CHECK_EQ(rep.r.ttl, 5);
    anc_etcd_reply_destroy(&rep);
    /* keepalive answers as a stream; a lease that is gone has no TTL. */
    snprintf(body, sizeof(body), "{\"result\":" HDR ",\"ID\":\"12\",\"TTL\":\"7\"}}\n", "4");
    rep = parse(ANC_ETCD_CALL_LEASE_KEEPALIVE, 200, body);
    CHECK_EQ(rep.r.err, 0);
    CHECK_EQ(rep.r.lease_id, 12);
    CHECK_EQ(rep.r.ttl, 7);
    anc_etcd_reply_destroy(&rep);
    snprintf(body, sizeof(body), "{\"result\":" HDR ",\"ID\":\"12345\"}}\n", "4");
    rep = parse(ANC_ETCD_CALL_LEASE_KEEPALIVE, 200, body);
    CHECK_EQ(rep.r.err, -ENOENT);
    CHECK(strstr(rep.r.message, "lease"));
    anc_etcd_reply_destroy(&rep);
    snprintf(body, sizeof(body), HDR ",\"ID\":\"1\",\"TTL\":\"5\",\"error\":\"boom\"}", "4");
    rep = parse(ANC_ETCD_CALL_LEASE_GRANT, 200, body);
    CHECK_EQ(rep.r.err, -EIO);
    CHECK_STREQ(rep.r.message, "boom");
    anc_etcd_reply_destroy(&rep);
}

TEST(gateway_errors)
{
    struct anc_etcd_reply rep = parse(ANC_ETCD_CALL_LEASE_REVOKE, 404,
                                      "{\"error\":\"etcdserver: requested lease not found\","
                                      "\"message\":\"etcdserver: requested lease not found\","
                                      "\"code\":5}");
    CHECK_EQ(rep.r.err, -ENOENT);
    CHECK_STREQ(rep.r.message, "etcdserver: requested lease not found");
    anc_etcd_reply_destroy(&rep);
    rep = parse(ANC_ETCD_CALL_RANGE, 400, "{\"error\":\"unexpected EOF\",\"code\":3}");
    CHECK_EQ(rep.r.err, -EINVAL);
    CHECK_STREQ(rep.r.message, "unexpected EOF");
    anc_etcd_reply_destroy(&rep);
    rep = parse(ANC_ETCD_CALL_RANGE, 400,
                "{\"error\":\"mvcc: required revision has been compacted\",\"code\":11}");
    CHECK_EQ(rep.r.err, -ERANGE);
    anc_etcd_reply_destroy(&rep);
    rep = parse(ANC_ETCD_CALL_LEASE_KEEPALIVE, 503,
                "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"no leader\"}}");
    CHECK_EQ(rep.r.err, -EAGAIN);
    CHECK_STREQ(rep.r.message, "no leader");
    anc_etcd_reply_destroy(&rep);
    rep = parse(ANC_ETCD_CALL_PUT, 500, "{\"error\":\"x\",\"code\":\"13\"}");
    CHECK_EQ(rep.r.err, -EIO);
    anc_etcd_reply_destroy(&rep);
    CHECK_EQ(anc_etcd_grpc_errno(4), -ETIMEDOUT);
    CHECK_EQ(anc_etcd_grpc_errno(99), -EIO);
}

/* ---- the watch stream ---- */

struct seen {
    int msgs, created, events, errs, last_err, stop_after;
    int64_t last_rev;
    char log[2048];
};

static int on_msg(void *arg, const struct anc_etcd_watch_msg *m)
{
    struct seen *s = arg;
    size_t l = strlen(s->log);
    s->msgs++;
    s->created += m->created;
    s->last_rev = m->revision;
    if (m->err) {
        s->errs++;
        s->last_err = m->err;
    }
    for (size_t i = 0; i < m->n; i++) {
        s->events++;
        l += (size_t)snprintf(s->log + l, sizeof(s->log) - l, "%s %s=%s@%lld;",
                              m->ev[i].type == ANC_ETCD_EV_PUT ? "PUT" : "DEL", m->ev[i].kv.key,
                              (const char *)m->ev[i].kv.value, (long long)m->ev[i].kv.mod_revision);
    }
    return s->stop_after && s->msgs >= s->stop_after;
}

/* Captured from etcd 3.4.23's gateway: created, two events in one message, a progress
 * notification, then a cancel for compaction. */
static const char stream[] =
    "{\"result\":{\"header\":{\"cluster_id\":\"3249\",\"revision\":\"5\",\"raft_term\":\"2\"},"
    "\"created\":true}}\n"
    "{\"result\":{\"header\":{\"revision\":\"5\"},\"events\":[{\"kv\":{\"key\":\"Zm9v\","
    "\"create_revision\":\"4\",\"mod_revision\":\"4\",\"version\":\"1\",\"value\":\"YQ==\"}},"
    "{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"5\"}}]}}\n"
    "{\"result\":{\"header\":{\"cluster_id\":\"3249\",\"revision\":\"6\",\"raft_term\":\"2\"}}}\n"
    "{\"result\":{\"header\":{\"cluster_id\":\"3249\",\"raft_term\":\"2\"},\"canceled\":true,"
    "\"compact_revision\":\"3\"}}\n";

static void check_stream_seen(const struct seen *s)
{
    CHECK_EQ(s->msgs, 4);
    CHECK_EQ(s->created, 1);
    CHECK_EQ(s->events, 2);
    CHECK_STREQ(s->log, "PUT foo=a@4;DEL foo=@5;");
    CHECK_EQ(s->errs, 1);
    CHECK_EQ(s->last_err, -ERANGE);
    CHECK_EQ(s->last_rev, 3);
}

TEST(watch_stream_split_everywhere)
{
    size_t n = strlen(stream);
    for (size_t cut = 0; cut <= n; cut++) {
        struct anc_etcd_watch_parser p;
        struct seen s = {0};
        anc_etcd_watch_parser_init(&p, 0);
        CHECK_EQ(anc_etcd_watch_parser_feed(&p, U(stream), cut, on_msg, &s), 0);
        CHECK_EQ(anc_etcd_watch_parser_feed(&p, U(stream) + cut, n - cut, on_msg, &s), 0);
        check_stream_seen(&s);
        anc_etcd_watch_parser_destroy(&p);
    }
    struct anc_etcd_watch_parser p;
    struct seen s = {0};
    anc_etcd_watch_parser_init(&p, 0);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(anc_etcd_watch_parser_feed(&p, U(stream) + i, 1, on_msg, &s), 0);
    check_stream_seen(&s);
    anc_etcd_watch_parser_destroy(&p);
}

TEST(watch_stream_strings_and_stop)
{
    /* Braces and escaped quotes inside strings do not frame. */
    const char *tricky = "{\"result\":{\"header\":{\"revision\":\"8\"},\"x\":\"}{\\\"}\","
                         "\"created\":true}}{\"result\":{\"header\":{\"revision\":\"9\"}}}";
    struct anc_etcd_watch_parser p;
    struct seen s = {.stop_after = 1};
    anc_etcd_watch_parser_init(&p, 0);
    CHECK_EQ(anc_etcd_watch_parser_feed(&p, U(tricky), strlen(tricky), on_msg, &s), 1);
    CHECK_EQ(s.msgs, 1);
    CHECK_EQ(s.last_rev, 8);
    anc_etcd_watch_parser_destroy(&p);
}

static int feed_all(const char *text, size_t max, struct seen *s)
{
    struct anc_etcd_watch_parser p;
    anc_etcd_watch_parser_init(&p, max);
    int r = anc_etcd_watch_parser_feed(&p, U(text), strlen(text), on_msg, s);
    if (r == 0)
        r = anc_etcd_watch_parser_feed(&p, U("{}"), 2, on_msg, s); /* dead stays dead */
    anc_etcd_watch_parser_destroy(&p);
    return r;
}

TEST(watch_stream_errors)
{
    struct seen s = {0};
    CHECK_EQ(feed_all("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"no leader\","
                      "\"http_status\":\"Service Unavailable\"}}",
                      0, &s),
             -EPROTO); /* the error message, then "{}" is not a watch response */
    CHECK_EQ(s.errs, 1);
    CHECK_EQ(s.last_err, -EAGAIN);
    memset(&s, 0, sizeof(s));
    CHECK_EQ(feed_all("{\"error\":\"bad\",\"code\":3}", 0, &s), -EPROTO);
    CHECK_EQ(s.last_err, -EINVAL);
    memset(&s, 0, sizeof(s));
    CHECK_EQ(feed_all("{\"result\":{\"canceled\":true,\"cancel_reason\":\"gone\"}}", 0, &s),
             -EPROTO);
    CHECK_EQ(s.last_err, -ECANCELED);
    CHECK_EQ(feed_all("x{}", 0, &s), -EBADMSG);
    CHECK_EQ(feed_all("{\"result\":{}}]", 0, &s), -EBADMSG);
    CHECK_EQ(feed_all("{\"result\":{\"a\":[}}}", 0, &s), -EBADMSG);
    CHECK_EQ(feed_all("{\"result\":{\"events\":[{\"type\":\"NOPE\",\"kv\":{}}]}}", 0, &s), -EPROTO);
    CHECK_EQ(feed_all("{\"result\":{\"events\":[{\"kv\":{\"key\":\"!!!!\"}}]}}", 0, &s), -EPROTO);
    CHECK_EQ(feed_all("{\"result\":{\"header\":{\"revision\":\"123456789\"}}}", 16, &s), -EMSGSIZE);
}

/* ---- the HTTP client codec ---- */

TEST(http_request_bytes)
{
    struct anc_http_client_header h[] = {{"Content-Type", "application/json"}};
    struct anc_http_client_request r = {.method = "POST",
                                        .host = "127.0.0.1:2379",
                                        .path = "/v3/kv/range",
                                        .headers = h,
                                        .n_headers = 1,
                                        .body = "{}",
                                        .body_len = 2};
    char *out;
    size_t len;
    CHECK_EQ(anc_http_client_serialize(&r, &out, &len), 0);
    const char *want = "POST /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1:2379\r\n"
                       "Connection: close\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2\r\n\r\n{}";
    CHECK_EQ(len, strlen(want));
    CHECK(memcmp(out, want, len) == 0);
    free(out);
    struct anc_http_client_request g = {.method = "GET", .host = "[::1]", .path = "/x"};
    CHECK_EQ(anc_http_client_serialize(&g, &out, &len), 0);
    want = "GET /x HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n";
    CHECK_EQ(len, strlen(want));
    CHECK(memcmp(out, want, len) == 0);
    free(out);
    struct anc_http_client_header evil[] = {{"X", "a\r\nInjected: 1"}};
    r.headers = evil;
    CHECK_EQ(anc_http_client_serialize(&r, &out, &len), -EINVAL);
    r.headers = h;
    r.path = "/a b";
    CHECK_EQ(anc_http_client_serialize(&r, &out, &len), -EINVAL);
    r.path = "/a";
    r.host = "h\n";
    CHECK_EQ(anc_http_client_serialize(&r, &out, &len), -EINVAL);
}

TEST(url_split)
{
    char host[64], port[8];
    const char *path;
    CHECK_EQ(
        anc_http_url_split("http://10.0.0.1:2379", host, sizeof(host), port, sizeof(port), &path),
        0);
    CHECK_STREQ(host, "10.0.0.1");
    CHECK_STREQ(port, "2379");
    CHECK_STREQ(path, "/");
    CHECK_EQ(
        anc_http_url_split("http://[::1]:80/a/b?c", host, sizeof(host), port, sizeof(port), &path),
        0);
    CHECK_STREQ(host, "::1");
    CHECK_STREQ(port, "80");
    CHECK_STREQ(path, "/a/b?c");
    CHECK_EQ(anc_http_url_split("http://etcd/x", host, sizeof(host), port, sizeof(port), &path), 0);
    CHECK_STREQ(host, "etcd");
    CHECK_STREQ(port, "80");
    const char *bad[] = {"https://",      "http://",        "http://:80",  "http://a:",
                         "http://a:0",    "http://a:65536", "http://a:8x", "http://[::1",
                         "http://[::1]x", "http://a b/",    "http://u@h/", "ftp://a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(anc_http_url_split(bad[i], host, sizeof(host), port, sizeof(port), &path),
                 -EINVAL);
}

static ssize_t feed_split(struct anc_http_response_parser *p, const char *text, size_t cut)
{
    size_t n = strlen(text);
    ssize_t a = anc_http_response_parser_feed(p, U(text), cut);
    if (a < 0 || p->complete)
        return a;
    ssize_t b = anc_http_response_parser_feed(p, U(text) + cut, n - cut);
    return b < 0 ? b : a + b;
}

static const char chunked[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\nX-Empty:\r\n\r\n"
                              "5\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: t\r\n\r\n";

TEST(http_response_chunked_split_everywhere)
{
    size_t n = strlen(chunked);
    for (size_t cut = 0; cut <= n; cut++) {
        struct anc_http_response_parser p;
        anc_http_response_parser_init(&p, 1024, NULL, NULL);
        CHECK_EQ(feed_split(&p, chunked, cut), (ssize_t)n);
        CHECK(p.complete);
        CHECK_EQ(p.status, 200);
        CHECK_EQ(p.n_headers, 3);
        CHECK_STREQ(anc_http_response_parser_header(&p, "content-type"), "application/json");
        CHECK_STREQ(anc_http_response_parser_header(&p, "X-Empty"), "");
        CHECK(!anc_http_response_parser_header(&p, "Trailer"));
        CHECK_EQ(p.body_len, 12);
        CHECK_STREQ((const char *)p.body, "hello, world");
        CHECK_EQ(anc_http_response_parser_eof(&p), 0);
        anc_http_response_parser_destroy(&p);
    }
}

static int collect(void *arg, const uint8_t *data, size_t len)
{
    strncat(arg, (const char *)data, len);
    return strstr(arg, "STOP") != NULL;
}

TEST(http_response_streamed)
{
    char got[256] = "";
    struct anc_http_response_parser p;
    anc_http_response_parser_init(&p, 4, collect, got); /* the cap applies to kept bodies only */
    CHECK_EQ(anc_http_response_parser_feed(&p, U(chunked), strlen(chunked)),
             (ssize_t)strlen(chunked));
    CHECK_STREQ(got, "hello, world");
    CHECK_EQ(p.body_len, 0);
    anc_http_response_parser_destroy(&p);
    got[0] = 0;
    const char *stop = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabSTOPdef";
    anc_http_response_parser_init(&p, 0, collect, got);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(stop), strlen(stop)), -ECANCELED);
    anc_http_response_parser_destroy(&p);
}

TEST(http_response_lengths_and_eof)
{
    struct anc_http_response_parser p;
    /* Content-Length: the rest (the next response) is not consumed. */
    const char *two = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\n";
    anc_http_response_parser_init(&p, 1024, NULL, NULL);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(two), strlen(two)), 48);
    CHECK(p.complete);
    CHECK_EQ(p.status, 404);
    CHECK_STREQ((const char *)p.body, "abc");
    CHECK_EQ(anc_http_response_parser_feed(&p, U("x"), 1), 0);
    anc_http_response_parser_destroy(&p);
    /* A HEAD response: a length, no body. */
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    anc_http_response_parser_init(&p, 1024, NULL, NULL);
    p.head = true;
    CHECK_EQ(anc_http_response_parser_feed(&p, U(head), strlen(head)), (ssize_t)strlen(head));
    CHECK(p.complete);
    CHECK_EQ(p.body_len, 0);
    anc_http_response_parser_destroy(&p);
    /* No length: the body ends with the connection. */
    const char *close = "HTTP/1.0 200 OK\r\n\r\nuntil close";
    anc_http_response_parser_init(&p, 1024, NULL, NULL);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(close), strlen(close)), (ssize_t)strlen(close));
    CHECK(!p.complete);
    CHECK_EQ(anc_http_response_parser_eof(&p), 0);
    CHECK_STREQ((const char *)p.body, "until close");
    anc_http_response_parser_destroy(&p);
    /* Truncated: the connection closed before the length. */
    const char *cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    anc_http_response_parser_init(&p, 1024, NULL, NULL);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(cut), strlen(cut)), (ssize_t)strlen(cut));
    CHECK_EQ(anc_http_response_parser_eof(&p), -ECONNRESET);
    anc_http_response_parser_destroy(&p);
}

TEST(http_response_limits)
{
    struct anc_http_response_parser p;
    const char *big = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n12345";
    anc_http_response_parser_init(&p, 4, NULL, NULL);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(big), strlen(big)), -EFBIG);
    CHECK_EQ(anc_http_response_parser_feed(&p, U("x"), 1), -EFBIG); /* sticky */
    anc_http_response_parser_destroy(&p);
    anc_http_response_parser_init(&p, 5, NULL, NULL);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(big), strlen(big)), (ssize_t)strlen(big));
    anc_http_response_parser_destroy(&p);

    char *huge = malloc(ANC_HTTP_CLIENT_MAX_HEADER_BYTES + 100);
    strcpy(huge, "HTTP/1.1 200 OK\r\nX-Big: ");
    size_t l = strlen(huge);
    memset(huge + l, 'a', ANC_HTTP_CLIENT_MAX_HEADER_BYTES);
    huge[l + ANC_HTTP_CLIENT_MAX_HEADER_BYTES] = 0;
    anc_http_response_parser_init(&p, 4, NULL, NULL);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(huge), strlen(huge)), -EMSGSIZE);
    anc_http_response_parser_destroy(&p);
    free(huge);

    char many[8192] = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i <= ANC_HTTP_CLIENT_MAX_HEADERS; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "H%d: v\r\n", i);
    anc_http_response_parser_init(&p, 4, NULL, NULL);
    CHECK_EQ(anc_http_response_parser_feed(&p, U(many), strlen(many)), -EMSGSIZE);
    anc_http_response_parser_destroy(&p);

    const char *bad[] = {"HTTP/1.1 2000 OK\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        anc_http_response_parser_init(&p, 64, NULL, NULL);
        CHECK_EQ(anc_http_response_parser_feed(&p, U(bad[i]), strlen(bad[i])), -EBADMSG);
        anc_http_response_parser_destroy(&p);
    }
}

/* One scheme for every endpoint, https only with trust anchors; the client owns the context
 * from anc_etcd_new on, also when that fails (ASan's leak check proves it is freed). */
TEST(endpoint_schemes)
{
    uv_loop_t l;
    CHECK_EQ(uv_loop_init(&l), 0);
    const char *https[] = {"https://10.0.0.1:2379", "https://etcd.test:2379"};
    const char *mixed[] = {"https://10.0.0.1:2379", "http://10.0.0.2:2379"};
    const char *plain[] = {"http://10.0.0.1:2379"};
    char err[256];
    struct anc_etcd *c = NULL;
    struct anc_etcd_opts o = {.loop = &l, .endpoints = https, .n_endpoints = 2};
    CHECK_EQ(anc_etcd_new(&o, &c), -EINVAL);
    o.tls = anc_tls_client_new(NULL, NULL, NULL, err, sizeof(err));
    CHECK(o.tls != NULL);
    CHECK_EQ(anc_etcd_new(&o, &c), 0);
    anc_etcd_close(c, NULL, NULL);
    o.endpoints = mixed;
    o.tls = anc_tls_client_new(NULL, NULL, NULL, err, sizeof(err));
    CHECK_EQ(anc_etcd_new(&o, &c), -EINVAL);
    o.endpoints = plain;
    o.n_endpoints = 1;
    o.tls = anc_tls_client_new(NULL, NULL, NULL, err, sizeof(err));
    CHECK_EQ(anc_etcd_new(&o, &c), -EINVAL);
    o.tls = NULL;
    CHECK_EQ(anc_etcd_new(&o, &c), 0);
    anc_etcd_close(c, NULL, NULL);
    uv_run(&l, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&l), 0);
}
