#include "http/response.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void anc_http_response_init(struct anc_http_response *res)
{
    memset(res, 0, sizeof(*res));
    res->content_length = -1;
}

void anc_http_response_destroy(struct anc_http_response *res)
{
    if (!res)
        return;
    free(res->content_type);
    free(res->headers);
    free(res->body);
    anc_http_response_init(res);
}

static bool clean_token(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

int anc_http_response_header(struct anc_http_response *res, const char *name, const char *value)
{
    if (!clean_token(name) || !clean_token(value) || !name[0] || strchr(name, ':'))
        return -EINVAL;
    size_t add = strlen(name) + 2 + strlen(value) + 2;
    char *p = realloc(res->headers, res->headers_len + add + 1);
    if (!p)
        return -ENOMEM;
    res->headers = p;
    snprintf(p + res->headers_len, add + 1, "%s: %s\r\n", name, value);
    res->headers_len += add;
    return 0;
}

int anc_http_response_take(struct anc_http_response *res, int status, const char *content_type,
                           void *body, size_t len)
{
    char *ct = NULL;
    if (content_type) {
        ct = strdup(content_type);
        if (!ct) {
            free(body);
            return -ENOMEM;
        }
    }
    free(res->content_type);
    free(res->body);
    res->status = status;
    res->content_type = ct;
    res->body = body;
    res->body_len = body ? len : 0;
    return 0;
}

int anc_http_response_set(struct anc_http_response *res, int status, const char *content_type,
                          const void *body, size_t len)
{
    char *copy = NULL;
    if (len > 0) {
        copy = malloc(len + 1); /* NUL-terminated, for tests and logs */
        if (!copy)
            return -ENOMEM;
        memcpy(copy, body, len);
        copy[len] = '\0';
    }
    return anc_http_response_take(res, status, content_type, copy, len);
}

int anc_http_response_json(struct anc_http_response *res, int status, const json_t *json)
{
    char *s = json_dumps(json, JSON_COMPACT);
    if (!s)
        return -ENOMEM;
    size_t len = strlen(s);
    /* A trailing newline makes curl output readable and costs nothing. */
    char *body = realloc(s, len + 2);
    if (!body) {
        free(s);
        return -ENOMEM;
    }
    body[len++] = '\n';
    body[len] = '\0';
    return anc_http_response_take(res, status, "application/json", body, len);
}

int anc_http_response_error(struct anc_http_response *res, int status, const char *code,
                            const char *message)
{
    json_t *j =
        json_pack("{s:{s:s,s:s}}", "error", "code", code ? code : anc_http_error_code(status),
                  "message", message ? message : anc_http_reason(status));
    if (!j)
        return -ENOMEM;
    int r = anc_http_response_json(res, status, j);
    json_decref(j);
    return r;
}

static const struct {
    int status;
    const char *reason;
    const char *code;
} statuses[] = {
    {100, "Continue", "continue"},
    {200, "OK", "ok"},
    {201, "Created", "created"},
    {202, "Accepted", "accepted"},
    {204, "No Content", "no_content"},
    {301, "Moved Permanently", "moved"},
    {302, "Found", "found"},
    {304, "Not Modified", "not_modified"},
    {400, "Bad Request", "bad_request"},
    {401, "Unauthorized", "unauthorized"},
    {403, "Forbidden", "forbidden"},
    {404, "Not Found", "not_found"},
    {405, "Method Not Allowed", "method_not_allowed"},
    {408, "Request Timeout", "request_timeout"},
    {409, "Conflict", "conflict"},
    {411, "Length Required", "length_required"},
    {413, "Payload Too Large", "payload_too_large"},
    {415, "Unsupported Media Type", "unsupported_media_type"},
    {422, "Unprocessable Entity", "unprocessable"},
    {429, "Too Many Requests", "too_many_requests"},
    {431, "Request Header Fields Too Large", "headers_too_large"},
    {500, "Internal Server Error", "internal"},
    {501, "Not Implemented", "not_implemented"},
    {502, "Bad Gateway", "bad_gateway"}, /* the guest's answer was unusable (screencap) */
    {503, "Service Unavailable", "unavailable"},
    {504, "Gateway Timeout", "gateway_timeout"}, /* the guest did not answer in time */
};

const char *anc_http_reason(int status)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (statuses[i].status == status)
            return statuses[i].reason;
    return "Unknown";
}

const char *anc_http_error_code(int status)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (statuses[i].status == status)
            return statuses[i].code;
    return status >= 500 ? "internal" : "bad_request";
}

bool anc_http_status_has_body(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

bool anc_http_response_sends_body(const struct anc_http_response *res, bool head_request)
{
    return !head_request && anc_http_status_has_body(res->status) && res->body_len > 0;
}

int anc_http_response_head(const struct anc_http_response *res, bool keep_alive, bool http10,
                           time_t now, char **out, size_t *len)
{
    char date[64];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);

    char clen[64] = "";
    int status = res->status ? res->status : 500;
    /* 304 repeats the representation's length only when the handler gives it. */
    if (status >= 200 && status != 204 && (status != 304 || res->content_length >= 0)) {
        uint64_t n = res->content_length >= 0 ? (uint64_t)res->content_length : res->body_len;
        snprintf(clen, sizeof(clen), "Content-Length: %" PRIu64 "\r\n", n);
    }
    const char *conn = !keep_alive ? "Connection: close\r\n"
                       : http10    ? "Connection: keep-alive\r\n"
                                   : "";
    const char *ct =
        res->content_type && anc_http_status_has_body(status) ? res->content_type : NULL;
    size_t cap = 256 + strlen(date) + (ct ? strlen(ct) : 0) + res->headers_len;
    char *p = malloc(cap);
    if (!p)
        return -ENOMEM;
    int n = snprintf(p, cap, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n%s%s%s%s%s%.*s\r\n",
                     status, anc_http_reason(status), date, ANC_HTTP_SERVER_NAME,
                     ct ? "Content-Type: " : "", ct ? ct : "", ct ? "\r\n" : "", clen, conn,
                     (int)res->headers_len, res->headers ? res->headers : "");
    if (n < 0 || (size_t)n >= cap) {
        free(p);
        return -ENOMEM;
    }
    *out = p;
    *len = (size_t)n;
    return 0;
}
