#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>

#include "base/dgramq.h"
#include "test.h"

/* Pops the head and checks it is the one-byte datagram holding tag. */
static void check_pop(struct anc_dgramq *q, uint8_t tag)
{
    struct anc_dgram *g = anc_dgramq_pop(q);
    CHECK(g);
    CHECK_EQ(g->len, 1);
    CHECK_EQ(g->data[0], tag);
    anc_dgram_free(g);
}

TEST(fifo_order)
{
    struct anc_dgramq q;
    anc_dgramq_init(&q, 8, SIZE_MAX);
    for (uint8_t i = 0; i < 5; i++)
        CHECK_EQ(anc_dgramq_push(&q, &i, 1, NULL), 0);
    CHECK_EQ(anc_dgramq_count(&q), 5);
    CHECK_EQ(anc_dgramq_bytes(&q), 5);
    check_pop(&q, 0);
    check_pop(&q, 1);
    /* Pushing after pops still appends at the tail. */
    uint8_t nine = 9;
    CHECK_EQ(anc_dgramq_push(&q, &nine, 1, NULL), 0);
    check_pop(&q, 2);
    check_pop(&q, 3);
    check_pop(&q, 4);
    check_pop(&q, 9);
    CHECK(anc_dgramq_pop(&q) == NULL);
    CHECK_EQ(anc_dgramq_count(&q), 0);
    CHECK_EQ(anc_dgramq_bytes(&q), 0);
    /* Emptied, the queue takes datagrams again. */
    CHECK_EQ(anc_dgramq_push(&q, &nine, 1, NULL), 0);
    check_pop(&q, 9);
    CHECK_EQ(anc_dgramq_drops(&q), 0);
    anc_dgramq_destroy(&q);
}

TEST(count_bound_drops_and_keeps_the_oldest)
{
    struct anc_dgramq q;
    anc_dgramq_init(&q, 3, SIZE_MAX);
    for (uint8_t i = 0; i < 3; i++)
        CHECK_EQ(anc_dgramq_push(&q, &i, 1, NULL), 0);
    uint8_t late = 7;
    CHECK_EQ(anc_dgramq_push(&q, &late, 1, NULL), -ENOBUFS);
    CHECK_EQ(anc_dgramq_push(&q, &late, 1, NULL), -ENOBUFS);
    CHECK_EQ(anc_dgramq_drops(&q), 2);
    CHECK_EQ(anc_dgramq_count(&q), 3);
    CHECK_EQ(anc_dgramq_bytes(&q), 3);
    /* A popped datagram no longer counts against the bound, even while the caller keeps it. */
    struct anc_dgram *kept = anc_dgramq_pop(&q);
    CHECK_EQ(anc_dgramq_push(&q, &late, 1, NULL), 0);
    CHECK_EQ(kept->data[0], 0);
    anc_dgram_free(kept);
    check_pop(&q, 1);
    check_pop(&q, 2);
    check_pop(&q, 7);
    CHECK_EQ(anc_dgramq_drops(&q), 2);
    anc_dgramq_destroy(&q);
}

TEST(largest_datagram)
{
    static uint8_t big[1501];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    struct anc_dgramq q;
    anc_dgramq_init(&q, 4, 1500);
    CHECK_EQ(anc_dgramq_push(&q, big, 1500, NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, big, 1501, NULL), -EMSGSIZE);
    CHECK_EQ(anc_dgramq_push(&q, big, SIZE_MAX, NULL), -EMSGSIZE);
    CHECK_EQ(anc_dgramq_drops(&q), 2);
    CHECK_EQ(anc_dgramq_count(&q), 1);
    CHECK_EQ(anc_dgramq_bytes(&q), 1500);
    struct anc_dgram *g = anc_dgramq_pop(&q);
    CHECK_EQ(g->len, 1500);
    CHECK(memcmp(g->data, big, 1500) == 0);
    anc_dgram_free(g);
    anc_dgramq_destroy(&q);

    /* Without a length bound the only limit is what the allocation size can express. */
    anc_dgramq_init(&q, 4, SIZE_MAX);
    CHECK_EQ(anc_dgramq_push(&q, big, SIZE_MAX, NULL), -EMSGSIZE);
    CHECK_EQ(anc_dgramq_push(&q, big, sizeof(big), NULL), 0);
    CHECK_EQ(anc_dgramq_bytes(&q), sizeof(big));
    anc_dgramq_destroy(&q);
}

TEST(zero_length_datagram)
{
    struct anc_dgramq q;
    anc_dgramq_init(&q, 2, 0);
    CHECK_EQ(anc_dgramq_push(&q, NULL, 0, NULL), 0);
    uint8_t one = 1;
    CHECK_EQ(anc_dgramq_push(&q, &one, 1, NULL), -EMSGSIZE);
    CHECK_EQ(anc_dgramq_count(&q), 1);
    CHECK_EQ(anc_dgramq_bytes(&q), 0);
    struct anc_dgram *g = anc_dgramq_pop(&q);
    CHECK(g);
    CHECK_EQ(g->len, 0);
    anc_dgram_free(g);
    CHECK(anc_dgramq_pop(&q) == NULL);
    anc_dgramq_destroy(&q);
}

TEST(address_travels_with_the_datagram)
{
    struct anc_addr a, b, none;
    CHECK_EQ(anc_addr_from_string(&a, "192.0.2.1", 5000), 0);
    CHECK_EQ(anc_addr_from_string(&b, "2001:db8::2", 6000), 0);
    memset(&none, 0, sizeof(none));
    struct anc_dgramq q;
    anc_dgramq_init(&q, 4, SIZE_MAX);
    uint8_t x = 1;
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, &a), 0);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, &b), 0);
    struct anc_dgram *g = anc_dgramq_pop(&q);
    CHECK(anc_addr_equal(&g->addr, &a));
    anc_dgram_free(g);
    g = anc_dgramq_pop(&q);
    CHECK(memcmp(&g->addr, &none, sizeof(none)) == 0);
    anc_dgram_free(g);
    g = anc_dgramq_pop(&q);
    CHECK(anc_addr_equal(&g->addr, &b));
    anc_dgram_free(g);
    anc_dgramq_destroy(&q);
}

TEST(clear_keeps_bounds_and_drops)
{
    struct anc_dgramq q;
    anc_dgramq_init(&q, 2, SIZE_MAX);
    uint8_t x = 5;
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), -ENOBUFS);
    anc_dgramq_clear(&q);
    CHECK_EQ(anc_dgramq_count(&q), 0);
    CHECK_EQ(anc_dgramq_bytes(&q), 0);
    CHECK_EQ(anc_dgramq_drops(&q), 1);
    CHECK(anc_dgramq_pop(&q) == NULL);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), -ENOBUFS);
    /* Clearing an empty queue is harmless. */
    anc_dgramq_clear(&q);
    anc_dgramq_clear(&q);
    anc_dgramq_destroy(&q);
}

TEST(destroy_accepts_zeroed_and_null)
{
    struct anc_dgramq q;
    memset(&q, 0, sizeof(q));
    /* A zeroed queue is valid and refuses everything. */
    uint8_t x = 1;
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), -ENOBUFS);
    CHECK(anc_dgramq_pop(&q) == NULL);
    anc_dgramq_destroy(&q);
    anc_dgramq_destroy(NULL);
    anc_dgram_free(NULL);

    /* Destroy frees what is queued (ASan checks) and leaves the struct zeroed. */
    anc_dgramq_init(&q, 4, SIZE_MAX);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, &x, 1, NULL), 0);
    anc_dgramq_destroy(&q);
    struct anc_dgramq zero;
    memset(&zero, 0, sizeof(zero));
    CHECK(memcmp(&q, &zero, sizeof(q)) == 0);
    anc_dgramq_destroy(&q);
}

TEST(pop_copy_skips_what_does_not_fit)
{
    struct anc_dgramq q;
    uint8_t big[8] = {1, 2, 3, 4, 5, 6, 7, 8}, small[3] = {9, 8, 7}, out[4];
    struct anc_addr to, addr;
    uint64_t oversize = 0;
    size_t len = 0;
    memset(&addr, 0, sizeof(addr));
    addr.u.in4.sin_family = AF_INET;
    addr.u.in4.sin_port = htons(5000);
    anc_dgramq_init(&q, 4, SIZE_MAX);
    CHECK(!anc_dgramq_pop_copy(&q, out, sizeof(out), &len, NULL, &oversize));
    CHECK_EQ(anc_dgramq_push(&q, big, sizeof(big), NULL), 0);
    CHECK_EQ(anc_dgramq_push(&q, small, sizeof(small), &addr), 0);
    /* The 8-byte datagram cannot go into 4 bytes: dropped and counted, the next one comes. */
    CHECK(anc_dgramq_pop_copy(&q, out, sizeof(out), &len, &to, &oversize));
    CHECK_EQ(oversize, 1);
    CHECK_EQ(len, 3);
    CHECK(memcmp(out, small, 3) == 0);
    CHECK(memcmp(&to, &addr, sizeof(to)) == 0);
    CHECK_EQ(anc_dgramq_count(&q), 0);
    CHECK(!anc_dgramq_pop_copy(&q, out, sizeof(out), &len, NULL, &oversize));
    anc_dgramq_destroy(&q);
}
