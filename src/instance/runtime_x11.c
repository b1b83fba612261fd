/* Kind x11: a command run on the host, on the instance's own screen. A daemon that crashed left
 * the command without a parent watching it: the next one ends it (and its Xvfb) and starts
 * afresh. The command's spawn, kill and pid record are small functions of their own, for the
 * supervised-child helper of base/ to replace. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "base/pidwatch.h"
#include "instance/display.h"
#include "instance/runtime_internal.h"
#include "instance/screen.h"

#define KILL_AFTER_MS 5000

enum cmd_state {
    CMD_NONE,    /* not spawned: no process handle */
    CMD_RUNNING, /* spawned, not exited yet */
    CMD_DONE,    /* exited, or the spawn failed: the handle still needs closing */
};

struct rt_x11 {
    struct anc_runtime rt;
    uv_process_t proc;
    enum cmd_state cmd;
};

/* <run_dir>/command.pid: the command's pid, so that the next daemon can end it after a crash
 * (it would otherwise keep running without anyone watching it). */
static void command_record_path(const struct anc_runtime *rt, char *out, size_t len)
{
    snprintf(out, len, "%s/command.pid", rt->run_dir);
}

static void write_command_record(struct rt_x11 *x)
{
    char path[PATH_MAX + 16];
    command_record_path(&x->rt, path, sizeof(path));
    anc_pidfile_write(path, x->proc.pid);
}

static void remove_command_record(struct rt_x11 *x)
{
    char path[PATH_MAX + 16];
    command_record_path(&x->rt, path, sizeof(path));
    unlink(path);
}

/* Ends the command a previous daemon started when it is still the same program. */
static void kill_leftover_command(struct anc_runtime *rt)
{
    char path[PATH_MAX + 16], needle[ANC_INSTANCE_MAX_ARG + 4];
    command_record_path(rt, path, sizeof(path));
    snprintf(needle, sizeof(needle), "\n%s\n", rt->inst->command[0]);
    int pid = anc_pidfile_take(path, needle);
    if (!pid)
        return;
    kill(pid, SIGKILL);
    anc__rt_log_line(rt, "ended the command a previous daemon left running");
}

static void on_proc_exit(uv_process_t *p, int64_t status, int sig)
{
    struct rt_x11 *x = p->data;
    char why[200];
    x->cmd = CMD_DONE;
    uv_timer_stop(&x->rt.timer);
    remove_command_record(x);
    if (sig)
        snprintf(why, sizeof(why), "command exited on signal %d (%s)", sig, strsignal(sig));
    else
        snprintf(why, sizeof(why), "command exited with status %lld", (long long)status);
    anc__rt_event(&x->rt, ANC_RT_GONE, why);
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
    char *env[] = {display, path, home_env, "LANG=C.UTF-8", NULL};
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = rt->log_fd},
        {.flags = UV_INHERIT_FD, .data.fd = rt->log_fd},
    };
    uv_process_options_t o = {.exit_cb = on_proc_exit,
                              .file = argv[0],
                              .args = argv,
                              .env = env,
                              .cwd = rt->run_dir,
                              .stdio_count = 3,
                              .stdio = stdio};
    x->proc.data = x;
    int r = uv_spawn(rt->env.loop, &x->proc, &o);
    x->cmd = r < 0 ? CMD_DONE : CMD_RUNNING; /* the handle is closed even when the spawn failed */
    if (r < 0)
        return r;
    write_command_record(x);
    char line[128];
    snprintf(line, sizeof(line), "started %s (pid %d) on display %s", argv[0], x->proc.pid,
             anc_screen_display(rt->screen));
    anc__rt_log_line(rt, line);
    return 0;
}

static void on_kill_timer(uv_timer_t *t)
{
    struct rt_x11 *x = t->data;
    if (x->cmd != CMD_RUNNING)
        return;
    anc_warn("instance %s: command did not exit after SIGTERM; killing it", x->rt.inst->id);
    uv_process_kill(&x->proc, SIGKILL);
}

/* SIGTERM, then SIGKILL after KILL_AFTER_MS; on_proc_exit reports the end. */
static void terminate_command(struct rt_x11 *x)
{
    anc__rt_log_line(&x->rt, "stopping: SIGTERM to the command");
    uv_process_kill(&x->proc, SIGTERM);
    uv_timer_start(&x->rt.timer, on_kill_timer, KILL_AFTER_MS, 0);
}

static void on_proc_closed(uv_handle_t *h)
{
    anc__rt_kind_released(h->data);
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

static int adopt(struct anc_runtime *rt)
{
    int r = anc__rt_open_log(rt);
    if (r < 0)
        return r;
    kill_leftover_command(rt);
    if (anc_display_kill_leftover(rt->run_dir) > 0)
        anc__rt_log_line(rt, "ended the Xvfb a previous daemon left running");
    return anc__rt_screen_start(rt, false);
}

static void stop(struct anc_runtime *rt)
{
    struct rt_x11 *x = (struct rt_x11 *)rt;
    if (x->cmd == CMD_RUNNING)
        terminate_command(x);
    else
        anc__rt_event(rt, ANC_RT_GONE, NULL);
}

static void release(struct anc_runtime *rt, bool detach)
{
    struct rt_x11 *x = (struct rt_x11 *)rt;
    (void)detach;
    if (x->cmd == CMD_NONE) {
        anc__rt_kind_released(rt);
        return;
    }
    x->proc.data = rt;
    uv_close((uv_handle_t *)&x->proc, on_proc_closed);
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
