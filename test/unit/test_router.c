/* Router: literal and {param} segments, specificity, 404/405 with Allow, HEAD via GET. */
#include <errno.h>

#include "http/router.h"
#include "test.h"

static int h_a(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    return 0;
}

static int h_b(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    return 0;
}

static struct anc_http_router *make(void)
{
    struct anc_http_router *r = anc_http_router_new();
    CHECK(r);
    CHECK_EQ(anc_http_router_add(r, "GET", "/api/v1/health", h_a, NULL, ANC_HTTP_ROUTE_PUBLIC), 0);
    CHECK_EQ(anc_http_router_add(r, "GET", "/api/v1/instances", h_a, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "POST", "/api/v1/instances", h_b, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "GET", "/api/v1/instances/{id}", h_a, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "DELETE", "/api/v1/instances/{id}", h_b, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "POST", "/api/v1/instances/{id}/start", h_a, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "POST", "/api/v1/instances/{id}/whep", h_b, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "GET", "/api/v1/instances/new", h_b, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "DELETE", "/api/v1/sessions/{sid}", h_a, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "GET", "/x/{a}/y/{b}", h_a, NULL, 0), 0);
    return r;
}

TEST(add_rejects_bad_patterns_and_duplicates)
{
    struct anc_http_router *r = make();
    CHECK_EQ(anc_http_router_add(r, "GET", "/api/v1/health", h_b, NULL, 0), -EEXIST);
    CHECK_EQ(anc_http_router_add(r, "GET", "relative", h_b, NULL, 0), -EINVAL);
    CHECK_EQ(anc_http_router_add(r, "GET", "/a/{b", h_b, NULL, 0), -EINVAL);
    CHECK_EQ(anc_http_router_add(r, "GET", "/a/x{b}", h_b, NULL, 0), -EINVAL);
    CHECK_EQ(anc_http_router_add(r, "GET", "/a/{}", h_b, NULL, 0), -EINVAL);
    CHECK_EQ(anc_http_router_add(r, "", "/a", h_b, NULL, 0), -EINVAL);
    CHECK_EQ(anc_http_router_add(r, "GET", "/a", NULL, NULL, 0), -EINVAL);
    anc_http_router_free(r);
    anc_http_router_free(NULL);
}

TEST(literal_match)
{
    struct anc_http_router *r = make();
    struct anc_http_match m;
    CHECK_EQ(anc_http_router_match(r, "GET", "/api/v1/health", &m), 200);
    CHECK(m.route->flags & ANC_HTTP_ROUTE_PUBLIC);
    CHECK_EQ(m.n_params, 0);
    anc_http_match_destroy(&m);
    CHECK_EQ(anc_http_router_match(r, "POST", "/api/v1/instances", &m), 200);
    CHECK(m.route->fn == h_b);
    anc_http_match_destroy(&m);
    anc_http_router_free(r);
}

TEST(params)
{
    struct anc_http_router *r = make();
    struct anc_http_match m;
    CHECK_EQ(anc_http_router_match(r, "POST", "/api/v1/instances/abc-1/start", &m), 200);
    CHECK_EQ(m.n_params, 1);
    CHECK_STREQ(m.params[0].name, "id");
    CHECK_STREQ(m.params[0].value, "abc-1");
    anc_http_match_destroy(&m);

    /* Values are percent-decoded. */
    CHECK_EQ(anc_http_router_match(r, "POST", "/api/v1/instances/a%20b/whep", &m), 200);
    CHECK(m.route->fn == h_b);
    CHECK_STREQ(m.params[0].value, "a b");
    anc_http_match_destroy(&m);

    CHECK_EQ(anc_http_router_match(r, "GET", "/x/1/y/2", &m), 200);
    CHECK_EQ(m.n_params, 2);
    CHECK_STREQ(m.params[0].name, "a");
    CHECK_STREQ(m.params[0].value, "1");
    CHECK_STREQ(m.params[1].name, "b");
    CHECK_STREQ(m.params[1].value, "2");

    /* Moving the params into a request. */
    struct anc_http_request *req = anc_http_request_new();
    anc_http_match_move_params(&m, req);
    CHECK_EQ(m.n_params, 0);
    CHECK_STREQ(anc_http_request_param(req, "b"), "2");
    CHECK(anc_http_request_param(req, "c") == NULL);
    anc_http_request_free(req);
    anc_http_match_destroy(&m);
    anc_http_router_free(r);
}

TEST(literal_beats_param)
{
    struct anc_http_router *r = make();
    struct anc_http_match m;
    CHECK_EQ(anc_http_router_match(r, "GET", "/api/v1/instances/new", &m), 200);
    CHECK(m.route->fn == h_b);
    CHECK_EQ(m.n_params, 0);
    anc_http_match_destroy(&m);
    CHECK_EQ(anc_http_router_match(r, "GET", "/api/v1/instances/old", &m), 200);
    CHECK(m.route->fn == h_a);
    CHECK_STREQ(m.params[0].value, "old");
    anc_http_match_destroy(&m);
    anc_http_router_free(r);
}

TEST(not_found)
{
    struct anc_http_router *r = make();
    struct anc_http_match m;
    const char *paths[] = {"/api/v1/nothing",
                           "/api/v1/instances/x/stop",
                           "/api/v1/instances//start",
                           "/api/v1/health/",
                           "/api/v1/instances/",
                           "/",
                           "",
                           "/api/v1/instances/a%00b",
                           "/api/v1/instances/%zz"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int st = anc_http_router_match(r, "GET", paths[i], &m);
        if (st != 404)
            fprintf(stderr, "path %s: %d\n", paths[i], st);
        CHECK_EQ(st, 404);
        CHECK(m.route == NULL);
        anc_http_match_destroy(&m);
    }
    anc_http_router_free(r);
}

TEST(method_not_allowed_lists_allow)
{
    struct anc_http_router *r = make();
    struct anc_http_match m;
    CHECK_EQ(anc_http_router_match(r, "PUT", "/api/v1/instances", &m), 405);
    CHECK_STREQ(m.allow, "GET, HEAD, POST");
    anc_http_match_destroy(&m);
    CHECK_EQ(anc_http_router_match(r, "POST", "/api/v1/instances/7", &m), 405);
    CHECK_STREQ(m.allow, "GET, HEAD, DELETE");
    anc_http_match_destroy(&m);
    CHECK_EQ(anc_http_router_match(r, "GET", "/api/v1/instances/7/start", &m), 405);
    CHECK_STREQ(m.allow, "POST");
    anc_http_match_destroy(&m);
    anc_http_router_free(r);
}

TEST(head_uses_get)
{
    struct anc_http_router *r = make();
    struct anc_http_match m;
    CHECK_EQ(anc_http_router_match(r, "HEAD", "/api/v1/instances/9", &m), 200);
    CHECK(m.route->fn == h_a);
    CHECK_STREQ(m.params[0].value, "9");
    anc_http_match_destroy(&m);
    CHECK_EQ(anc_http_router_match(r, "HEAD", "/api/v1/sessions/9", &m), 405);
    anc_http_match_destroy(&m);
    anc_http_router_free(r);
}

TEST(empty_router)
{
    struct anc_http_router *r = anc_http_router_new();
    struct anc_http_match m;
    CHECK_EQ(anc_http_router_match(r, "GET", "/", &m), 404);
    CHECK(!m.path_known);
    anc_http_router_free(r);
}

/* The credential a request needs, from method and path alone (decided at headers-complete). */
TEST(auth_kind)
{
    struct anc_http_router *r = make();
    CHECK_EQ(anc_http_router_auth(r, "GET", "/api/v1/health"), ANC_HTTP_AUTH_NONE);
    CHECK_EQ(anc_http_router_auth(r, "HEAD", "/api/v1/health"), ANC_HTTP_AUTH_NONE);
    /* Another method on a public path, an unknown /api path: the admin token (401 before 405). */
    CHECK_EQ(anc_http_router_auth(r, "POST", "/api/v1/health"), ANC_HTTP_AUTH_ADMIN);
    CHECK_EQ(anc_http_router_auth(r, "POST", "/api/v1/nothing"), ANC_HTTP_AUTH_ADMIN);
    CHECK_EQ(anc_http_router_auth(r, "GET", "/api"), ANC_HTTP_AUTH_ADMIN);
    CHECK_EQ(anc_http_router_auth(r, "POST", "/api/v1/instances/7/whep"), ANC_HTTP_AUTH_ADMIN);
    CHECK_EQ(anc_http_router_auth(r, "GET", "/api/v1/instances/new"), ANC_HTTP_AUTH_ADMIN);
    /* Outside /api: a routed path needs the token; anything else is a static file. */
    CHECK_EQ(anc_http_router_auth(r, "GET", "/x/1/y/2"), ANC_HTTP_AUTH_ADMIN);
    CHECK_EQ(anc_http_router_auth(r, "GET", "/index.html"), ANC_HTTP_AUTH_NONE);
    CHECK_EQ(anc_http_router_auth(r, "POST", "/apiary"), ANC_HTTP_AUTH_NONE);
    CHECK_EQ(anc_http_router_auth(NULL, "GET", "/api/v1/health"), ANC_HTTP_AUTH_ADMIN);
    anc_http_router_free(r);
}
