/* Kind x11: a command run on the host, on the instance's own screen, as a supervised child
 * (base/child.h) that is never restarted. A daemon that crashed left the command without a parent
 * watching it: the next one ends it (and its Xvfb) and starts afresh. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/child.h"
#include "base/log.h"
#include "instance/display.h"
#include "instance/runtime_internal.h"
#include "instance/screen.h"

#define KILL_AFTER_MS 5000

struct rt_x11 {
    struct anc_runtime rt;
    struct anc_child *cmd; /* NULL: not started (or its spawn failed), or closed */
    bool cmd_stopping;     /* anc_child_stop was called: on_cmd_closed follows */
};

/* <run_dir>/command.pid: the command's pid, so that the next daemon can end it after a crash
 * (it would otherwise keep running without anyone watching it); the needle tells it is still
 * the same program. */
static void command_record(const struct anc_runtime *rt, char *rec, size_t rec_len, char *needle,
                           size_t needle_len)
{
    snprintf(rec, rec_len, "%s/command.pid", rt->run_dir);
    snprintf(needle, needle_len, "\n%s\n", rt->inst->command[0]);
}

static void on_cmd_exit(struct anc_child *c, const struct anc_child_exit *e, void *data)
{
    struct rt_x11 *x = data;
    char why[200];
    (void)c;
    if (x->cmd_stopping && e->signal == SIGKILL)
        anc_warn("instance %s: command did not exit after SIGTERM; killed it", x->rt.inst->id);
    if (e->signal)
        snprintf(why, sizeof(why), "command exited on signal %d (%s)", e->signal,
                 strsignal(e->signal));
    else
        snprintf(why, sizeof(why), "command exited with status %lld", (long long)e->status);
    anc__rt_event(&x->rt, ANC_RT_GONE, why);
}

/* The command is gone and its child object freed: the release, which always came first (the
 * exit's GONE precedes the close), goes on. */
static void on_cmd_closed(void *data)
{
    struct rt_x11 *x = data;
    x->cmd = NULL;
    anc__rt_kind_released(&x->rt);
}

/* SIGTERM to a running command, SIGKILL after KILL_AFTER_MS; on_cmd_exit reports the end (none
 * when it had already ended), then on_cmd_closed. Once only. */
static void stop_command(struct rt_x11 *x)
{
    if (x->cmd_stopping)
        return;
    x->cmd_stopping = true;
    anc_child_stop(x->cmd, on_cmd_closed, x);
}

/* Runs the command on the screen's display, its output into the instance log. */
static int spawn_command(struct rt_x11 *x)
{
    struct anc_runtime *rt = &x->rt;
    struct anc_instance *inst = rt->inst;
    char *argv[ANC_INSTANCE_MAX_ARGS + 1];
    for (int i = 0; i < inst->n_command; i++)
        argv[i] = inst->command[i];
    argv[inst->n_command] = NULL;
    char display[64], path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
    snprintf(display, sizeof(display), "DISPLAY=%s", anc_screen_display(rt->screen));
    const char *home = getenv("HOME");
    char home_env[PATH_MAX + 8];
    snprintf(home_env, sizeof(home_env), "HOME=%s", home ? home : "/");
    char xauth[PATH_MAX + 16];
    snprintf(xauth, sizeof(xauth), "XAUTHORITY=%s", anc_screen_xauthority(rt->screen));
    char *env[] = {display, xauth, path, home_env, "LANG=C.UTF-8", NULL};
    char rec[PATH_MAX + 16], needle[ANC_INSTANCE_MAX_ARG + 4];
    command_record(rt, rec, sizeof(rec), needle, sizeof(needle));
    const struct anc_child_params p = {.argv = argv,
                                       .env = env,
                                       .cwd = rt->run_dir,
                                       .fds = {ANC_CHILD_IGNORE, rt->log_fd, rt->log_fd},
                                       .nfds = 3,
                                       .record = rec,
                                       .needle = needle,
                                       .grace_ms = KILL_AFTER_MS,
                                       .restart = {.min_ms = 0}};
    const struct anc_child_callbacks cbs = {.on_exit = on_cmd_exit};
    int r = anc_child_start(rt->env.loop, &p, &cbs, x, &x->cmd);
    if (r < 0)
        return r;
    char line[128];
    snprintf(line, sizeof(line), "started %s (pid %d) on display %s", argv[0],
             anc_child_pid(x->cmd), anc_screen_display(rt->screen));
    anc__rt_log_line(rt, line);
    return 0;
}

static void on_screen(struct anc_runtime *rt)
{
    struct rt_x11 *x = (struct rt_x11 *)rt;
    int r = spawn_command(x);
    if (r < 0) {
        char why[ANC_INSTANCE_MAX_ARG + 64];
        snprintf(why, sizeof(why), "cannot run %s: %s", rt->inst->command[0], uv_strerror(r));
        anc__rt_event(rt, ANC_RT_GONE, why);
        return;
    }
    anc__rt_event(rt, ANC_RT_UP, NULL);
}

static int start(struct anc_runtime *rt)
{
    int r = anc__rt_open_log(rt);
    return r < 0 ? r : anc__rt_screen_start(rt, false);
}

/* The command was a child of the crashed daemon: it is ended, not adopted. */
static int adopt(struct anc_runtime *rt)
{
    int r = anc__rt_open_log(rt);
    if (r < 0)
        return r;
    char rec[PATH_MAX + 16], needle[ANC_INSTANCE_MAX_ARG + 4];
    command_record(rt, rec, sizeof(rec), needle, sizeof(needle));
    if (anc_child_kill_leftover(rec, needle, 0) > 0)
        anc__rt_log_line(rt, "ended the command a previous daemon left running");
    if (anc_display_kill_leftover(rt->run_dir) > 0)
        anc__rt_log_line(rt, "ended the Xvfb a previous daemon left running");
    return anc__rt_screen_start(rt, false);
}

static void stop(struct anc_runtime *rt)
{
    struct rt_x11 *x = (struct rt_x11 *)rt;
    if (!x->cmd) {
        anc__rt_event(rt, ANC_RT_GONE, NULL);
        return;
    }
    anc__rt_log_line(rt, "stopping: SIGTERM to the command");
    stop_command(x);
}

/* After an exit by itself the command's child object waits for its stop, so the release always
 * calls it (after a stop of ours it is under way already); on_cmd_closed goes on. */
static void release(struct anc_runtime *rt, bool detach)
{
    struct rt_x11 *x = (struct rt_x11 *)rt;
    (void)detach;
    if (!x->cmd) {
        anc__rt_kind_released(rt);
        return;
    }
    stop_command(x);
}

const struct anc_runtime_ops anc__rt_x11_ops = {
    .name = "x11",
    .size = sizeof(struct rt_x11),
    .start = start,
    .adopt = adopt,
    .on_screen = on_screen,
    .stop = stop,
    .release = release,
    .stream = anc__rt_screen_stream,
    .input = anc__rt_screen_input,
};
