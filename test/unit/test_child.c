/* The supervised-child helper with real processes (/bin/sh, sleep) on a private loop: exit
 * status, a stop that escalates to SIGKILL after the grace period, the restart back-off, detach
 * then adopt, a stale record that must never be adopted or killed, and a failed start. */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/child.h"
#include "base/pidwatch.h"
#include "test.h"
#include "test_uv.h"

static uv_loop_t loop;
static char dir[64], rec[96], flag[96], needle[64], arg[32];
static int exits, closes, spawns, spawn_fail;
static struct anc_child_exit last[8];
static uint64_t exit_at[8], spawn_at[8];
static bool stop_at_exit;

static void on_exit_cb(struct anc_child *c, const struct anc_child_exit *e, void *data)
{
    (void)data;
    if (exits < 8) {
        last[exits] = *e;
        exit_at[exits] = uv_now(&loop);
    }
    exits++;
    if (exits == 4)
        CHECK(fclose(fopen(flag, "w")) == 0); /* the next run lasts long enough to be stable */
    if (stop_at_exit)
        anc_child_stop(c, NULL, NULL);
}

static void on_spawned(struct anc_child *c, int r, void *data)
{
    (void)c;
    (void)data;
    if (r < 0) {
        spawn_fail++;
        return;
    }
    if (spawns < 8)
        spawn_at[spawns] = uv_now(&loop);
    spawns++;
}

static void on_closed(void *data)
{
    (void)data;
    closes++;
}

static const struct anc_child_callbacks cbs = {.on_exit = on_exit_cb, .on_spawned = on_spawned};

static void setup(void)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    snprintf(dir, sizeof(dir), "/tmp/anc-child-XXXXXX");
    CHECK(mkdtemp(dir));
    snprintf(rec, sizeof(rec), "%s/x.pid", dir);
    snprintf(flag, sizeof(flag), "%s/flag", dir);
    /* sleep with a duration no other process has: its command line is the record's needle. */
    snprintf(arg, sizeof(arg), "600.%d", (int)getpid());
    snprintf(needle, sizeof(needle), "\n%s\n", arg);
    exits = closes = spawns = spawn_fail = 0;
    stop_at_exit = false;
}

static void teardown(void)
{
    unlink(flag);
    CHECK(access(rec, F_OK) != 0);
    CHECK_EQ(rmdir(dir), 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static struct anc_child_params sleep_params(char **argv)
{
    argv[0] = "sleep";
    argv[1] = arg;
    argv[2] = NULL;
    return (struct anc_child_params){.argv = argv,
                                     .fds = {ANC_CHILD_IGNORE, ANC_CHILD_IGNORE, 2},
                                     .nfds = 3,
                                     .record = rec,
                                     .needle = needle,
                                     .grace_ms = 5000};
}

static bool run_until(const int *n, int want, uint64_t ms)
{
    return anc_test_run_until(&loop, n, want, ms);
}

/* Waits (without the loop) until pid's command line has needle. */
static bool wait_matches(int pid, const char *what)
{
    for (int i = 0; i < 400; i++) {
        if (anc_proc_matches(pid, what))
            return true;
        usleep(5000);
    }
    return false;
}

TEST(exit_status_and_record)
{
    setup();
    char *argv[] = {"/bin/sh", "-c", "read x; exit 3", NULL};
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    struct anc_child_params p = {.argv = argv,
                                 .fds = {fds[0], ANC_CHILD_IGNORE, 2},
                                 .nfds = 3,
                                 .record = rec,
                                 .needle = "\nread x; exit 3\n"};
    struct anc_child *c;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    close(fds[0]);
    int pid = anc_child_pid(c);
    CHECK(pid > 0);
    CHECK_EQ(anc_child_record_read(rec, "\nread x; exit 3\n", NULL, 0), pid); /* "PID\n" */
    CHECK(!anc_child_adopted(c));
    CHECK_EQ(write(fds[1], "\n", 1), 1);
    close(fds[1]);
    CHECK(run_until(&exits, 1, 5000));
    CHECK_EQ(last[0].status, 3);
    CHECK_EQ(last[0].signal, 0);
    CHECK_EQ(last[0].restart_ms, -1); /* no restart policy */
    CHECK_EQ(anc_child_pid(c), 0);
    CHECK_EQ(anc_child_signal(c, SIGTERM), -ESRCH);
    CHECK(access(rec, F_OK) != 0); /* an exit removes the record */
    anc_child_stop(c, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(closes, 1);
    CHECK_EQ(exits, 1);
    teardown();
}

TEST(stop_term_then_kill_after_grace)
{
    setup();
    char *argv[4];
    struct anc_child_params p = sleep_params(argv);
    struct anc_child *c;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    CHECK(wait_matches(anc_child_pid(c), needle));
    anc_child_stop(c, on_closed, NULL); /* sleep ends on SIGTERM */
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(closes, 1);
    CHECK_EQ(exits, 1);
    CHECK_EQ(last[0].signal, SIGTERM);
    CHECK_EQ(last[0].restart_ms, -1);

    /* One that ignores SIGTERM is SIGKILLed once the grace period is over. */
    char *trap[] = {"/bin/sh", "-c", "trap '' TERM; exec sleep \"$0\"", arg, NULL};
    p.argv = trap;
    p.grace_ms = 300;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    CHECK(wait_matches(anc_child_pid(c), "\nsleep\n")); /* the trap is set by then */
    uint64_t t0 = uv_hrtime();
    anc_child_stop(c, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK((uv_hrtime() - t0) / 1000000u >= 290);
    CHECK_EQ(closes, 2);
    CHECK_EQ(exits, 2);
    CHECK_EQ(last[1].signal, SIGKILL);
    teardown();
}

/* Each quick death doubles the delay up to the maximum; a run that lasted stable_ms resets it. */
TEST(restart_backoff_grows_and_resets)
{
    setup();
    char *argv[] = {"/bin/sh",        "-c", "test -e \"$1\" && sleep 0.4; exit 3",
                    "anc-child-test", flag, NULL};
    struct anc_child_params p = {
        .argv = argv,
        .fds = {ANC_CHILD_IGNORE, ANC_CHILD_IGNORE, 2},
        .nfds = 3,
        .restart = {.min_ms = 20, .max_ms = 80, .stable_ms = 300},
    };
    struct anc_child *c;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    CHECK(run_until(&exits, 4, 5000));
    stop_at_exit = true; /* after the fifth run, the stable one */
    CHECK(run_until(&exits, 5, 5000));
    anc_child_stop(NULL, on_closed, NULL); /* NULL: the callback at once */
    CHECK_EQ(closes, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    const int64_t want[] = {20, 40, 80, 80, 20};
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(last[i].status, 3);
        CHECK_EQ(last[i].restart_ms, want[i]);
    }
    for (int i = 0; i < 4; i++)
        CHECK(spawn_at[i + 1] - exit_at[i] >= (uint64_t)want[i]);
    CHECK_EQ(spawns, 5);
    CHECK_EQ(exits, 5);
    teardown();
}

/* Detach lets go of a live process and keeps its record; a second object adopts it from there,
 * watches it through a pidfd and stops it. */
TEST(detach_then_adopt)
{
    setup();
    char *argv[4];
    struct anc_child_params p = sleep_params(argv);
    struct anc_child *c;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    int pid = anc_child_pid(c);
    CHECK(wait_matches(pid, needle));
    anc_child_detach(c, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(closes, 1);
    CHECK_EQ(exits, 0);
    CHECK_EQ(kill(pid, 0), 0); /* still running */
    CHECK_EQ(anc_child_record_read(rec, needle, NULL, 0), pid);

    p.adopt = true;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    CHECK(anc_child_adopted(c));
    CHECK_EQ(anc_child_pid(c), pid);
    CHECK_EQ(spawns, 1); /* nothing new spawned */
    CHECK_EQ(anc_child_record(c, "7 1"), 0);
    char extra[32];
    CHECK_EQ(anc_child_record_read(rec, needle, extra, sizeof(extra)), pid);
    CHECK_STREQ(extra, "7 1");
    anc_child_stop(c, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(closes, 2);
    CHECK_EQ(exits, 1);
    CHECK_EQ(last[0].status, -1); /* not our child any more: no status */
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid); /* this process is still its parent */
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    teardown();
}

/* A record whose pid now belongs to something else is neither adopted nor killed. */
TEST(foreign_pid_never_adopted_or_killed)
{
    setup();
    pid_t foreign = fork();
    CHECK(foreign >= 0);
    if (foreign == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphan holding the test's output if it aborts */
        pause();
        _exit(0);
    }
    FILE *f = fopen(rec, "w");
    CHECK(f);
    fprintf(f, "%d\n", (int)foreign);
    fclose(f);
    CHECK_EQ(anc_child_kill_leftover(rec, needle, 100), 0);
    CHECK(access(rec, F_OK) != 0); /* taken */

    f = fopen(rec, "w");
    CHECK(f);
    fprintf(f, "%d\n", (int)foreign);
    fclose(f);
    char *argv[4];
    struct anc_child_params p = sleep_params(argv);
    p.adopt = true;
    struct anc_child *c;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    CHECK(!anc_child_adopted(c));
    CHECK(anc_child_pid(c) > 0 && anc_child_pid(c) != foreign);
    anc_child_stop(c, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(closes, 1);
    CHECK_EQ(kill(foreign, 0), 0); /* untouched */
    CHECK_EQ(kill(foreign, SIGKILL), 0);
    CHECK_EQ(waitpid(foreign, NULL, 0), foreign);
    teardown();
}

/* What a crashed daemon left is ended by kill_leftover when it is still ours. */
TEST(kill_leftover_ends_ours)
{
    setup();
    char *argv[4];
    struct anc_child_params p = sleep_params(argv);
    struct anc_child *c;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    int pid = anc_child_pid(c);
    CHECK(wait_matches(pid, needle));
    anc_child_detach(c, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(anc_child_kill_leftover(rec, needle, 1000), pid);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK_EQ(anc_child_kill_leftover(rec, needle, 0), 0); /* record gone */
    teardown();
}

/* A signal reaches the running process (dnsmasq's reload); its death is reported with it. */
TEST(signal_and_restart_count)
{
    setup();
    char *argv[4];
    struct anc_child_params p = sleep_params(argv);
    p.restart = (struct anc_child_restart){.min_ms = 10, .max_ms = 10, .stable_ms = 1000};
    struct anc_child *c;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), 0);
    int pid = anc_child_pid(c);
    CHECK(wait_matches(pid, needle));
    CHECK_EQ(anc_child_signal(c, SIGHUP), 0);
    CHECK(run_until(&spawns, 2, 5000));
    CHECK_EQ(last[0].signal, SIGHUP);
    CHECK_EQ(last[0].restart_ms, 10);
    CHECK_EQ(anc_child_restarts(c), 1);
    CHECK(anc_child_pid(c) > 0 && anc_child_pid(c) != pid);
    anc_child_stop(c, on_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(closes, 1);
    teardown();
}

/* A binary that does not exist: the start fails, no callback runs, nothing is left open. */
TEST(start_failure_calls_nothing)
{
    setup();
    char *argv[] = {"/nonexistent/anc-child", NULL};
    struct anc_child_params p = {.argv = argv, .record = rec, .needle = needle};
    struct anc_child *c = NULL;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), UV_ENOENT);
    CHECK(!c);
    CHECK_EQ(spawn_fail, 1); /* the hook still hears of it, to close what it passed */
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(exits, 0);
    CHECK_EQ(closes, 0);
    char *none[] = {NULL};
    p.argv = none;
    CHECK_EQ(anc_child_start(&loop, &p, &cbs, NULL, &c), -EINVAL);
    teardown();
}
