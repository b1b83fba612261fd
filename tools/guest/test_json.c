/* The demo's JSON lines are parsed by tests in other languages: check exact bytes. */
#include "test.h"

#include "json.h"

TEST(line_with_ints_and_bool)
{
    struct demo_json j;
    demo_json_begin(&j, "down");
    demo_json_int(&j, "x", 180);
    demo_json_int(&j, "y", -1);
    demo_json_bool(&j, "pressed", true);
    CHECK_STREQ(demo_json_end(&j), "{\"event\":\"down\",\"x\":180,\"y\":-1,\"pressed\":true}\n");
}

TEST(escapes)
{
    struct demo_json j;
    demo_json_begin(&j, "text");
    demo_json_str(&j, "text", "a\"b\\c\n\x01\t");
    CHECK_STREQ(demo_json_end(&j), "{\"event\":\"text\",\"text\":\"a\\\"b\\\\c\\n\\u0001\\t\"}\n");
}

TEST(utf8_passes_and_invalid_is_replaced)
{
    struct demo_json j;
    demo_json_begin(&j, "text");
    demo_json_str(&j, "text", "\xe4\xb8\x96\xe7\x95\x8c"); /* 世界 */
    CHECK_STREQ(demo_json_end(&j), "{\"event\":\"text\",\"text\":\"\xe4\xb8\x96\xe7\x95\x8c\"}\n");
    demo_json_begin(&j, "text");
    demo_json_str(&j, "text",
                  "\xff"
                  "a\xc0\xaf"
                  "\xed\xa0\x80"); /* bad, overlong, surrogate */
    CHECK_STREQ(demo_json_end(&j), "{\"event\":\"text\",\"text\":\"\xef\xbf\xbd"
                                   "a"
                                   "\xef\xbf\xbd\xef\xbf\xbd"
                                   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n");
}

TEST(utf8_roundtrip)
{
    static const uint32_t cps[] = {0x24, 0xa2, 0x20ac, 0x1f600, 0x10ffff};
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        char buf[4];
        uint32_t back;
        size_t n = demo_utf8_put(cps[i], buf);
        CHECK_EQ(n, i < 3 ? i + 1 : 4);
        CHECK_EQ(demo_utf8_next(buf, n, &back), n);
        CHECK_EQ(back, cps[i]);
    }
    uint32_t cp;
    CHECK_EQ(demo_utf8_next("\xe4\xb8", 2, &cp), 1); /* truncated */
    CHECK_EQ(cp, 0xfffd);
}

TEST(overflow_drops_the_line)
{
    struct demo_json j;
    char big[DEMO_JSON_MAX];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    demo_json_begin(&j, "text");
    demo_json_str(&j, "text", big);
    CHECK(demo_json_end(&j) == NULL);
}
