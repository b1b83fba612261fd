/* Fuzz target: bytes from an etcd gateway (or anything claiming to be one). The first byte picks
 * a split point and a call; the rest goes through the HTTP client's response parser (kept and
 * streamed into the watch parser, in two pieces split there), the unary answer parser of that
 * call, and the watch stream parser on its own. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/etcd.h"
#include "http/client.h"

static int count_msg(void *arg, const struct anc_etcd_watch_msg *m)
{
    size_t *n = arg;
    for (size_t i = 0; i < m->n; i++)
        *n += strlen(m->ev[i].kv.key) + m->ev[i].kv.value_len;
    return 0;
}

static int to_watch(void *arg, const uint8_t *data, size_t len)
{
    size_t seen = 0;
    return anc_etcd_watch_parser_feed(arg, data, len, count_msg, &seen) < 0;
}

static void use_reply(enum anc_etcd_call call, int status, const uint8_t *body, size_t len)
{
    struct anc_etcd_reply rep;
    anc_etcd_reply_parse(call, status, body, len, &rep);
    size_t sum = 0;
    for (size_t i = 0; i < rep.r.n_kvs; i++)
        sum += strlen(rep.r.kvs[i].key) + rep.r.kvs[i].value_len + (rep.r.kvs[i].value[0] != 0);
    if (rep.r.err)
        sum += strlen(rep.r.message);
    (void)sum;
    anc_etcd_reply_destroy(&rep);
}

static void http_kept(const uint8_t *data, size_t size, size_t split, enum anc_etcd_call call)
{
    struct anc_http_response_parser p;
    anc_http_response_parser_init(&p, 65536, NULL, NULL);
    ssize_t r = anc_http_response_parser_feed(&p, data, split);
    if (r >= 0 && !p.complete)
        r = anc_http_response_parser_feed(&p, data + split, size - split);
    if (r >= 0 && anc_http_response_parser_eof(&p) == 0) {
        (void)anc_http_response_parser_header(&p, "Content-Type");
        use_reply(call, p.status, p.body ? p.body : (const uint8_t *)"", p.body_len);
    }
    anc_http_response_parser_destroy(&p);
}

static void http_streamed(const uint8_t *data, size_t size, size_t split)
{
    struct anc_etcd_watch_parser w;
    struct anc_http_response_parser p;
    anc_etcd_watch_parser_init(&w, 65536);
    anc_http_response_parser_init(&p, 0, to_watch, &w);
    if (anc_http_response_parser_feed(&p, data, split) >= 0 && !p.complete)
        (void)anc_http_response_parser_feed(&p, data + split, size - split);
    (void)anc_http_response_parser_eof(&p);
    anc_http_response_parser_destroy(&p);
    anc_etcd_watch_parser_destroy(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    enum anc_etcd_call call = (enum anc_etcd_call)(data[0] % ANC_ETCD_CALL_WATCH);
    size_t split = (size_t)data[0] * 7 % size;
    data++;
    size--;
    split = split > size ? size : split;
    http_kept(data, size, split, call);
    http_streamed(data, size, split);
    use_reply(call, 200, data, size);
    struct anc_etcd_watch_parser w;
    size_t seen = 0;
    anc_etcd_watch_parser_init(&w, 65536);
    if (anc_etcd_watch_parser_feed(&w, data, split, count_msg, &seen) == 0)
        (void)anc_etcd_watch_parser_feed(&w, data + split, size - split, count_msg, &seen);
    anc_etcd_watch_parser_destroy(&w);
    return 0;
}
