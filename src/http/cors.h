/* CORS for the routes flagged ANC_HTTP_ROUTE_CORS (router.h): in a cluster the WHEP offer of a
 * page is redirected to the node that runs the instance (rest.h), whose origin is not the
 * page's, and the session resource then lives there too. Pure code over a request. Answers
 * allow any origin: these routes take a bearer token (never cookies), so no credentials mode
 * is allowed and another site's page gains nothing it could not do with the token itself. */
#pragma once

#include "http/request.h"
#include "http/response.h"

#define ANC_HTTP_CORS_MAX_AGE_S 600

/* Adds Access-Control-Allow-Origin (the request's Origin, or "*" without one), Vary: Origin and
 * Access-Control-Expose-Headers: Location, Link, ETag (a cross-origin page reads nothing else
 * of the answer). Returns 0 or -errno. */
int anc_http_cors_headers(const struct anc_http_request *req, struct anc_http_response *res);

/* The answer to a preflight (OPTIONS) of a path whose CORS routes have methods ("POST, DELETE"):
 * 204 with the headers above, Access-Control-Allow-Methods (methods and OPTIONS),
 * -Allow-Headers: Authorization, Content-Type, If-Match, and -Max-Age. Returns 0 or -errno. */
int anc_http_cors_preflight(const struct anc_http_request *req, const char *methods,
                            struct anc_http_response *res);
