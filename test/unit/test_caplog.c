/* The capped log: rotation to .1 past the cap, daemon lines never dropped nor glued to a partial
 * line, a source that writes faster than the file is written loses bytes (counted, and said so),
 * and closing writes what is left and leaves nothing open on the loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/caplog.h"
#include "base/fsutil.h"
#include "test.h"
#include "test_uv.h"

#define CAP   (16 * 1024)
#define SLACK (CAP / 4 + 512)

struct fixture {
    char dir[64], path[96], old[100];
    uv_loop_t loop;
};

static void setup(struct fixture *f)
{
    snprintf(f->dir, sizeof(f->dir), "/tmp/anc-caplog-XXXXXX");
    CHECK(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/i.log", f->dir);
    snprintf(f->old, sizeof(f->old), "%s/i.log.1", f->dir);
    CHECK_EQ(uv_loop_init(&f->loop), 0);
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static char *slurp(const char *p)
{
    char *text = NULL;
    size_t n = 0;
    if (anc_read_file(p, 1 << 20, &text, &n) < 0)
        return strdup("");
    return text;
}

/* Closes the log, runs the loop dry, and checks that nothing is left on it. */
static void teardown(struct fixture *f, struct anc_caplog *l)
{
    anc_caplog_close(l);
    CHECK_EQ(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    CHECK_EQ(uv_loop_close(&f->loop), 0);
}

static void cleanup(struct fixture *f)
{
    unlink(f->path);
    unlink(f->old);
    rmdir(f->dir);
}

TEST(daemon_lines_rotate_at_the_cap)
{
    struct fixture f;
    struct anc_caplog *l;
    char line[128];
    setup(&f);
    CHECK_EQ(anc_caplog_open(&f.loop, f.path, CAP, &l), 0);
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(line, sizeof(line), "ancloudd: line %04d of the daemon's own\n", i);
        anc_caplog_write(l, line, (size_t)n);
        if (i % 20 == 0) /* the pool writes meanwhile, as it does for the daemon's few lines */
            anc_test_run_until(&f.loop, NULL, 0, 2);
    }
    teardown(&f, l);
    CHECK(file_size(f.path) <= CAP + SLACK);
    CHECK(file_size(f.old) > 0 && file_size(f.old) <= CAP);
    char *cur = slurp(f.path), *old = slurp(f.old);
    CHECK(strncmp(cur, "ancloudd: log rotated at its cap of 16 KiB", 42) == 0);
    CHECK(strstr(cur, "the earlier part is in i.log.1\n"));
    CHECK(strstr(cur, "line 0999 of the daemon's own\n")); /* the last one is never dropped */
    CHECK(!strstr(cur, "dropped") && !strstr(old, "dropped"));
    free(cur);
    free(old);
    cleanup(&f);
}

TEST(a_file_past_the_cap_is_rotated_at_open)
{
    struct fixture f;
    struct anc_caplog *l;
    setup(&f);
    char *big = malloc(CAP * 2);
    memset(big, 'x', CAP * 2);
    CHECK_EQ(anc_write_file_atomic(f.path, big, CAP * 2, 0600), 0);
    free(big);
    CHECK_EQ(anc_caplog_open(&f.loop, f.path, CAP, &l), 0);
    anc_caplog_write(l, "ancloudd: starting\n", 19);
    teardown(&f, l);
    CHECK_EQ(file_size(f.old), CAP * 2);
    char *cur = slurp(f.path);
    CHECK(strncmp(cur, "ancloudd: log rotated", 21) == 0 && strstr(cur, "\nancloudd: starting\n"));
    free(cur);
    cleanup(&f);
}

/* A source that writes a megabyte as fast as the pipe takes it: the log keeps a part, counts the
 * rest, says so, and stays under its cap. */
TEST(a_flood_is_dropped_and_counted)
{
    struct fixture f;
    struct anc_caplog *l;
    char chunk[4096];
    setup(&f);
    CHECK_EQ(anc_caplog_open(&f.loop, f.path, CAP, &l), 0);
    int wfd = anc_caplog_pipe(l);
    CHECK(wfd >= 0);
    CHECK_EQ(fcntl(wfd, F_SETFL, O_NONBLOCK), 0);
    memset(chunk, 'g', sizeof(chunk));
    chunk[sizeof(chunk) - 1] = '\n';
    size_t sent = 0;
    while (sent < (1u << 20)) {
        ssize_t n = write(wfd, chunk, sizeof(chunk));
        if (n > 0)
            sent += (size_t)n;
        else
            uv_run(&f.loop, UV_RUN_NOWAIT);
    }
    CHECK(anc_test_run_until(&f.loop, NULL, 0, 50)); /* drained, and written */
    CHECK_EQ(write(wfd, "partial", 7), 7);
    CHECK(anc_test_run_until(&f.loop, NULL, 0, 50));
    anc_caplog_write(l, "ancloudd: after\n", 16);
    close(wfd); /* EOF: the source ends by itself */
    CHECK(anc_test_run_until(&f.loop, NULL, 0, 50));
    uint64_t dropped = anc_caplog_dropped(l);
    teardown(&f, l);
    CHECK(dropped > 0 && dropped < sent);
    CHECK(file_size(f.path) <= CAP + SLACK && file_size(f.old) <= CAP + SLACK);
    char *cur = slurp(f.path), *old = slurp(f.old);
    CHECK(strstr(cur, "bytes of output dropped (more than the log takes: [instance] log_max_kib a "
                      "second, and what the disk writes)\n") ||
          strstr(old, "bytes of output dropped (more than the log takes: [instance] log_max_kib a "
                      "second, and what the disk writes)\n"));
    CHECK(strstr(cur, "partial\nancloudd: after\n")); /* a line of its own */
    free(cur);
    free(old);
    cleanup(&f);
}

TEST(close_with_a_source_open_and_null)
{
    struct fixture f;
    struct anc_caplog *l;
    setup(&f);
    anc_caplog_close(NULL);
    CHECK_EQ(anc_caplog_open(&f.loop, f.path, CAP, &l), 0);
    int wfd = anc_caplog_pipe(l);
    CHECK(wfd >= 0);
    CHECK_EQ(write(wfd, "last words\n", 11), 11);
    CHECK(anc_test_run_until(&f.loop, NULL, 0, 20));
    teardown(&f, l); /* the write end is still open: the log closes its source itself */
    close(wfd);
    char *cur = slurp(f.path);
    CHECK_STREQ(cur, "last words\n");
    free(cur);
    CHECK_EQ(anc_caplog_open(&f.loop, "/nonexistent/dir/x.log", CAP, &l), -ENOENT);
    cleanup(&f);
}

/* Output within the rate (a 1 KiB line every 50 ms: 30 KiB in 1.5 s, against a burst of 16 KiB
 * and 16 KiB a second) loses nothing; a burst of 60 KiB right after it loses what the rate does
 * not allow. */
TEST(steady_output_under_the_rate_is_kept)
{
    struct fixture f;
    struct anc_caplog *l;
    char line[1024];
    setup(&f);
    CHECK_EQ(anc_caplog_open(&f.loop, f.path, CAP, &l), 0);
    int wfd = anc_caplog_pipe(l);
    CHECK(wfd >= 0);
    memset(line, 's', sizeof(line));
    line[sizeof(line) - 1] = '\n';
    for (int i = 0; i < 30; i++) {
        CHECK_EQ(write(wfd, line, sizeof(line)), (ssize_t)sizeof(line));
        CHECK(anc_test_run_until(&f.loop, NULL, 0, 50));
    }
    CHECK_EQ(anc_caplog_dropped(l), 0);
    CHECK_EQ(fcntl(wfd, F_SETFL, O_NONBLOCK), 0);
    for (int i = 0; i < 60; i++)
        CHECK_EQ(write(wfd, line, sizeof(line)), (ssize_t)sizeof(line));
    CHECK(anc_test_run_until(&f.loop, NULL, 0, 100));
    CHECK(anc_caplog_dropped(l) > 30 * 1024);
    close(wfd);
    teardown(&f, l);
    CHECK(file_size(f.path) <= CAP + SLACK && file_size(f.old) <= CAP + SLACK);
    cleanup(&f);
}
