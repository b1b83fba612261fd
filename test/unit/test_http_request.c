/* The pure half of the HTTP server: request parser and limits, response serialization, static
 * path normalization, ETags, auth, metrics text, and dispatch (auth → router → static). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/rest.h"
#include "http/router.h"
#include "http/static.h"
#include "http/viewer_tokens.h"
#include "test.h"

#define MAX_BODY 1024

/* Feeds the whole string; returns the first request, or NULL with *err set. *used = consumed. */
static struct anc_http_request *parse_one(struct anc_http_parser *p, const char *s, size_t len,
                                          int *err, size_t *used)
{
    size_t off = 0;
    *err = 0;
    while (off < len && !anc_http_parser_has_request(p)) {
        ssize_t n = anc_http_parser_feed(p, s + off, len - off);
        if (n < 0) {
            *err = (int)n;
            return NULL;
        }
        off += (size_t)n;
        if (n == 0)
            break;
    }
    if (used)
        *used = off;
    return anc_http_parser_take(p);
}

static struct anc_http_request *parse(const char *s, int *err)
{
    struct anc_http_parser p;
    anc_http_parser_init(&p, MAX_BODY);
    struct anc_http_request *req = parse_one(&p, s, strlen(s), err, NULL);
    anc_http_parser_destroy(&p);
    return req;
}

static int parse_err(const char *s)
{
    int err;
    struct anc_http_request *req = parse(s, &err);
    anc_http_request_free(req);
    return err;
}

TEST(simple_get)
{
    int err;
    struct anc_http_request *req =
        parse("GET /api/v1/instances?purge=1&name=a%20b+c&flag HTTP/1.1\r\nHost: x\r\n"
              "AUTHORIZATION: Bearer t\r\nX-Empty:\r\n\r\n",
              &err);
    CHECK(req);
    CHECK_STREQ(req->method, "GET");
    CHECK_STREQ(req->path, "/api/v1/instances");
    CHECK_STREQ(req->target, "/api/v1/instances?purge=1&name=a%20b+c&flag");
    CHECK_STREQ(req->query_string, "purge=1&name=a%20b+c&flag");
    CHECK_STREQ(anc_http_request_query(req, "purge"), "1");
    CHECK_STREQ(anc_http_request_query(req, "name"), "a b c");
    CHECK_STREQ(anc_http_request_query(req, "flag"), "");
    CHECK(anc_http_request_query(req, "nope") == NULL);
    CHECK_STREQ(anc_http_request_header(req, "authorization"), "Bearer t");
    CHECK_STREQ(anc_http_request_header(req, "host"), "x");
    CHECK_STREQ(anc_http_request_header(req, "x-empty"), "");
    CHECK(anc_http_request_header(req, "Cookie") == NULL);
    CHECK(req->keep_alive);
    CHECK(!req->head);
    CHECK_EQ(req->body_len, 0);
    CHECK_EQ(req->http_minor, 1);
    anc_http_request_free(req);
}

TEST(byte_by_byte_equals_whole)
{
    const char *s = "POST /a/b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-Long: "
                    "aaaaaaaaaaaaaaaaaaaa\r\n\r\nhello";
    struct anc_http_parser p;
    anc_http_parser_init(&p, MAX_BODY);
    for (size_t i = 0; s[i]; i++) {
        CHECK(!anc_http_parser_has_request(&p));
        CHECK_EQ(anc_http_parser_feed(&p, s + i, 1), 1);
        if (i > 0 && i < strlen(s) - 6)
            CHECK(anc_http_parser_in_headers(&p));
    }
    CHECK(anc_http_parser_has_request(&p));
    struct anc_http_request *req = anc_http_parser_take(&p);
    CHECK_STREQ(req->path, "/a/b");
    CHECK_STREQ(anc_http_request_header(req, "x-long"), "aaaaaaaaaaaaaaaaaaaa");
    CHECK_EQ(req->body_len, 5);
    CHECK(memcmp(req->body, "hello", 5) == 0);
    anc_http_request_free(req);
    anc_http_parser_destroy(&p);
}

TEST(pipelined_in_one_buffer)
{
    const char *s = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                    "POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /3 HTTP/1.1\r\n\r\n";
    size_t len = strlen(s), off = 0;
    struct anc_http_parser p;
    anc_http_parser_init(&p, MAX_BODY);
    const char *want[] = {"/1", "/2", "/3"};
    for (int i = 0; i < 3; i++) {
        int err;
        size_t used;
        struct anc_http_request *req = parse_one(&p, s + off, len - off, &err, &used);
        CHECK(req);
        CHECK_STREQ(req->path, want[i]);
        if (i == 1)
            CHECK(req->body_len == 3 && memcmp(req->body, "abc", 3) == 0);
        off += used;
        anc_http_request_free(req);
    }
    CHECK_EQ(off, len);
    CHECK(!anc_http_parser_in_message(&p));
    anc_http_parser_destroy(&p);
}

TEST(chunked_body_with_extensions_and_trailer)
{
    int err;
    struct anc_http_request *req =
        parse("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5;name=value\r\nhello\r\n6;x\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
              &err);
    CHECK(req);
    CHECK_EQ(req->body_len, 11);
    CHECK_STREQ((char *)req->body, "hello world");
    CHECK(anc_http_request_header(req, "X-Trailer") == NULL);
    anc_http_request_free(req);
}

TEST(chunked_body_over_limit)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "200\r\n");
        memset(buf + n, 'x', 512);
        n += 512;
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\r\n");
    }
    snprintf(buf + n, sizeof(buf) - (size_t)n, "0\r\n\r\n");
    CHECK_EQ(parse_err(buf), -EFBIG);
}

TEST(content_length_limits_and_conflicts)
{
    CHECK_EQ(parse_err("POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n"), -EFBIG);
    CHECK_EQ(anc_http_parser_error_status(-EFBIG), 413);
    CHECK_EQ(parse_err("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), -EBADMSG);
    CHECK_EQ(parse_err("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), -EBADMSG);
    CHECK_EQ(parse_err("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
             -EBADMSG);
    CHECK_EQ(parse_err("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabc\r\n0\r\n\r\n"),
             -EBADMSG);
    CHECK_EQ(parse_err("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
             -EBADMSG);
    /* Exactly at the limit is fine. */
    char buf[2048];
    int n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nContent-Length: 1024\r\n\r\n");
    memset(buf + n, 'b', 1024);
    buf[n + 1024] = '\0';
    int err;
    struct anc_http_request *req = parse(buf, &err);
    CHECK(req);
    CHECK_EQ(req->body_len, 1024);
    anc_http_request_free(req);
}

TEST(content_length_mismatch_makes_next_request_bad)
{
    /* 3 announced, 5 sent: "de" starts the next request, which is not HTTP. */
    const char *s = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcde\r\n\r\n";
    struct anc_http_parser p;
    anc_http_parser_init(&p, MAX_BODY);
    int err;
    size_t used;
    struct anc_http_request *req = parse_one(&p, s, strlen(s), &err, &used);
    CHECK(req);
    CHECK_EQ(req->body_len, 3);
    anc_http_request_free(req);
    req = parse_one(&p, s + used, strlen(s) - used, &err, &used);
    CHECK(req == NULL);
    CHECK_EQ(err, -EBADMSG);
    anc_http_parser_destroy(&p);
}

TEST(header_limit)
{
    size_t big = ANC_HTTP_MAX_HEADER_BYTES + 100;
    char *s = malloc(big + 100);
    CHECK(s);
    int n = sprintf(s, "GET / HTTP/1.1\r\nX-Big: ");
    memset(s + n, 'a', big);
    strcpy(s + n + big, "\r\n\r\n");
    CHECK_EQ(parse_err(s), -EMSGSIZE);
    CHECK_EQ(anc_http_parser_error_status(-EMSGSIZE), 431);

    /* Also when it arrives in small pieces. */
    struct anc_http_parser p;
    anc_http_parser_init(&p, MAX_BODY);
    ssize_t r = 0;
    for (size_t off = 0; off < strlen(s) && r >= 0; off += 100) {
        size_t len = strlen(s) - off < 100 ? strlen(s) - off : 100;
        r = anc_http_parser_feed(&p, s + off, len);
    }
    CHECK_EQ(r, -EMSGSIZE);
    anc_http_parser_destroy(&p);

    /* Many headers, each small. */
    n = sprintf(s, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < ANC_HTTP_MAX_HEADERS + 1; i++)
        n += sprintf(s + n, "X-%d: v\r\n", i);
    strcpy(s + n, "\r\n");
    CHECK_EQ(parse_err(s), -EMSGSIZE);

    /* A long URL counts too. */
    n = sprintf(s, "GET /");
    memset(s + n, 'u', big);
    strcpy(s + n + big, " HTTP/1.1\r\n\r\n");
    CHECK_EQ(parse_err(s), -EMSGSIZE);
    free(s);
}

TEST(bad_request_lines)
{
    const char *bad[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET / HTTP/9.9.9\r\n\r\n",
        "GET / FOO/1.1\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "GET relative HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int err = parse_err(bad[i]);
        if (err != -EBADMSG)
            fprintf(stderr, "case %zu: %d\n", i, err);
        CHECK_EQ(err, -EBADMSG);
    }
    CHECK_EQ(anc_http_parser_error_status(-EBADMSG), 400);
}

TEST(keep_alive_rules)
{
    struct {
        const char *req;
        bool keep;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err;
        struct anc_http_request *req = parse(cases[i].req, &err);
        CHECK(req);
        CHECK_EQ(req->keep_alive, cases[i].keep);
        anc_http_request_free(req);
    }
}

TEST(absolute_form_and_expect)
{
    struct anc_http_parser p;
    anc_http_parser_init(&p, MAX_BODY);
    const char *s = "POST http://example.com/api/v1/x?y=2 HTTP/1.1\r\nExpect: 100-continue\r\n"
                    "Content-Length: 2\r\n\r\n";
    CHECK_EQ(anc_http_parser_feed(&p, s, strlen(s)), (ssize_t)strlen(s));
    CHECK(p.expect_continue);
    CHECK(!anc_http_parser_in_headers(&p));
    CHECK(anc_http_parser_in_message(&p));
    CHECK_EQ(anc_http_parser_feed(&p, "ok", 2), 2);
    struct anc_http_request *req = anc_http_parser_take(&p);
    CHECK(req);
    CHECK_STREQ(req->path, "/api/v1/x");
    CHECK_STREQ(anc_http_request_query(req, "y"), "2");
    anc_http_request_free(req);
    anc_http_parser_destroy(&p);
}

TEST(percent_decode)
{
    char out[32];
    CHECK_EQ(anc_http_percent_decode("a%2Fb%2e", 8, out, false), 4);
    CHECK_STREQ(out, "a/b.");
    CHECK_EQ(anc_http_percent_decode("a+b", 3, out, true), 3);
    CHECK_STREQ(out, "a b");
    CHECK_EQ(anc_http_percent_decode("a+b", 3, out, false), 3);
    CHECK_STREQ(out, "a+b");
    CHECK_EQ(anc_http_percent_decode("%", 1, out, false), -EINVAL);
    CHECK_EQ(anc_http_percent_decode("%4", 2, out, false), -EINVAL);
    CHECK_EQ(anc_http_percent_decode("%g0", 3, out, false), -EINVAL);
    CHECK_EQ(anc_http_percent_decode("x%00y", 5, out, false), 3);
}

/* ---- responses ---- */

TEST(response_head)
{
    struct anc_http_response res;
    anc_http_response_init(&res);
    CHECK_EQ(anc_http_response_set(&res, 200, "text/plain", "hi", 2), 0);
    CHECK_EQ(anc_http_response_header(&res, "Location", "/x"), 0);
    CHECK_EQ(anc_http_response_header(&res, "Bad", "a\r\nInjected: 1"), -EINVAL);
    CHECK_EQ(anc_http_response_header(&res, "Bad:Name", "v"), -EINVAL);
    char *head;
    size_t len;
    CHECK_EQ(anc_http_response_head(&res, true, false, 0, &head, &len), 0);
    CHECK_STREQ(head, "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                      "Server: " ANC_HTTP_SERVER_NAME "\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 2\r\nLocation: /x\r\n\r\n");
    CHECK_EQ(len, strlen(head));
    free(head);
    CHECK(anc_http_response_sends_body(&res, false));
    CHECK(!anc_http_response_sends_body(&res, true));

    CHECK_EQ(anc_http_response_head(&res, false, false, 0, &head, &len), 0);
    CHECK(strstr(head, "Connection: close\r\n"));
    free(head);
    CHECK_EQ(anc_http_response_head(&res, true, true, 0, &head, &len), 0);
    CHECK(strstr(head, "Connection: keep-alive\r\n"));
    free(head);

    /* 304: no type, no body; the length only when given. 204: no length. */
    CHECK_EQ(anc_http_response_set(&res, 304, "text/plain", NULL, 0), 0);
    CHECK_EQ(anc_http_response_head(&res, true, false, 0, &head, &len), 0);
    CHECK(!strstr(head, "Content-Length") && !strstr(head, "Content-Type"));
    free(head);
    res.status = 204;
    CHECK_EQ(anc_http_response_head(&res, true, false, 0, &head, &len), 0);
    CHECK(!strstr(head, "Content-Length"));
    free(head);
    anc_http_response_destroy(&res);
    anc_http_response_destroy(NULL);
}

TEST(error_json)
{
    struct anc_http_response res;
    anc_http_response_init(&res);
    CHECK_EQ(anc_http_response_error(&res, 413, NULL, NULL), 0);
    CHECK_EQ(res.status, 413);
    CHECK_STREQ(res.content_type, "application/json");
    CHECK_STREQ((char *)res.body,
                "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"Payload Too Large\"}}\n");
    anc_http_response_destroy(&res);
    CHECK_STREQ(anc_http_error_code(431), "headers_too_large");
    CHECK_STREQ(anc_http_error_code(503), "unavailable");
    CHECK_STREQ(anc_http_error_code(405), "method_not_allowed");
    CHECK_STREQ(anc_http_error_code(401), "unauthorized");
}

/* ---- static files ---- */

TEST(static_normalize)
{
    struct {
        const char *in, *out;
    } ok[] = {
        {"/", "index.html"},           {"/index.html", "index.html"},
        {"/js/app.js", "js/app.js"},   {"//js///app.js", "js/app.js"},
        {"/js/", "js/index.html"},     {"/a%20b.txt", "a b.txt"},
        {"/file..name", "file..name"},
    };
    char out[PATH_MAX];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        CHECK_EQ(anc_http_static_normalize(ok[i].in, out, sizeof(out)), 0);
        CHECK_STREQ(out, ok[i].out);
    }
    const char *bad[] = {"/..",      "/../etc/passwd", "/js/../../x", "/%2e%2e/x",  "/%2E%2E/x",
                         "/.%2e/x",  "/a%2f..%2fb",    "/a%2Fb",      "/a%00.html", "/a%5c..%5cb",
                         "/.hidden", "/./x",           "relative",    "/%",         "/%zz",
                         "/js/%2e"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = anc_http_static_normalize(bad[i], out, sizeof(out));
        if (r != -ENOENT)
            fprintf(stderr, "case %s: %d (%s)\n", bad[i], r, out);
        CHECK_EQ(r, -ENOENT);
    }
    CHECK_EQ(anc_http_static_normalize("/abc", out, 3), -ENAMETOOLONG);
}

TEST(static_mime)
{
    CHECK_STREQ(anc_http_static_mime("index.html"), "text/html; charset=utf-8");
    CHECK_STREQ(anc_http_static_mime("js/app.js"), "text/javascript; charset=utf-8");
    CHECK_STREQ(anc_http_static_mime("js/app.mjs"), "text/javascript; charset=utf-8");
    CHECK_STREQ(anc_http_static_mime("a.CSS"), "text/css; charset=utf-8");
    CHECK_STREQ(anc_http_static_mime("a.json"), "application/json");
    CHECK_STREQ(anc_http_static_mime("manifest.webmanifest"), "application/manifest+json");
    CHECK_STREQ(anc_http_static_mime("i.svg"), "image/svg+xml");
    CHECK_STREQ(anc_http_static_mime("i.png"), "image/png");
    CHECK_STREQ(anc_http_static_mime("favicon.ico"), "image/x-icon");
    CHECK_STREQ(anc_http_static_mime("m.wasm"), "application/wasm");
    CHECK_STREQ(anc_http_static_mime("r.txt"), "text/plain; charset=utf-8");
    CHECK_STREQ(anc_http_static_mime("noext"), "application/octet-stream");
    CHECK_STREQ(anc_http_static_mime("dir.js/noext"), "application/octet-stream");
}

TEST(etag_match)
{
    const char *e = "\"1-2-3\"";
    CHECK(anc_http_etag_match("\"1-2-3\"", e));
    CHECK(anc_http_etag_match("W/\"1-2-3\"", e));
    CHECK(anc_http_etag_match("\"x\", \"1-2-3\"", e));
    CHECK(anc_http_etag_match("*", e));
    CHECK(!anc_http_etag_match("\"1-2-4\"", e));
    CHECK(!anc_http_etag_match("", e));
    CHECK(!anc_http_etag_match("1-2-3", e));
}

/* ---- auth, metrics, dispatch ---- */

TEST(auth)
{
    CHECK(anc_http_auth_ok("tok", "Bearer tok"));
    CHECK(anc_http_auth_ok("tok", "bearer   tok  "));
    CHECK(!anc_http_auth_ok("tok", "Bearer tok2"));
    CHECK(!anc_http_auth_ok("tok", "Bearer to"));
    CHECK(!anc_http_auth_ok("tok", "Bearertok"));
    CHECK(!anc_http_auth_ok("tok", "Basic tok"));
    CHECK(!anc_http_auth_ok("tok", NULL));
    CHECK(!anc_http_auth_ok("", "Bearer "));
}

TEST(metrics_text)
{
    struct anc_metrics *m = anc_metrics_new();
    struct anc_metric *a = anc_metrics_counter(m, "x_total", NULL, "Things.\nMore");
    struct anc_metric *b = anc_metrics_counter(m, "req_total", "code=\"200\"", "Requests.");
    struct anc_metric *c = anc_metrics_counter(m, "req_total", "code=\"404\"", "ignored");
    struct anc_metric *g = anc_metrics_gauge(m, "temp", NULL, NULL);
    CHECK(a && b && c && g && b != c);
    CHECK(anc_metrics_counter(m, "req_total", "code=\"200\"", NULL) == b);
    CHECK(anc_metrics_gauge(m, "req_total", NULL, NULL) == NULL); /* type clash */
    CHECK(anc_metrics_counter(m, "bad name", NULL, NULL) == NULL);
    CHECK(anc_metrics_counter(m, "9bad", NULL, NULL) == NULL);
    anc_metric_inc(a);
    anc_metric_add(b, 41);
    anc_metric_inc(b);
    anc_metric_set(g, 1.5);
    anc_metric_inc(NULL);
    CHECK(anc_metric_value(b) == 42);
    char *text;
    size_t len;
    CHECK_EQ(anc_metrics_render(m, &text, &len), 0);
    CHECK_STREQ(text, "# HELP x_total Things.\\nMore\n# TYPE x_total counter\nx_total 1\n"
                      "# HELP req_total Requests.\n# TYPE req_total counter\n"
                      "req_total{code=\"200\"} 42\nreq_total{code=\"404\"} 0\n"
                      "# TYPE temp gauge\ntemp 1.5\n");
    CHECK_EQ(len, strlen(text));
    free(text);
    anc_metrics_free(m);
    anc_metrics_free(NULL);
}

static char web_dir[PATH_MAX];

static void write_file(const char *rel, const char *text)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/%s", web_dir, rel);
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs(text, f);
    fclose(f);
}

static int deferred_handler(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    *(struct anc_http_request **)user = req;
    return ANC_HTTP_DEFERRED;
}

static int echo_handler(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    return anc_http_response_set(res, 200, "text/plain", anc_http_request_param(req, "id"),
                                 strlen(anc_http_request_param(req, "id")));
}

static int run(const struct anc_http_site *site, const char *text, struct anc_http_response *res)
{
    int err;
    struct anc_http_request *req = parse(text, &err);
    CHECK(req);
    req->now_ms = 5500;
    anc_http_response_init(res);
    int r = anc_http_admit(site, req, res);
    if (r != 0) {
        anc_http_request_free(req);
        return r;
    }
    r = anc_http_dispatch(site, req, res);
    if (r != ANC_HTTP_DEFERRED)
        anc_http_request_free(req);
    return r == ANC_HTTP_DEFERRED ? -1 : res->status;
}

static struct {
    int calls, status;
} sunk;

static void sink(void *ctx, struct anc_http_request *req, struct anc_http_response *res)
{
    sunk.calls++;
    sunk.status = res->status;
}

static int aborted;
static void on_abort(struct anc_http_request *req, void *user)
{
    aborted++;
}

TEST(dispatch)
{
    snprintf(web_dir, sizeof(web_dir), "/tmp/anc-test-http-XXXXXX");
    CHECK(mkdtemp(web_dir));
    write_file("index.html", "<p>hi</p>");
    struct anc_http_request *held = NULL;
    struct anc_http_site site = {.router = anc_http_router_new(),
                                 .metrics = anc_metrics_new(),
                                 .token = "sekrit",
                                 .web_dir = web_dir,
                                 .started_ms = 500};
    CHECK_EQ(anc_http_rest_register(&site), 0);
    CHECK_EQ(anc_http_router_add(site.router, "POST", "/api/v1/slow", deferred_handler, &held, 0),
             0);
    CHECK_EQ(anc_http_router_add(site.router, "GET", "/api/v1/echo/{id}", echo_handler, NULL, 0),
             0);
    struct anc_http_response res;
    CHECK_EQ(run(&site, "GET /api/v1/health HTTP/1.1\r\n\r\n", &res), 200);
    CHECK_STREQ((char *)res.body,
                "{\"status\":\"ok\",\"version\":\"" ANC_VERSION "\",\"uptime_s\":5}\n");
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&site, "GET /metrics HTTP/1.1\r\n\r\n", &res), 401);
    CHECK(strstr(res.headers, "WWW-Authenticate: Bearer"));
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&site, "GET /metrics HTTP/1.1\r\nAuthorization: Bearer sekrit\r\n\r\n", &res),
             200);
    CHECK(strstr((char *)res.body, "ancloud_uptime_seconds 5\n"));
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&site, "GET /api/v1/nothing HTTP/1.1\r\n\r\n", &res), 401);
    anc_http_response_destroy(&res);
    CHECK_EQ(
        run(&site, "GET /api/v1/nothing HTTP/1.1\r\nAuthorization: Bearer sekrit\r\n\r\n", &res),
        404);
    CHECK(strstr((char *)res.body, "\"not_found\""));
    anc_http_response_destroy(&res);
    CHECK_EQ(
        run(&site, "DELETE /api/v1/health HTTP/1.1\r\nAuthorization: Bearer sekrit\r\n\r\n", &res),
        405);
    CHECK(strstr(res.headers, "Allow: GET, HEAD\r\n"));
    anc_http_response_destroy(&res);
    CHECK_EQ(
        run(&site, "GET /api/v1/echo/a%2Fb HTTP/1.1\r\nAuthorization: Bearer sekrit\r\n\r\n", &res),
        200);
    CHECK_STREQ((char *)res.body, "a/b");
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&site, "GET / HTTP/1.1\r\n\r\n", &res), 200);
    CHECK_STREQ((char *)res.body, "<p>hi</p>");
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&site, "GET /missing.js HTTP/1.1\r\n\r\n", &res), 404);
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&site, "POST / HTTP/1.1\r\n\r\n", &res), 405);
    anc_http_response_destroy(&res);

    /* Deferred: the handler keeps req; respond later reaches the sink once. */
    CHECK_EQ(run(&site, "POST /api/v1/slow HTTP/1.1\r\nAuthorization: Bearer sekrit\r\n\r\n", &res),
             -1);
    CHECK(held);
    held->sink = sink;
    struct anc_http_response later;
    anc_http_response_init(&later);
    anc_http_response_error(&later, 503, NULL, NULL);
    anc_http_respond(held, &later);
    CHECK_EQ(sunk.calls, 1);
    CHECK_EQ(sunk.status, 503);
    /* Deferred, then the connection goes: abort runs, the late answer is dropped. */
    held = NULL;
    CHECK_EQ(run(&site, "POST /api/v1/slow HTTP/1.1\r\nAuthorization: Bearer sekrit\r\n\r\n", &res),
             -1);
    held->sink = sink;
    anc_http_request_on_abort(held, on_abort, NULL);
    CHECK(anc_http_request_connected(held));
    anc_http_request_detach(held);
    CHECK_EQ(aborted, 1);
    CHECK(!anc_http_request_connected(held));
    anc_http_response_init(&later);
    anc_http_response_set(&later, 200, "text/plain", "x", 1);
    anc_http_respond(held, &later);
    CHECK_EQ(sunk.calls, 1);

    anc_http_router_free(site.router);
    anc_metrics_free(site.metrics);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", web_dir);
    CHECK_EQ(system(cmd), 0);
}

/* Who the handler sees: "admin", or the viewer token's role and instance. */
static int who_handler(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    char text[80];
    snprintf(text, sizeof(text), "%s %s", req->admin ? "admin" : anc_vt_role_name(req->viewer.role),
             req->viewer.instance);
    return anc_http_response_set(res, 200, "text/plain", text, strlen(text));
}

static int run_bearer(const struct anc_http_site *site, const char *target, const char *token,
                      struct anc_http_response *res)
{
    char text[600];
    snprintf(text, sizeof(text), "POST %s HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n", target,
             token);
    return run(site, text, res);
}

/* A viewer token opens only ANC_HTTP_ROUTE_VIEWER routes, only of its own instance, only while it
 * verifies, has not expired and is not revoked; the handler learns who called. */
TEST(viewer_tokens_open_only_their_routes)
{
    char dir[] = "/tmp/anc-test-vt-XXXXXX", cmd[64];
    CHECK(mkdtemp(dir));
    struct anc_vtokens *vt;
    int64_t now = (int64_t)time(NULL);
    CHECK_EQ(anc_vtokens_open(dir, now, &vt), 0);
    struct anc_http_site site = {.router = anc_http_router_new(),
                                 .metrics = anc_metrics_new(),
                                 .token = "sekrit",
                                 .web_dir = "/nonexistent",
                                 .viewer_tokens = vt};
    CHECK_EQ(anc_http_router_add(site.router, "POST", "/api/v1/instances/{id}/whep", who_handler,
                                 NULL, ANC_HTTP_ROUTE_VIEWER),
             0);
    CHECK_EQ(anc_http_router_add(site.router, "POST", "/api/v1/sessions/{sid}/control", who_handler,
                                 NULL, ANC_HTTP_ROUTE_VIEWER),
             0);
    CHECK_EQ(anc_http_router_add(site.router, "POST", "/api/v1/instances/{id}/start", who_handler,
                                 NULL, 0),
             0);
    char t[ANC_VT_MAX_LEN + 1], gone[ANC_VT_MAX_LEN + 1], old[ANC_VT_MAX_LEN + 1];
    char bad[ANC_VT_MAX_LEN + 1];
    struct anc_vt_claims c, cg, co;
    CHECK_EQ(anc_vtokens_issue(vt, "aaaa", ANC_VT_CONTROL, 600, now, t, &c), 0);
    CHECK_EQ(anc_vtokens_issue(vt, "aaaa", ANC_VT_VIEW, 600, now, gone, &cg), 0);
    CHECK_EQ(anc_vtokens_issue(vt, "aaaa", ANC_VT_VIEW, 5, now - 100, old, &co), 0); /* expired */
    struct anc_http_response res;

    CHECK_EQ(run_bearer(&site, "/api/v1/instances/aaaa/whep", t, &res), 200);
    CHECK(res.body_len == 12 && memcmp(res.body, "control aaaa", 12) == 0);
    anc_http_response_destroy(&res);
    CHECK_EQ(run_bearer(&site, "/api/v1/instances/aaaa/whep", "sekrit", &res), 200);
    CHECK(res.body_len == 6 && memcmp(res.body, "admin ", 6) == 0);
    anc_http_response_destroy(&res);
    CHECK_EQ(run_bearer(&site, "/api/v1/sessions/0123456789abcdef/control", t, &res), 200);
    anc_http_response_destroy(&res);

    CHECK_EQ(run_bearer(&site, "/api/v1/instances/bbbb/whep", t, &res), 401); /* other instance */
    anc_http_response_destroy(&res);
    /* Not a viewer route: */
    CHECK_EQ(run_bearer(&site, "/api/v1/instances/aaaa/start", t, &res), 401);
    anc_http_response_destroy(&res);
    CHECK_EQ(run_bearer(&site, "/api/v1/instances/aaaa/whep", old, &res), 401); /* expired */
    anc_http_response_destroy(&res);
    memcpy(bad, t, sizeof(bad));
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    CHECK_EQ(run_bearer(&site, "/api/v1/instances/aaaa/whep", bad, &res), 401); /* tampered */
    anc_http_response_destroy(&res);
    CHECK_EQ(run_bearer(&site, "/api/v1/instances/aaaa/whep", gone, &res), 200);
    anc_http_response_destroy(&res);
    CHECK_EQ(anc_vtokens_revoke(vt, "aaaa", cg.id, now), 0);
    CHECK_EQ(run_bearer(&site, "/api/v1/instances/aaaa/whep", gone, &res), 401); /* revoked */
    anc_http_response_destroy(&res);
    CHECK_EQ(run_bearer(&site, "/api/v1/nothing", t, &res), 401);
    anc_http_response_destroy(&res);

    anc_http_router_free(site.router);
    anc_metrics_free(site.metrics);
    anc_vtokens_free(vt);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
}
