/* See boot_wait.h. */
#include "instance/boot_wait.h"

#include <stdio.h>
#include <string.h>

void anc_boot_init(struct anc_boot_wait *b, uint64_t now_ms, unsigned timeout_s)
{
    *b = (struct anc_boot_wait){.state = ANC_BOOT_WAIT,
                                .start_ms = now_ms,
                                .deadline_ms = now_ms + (uint64_t)timeout_s * 1000,
                                .next_poll_ms = now_ms,
                                .last_progress_ms = now_ms};
    snprintf(b->last, sizeof(b->last), "(not asked yet)");
}

enum anc_boot_state anc_boot_step(struct anc_boot_wait *b, uint64_t now_ms)
{
    if (b->state != ANC_BOOT_WAIT)
        return b->state;
    if (now_ms >= b->deadline_ms)
        return b->state = ANC_BOOT_TIMED_OUT;
    if (now_ms < b->next_poll_ms)
        return ANC_BOOT_WAIT;
    b->polls++;
    b->state = ANC_BOOT_POLLING;
    return ANC_BOOT_POLL;
}

/* getprop's output, first line, blanks trimmed; "(empty)" for nothing (not set yet). */
static void answer_of(int status, const char *output, char *out, size_t len)
{
    if (status != 0) {
        snprintf(out, len, "getprop failed (%d)", status);
        return;
    }
    const char *s = output ? output : "";
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strcspn(s, "\r\n");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        snprintf(out, len, "(empty)");
    else
        snprintf(out, len, "%.*s", (int)(n < len - 1 ? n : len - 1), s);
}

enum anc_boot_state anc_boot_result(struct anc_boot_wait *b, uint64_t now_ms, int status,
                                    const char *output, char *line, size_t len)
{
    char answer[sizeof(b->last)];
    line[0] = '\0';
    if (b->state != ANC_BOOT_POLLING)
        return b->state;
    answer_of(status, output, answer, sizeof(answer));
    unsigned s = (unsigned)((now_ms - b->start_ms) / 1000);
    bool changed = strcmp(answer, b->last) != 0;
    snprintf(b->last, sizeof(b->last), "%s", answer);
    if (strcmp(answer, "1") == 0) {
        snprintf(line, len, "android booted: sys.boot_completed=1 after %u s (%u polls)", s,
                 b->polls);
        return b->state = ANC_BOOT_DONE;
    }
    if (changed || now_ms - b->last_progress_ms >= ANC_BOOT_PROGRESS_MS) {
        snprintf(line, len, "booting: sys.boot_completed is %s after %u s (timeout %u s)", answer,
                 s, (unsigned)((b->deadline_ms - b->start_ms) / 1000));
        b->last_progress_ms = now_ms;
    }
    b->next_poll_ms = now_ms + ANC_BOOT_POLL_MS;
    b->state = ANC_BOOT_WAIT;
    return anc_boot_step(b, now_ms) == ANC_BOOT_TIMED_OUT ? ANC_BOOT_TIMED_OUT : ANC_BOOT_WAIT;
}

uint64_t anc_boot_next_timeout(const struct anc_boot_wait *b)
{
    if (b->state != ANC_BOOT_WAIT)
        return UINT64_MAX;
    return b->next_poll_ms < b->deadline_ms ? b->next_poll_ms : b->deadline_ms;
}
