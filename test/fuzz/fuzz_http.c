/* Fuzz target: bytes from a client into the request parser, fed in two pieces split at a point
 * the input chooses, the way a socket delivers them; every complete request goes through the
 * lookups handlers use and through static path normalization. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/request.h"
#include "http/static.h"

static void use(struct anc_http_request *req)
{
    char rel[PATH_MAX];
    (void)anc_http_request_header(req, "Content-Type");
    (void)anc_http_request_query(req, "purge");
    (void)anc_http_static_normalize(req->path, rel, sizeof(rel));
    for (size_t i = 0; i < req->n_headers; i++)
        (void)strlen(req->headers[i].value);
}

static void feed(struct anc_http_parser *p, const uint8_t *data, size_t len, bool *dead)
{
    size_t off = 0;
    while (!*dead && off < len) {
        ssize_t n = anc_http_parser_feed(p, (const char *)data + off, len - off);
        if (n < 0) {
            *dead = true;
            return;
        }
        off += (size_t)n;
        if (anc_http_parser_has_request(p)) {
            struct anc_http_request *req = anc_http_parser_take(p);
            use(req);
            bool keep = req->keep_alive;
            anc_http_request_free(req);
            if (!keep)
                *dead = true;
        } else if (n == 0) {
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0] % (size);
    struct anc_http_parser p;
    bool dead = false;
    anc_http_parser_init(&p, 4096);
    feed(&p, data + 1, split, &dead);
    feed(&p, data + 1 + split, size - 1 - split, &dead);
    anc_http_parser_destroy(&p);
    return 0;
}
