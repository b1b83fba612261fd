/* A tiny test harness in the systemd style: TEST() registers a function, CHECK() always asserts.
 * Each unit-test binary links test/unit/test_main.c, which runs every registered test in order
 * (or only those named on the command line). */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*anc_test_fn)(void);
void anc_test_register(const char *name, anc_test_fn fn);

/* Exit code for "this test cannot run here": 77 (meson's skip) normally, a failure when CI=true,
 * because in CI a skipped test is a defect. Prints the reason either way. */
int anc_test_skip_code(const char *reason);
#define ANC_SKIP(reason) exit(anc_test_skip_code(reason))

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void register_##name(void)                                 \
    {                                                                                              \
        anc_test_register(#name, test_##name);                                                     \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ != check_b_) {                                                                \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", __FILE__,         \
                    __LINE__, #a, #b, check_a_, check_b_);                                         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_STREQ(a, b)                                                                          \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                           \
            fprintf(stderr, "%s:%d: CHECK_STREQ failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__,  \
                    __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",                              \
                    check_b_ ? check_b_ : "(null)");                                               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Directory holding committed test data (test/data), passed by meson as ANC_TEST_DATA. */
const char *anc_test_data_dir(void);
