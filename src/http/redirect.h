/* The 307 of a route flagged ANC_HTTP_ROUTE_REDIRECT (router.h) on a node that does not own the
 * route's instance (rest.h, struct anc_owner_lookup). Pure code over a request. */
#pragma once

#include "http/request.h"
#include "http/response.h"

struct anc_http_site;

/* Asks site->owner who owns the instance of req's {id}. Returns 0 when this node answers req
 * (no hook, no {id}, or the hook says -ENOENT); 1 with *res filled otherwise: 307 with
 * Location: <owner URL><req's path>?token=<token>, or 503 when the owner is not known now or no
 * token can be issued. The token is pass[0..pass_len) when pass is not NULL (the caller's viewer
 * token, recorded on the owner), else a new redirect token (anc_vtokens_issue_redirect) of the
 * caller's role (control for the admin): the admin token never goes into a URL. Negative errno
 * when out of memory. */
int anc_http_owner_redirect(const struct anc_http_site *site, const struct anc_http_request *req,
                            const char *pass, size_t pass_len, struct anc_http_response *res);
