#include "base/dgramq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void anc_dgramq_init(struct anc_dgramq *q, size_t max_count, size_t max_len)
{
    memset(q, 0, sizeof(*q));
    q->max_count = max_count;
    q->max_len = max_len;
}

void anc_dgramq_destroy(struct anc_dgramq *q)
{
    if (!q)
        return;
    anc_dgramq_clear(q);
    memset(q, 0, sizeof(*q));
}

static int refuse(struct anc_dgramq *q, int err)
{
    q->drops++;
    return err;
}

int anc_dgramq_push(struct anc_dgramq *q, const void *data, size_t len, const struct anc_addr *addr)
{
    if (q->count >= q->max_count)
        return refuse(q, -ENOBUFS);
    /* The second test keeps the allocation size below from wrapping. */
    if (len > q->max_len || len > SIZE_MAX - sizeof(struct anc_dgram))
        return refuse(q, -EMSGSIZE);
    struct anc_dgram *g = malloc(sizeof(*g) + len);
    if (!g)
        return refuse(q, -ENOMEM);
    g->next = NULL;
    if (addr)
        g->addr = *addr;
    else
        memset(&g->addr, 0, sizeof(g->addr));
    g->len = len;
    /* memcpy from NULL is undefined even for 0 bytes, and an empty datagram may come as NULL. */
    if (len)
        memcpy(g->data, data, len);
    if (q->tail)
        q->tail->next = g;
    else
        q->head = g;
    q->tail = g;
    q->count++;
    q->bytes += len;
    return 0;
}

struct anc_dgram *anc_dgramq_pop(struct anc_dgramq *q)
{
    struct anc_dgram *g = q->head;
    if (!g)
        return NULL;
    q->head = g->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    q->bytes -= g->len;
    g->next = NULL;
    return g;
}

bool anc_dgramq_pop_copy(struct anc_dgramq *q, uint8_t *buf, size_t cap, size_t *len,
                         struct anc_addr *addr, uint64_t *oversize)
{
    struct anc_dgram *g;
    while ((g = anc_dgramq_pop(q)) && g->len > cap) {
        (*oversize)++;
        anc_dgram_free(g);
    }
    if (!g)
        return false;
    memcpy(buf, g->data, g->len);
    *len = g->len;
    if (addr)
        *addr = g->addr;
    anc_dgram_free(g);
    return true;
}

void anc_dgram_free(struct anc_dgram *g)
{
    free(g);
}

void anc_dgramq_clear(struct anc_dgramq *q)
{
    struct anc_dgram *g;
    while ((g = anc_dgramq_pop(q)))
        anc_dgram_free(g);
}

size_t anc_dgramq_count(const struct anc_dgramq *q)
{
    return q->count;
}

size_t anc_dgramq_bytes(const struct anc_dgramq *q)
{
    return q->bytes;
}

uint64_t anc_dgramq_drops(const struct anc_dgramq *q)
{
    return q->drops;
}
