/* The capped clipboard receive buffer (input/cliprx.c): whole texts, INCR-like chunks, the cap,
 * and a cut that never splits a UTF-8 sequence. */
#include <errno.h>
#include <string.h>

#include "input/cliprx.h"
#include "test.h"

TEST(whole_text)
{
    struct anc_cliprx rx;
    anc_cliprx_init(&rx, 16);
    const uint8_t hi[] = {'h', 0xc3, 0xa9};
    CHECK_EQ(anc_cliprx_append(&rx, hi, sizeof(hi)), 0);
    CHECK_EQ(anc_cliprx_text_len(&rx), 3);
    CHECK(!rx.truncated);
    CHECK(memcmp(rx.buf, hi, 3) == 0);
    anc_cliprx_reset(&rx);
    CHECK_EQ(rx.len, 0);
    CHECK_EQ(rx.cap, 16);
    anc_cliprx_destroy(&rx);
}

TEST(chunks_up_to_the_cap)
{
    struct anc_cliprx rx;
    anc_cliprx_init(&rx, 8);
    CHECK_EQ(anc_cliprx_append(&rx, (const uint8_t *)"abcd", 4), 0);
    CHECK_EQ(anc_cliprx_append(&rx, (const uint8_t *)"efgh", 4), 0); /* exactly the cap */
    CHECK(!rx.truncated);
    CHECK_EQ(anc_cliprx_append(&rx, (const uint8_t *)"", 0), 0);
    CHECK_EQ(anc_cliprx_append(&rx, (const uint8_t *)"i", 1), 1);
    CHECK(rx.truncated);
    CHECK_EQ(anc_cliprx_append(&rx, (const uint8_t *)"j", 1), 1); /* dropped, still capped */
    CHECK_EQ(rx.len, 8);
    CHECK_EQ(anc_cliprx_text_len(&rx), 8);
    CHECK(memcmp(rx.buf, "abcdefgh", 8) == 0);
    anc_cliprx_destroy(&rx);
}

/* "a世界" is 61 e4 b8 96 e7 95 8c: a cap inside 界 keeps "a世". */
TEST(cut_on_a_character)
{
    const uint8_t t[] = {0x61, 0xe4, 0xb8, 0x96, 0xe7, 0x95, 0x8c};
    for (size_t cap = 1; cap < sizeof(t); cap++) {
        struct anc_cliprx rx;
        anc_cliprx_init(&rx, cap);
        CHECK_EQ(anc_cliprx_append(&rx, t, sizeof(t)), 1);
        size_t want = cap < 4 ? 1 : 4;
        CHECK_EQ(anc_cliprx_text_len(&rx), want);
        anc_cliprx_destroy(&rx);
    }
    /* A 4-byte sequence (😀 f0 9f 98 80) cut after 3 of its bytes goes whole. */
    const uint8_t e[] = {'x', 0xf0, 0x9f, 0x98, 0x80};
    struct anc_cliprx rx;
    anc_cliprx_init(&rx, 4);
    CHECK_EQ(anc_cliprx_append(&rx, e, sizeof(e)), 1);
    CHECK_EQ(anc_cliprx_text_len(&rx), 1);
    anc_cliprx_destroy(&rx);
}
