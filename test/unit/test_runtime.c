/* The instance runtime's lifecycle on a private loop: which callbacks fire and how often, for the
 * pattern kind and for x11 commands on a real Xvfb (skips without /usr/bin/Xvfb), including the
 * failure paths (a screen that cannot start, a command that cannot be spawned, a stop during the
 * start). Every test ends with the loop closing with nothing left open. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/pidwatch.h"
#include "instance/instance.h"
#include "instance/runtime.h"
#include "instance/runtime_internal.h"
#include "media/encpool.h"
#include "test.h"
#include "test_uv.h"

static uv_loop_t loop;
static struct anc_encpool pool;
static bool pool_closed;
static char run_dir[64], state_dir[64];
static struct anc_instance inst;
static struct anc_runtime_env env;

static int started, died, stopped;
static char start_error[256], died_reason[256];
static int order[8], n_order; /* 1 started, 2 died, 3 stopped */

static void on_started(struct anc_instance *i, const char *error, void *data)
{
    (void)data;
    CHECK(i == &inst);
    started++;
    snprintf(start_error, sizeof(start_error), "%s", error ? error : "");
    if (!error)
        CHECK(i->stream != NULL);
    order[n_order++ & 7] = 1;
}

static void on_died(struct anc_instance *i, const char *reason, void *data)
{
    (void)data;
    CHECK(i == &inst);
    died++;
    snprintf(died_reason, sizeof(died_reason), "%s", reason);
    order[n_order++ & 7] = 2;
}

static void on_stopped(struct anc_instance *i, void *data)
{
    (void)data;
    CHECK(i == &inst);
    CHECK(i->rt == NULL);
    CHECK(i->stream == NULL);
    CHECK(i->input == NULL);
    stopped++;
    order[n_order++ & 7] = 3;
}

static int clips;
static char clip[16];

static void on_clipboard(struct anc_instance *i, const char *utf8, size_t len, void *data)
{
    CHECK(i == &inst);
    CHECK(data == &clips);
    CHECK(len < sizeof(clip));
    memcpy(clip, utf8, len);
    clip[len] = '\0';
    clips++;
}

static const struct anc_runtime_callbacks cbs = {on_started, on_died, on_stopped, NULL};
static const struct anc_runtime_callbacks clip_cbs = {on_started, on_died, on_stopped,
                                                      on_clipboard};

/* The linux kind (container and network code) is not linked into this test: its kind refuses. */
static int no_linux(struct anc_runtime *rt)
{
    (void)rt;
    return -ENOTSUP;
}

const struct anc_runtime_ops anc__rt_linux_ops = {
    .name = "linux", .size = sizeof(struct anc_runtime), .start = no_linux};
/* The android kind's container code is not linked either: its stand-in is the pattern kind
 * (wrapped, its ops are another file's) with the real screenshot op, whose `lxc-attach` into a
 * container that does not exist fails. */
static int fake_start(struct anc_runtime *rt)
{
    return anc__rt_pattern_ops.start(rt);
}

static void fake_stop(struct anc_runtime *rt)
{
    anc__rt_pattern_ops.stop(rt);
}

static void fake_release(struct anc_runtime *rt, bool detach)
{
    anc__rt_pattern_ops.release(rt, detach);
}

static struct anc_stream *fake_stream(struct anc_runtime *rt)
{
    return anc__rt_pattern_ops.stream(rt);
}

static int fake_screenshot(struct anc_runtime *rt, anc_runtime_shot_cb cb, void *arg)
{
    static const char *const cmd[] = {"/system/bin/screencap", "-p", NULL};
    return anc__rt_guest_shot(rt, cmd, cb, arg);
}

const struct anc_runtime_ops anc__rt_android_ops = {.name = "android",
                                                    /* >= the pattern kind's struct */
                                                    .size = sizeof(struct anc_runtime) + 64,
                                                    .start = fake_start,
                                                    .stop = fake_stop,
                                                    .release = fake_release,
                                                    .stream = fake_stream,
                                                    .screenshot = fake_screenshot};

static bool run_until(const int *flag, int want, uint64_t ms)
{
    return anc_test_run_until(&loop, flag, want, ms);
}

static void need_xvfb(void)
{
    if (access("/usr/bin/Xvfb", X_OK) != 0)
        ANC_SKIP("no /usr/bin/Xvfb");
}

static void setup(enum anc_instance_kind kind, int width, int height)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    CHECK_EQ(anc_encpool_init(&pool, &loop, 1), 0);
    pool_closed = false;
    snprintf(run_dir, sizeof(run_dir), "/tmp/anc-rt-run-XXXXXX");
    snprintf(state_dir, sizeof(state_dir), "/tmp/anc-rt-state-XXXXXX");
    CHECK(mkdtemp(run_dir));
    CHECK(mkdtemp(state_dir));
    char logs[128];
    snprintf(logs, sizeof(logs), "%s/instances", state_dir);
    CHECK_EQ(mkdir(logs, 0700), 0);
    inst = (struct anc_instance){.kind = kind, .width = width, .height = height, .fps = 30};
    snprintf(inst.id, sizeof(inst.id), "rt0test");
    env = (struct anc_runtime_env){.loop = &loop,
                                   .pool = &pool,
                                   .run_dir = run_dir,
                                   .state_dir = state_dir,
                                   .log_max = 1024 * 1024,
                                   .stream = {.width = width,
                                              .height = height,
                                              .fps = 30,
                                              .bitrate_kbps = 500,
                                              .min_bitrate_kbps = 100,
                                              .max_bitrate_kbps = 1000}};
    started = died = stopped = n_order = 0;
    start_error[0] = died_reason[0] = '\0';
}

static void set_command(const char *a0, const char *a1)
{
    snprintf(inst.command[0], sizeof(inst.command[0]), "%s", a0);
    inst.n_command = 1;
    if (a1) {
        snprintf(inst.command[1], sizeof(inst.command[1]), "%s", a1);
        inst.n_command = 2;
    }
}

static void on_pool_closed(struct anc_encpool *p)
{
    (void)p;
    pool_closed = true;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The instance log holds line (the daemon's own lines start with "ancloudd: "). */
static bool log_has(const char *line)
{
    char path[256], buf[8192];
    snprintf(path, sizeof(path), "%s/instances/%s.log", state_dir, inst.id);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, line) != NULL;
}

/* The log is written on the pool: a line shows up once the loop has run a little. */
static bool log_soon(const char *line)
{
    for (int i = 0; i < 200 && !log_has(line); i++)
        anc_test_run_until(&loop, NULL, 0, 5);
    return log_has(line);
}

static void teardown(void)
{
    anc_encpool_close(&pool, on_pool_closed);
    while (!pool_closed)
        uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
    nftw(run_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    nftw(state_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A screen that cannot even begin (no valid geometry: the display refuses synchronously) fails
 * the start with nothing left: no callback, no handle, no runtime. */
TEST(x11_screen_fails_synchronously)
{
    setup(ANC_KIND_X11, 0, 0);
    set_command("/bin/sleep", "30");
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), -EINVAL);
    CHECK(inst.rt == NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ(started + died + stopped, 0);
    teardown();
}

TEST(pattern_start_stop)
{
    setup(ANC_KIND_PATTERN, 160, 120);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(inst.rt != NULL);
    CHECK(run_until(&started, 1, 1000));
    CHECK_STREQ(start_error, "");
    run_until(NULL, 0, 50);
    anc_runtime_stop(&inst);
    anc_runtime_stop(&inst); /* a second stop is a no-op */
    CHECK(run_until(&stopped, 1, 5000));
    run_until(NULL, 0, 20);
    CHECK_EQ(started, 1);
    CHECK_EQ(died, 0);
    CHECK_EQ(stopped, 1);
    CHECK_EQ(anc_runtime_detach(&inst), -EINVAL);
    teardown();
}

static int shots, shot_status[4], shot_stopped_at[4];

static void on_shot(void *arg, int status, uint8_t *png, size_t len, uint8_t **steal)
{
    (void)arg;
    (void)steal;
    CHECK(png != NULL);
    CHECK(status < 0 && len == 0);
    shot_stopped_at[shots & 3] = stopped;
    shot_status[shots++ & 3] = status;
}

/* Screenshots the guest takes: none for a kind without (pattern) or a runtime not running; at
 * most ANC_RT_MAX_SHOTS at once; a stop answers those in flight at once (-ESHUTDOWN), before
 * on_stopped; a guest command that fails answers -EIO. */
TEST(guest_screenshots)
{
    setup(ANC_KIND_PATTERN, 160, 120);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 1000));
    CHECK_EQ(anc_runtime_screenshot(&inst, on_shot, NULL), -ENOTSUP);
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 5000));
    CHECK_EQ(anc_runtime_screenshot(&inst, on_shot, NULL), -EAGAIN);
    teardown();

    shots = 0;
    setup(ANC_KIND_ANDROID, 160, 120);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 1000));
    for (int i = 0; i < ANC_RT_MAX_SHOTS; i++)
        CHECK_EQ(anc_runtime_screenshot(&inst, on_shot, NULL), 0);
    CHECK_EQ(anc_runtime_screenshot(&inst, on_shot, NULL), -EBUSY);
    CHECK_EQ(shots, 0); /* never from inside the call */
    anc_runtime_stop(&inst);
    CHECK_EQ(shots, ANC_RT_MAX_SHOTS);
    for (int i = 0; i < ANC_RT_MAX_SHOTS; i++) {
        CHECK_EQ(shot_status[i], -ESHUTDOWN);
        CHECK_EQ(shot_stopped_at[i], 0);
    }
    CHECK(run_until(&stopped, 1, 5000));
    teardown();

    /* No such container: lxc-attach fails (or is missing): -EIO, after the call. */
    shots = 0;
    setup(ANC_KIND_ANDROID, 160, 120);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 1000));
    int r = anc_runtime_screenshot(&inst, on_shot, NULL);
    CHECK(r == 0 || r == -ENOENT);
    if (r == 0) {
        CHECK(run_until(&shots, 1, 6000));
        CHECK_EQ(shot_status[0], -EIO);
    }
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 5000));
    teardown();
}

static uint8_t shot_png[32];
static size_t shot_len;

static void on_shot_png(void *arg, int status, uint8_t *png, size_t len, uint8_t **steal)
{
    (void)arg;
    (void)steal;
    shot_status[shots++ & 3] = status;
    shot_len = len;
    memcpy(shot_png, png, len < sizeof(shot_png) ? len : sizeof(shot_png));
}

/* Writes an executable `lxc-attach` stand-in into dir: it records its arguments in dir/args and
 * prints a PNG signature and "guest" on its standard output, as `screencap -p` in a container
 * would print the PNG. */
static void fake_lxc_attach(const char *dir)
{
    char script[256];
    snprintf(script, sizeof(script), "%s/lxc-attach", dir);
    FILE *f = fopen(script, "w");
    CHECK(f != NULL);
    fprintf(f, "#!/bin/sh\necho \"$*\" >'%s/args'\nprintf '\\211PNG\\r\\n\\032\\nguest'\n", dir);
    CHECK_EQ(fclose(f), 0);
    CHECK_EQ(chmod(script, 0755), 0);
}

/* The guest's screenshot is what `lxc-attach ... -- /system/bin/screencap -p` prints, byte for
 * byte (Android cannot boot here: lxc-attach is a stand-in found first on PATH). */
TEST(guest_screenshot_is_the_commands_output)
{
    char bin[] = "/tmp/anc-rt-bin-XXXXXX", path[4096], args[300], got[512] = "";
    CHECK(mkdtemp(bin));
    fake_lxc_attach(bin);
    char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    snprintf(path, sizeof(path), "%s:%s", bin, old ? old : "/usr/bin:/bin");
    CHECK_EQ(setenv("PATH", path, 1), 0);
    shots = 0;
    setup(ANC_KIND_ANDROID, 160, 120);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 1000));
    CHECK_EQ(anc_runtime_screenshot(&inst, on_shot_png, NULL), 0);
    CHECK(run_until(&shots, 1, 6000));
    CHECK_EQ(shot_status[0], 0);
    CHECK_EQ(shot_len, 13u);
    CHECK(memcmp(shot_png, "\x89PNG\r\n\x1a\nguest", 13) == 0);
    snprintf(args, sizeof(args), "%s/args", bin);
    FILE *f = fopen(args, "r");
    CHECK(f != NULL);
    CHECK(fgets(got, sizeof(got), f) != NULL);
    fclose(f);
    char lxcpath[300];
    snprintf(lxcpath, sizeof(lxcpath), "-P %s/lxc -- /system/bin/screencap -p\n", state_dir);
    CHECK(strncmp(got, "--clear-env -n ", 15) == 0);
    CHECK(strstr(got, lxcpath) != NULL);
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 5000));
    teardown();
    if (old)
        setenv("PATH", old, 1);
    free(old);
    nftw(bin, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A kind's clipboard report reaches on_clipboard while the guest runs, and nothing after a stop;
 * without an on_clipboard it is dropped. */
TEST(clipboard_is_reported_while_running)
{
    setup(ANC_KIND_PATTERN, 160, 120);
    clips = 0;
    CHECK_EQ(anc_runtime_start(&inst, &env, &clip_cbs, &clips), 0);
    CHECK(run_until(&started, 1, 1000));
    anc__rt_clipboard(inst.rt, "copied!", 6);
    CHECK_EQ(clips, 1);
    CHECK_STREQ(clip, "copied");
    anc_runtime_stop(&inst);
    if (inst.rt)
        anc__rt_clipboard(inst.rt, "late", 4);
    CHECK(run_until(&stopped, 1, 5000));
    CHECK_EQ(clips, 1);
    teardown();

    setup(ANC_KIND_PATTERN, 160, 120);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 1000));
    anc__rt_clipboard(inst.rt, "x", 1);
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 5000));
    teardown();
}

TEST(x11_start_stop)
{
    need_xvfb();
    setup(ANC_KIND_X11, 320, 240);
    set_command("/bin/sleep", "30");
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 10000));
    CHECK_STREQ(start_error, "");
    CHECK(inst.input != NULL);
    CHECK(log_soon("ancloudd: started /bin/sleep (pid "));
    CHECK_EQ(anc_runtime_detach(&inst), -EINVAL); /* only a linux guest is left running */
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 10000));
    run_until(NULL, 0, 20);
    CHECK_EQ(started, 1);
    CHECK_EQ(died, 0);
    CHECK_EQ(stopped, 1);
    CHECK(log_soon("ancloudd: stopping: SIGTERM to the command"));
    CHECK(log_soon("ancloudd: command exited on signal 15"));
    teardown();
}

TEST(x11_command_exits_by_itself)
{
    need_xvfb();
    setup(ANC_KIND_X11, 320, 240);
    set_command("/bin/true", NULL);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&stopped, 1, 10000));
    run_until(NULL, 0, 20);
    CHECK_EQ(started, 1);
    CHECK_STREQ(start_error, "");
    CHECK_EQ(died, 1);
    CHECK_STREQ(died_reason, "command exited with status 0");
    CHECK_EQ(stopped, 1);
    CHECK_EQ(n_order, 3);
    CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3);
    teardown();
}

/* A stop before the screen is ready: the start is reported as failed, then stopped. */
TEST(x11_stop_during_start)
{
    need_xvfb();
    setup(ANC_KIND_X11, 320, 240);
    set_command("/bin/sleep", "30");
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 10000));
    run_until(NULL, 0, 20);
    CHECK_EQ(died, 0);
    CHECK_EQ(stopped, 1);
    CHECK_EQ(started, 0); /* stopped before it was reported */
    teardown();
}

TEST(x11_spawn_fails)
{
    need_xvfb();
    setup(ANC_KIND_X11, 320, 240);
    set_command("/nonexistent/command", NULL);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&stopped, 1, 10000));
    run_until(NULL, 0, 20);
    CHECK_EQ(started, 1);
    CHECK(strstr(start_error, "cannot run /nonexistent/command") != NULL);
    CHECK_EQ(died, 0);
    CHECK_EQ(stopped, 1);
    CHECK(order[0] == 1 && order[1] == 3);
    CHECK(log_soon("ancloudd: cannot run /nonexistent/command"));
    teardown();
}

/* A command that ignores SIGTERM is killed 5 s later; the stop still ends with on_stopped. */
TEST(x11_stop_kills_after_timeout)
{
    need_xvfb();
    setup(ANC_KIND_X11, 320, 240);
    snprintf(inst.command[0], sizeof(inst.command[0]), "/bin/sh");
    snprintf(inst.command[1], sizeof(inst.command[1]), "-c");
    snprintf(inst.command[2], sizeof(inst.command[2]), "trap '' TERM; while :; do sleep 1; done");
    inst.n_command = 3;
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 10000));
    run_until(NULL, 0, 300); /* the shell has set its trap */
    uint64_t t0 = uv_hrtime() / 1000000u;
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 15000));
    CHECK(uv_hrtime() / 1000000u - t0 >= 4900);
    CHECK_EQ(died, 0);
    CHECK(log_soon("ancloudd: command exited on signal 9"));
    teardown();
}

/* The command's pid is recorded for the next daemon while it runs (the recorded process is the
 * command), and the record is gone once it ended: after a stop and after an exit by itself. */
TEST(x11_command_record)
{
    need_xvfb();
    char rec[160];
    setup(ANC_KIND_X11, 320, 240);
    snprintf(rec, sizeof(rec), "%s/%s/command.pid", run_dir, inst.id);
    set_command("/bin/sleep", "30");
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&started, 1, 10000));
    CHECK_STREQ(start_error, "");
    FILE *f = fopen(rec, "r");
    CHECK(f != NULL);
    int pid = 0;
    CHECK_EQ(fscanf(f, "%d", &pid), 1);
    fclose(f);
    CHECK(anc_proc_matches(pid, "\n/bin/sleep\n"));
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 10000));
    CHECK(access(rec, F_OK) != 0);
    CHECK(kill(pid, 0) != 0);
    teardown();

    setup(ANC_KIND_X11, 320, 240);
    snprintf(rec, sizeof(rec), "%s/%s/command.pid", run_dir, inst.id);
    set_command("/bin/true", NULL);
    CHECK_EQ(anc_runtime_start(&inst, &env, &cbs, NULL), 0);
    CHECK(run_until(&stopped, 1, 10000));
    CHECK_EQ(died, 1);
    CHECK(access(rec, F_OK) != 0);
    teardown();
}

/* After a daemon crash an x11 command left running is ended and started afresh. */
TEST(x11_adopt_ends_leftover_command)
{
    need_xvfb();
    setup(ANC_KIND_X11, 320, 240);
    set_command("/bin/sleep", "30");
    pid_t old = fork();
    CHECK(old >= 0);
    if (old == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphan holding the test's output if it aborts */
        execl("/bin/sleep", "/bin/sleep", "30", (char *)NULL);
        _exit(127);
    }
    char dir[128], rec[160];
    snprintf(dir, sizeof(dir), "%s/%s", run_dir, inst.id);
    CHECK_EQ(mkdir(dir, 0700), 0);
    snprintf(rec, sizeof(rec), "%s/command.pid", dir);
    usleep(100 * 1000); /* the child has exec'd: its command line is sleep's */
    anc_pidfile_write(rec, old);
    CHECK_EQ(anc_runtime_adopt(&inst, &env, &cbs, NULL), 0);
    int status;
    CHECK_EQ(waitpid(old, &status, 0), old);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(log_soon("ancloudd: ended the command a previous daemon left running"));
    CHECK(run_until(&started, 1, 10000));
    CHECK_STREQ(start_error, "");
    anc_runtime_stop(&inst);
    CHECK(run_until(&stopped, 1, 10000));
    CHECK_EQ(died, 0);
    teardown();
}
