#include "http/router.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct anc_http_router {
    struct anc_http_route *routes;
    size_t n, cap;
};

struct anc_http_router *anc_http_router_new(void)
{
    return calloc(1, sizeof(struct anc_http_router));
}

static void route_destroy(struct anc_http_route *rt)
{
    for (size_t i = 0; i < rt->n_segs; i++)
        free(rt->segs[i]);
    free(rt->segs);
    free(rt->method);
    free(rt->pattern);
}

void anc_http_router_free(struct anc_http_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        route_destroy(&r->routes[i]);
    free(r->routes);
    free(r);
}

/* A parameter segment is stored as "{name" (closing brace dropped), so seg + 1 is its name. */
static bool is_param(const char *seg)
{
    return seg[0] == '{';
}

/* Splits "/a/{b}/c" into its segments; the pattern must start with '/'. */
static int split_pattern(const char *pattern, char ***out, size_t *n_out)
{
    size_t n = 0, params = 0;
    for (const char *p = pattern; *p; p++)
        n += *p == '/';
    char **segs = calloc(n, sizeof(*segs));
    if (!segs)
        return -ENOMEM;
    const char *s = pattern + 1;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(s, "/");
        segs[i] = strndup(s, len);
        if (!segs[i])
            goto fail;
        if (len > 2 && s[0] == '{' && s[len - 1] == '}' && !memchr(s + 1, '{', len - 2) &&
            !memchr(s + 1, '}', len - 2)) {
            segs[i][len - 1] = '\0';
            params++;
        } else if (strpbrk(segs[i], "{}")) {
            goto fail;
        }
        s += len + 1;
    }
    if (params > ANC_HTTP_MAX_PARAMS || n > 32)
        goto fail;
    *out = segs;
    *n_out = n;
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
    return -EINVAL;
}

int anc_http_router_add(struct anc_http_router *r, const char *method, const char *pattern,
                        anc_http_handler_fn fn, void *user, unsigned flags)
{
    if (!method || !method[0] || !pattern || pattern[0] != '/' || !fn)
        return -EINVAL;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->routes[i].method, method) == 0 && strcmp(r->routes[i].pattern, pattern) == 0)
            return -EEXIST;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct anc_http_route *n = realloc(r->routes, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        r->routes = n;
        r->cap = cap;
    }
    struct anc_http_route rt = {.fn = fn, .user = user, .flags = flags};
    int err = split_pattern(pattern, &rt.segs, &rt.n_segs);
    if (err < 0)
        return err;
    rt.method = strdup(method);
    rt.pattern = strdup(pattern);
    if (!rt.method || !rt.pattern) {
        route_destroy(&rt);
        return -ENOMEM;
    }
    r->routes[r->n++] = rt;
    return 0;
}

/* Whether path fits the route's segments; returns a score that prefers literal segments early
 * in the path (bit 31 - i for a literal at segment i), or -1 for no match. */
static int64_t path_score(const struct anc_http_route *rt, const char *path)
{
    if (path[0] != '/')
        return -1;
    const char *s = path + 1;
    int64_t score = 0;
    for (size_t i = 0; i < rt->n_segs; i++) {
        if (!s)
            return -1;
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        const char *seg = rt->segs[i];
        if (is_param(seg)) {
            if (len == 0)
                return -1;
        } else {
            if (strlen(seg) != len || memcmp(seg, s, len) != 0)
                return -1;
            score |= (int64_t)1 << (31 - i);
        }
        s = slash ? slash + 1 : NULL;
    }
    return s ? -1 : score;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t mlen = strlen(method);
    for (const char *p = allow; (p = strstr(p, method)); p += mlen)
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || p[mlen] == '\0'))
            return;
    size_t len = strlen(allow);
    if (len + mlen + 3 < cap)
        snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", method);
}

static int extract_params(const struct anc_http_route *rt, const char *path,
                          struct anc_http_match *m)
{
    const char *s = path + 1;
    for (size_t i = 0; i < rt->n_segs; i++) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (is_param(rt->segs[i])) {
            char *v = malloc(len + 1);
            if (!v)
                return -ENOMEM;
            ssize_t d = anc_http_percent_decode(s, len, v, false);
            if (d < 0 || strlen(v) != (size_t)d) {
                free(v);
                return -EINVAL;
            }
            struct anc_http_param *p = &m->params[m->n_params++];
            p->name = rt->segs[i] + 1;
            p->value = v;
        }
        s = slash ? slash + 1 : s + len;
    }
    return 0;
}

int anc_http_router_match(const struct anc_http_router *r, const char *method, const char *path,
                          struct anc_http_match *m)
{
    memset(m, 0, sizeof(*m));
    const struct anc_http_route *best = NULL, *best_get = NULL;
    int64_t best_score = -1, best_get_score = -1;
    bool head = strcmp(method, "HEAD") == 0;
    for (size_t i = 0; r && i < r->n; i++) {
        const struct anc_http_route *rt = &r->routes[i];
        int64_t score = path_score(rt, path);
        if (score < 0)
            continue;
        m->path_known = true;
        allow_add(m->allow, sizeof(m->allow), rt->method);
        if (strcmp(rt->method, "GET") == 0)
            allow_add(m->allow, sizeof(m->allow), "HEAD");
        if (strcmp(rt->method, method) == 0 && score > best_score) {
            best = rt;
            best_score = score;
        }
        if (head && strcmp(rt->method, "GET") == 0 && score > best_get_score) {
            best_get = rt;
            best_get_score = score;
        }
    }
    if (!best)
        best = best_get;
    if (!best)
        return m->path_known ? 405 : 404;
    int err = extract_params(best, path, m);
    if (err < 0) {
        anc_http_match_destroy(m);
        return err == -EINVAL ? 404 : err;
    }
    m->route = best;
    return 200;
}

static bool under_api(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
}

bool anc_http_router_cors_methods(const struct anc_http_router *r, const char *path, char *out,
                                  size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; r && i < r->n; i++)
        if ((r->routes[i].flags & ANC_HTTP_ROUTE_CORS) && path_score(&r->routes[i], path) >= 0)
            allow_add(out, cap, r->routes[i].method);
    return out[0] != '\0';
}

enum anc_http_auth anc_http_router_auth(const struct anc_http_router *r, const char *method,
                                        const char *path)
{
    char cors[64];
    if (strcmp(method, "OPTIONS") == 0 && anc_http_router_cors_methods(r, path, cors, sizeof(cors)))
        return ANC_HTTP_AUTH_NONE;
    const struct anc_http_route *best = NULL;
    int64_t best_score = -1;
    bool known = false, head = strcmp(method, "HEAD") == 0;
    for (size_t i = 0; r && i < r->n; i++) {
        const struct anc_http_route *rt = &r->routes[i];
        int64_t score = path_score(rt, path);
        if (score < 0)
            continue;
        known = true;
        /* HEAD is answered by the GET route (router_match): it needs what GET needs. */
        bool same = strcmp(rt->method, method) == 0 || (head && strcmp(rt->method, "GET") == 0);
        if (same && score > best_score) {
            best = rt;
            best_score = score;
        }
    }
    if (best)
        return (best->flags & ANC_HTTP_ROUTE_PUBLIC) ? ANC_HTTP_AUTH_NONE : ANC_HTTP_AUTH_ADMIN;
    return known || under_api(path) ? ANC_HTTP_AUTH_ADMIN : ANC_HTTP_AUTH_NONE;
}

void anc_http_match_destroy(struct anc_http_match *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_params; i++)
        free(m->params[i].value);
    m->n_params = 0;
}

void anc_http_match_move_params(struct anc_http_match *m, struct anc_http_request *req)
{
    for (size_t i = 0; i < req->n_params; i++)
        free(req->params[i].value);
    memcpy(req->params, m->params, sizeof(m->params));
    req->n_params = m->n_params;
    m->n_params = 0;
}
