#include "http/redirect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/rest.h"
#include "http/viewer_tokens.h"

#define OWNER_URL_MAX 256

static int unavailable(struct anc_http_response *res, const char *id)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "the node that runs instance \"%.40s\" cannot be reached now", id);
    return anc_http_response_error(res, 503, NULL, msg);
}

/* The owner's base URL without its trailing slashes, so that the path joins it with one. */
static size_t base_len(const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return n;
}

static int answer_307(const struct anc_http_request *req, const char *owner, const char *token,
                      size_t token_len, struct anc_http_response *res)
{
    char loc[OWNER_URL_MAX + 512];
    int n = snprintf(loc, sizeof(loc), "%.*s%s?token=%.*s", (int)base_len(owner), owner, req->path,
                     (int)token_len, token);
    if (n < 0 || (size_t)n >= sizeof(loc))
        return -ENAMETOOLONG;
    int r = anc_http_response_set(res, 307, NULL, NULL, 0);
    if (r == 0)
        r = anc_http_response_header(res, "Location", loc);
    /* The Location carries a credential: nothing on the way keeps it. */
    if (r == 0)
        r = anc_http_response_header(res, "Cache-Control", "no-store");
    return r;
}

/* A redirect token of the caller's role, the admin's being control. */
static int issue(const struct anc_http_site *site, const struct anc_http_request *req,
                 const char *id, char token[ANC_VT_MAX_LEN + 1])
{
    struct anc_vt_claims c;
    enum anc_vt_role role = req->admin ? ANC_VT_CONTROL : req->viewer.role;
    return anc_vtokens_issue_redirect(site->viewer_tokens, id, role, (int64_t)time(NULL), token,
                                      &c);
}

int anc_http_owner_redirect(const struct anc_http_site *site, const struct anc_http_request *req,
                            const char *pass, size_t pass_len, struct anc_http_response *res)
{
    const char *id = anc_http_request_param(req, "id");
    if (!site->owner.owner_url || !id)
        return 0;
    char owner[OWNER_URL_MAX] = "";
    int r = site->owner.owner_url(site->owner.arg, id, owner, sizeof(owner));
    if (r == -ENOENT)
        return 0;
    if (r < 0 || !owner[0] || !memchr(owner, '\0', sizeof(owner)) || !site->viewer_tokens)
        return unavailable(res, id) < 0 ? -ENOMEM : 1;
    /* A token that verified is base64url and '.': it goes into the query as it is. */
    char token[ANC_VT_MAX_LEN + 1];
    r = pass ? 0 : issue(site, req, id, token);
    if (r == 0)
        r = pass ? answer_307(req, owner, pass, pass_len, res)
                 : answer_307(req, owner, token, strlen(token), res);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return unavailable(res, id) < 0 ? -ENOMEM : 1;
    return 1;
}
