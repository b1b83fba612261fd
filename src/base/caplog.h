/* A log file with a size cap, fed from the loop: the daemon's own lines, and what pipes or FIFOs
 * (a guest's stdout and stderr) yield. Loop thread only.
 *
 * Nothing here blocks the loop: sources are read non-blocking (uv_poll_t, a few reads a wake-up)
 * into a buffer of ANC_CAPLOG_BUF_MAX bytes (less for small caps), and the file is written on
 * libuv's pool, one chunk at a time. Sources are taken at up to max_bytes a second (a burst of
 * max_bytes), so that a flood costs the disk at most one rotation a second. What a source yields
 * beyond that, or while the buffer is full, is dropped (spliced to /dev/null, not copied): the
 * bytes are counted, and a line at most every second says how many went ("ancloudd: N bytes of
 * output dropped ..."). The daemon's own lines are never dropped nor limited.
 *
 * The cap: before a chunk would take the file past max_bytes, the file is renamed to "<path>.1"
 * (replacing the previous one) and started afresh with a line saying so. The file and its ".1"
 * stay under max_bytes each (plus at most one chunk of the final flush, see anc_caplog_close). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define ANC_CAPLOG_BUF_MAX (64 * 1024)
#define ANC_CAPLOG_MIN     (16 * 1024) /* the smallest cap: a chunk is at most a quarter of it */

struct anc_caplog;

/* Opens path for appending (creating it 0600); a file already past max_bytes is rotated first.
 * max_bytes below ANC_CAPLOG_MIN counts as ANC_CAPLOG_MIN. Returns 0 or -errno. */
int anc_caplog_open(uv_loop_t *loop, const char *path, size_t max_bytes, struct anc_caplog **out);

/* Appends text as given (never dropped), on a line of its own after a partial line. */
void anc_caplog_write(struct anc_caplog *l, const char *text, size_t len);

/* Reads fd (a pipe's read end or a FIFO; taken over: the log closes it, also on failure) until
 * EOF or anc_caplog_close; what it yields is appended, or dropped when it comes faster than the
 * file takes it. Returns 0 or -errno. */
int anc_caplog_follow(struct anc_caplog *l, int fd);

/* A pipe into the log for child processes: returns its (blocking, close-on-exec) write end, which
 * the caller owns; the log reads the other end until every copy of the write end is closed.
 * Returns the fd or -errno. */
int anc_caplog_pipe(struct anc_caplog *l);

/* Bytes dropped so far (for tests and the drop line). */
uint64_t anc_caplog_dropped(const struct anc_caplog *l);

/* Stops reading the sources, writes what is buffered (no rotation then: the next log of the same
 * file may already be open), closes the file and frees the log once the pool is done with it.
 * Accepts NULL. */
void anc_caplog_close(struct anc_caplog *l);
