/* Pid files and command-line matching (how a daemon finds what a crashed one left running), and
 * the pidfd watch of a process that is not waited for. */
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/pidwatch.h"
#include "test.h"

static char self_arg0[512];

static void read_self_arg0(void)
{
    FILE *f = fopen("/proc/self/cmdline", "r");
    CHECK(f);
    size_t n = fread(self_arg0, 1, sizeof(self_arg0) - 1, f);
    fclose(f);
    self_arg0[n] = '\0'; /* stops at the first NUL: argv[0] */
}

TEST(matches_whole_arguments)
{
    char needle[600];
    read_self_arg0();
    snprintf(needle, sizeof(needle), "\n%s\n", self_arg0);
    CHECK(anc_proc_matches(getpid(), needle));
    snprintf(needle, sizeof(needle), "\n%.3s\n", self_arg0); /* part of an argument: no */
    CHECK(!anc_proc_matches(getpid(), needle));
    CHECK(!anc_proc_matches(1, "\n")); /* never init */
    CHECK(!anc_proc_matches(0, "\n"));
    CHECK(!anc_proc_matches(-5, "\n"));
}

TEST(pidfile_take)
{
    char dir[] = "/tmp/anc-pidfile-XXXXXX", path[64], needle[600];
    CHECK(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/x.pid", dir);
    read_self_arg0();
    snprintf(needle, sizeof(needle), "\n%s\n", self_arg0);

    anc_pidfile_write(path, (int)getpid());
    CHECK_EQ(anc_pidfile_take(path, needle), (int)getpid());
    CHECK(access(path, F_OK) != 0);              /* taken: removed */
    CHECK_EQ(anc_pidfile_take(path, needle), 0); /* no file */

    anc_pidfile_write(path, (int)getpid()); /* alive, but not the program asked for */
    CHECK_EQ(anc_pidfile_take(path, "\n--no-such-argument\n"), 0);

    pid_t child = fork(); /* a pid that has exited */
    CHECK(child >= 0);
    if (child == 0)
        _exit(0);
    CHECK_EQ(waitpid(child, NULL, 0), child);
    anc_pidfile_write(path, (int)child);
    CHECK_EQ(anc_pidfile_take(path, "\n"), 0);

    FILE *f = fopen(path, "w"); /* garbage */
    CHECK(f);
    fputs("not a pid\n", f);
    fclose(f);
    CHECK_EQ(anc_pidfile_take(path, "\n"), 0);
    CHECK_EQ(rmdir(dir), 0);
}

static int exits, closes;

static void on_exit_cb(struct anc_pidwatch *w, void *data)
{
    (void)data;
    exits++;
    anc_pidwatch_close(w, NULL, NULL);
}

static void on_closed(void *data)
{
    (void)data;
    closes++;
}

/* The exit of a process is seen through its pidfd; a signal goes through the pidfd too; closing
 * a watch of a live process calls no exit callback. */
TEST(watch_exit_and_close)
{
    uv_loop_t loop;
    CHECK_EQ(uv_loop_init(&loop), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphan holding the test's output if it aborts */
        pause();
        _exit(0);
    }
    struct anc_pidwatch *w;
    CHECK_EQ(anc_pidwatch_start(&loop, child, on_exit_cb, NULL, &w), 0);
    CHECK_EQ(anc_pidwatch_pid(w), child);
    CHECK_EQ(anc_pidwatch_signal(w, SIGTERM), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(exits, 1);
    CHECK_EQ(waitpid(child, NULL, 0), child);

    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphan holding the test's output if it aborts */
        pause();
        _exit(0);
    }
    CHECK_EQ(anc_pidwatch_start(&loop, child, on_exit_cb, NULL, &w), 0);
    anc_pidwatch_close(w, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(closes, 1);
    CHECK_EQ(exits, 1);
    kill(child, SIGKILL);
    CHECK_EQ(waitpid(child, NULL, 0), child);
    CHECK_EQ(anc_pidwatch_start(&loop, child, on_exit_cb, NULL, &w), -ESRCH); /* reaped */
    CHECK_EQ(uv_loop_close(&loop), 0);
}
