/* The boot wait on a fake clock with a fake getprop: no container, no time passes. */
#include <errno.h>
#include <stdint.h>

#include "instance/boot_wait.h"
#include "test.h"

static char line[200];

/* Runs the wait with getprop answering answers[i] at its i-th run (the last one repeats), the
 * clock jumping to each deadline. Returns the final state and the time it was reached. */
static enum anc_boot_state run(unsigned timeout_s, const char *const *answers, size_t n,
                               uint64_t *at, int *logged)
{
    struct anc_boot_wait b;
    uint64_t now = 5000;
    size_t i = 0;
    *logged = 0;
    anc_boot_init(&b, now, timeout_s);
    for (;;) {
        enum anc_boot_state s = anc_boot_step(&b, now);
        if (s == ANC_BOOT_DONE || s == ANC_BOOT_TIMED_OUT) {
            *at = now - 5000;
            return s;
        }
        if (s == ANC_BOOT_POLL) {
            const char *a = answers[i < n ? i : n - 1];
            i++;
            now += 100; /* getprop takes 100 ms */
            s = anc_boot_result(&b, now, a ? 0 : -ECHILD, a, line, sizeof(line));
            *logged += line[0] != '\0';
            if (s == ANC_BOOT_DONE || s == ANC_BOOT_TIMED_OUT) {
                *at = now - 5000;
                return s;
            }
            continue;
        }
        CHECK_EQ(s, ANC_BOOT_WAIT);
        uint64_t next = anc_boot_next_timeout(&b);
        CHECK(next != UINT64_MAX && next > now);
        now = next;
    }
}

TEST(boots_when_the_property_is_1)
{
    const char *answers[] = {NULL, "\n", "\n", "0\n", "1\n"};
    uint64_t at;
    int logged;
    CHECK_EQ(run(180, answers, 5, &at, &logged), ANC_BOOT_DONE);
    CHECK_EQ(at, 4 * 1100 + 100); /* five polls, a second apart, 100 ms each */
    CHECK_STREQ(line, "android booted: sys.boot_completed=1 after 4 s (5 polls)");
    CHECK_EQ(logged, 4); /* failed, (empty), 0, booted: one line per change */
}

TEST(times_out_with_progress_lines)
{
    const char *answers[] = {"\n"};
    uint64_t at;
    int logged;
    CHECK_EQ(run(60, answers, 1, &at, &logged), ANC_BOOT_TIMED_OUT);
    CHECK(at >= 60000 && at < 61200);
    CHECK_EQ(logged, 1 + 3); /* the first answer, then one every 15 s */
}

TEST(answers_are_trimmed_and_late_results_ignored)
{
    struct anc_boot_wait b;
    anc_boot_init(&b, 0, 10);
    CHECK_EQ(anc_boot_result(&b, 0, 0, "1\n", line, sizeof(line)), ANC_BOOT_WAIT); /* unasked */
    CHECK_STREQ(line, "");
    CHECK_EQ(anc_boot_step(&b, 0), ANC_BOOT_POLL);
    CHECK_EQ(anc_boot_step(&b, 0), ANC_BOOT_POLLING);
    CHECK_EQ(anc_boot_next_timeout(&b), UINT64_MAX);
    CHECK_EQ(anc_boot_result(&b, 10, 0, "  1 \r\n", line, sizeof(line)), ANC_BOOT_DONE);
    CHECK_EQ(anc_boot_step(&b, 20000), ANC_BOOT_DONE); /* final: the clock no longer matters */

    anc_boot_init(&b, 0, 10);
    CHECK_EQ(anc_boot_step(&b, 0), ANC_BOOT_POLL);
    CHECK_EQ(anc_boot_result(&b, 9500, 0, "0", line, sizeof(line)), ANC_BOOT_WAIT);
    CHECK_STREQ(line, "booting: sys.boot_completed is 0 after 9 s (timeout 10 s)");
    CHECK_EQ(anc_boot_next_timeout(&b), 10000); /* the deadline comes before the next poll */
    CHECK_EQ(anc_boot_step(&b, 10000), ANC_BOOT_TIMED_OUT);
    CHECK_STREQ(b.last, "0");
}
