/* The REST layer in a cluster: a WHEP offer on a node that does not run the instance answers 307
 * to the owner with a redirect token that the owner (sharing the key) accepts from the query;
 * CORS on the WHEP routes only, and their OPTIONS preflight. Two sites play nodes B and C. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/rest.h"
#include "http/router.h"
#include "http/viewer_tokens.h"
#include "test.h"

#define OWNER "http://10.1.0.3:8080/"

/* The fake cluster: "aaaa" runs on OWNER, "bbbb" here, "cccc" on a node nobody can name now. */
static int owner_url(void *arg, const char *instance_id, char *url, size_t len)
{
    (*(int *)arg)++;
    if (strcmp(instance_id, "aaaa") == 0) {
        snprintf(url, len, "%s", OWNER);
        return 0;
    }
    return strcmp(instance_id, "cccc") == 0 ? -EIO : -ENOENT;
}

/* Who the handler sees: "admin", or the viewer token's role and instance. */
static int who_handler(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    char text[80];
    snprintf(text, sizeof(text), "%s %s", req->admin ? "admin" : anc_vt_role_name(req->viewer.role),
             req->viewer.instance);
    return anc_http_response_set(res, 200, "text/plain", text, strlen(text));
}

struct node {
    char dir[32];
    struct anc_vtokens *vt;
    struct anc_http_site site;
};

static const uint8_t shared_key[ANC_VT_KEY_LEN] = "0123456789abcdef0123456789abcdef";

static void node_init(struct node *n, const char *token, int *lookups)
{
    snprintf(n->dir, sizeof(n->dir), "/tmp/anc-test-rc-XXXXXX");
    CHECK(mkdtemp(n->dir));
    CHECK_EQ(anc_vtokens_open(n->dir, (int64_t)time(NULL), &n->vt), 0);
    anc_vtokens_set_key(n->vt, shared_key);
    n->site = (struct anc_http_site){.router = anc_http_router_new(),
                                     .metrics = anc_metrics_new(),
                                     .token = token,
                                     .web_dir = "/nonexistent",
                                     .viewer_tokens = n->vt};
    if (lookups)
        n->site.owner = (struct anc_owner_lookup){owner_url, lookups};
    struct anc_http_router *r = n->site.router;
    unsigned whep = ANC_HTTP_ROUTE_VIEWER | ANC_HTTP_ROUTE_REDIRECT | ANC_HTTP_ROUTE_CORS;
    CHECK_EQ(anc_http_router_add(r, "POST", "/api/v1/instances/{id}/whep", who_handler, NULL, whep),
             0);
    CHECK_EQ(anc_http_router_add(r, "DELETE", "/api/v1/sessions/{sid}", who_handler, NULL,
                                 ANC_HTTP_ROUTE_VIEWER | ANC_HTTP_ROUTE_CORS),
             0);
    CHECK_EQ(anc_http_router_add(r, "GET", "/api/v1/sessions/{sid}", who_handler, NULL, 0), 0);
    CHECK_EQ(anc_http_router_add(r, "GET", "/api/v1/instances/{id}/screenshot", who_handler, NULL,
                                 ANC_HTTP_ROUTE_VIEWER),
             0);
    CHECK_EQ(anc_http_router_add(r, "POST", "/api/v1/instances/{id}/start", who_handler, NULL, 0),
             0);
}

static void node_destroy(struct node *n)
{
    char cmd[64];
    anc_http_router_free(n->site.router);
    anc_metrics_free(n->site.metrics);
    anc_vtokens_free(n->vt);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", n->dir);
    CHECK_EQ(system(cmd), 0);
}

/* Parses and answers text as the server would (admit, then dispatch); returns the status. */
static int run(const struct anc_http_site *site, const char *text, struct anc_http_response *res)
{
    struct anc_http_parser p;
    anc_http_parser_init(&p, 1024);
    CHECK(anc_http_parser_feed(&p, text, strlen(text)) == (ssize_t)strlen(text));
    struct anc_http_request *req = anc_http_parser_take(&p);
    anc_http_parser_destroy(&p);
    CHECK(req);
    anc_http_response_init(res);
    int r = anc_http_admit(site, req, res);
    if (r == 0)
        r = anc_http_dispatch(site, req, res);
    CHECK(r >= 0 && r != ANC_HTTP_DEFERRED);
    anc_http_request_free(req);
    return res->status;
}

static int post(const struct anc_http_site *site, const char *target, const char *auth,
                struct anc_http_response *res)
{
    char text[800];
    snprintf(text, sizeof(text), "POST %s HTTP/1.1\r\nOrigin: http://b.example\r\n%s%s%s\r\n",
             target, auth ? "Authorization: Bearer " : "", auth ? auth : "", auth ? "\r\n" : "");
    return run(site, text, res);
}

/* The value of header name in res ("" when absent), copied into out. */
static const char *header(const struct anc_http_response *res, const char *name, char *out,
                          size_t cap)
{
    char key[64];
    snprintf(key, sizeof(key), "%s: ", name);
    const char *h = res->headers ? strstr(res->headers, key) : NULL;
    size_t n = h ? strcspn(h + strlen(key), "\r") : 0;
    snprintf(out, cap, "%.*s", (int)n, h ? h + strlen(key) : "");
    return out;
}

/* The token of a 307's Location, after checking that the Location is the owner's same route. */
static void redirect_token(const struct anc_http_response *res, char *token, size_t cap)
{
    static const char prefix[] = "http://10.1.0.3:8080/api/v1/instances/aaaa/whep?token=";
    char loc[512];
    header(res, "Location", loc, sizeof(loc));
    CHECK(strncmp(loc, prefix, sizeof(prefix) - 1) == 0);
    size_t n = strlen(loc + sizeof(prefix) - 1);
    CHECK(n > 0 && n < cap);
    memcpy(token, loc + sizeof(prefix) - 1, n + 1);
}

TEST(non_owner_redirects_with_a_token_the_owner_accepts)
{
    int lookups = 0;
    struct node b, c, alone;
    node_init(&b, "admin-b", &lookups);
    node_init(&c, "admin-c", NULL);
    node_init(&alone, "admin-c", NULL);
    uint8_t other_key[ANC_VT_KEY_LEN] = {1};
    anc_vtokens_set_key(alone.vt, other_key);
    struct anc_http_response res;
    char token[ANC_VT_MAX_LEN + 1], h[256], target[400];

    CHECK_EQ(post(&b.site, "/api/v1/instances/aaaa/whep", "admin-b", &res), 307);
    CHECK_EQ(lookups, 1);
    redirect_token(&res, token, sizeof(token));
    CHECK(!strstr(res.headers, "admin-b")); /* the admin token stays on its node */
    CHECK_STREQ(header(&res, "Cache-Control", h, sizeof(h)), "no-store");
    CHECK_STREQ(header(&res, "Access-Control-Allow-Origin", h, sizeof(h)), "http://b.example");
    anc_http_response_destroy(&res);
    struct anc_vt_claims cl;
    int64_t now = (int64_t)time(NULL);
    CHECK_EQ(anc_vtokens_check(c.vt, token, strlen(token), now, &cl), 0);
    CHECK_STREQ(cl.instance, "aaaa");
    CHECK_EQ(cl.role, ANC_VT_CONTROL); /* the admin's role on the owner */
    CHECK(cl.expires_at > now && cl.expires_at <= now + ANC_VT_REDIRECT_TTL_S);
    CHECK(anc_vtokens_check(alone.vt, token, strlen(token), now, &cl) < 0); /* another key */
    CHECK(anc_vtokens_check(c.vt, token, strlen(token), now + ANC_VT_REDIRECT_TTL_S, &cl) < 0);

    /* The browser repeats the offer at the owner, with or without some Authorization. */
    snprintf(target, sizeof(target), "/api/v1/instances/aaaa/whep?token=%s", token);
    CHECK_EQ(post(&c.site, target, NULL, &res), 200);
    CHECK_STREQ((char *)res.body, "control aaaa");
    anc_http_response_destroy(&res);
    CHECK_EQ(post(&c.site, target, "admin-b", &res), 200);
    CHECK_STREQ((char *)res.body, "control aaaa");
    anc_http_response_destroy(&res);
    CHECK_EQ(post(&alone.site, target, NULL, &res), 401);
    anc_http_response_destroy(&res);
    /* Only for its instance, only on viewer routes. */
    snprintf(target, sizeof(target), "/api/v1/instances/bbbb/whep?token=%s", token);
    CHECK_EQ(post(&c.site, target, NULL, &res), 401);
    anc_http_response_destroy(&res);
    snprintf(target, sizeof(target), "/api/v1/instances/aaaa/start?token=%s", token);
    CHECK_EQ(post(&c.site, target, NULL, &res), 401);
    anc_http_response_destroy(&res);

    /* A viewer keeps its role through the redirect. */
    struct anc_vt_claims vc;
    char view[ANC_VT_MAX_LEN + 1];
    CHECK_EQ(anc_vtokens_issue(b.vt, "aaaa", ANC_VT_VIEW, 600, now, view, &vc), 0);
    CHECK_EQ(post(&b.site, "/api/v1/instances/aaaa/whep", view, &res), 307);
    redirect_token(&res, token, sizeof(token));
    anc_http_response_destroy(&res);
    CHECK_EQ(anc_vtokens_check(c.vt, token, strlen(token), now, &cl), 0);
    CHECK_EQ(cl.role, ANC_VT_VIEW);
    CHECK(strcmp(token, view) != 0);

    node_destroy(&b);
    node_destroy(&c);
    node_destroy(&alone);
}

/* A share link's token was issued (and is recorded) on the owner: another node lets it through
 * to the 307 only, and passes it on as it is, so that the owner checks its record. */
TEST(token_recorded_on_the_owner_goes_on_as_it_is)
{
    int lookups = 0;
    struct node b, c;
    node_init(&b, "admin-b", &lookups);
    node_init(&c, "admin-c", NULL);
    struct anc_vt_claims vc, cl;
    char view[ANC_VT_MAX_LEN + 1], token[ANC_VT_MAX_LEN + 1], target[400];
    int64_t now = (int64_t)time(NULL);
    CHECK_EQ(anc_vtokens_issue(c.vt, "aaaa", ANC_VT_VIEW, 600, now, view, &vc), 0);
    CHECK_EQ(anc_vtokens_issue(c.vt, "bbbb", ANC_VT_VIEW, 600, now, token, &cl), 0);
    struct anc_http_response res;

    CHECK_EQ(post(&b.site, "/api/v1/instances/aaaa/whep", view, &res), 307);
    redirect_token(&res, token, sizeof(token));
    CHECK_STREQ(token, view);
    anc_http_response_destroy(&res);
    snprintf(target, sizeof(target), "/api/v1/instances/aaaa/whep?token=%s", view);
    CHECK_EQ(post(&c.site, target, NULL, &res), 200);
    CHECK_STREQ((char *)res.body, "view aaaa");
    anc_http_response_destroy(&res);
    /* Not for an instance this node runs, nor for a route that is not redirected. */
    CHECK_EQ(anc_vtokens_issue(c.vt, "bbbb", ANC_VT_VIEW, 600, now, token, &cl), 0);
    CHECK_EQ(post(&b.site, "/api/v1/instances/bbbb/whep", token, &res), 401);
    anc_http_response_destroy(&res);
    char del[400];
    snprintf(
        del, sizeof(del),
        "DELETE /api/v1/sessions/0123456789abcdef HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n",
        view);
    CHECK_EQ(run(&b.site, del, &res), 401);
    anc_http_response_destroy(&res);
    snprintf(del, sizeof(del),
             "GET /api/v1/instances/aaaa/screenshot HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n",
             view);
    CHECK_EQ(run(&b.site, del, &res), 401);
    anc_http_response_destroy(&res);
    /* Revoked at the owner: refused there. */
    CHECK_EQ(anc_vtokens_revoke(c.vt, "aaaa", vc.id, now), 0);
    CHECK_EQ(post(&c.site, target, NULL, &res), 401);
    anc_http_response_destroy(&res);
    node_destroy(&b);
    node_destroy(&c);
}

TEST(owner_answers_itself_and_unknown_owner_is_503)
{
    int lookups = 0;
    struct node b;
    node_init(&b, "admin-b", &lookups);
    struct anc_http_response res;
    CHECK_EQ(post(&b.site, "/api/v1/instances/bbbb/whep", "admin-b", &res), 200);
    CHECK_STREQ((char *)res.body, "admin ");
    anc_http_response_destroy(&res);
    CHECK_EQ(post(&b.site, "/api/v1/instances/cccc/whep", "admin-b", &res), 503);
    anc_http_response_destroy(&res);
    /* No credentials, no redirect (and the owner is not even asked). */
    CHECK_EQ(post(&b.site, "/api/v1/instances/aaaa/whep", NULL, &res), 401);
    CHECK_EQ(lookups, 2);
    char h[128];
    CHECK_STREQ(header(&res, "Access-Control-Allow-Origin", h, sizeof(h)), "http://b.example");
    anc_http_response_destroy(&res);
    /* Routes without the flag never ask. */
    CHECK_EQ(post(&b.site, "/api/v1/instances/aaaa/start", "admin-b", &res), 200);
    CHECK_EQ(lookups, 2);
    anc_http_response_destroy(&res);
    node_destroy(&b);
}

TEST(cors_on_whep_routes_only)
{
    struct node b;
    node_init(&b, "admin-b", NULL);
    struct anc_http_response res;
    char h[128];
    CHECK_EQ(run(&b.site,
                 "OPTIONS /api/v1/instances/aaaa/whep HTTP/1.1\r\nOrigin: http://b.example\r\n"
                 "Access-Control-Request-Method: POST\r\n\r\n",
                 &res),
             204);
    CHECK_STREQ(header(&res, "Access-Control-Allow-Origin", h, sizeof(h)), "http://b.example");
    CHECK_STREQ(header(&res, "Access-Control-Allow-Methods", h, sizeof(h)), "POST, OPTIONS");
    CHECK_STREQ(header(&res, "Access-Control-Allow-Headers", h, sizeof(h)),
                "Authorization, Content-Type, If-Match");
    CHECK_STREQ(header(&res, "Access-Control-Expose-Headers", h, sizeof(h)),
                "Location, Link, ETag");
    CHECK_STREQ(header(&res, "Access-Control-Max-Age", h, sizeof(h)), "600");
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&b.site, "OPTIONS /api/v1/sessions/0123456789abcdef HTTP/1.1\r\n\r\n", &res), 204);
    CHECK_STREQ(header(&res, "Access-Control-Allow-Methods", h, sizeof(h)), "DELETE, OPTIONS");
    CHECK_STREQ(header(&res, "Access-Control-Allow-Origin", h, sizeof(h)), "*");
    anc_http_response_destroy(&res);
    /* The answers of the WHEP routes, not of the others. */
    CHECK_EQ(post(&b.site, "/api/v1/instances/bbbb/whep", "admin-b", &res), 200);
    CHECK_STREQ(header(&res, "Access-Control-Allow-Origin", h, sizeof(h)), "http://b.example");
    CHECK_STREQ(header(&res, "Vary", h, sizeof(h)), "Origin");
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&b.site,
                 "DELETE /api/v1/sessions/0123456789abcdef HTTP/1.1\r\nOrigin: http://b.example"
                 "\r\nAuthorization: Bearer admin-b\r\n\r\n",
                 &res),
             200);
    CHECK_STREQ(header(&res, "Access-Control-Allow-Origin", h, sizeof(h)), "http://b.example");
    anc_http_response_destroy(&res);
    CHECK_EQ(post(&b.site, "/api/v1/instances/bbbb/start", "admin-b", &res), 200);
    CHECK(!res.headers || !strstr(res.headers, "Access-Control"));
    anc_http_response_destroy(&res);
    CHECK_EQ(run(&b.site,
                 "GET /api/v1/sessions/0123456789abcdef HTTP/1.1\r\nOrigin: http://b.example\r\n"
                 "Authorization: Bearer admin-b\r\n\r\n",
                 &res),
             200);
    CHECK(!res.headers || !strstr(res.headers, "Access-Control"));
    anc_http_response_destroy(&res);
    /* No preflight for the rest of the API: it stays same-origin. */
    CHECK_EQ(run(&b.site, "OPTIONS /api/v1/instances/bbbb/start HTTP/1.1\r\n\r\n", &res), 401);
    anc_http_response_destroy(&res);
    CHECK_EQ(anc_http_router_auth(b.site.router, "OPTIONS", "/api/v1/instances/x/whep"),
             ANC_HTTP_AUTH_NONE);
    CHECK_EQ(anc_http_router_auth(b.site.router, "OPTIONS", "/api/v1/instances/x/start"),
             ANC_HTTP_AUTH_ADMIN);
    node_destroy(&b);
}

/* A redirect token is signed with HMAC-SHA256(key, "ancloud viewer token: redirect") and needs no
 * record, but only while it has at most its minute left; a token under the key itself still
 * needs its record. */
TEST(redirect_tokens_are_short_lived_and_apart)
{
    struct node c;
    node_init(&c, "admin-c", NULL);
    static const char label[] = "ancloud viewer token: redirect";
    uint8_t derived[ANC_VT_KEY_LEN];
    unsigned n = sizeof(derived);
    HMAC(EVP_sha256(), shared_key, ANC_VT_KEY_LEN, (const uint8_t *)label, sizeof(label) - 1,
         derived, &n);
    int64_t now = (int64_t)time(NULL);
    struct anc_vt_claims cl = {
        .id = "0123456789abcdef", .instance = "aaaa", .role = ANC_VT_CONTROL};
    char t[ANC_VT_MAX_LEN + 1];
    struct anc_vt_claims got;

    cl.expires_at = now + ANC_VT_REDIRECT_TTL_S;
    CHECK(anc_vt_encode(&cl, derived, t, sizeof(t)) > 0);
    CHECK_EQ(anc_vtokens_check(c.vt, t, strlen(t), now, &got), 0);
    cl.expires_at = now + ANC_VT_REDIRECT_TTL_S + 1; /* longer than any we issue */
    CHECK(anc_vt_encode(&cl, derived, t, sizeof(t)) > 0);
    CHECK(anc_vtokens_check(c.vt, t, strlen(t), now, &got) < 0);
    cl.expires_at = now + 30; /* signed with the key itself: a record is needed */
    CHECK(anc_vt_encode(&cl, shared_key, t, sizeof(t)) > 0);
    CHECK_EQ(anc_vtokens_check(c.vt, t, strlen(t), now, &got), -ENOENT);
    node_destroy(&c);
}
