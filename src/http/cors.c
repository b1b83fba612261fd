#include "http/cors.h"

#include <stdio.h>

int anc_http_cors_headers(const struct anc_http_request *req, struct anc_http_response *res)
{
    const char *origin = anc_http_request_header(req, "Origin");
    int r = anc_http_response_header(res, "Access-Control-Allow-Origin",
                                     origin && origin[0] ? origin : "*");
    if (r == 0)
        r = anc_http_response_header(res, "Vary", "Origin");
    if (r == 0)
        r = anc_http_response_header(res, "Access-Control-Expose-Headers", "Location, Link, ETag");
    return r;
}

int anc_http_cors_preflight(const struct anc_http_request *req, const char *methods,
                            struct anc_http_response *res)
{
    char allow[96], age[16];
    snprintf(allow, sizeof(allow), "%s, OPTIONS", methods);
    snprintf(age, sizeof(age), "%d", ANC_HTTP_CORS_MAX_AGE_S);
    int r = anc_http_response_set(res, 204, NULL, NULL, 0);
    if (r == 0)
        r = anc_http_cors_headers(req, res);
    if (r == 0)
        r = anc_http_response_header(res, "Access-Control-Allow-Methods", allow);
    if (r == 0)
        r = anc_http_response_header(res, "Access-Control-Allow-Headers",
                                     "Authorization, Content-Type, If-Match");
    if (r == 0)
        r = anc_http_response_header(res, "Access-Control-Max-Age", age);
    return r;
}
