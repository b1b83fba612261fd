/* Waiting for Android to finish booting, sans-IO: the android kind asks `getprop
 * sys.boot_completed` in the guest every second until it prints 1 or the boot timeout passes,
 * and logs progress lines in the instance log. This object decides when to ask, what an answer
 * means and what to log; the caller runs the command and the timer. Time goes in (now_ms), the
 * next deadline comes out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANC_BOOT_POLL_MS     1000  /* between two getprop runs */
#define ANC_BOOT_PROGRESS_MS 15000 /* a "still booting" line at least this often */

enum anc_boot_state {
    ANC_BOOT_WAIT,      /* nothing to do before anc_boot_next_timeout */
    ANC_BOOT_POLL,      /* run getprop now, then anc_boot_result */
    ANC_BOOT_POLLING,   /* a getprop is running: wait for its result */
    ANC_BOOT_DONE,      /* sys.boot_completed is 1 */
    ANC_BOOT_TIMED_OUT, /* the timeout passed first */
};

struct anc_boot_wait {
    enum anc_boot_state state;
    uint64_t start_ms, deadline_ms, next_poll_ms, last_progress_ms;
    unsigned polls;
    char last[64]; /* the last answer, as logged: "1", "(empty)", "getprop failed: ..." */
};

void anc_boot_init(struct anc_boot_wait *b, uint64_t now_ms, unsigned timeout_s);

/* What to do at now_ms: ANC_BOOT_POLL (the caller runs getprop), ANC_BOOT_WAIT, ANC_BOOT_POLLING,
 * or a final state. A poll that is due after the deadline becomes ANC_BOOT_TIMED_OUT. */
enum anc_boot_state anc_boot_step(struct anc_boot_wait *b, uint64_t now_ms);

/* The getprop run asked for by ANC_BOOT_POLL ended: status 0 with its output, or a negative
 * errno / the command's nonzero exit status (output may be NULL). Writes a progress line for the
 * instance log into line when there is one to log (the answer changed, or every
 * ANC_BOOT_PROGRESS_MS), else an empty string. Returns the new state. */
enum anc_boot_state anc_boot_result(struct anc_boot_wait *b, uint64_t now_ms, int status,
                                    const char *output, char *line, size_t len);

/* When anc_boot_step should run next (ms); UINT64_MAX when nothing is pending (polling, or a
 * final state). */
uint64_t anc_boot_next_timeout(const struct anc_boot_wait *b);
