#include "instance/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "base/pidwatch.h"
#include "container/lxc.h"
#include "instance/display.h"
#include "input/proto.h"
#include "instance/runtime_internal.h"
#include "instance/screen.h"
#include "media/pattern.h"
#include "net/network.h"

#define KILL_AFTER_MS    5000
#define LOG_ROTATE       (1024 * 1024)
#define CONTAINER_STOP_S 10

void anc_runtime_log_path(const struct anc_runtime_env *env, const struct anc_instance *inst,
                          char *out, size_t len)
{
    snprintf(out, len, "%s/instances/%s.log", env->state_dir, inst->id);
}

static bool draw_pattern(void *data, uint8_t *argb, int stride, uint64_t frame, uint64_t time_ms)
{
    const struct anc_instance *inst = data;
    anc_pattern_draw(argb, inst->width, inst->height, stride, frame, time_ms);
    return true;
}

static int screen_input(struct anc_instance *inst, const struct anc_input_msg *m)
{
    struct anc_runtime *rt = inst->rt;
    return rt && rt->screen ? anc_screen_input(rt->screen, m) : -ENOTCONN;
}

/* Appends a line to the instance log (daemon-side events next to the command's output). */
void anc__rt_log_line(struct anc_runtime *rt, const char *what)
{
    if (rt->log_fd < 0)
        return;
    char line[512];
    int n = snprintf(line, sizeof(line), "ancloudd: %s\n", what);
    if (write(rt->log_fd, line, (size_t)n) < 0)
        anc_debug("instance %s: cannot write its log: %s", rt->inst->id, strerror(errno));
}

static int open_log(struct anc_runtime *rt)
{
    struct stat st;
    if (stat(rt->log_path, &st) == 0 && st.st_size > LOG_ROTATE) {
        char old[sizeof(rt->log_path) + 4];
        snprintf(old, sizeof(old), "%s.1", rt->log_path);
        rename(rt->log_path, old);
    }
    rt->log_fd = open(rt->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return rt->log_fd < 0 ? -errno : 0;
}

static void finish_stop(struct anc_runtime *rt)
{
    struct anc_instance *inst = rt->inst;
    if (rt->closing_handles > 0)
        return;
    if (rt->log_fd >= 0)
        close(rt->log_fd);
    inst->rt = NULL;
    inst->stream = NULL;
    inst->input = NULL;
    void (*on_stopped)(struct anc_instance *, void *) = rt->cbs.on_stopped;
    void *data = rt->data;
    free(rt);
    on_stopped(inst, data);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct anc_runtime *rt = h->data;
    rt->closing_handles--;
    finish_stop(rt);
}

static void on_screen_stopped(void *arg)
{
    struct anc_runtime *rt = arg;
    rt->screen = NULL;
    if (rt->proc_handle) {
        rt->closing_handles++;
        uv_close((uv_handle_t *)&rt->proc, on_handle_closed);
    }
    if (rt->timer_init) {
        rt->closing_handles++;
        uv_close((uv_handle_t *)&rt->kill_timer, on_handle_closed);
    }
    finish_stop(rt);
}

static void on_container_freed(void *arg)
{
    struct anc_runtime *rt = arg;
    rt->ct = NULL;
    if (rt->ip_leased && rt->env.net && !rt->detaching) /* a detached guest keeps its address */
        anc_network_release(rt->env.net, rt->inst->id);
    rt->ip_leased = false;
    anc__rt_teardown(rt);
}

static void free_container(uv_timer_t *t)
{
    struct anc_runtime *rt = t->data;
    anc_container_free(rt->ct, on_container_freed, rt);
}

/* After the command or container is gone (or there is none): the container object, the screen,
 * then the handles. */
void anc__rt_teardown(struct anc_runtime *rt)
{
    if (rt->proc_alive || rt->ct_active)
        return;
    if (rt->ct) {
        /* Not from inside the container's own callback (where teardown usually runs): the
         * module must not be freed under it. The timer is idle by now (no command to kill). */
        if (!rt->ct_freeing) {
            rt->ct_freeing = true;
            uv_timer_start(&rt->kill_timer, free_container, 0, 0);
        }
        return;
    }
    if (rt->timer_init)
        uv_timer_stop(&rt->kill_timer);
    rt->inst->stream = NULL;
    rt->inst->input = NULL;
    if (rt->detaching)
        anc_screen_detach(rt->screen, on_screen_stopped, rt);
    else
        anc_screen_stop(rt->screen, on_screen_stopped, rt);
}

void anc__rt_report_started(struct anc_runtime *rt, const char *error)
{
    if (rt->started_reported)
        return;
    rt->started_reported = true;
    rt->cbs.on_started(rt->inst, error, rt->data);
}

/* The guest ended: reported once, as a failed start or as a death. */
void anc__rt_guest_gone(struct anc_runtime *rt, const char *why)
{
    anc__rt_log_line(rt, why);
    if (!rt->stopping) {
        rt->stopping = true;
        rt->died = true;
        if (!rt->started_reported)
            anc__rt_report_started(rt, why);
        else
            rt->cbs.on_died(rt->inst, why, rt->data);
    }
    anc__rt_teardown(rt);
}

/* <run_dir>/command.pid: the x11 command's pid, so that the next daemon can end it after a crash
 * (it would otherwise keep running without anyone watching it). */
static void command_record_path(const struct anc_runtime *rt, char *out, size_t len)
{
    snprintf(out, len, "%s/command.pid", rt->run_dir);
}

static void write_command_record(struct anc_runtime *rt)
{
    char path[PATH_MAX + 16];
    command_record_path(rt, path, sizeof(path));
    anc_pidfile_write(path, rt->proc.pid);
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
    struct anc_runtime *rt = p->data;
    char why[200], rec[PATH_MAX + 16];
    rt->proc_alive = false;
    command_record_path(rt, rec, sizeof(rec));
    unlink(rec);
    if (sig)
        snprintf(why, sizeof(why), "command exited on signal %d (%s)", sig, strsignal(sig));
    else
        snprintf(why, sizeof(why), "command exited with status %lld", (long long)status);
    anc__rt_guest_gone(rt, why);
}

static int spawn_command(struct anc_runtime *rt)
{
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
    rt->proc.data = rt;
    int r = uv_spawn(rt->env.loop, &rt->proc, &o);
    rt->proc_handle = true; /* closed in teardown even when the spawn failed */
    if (r < 0)
        return r;
    rt->proc_alive = true;
    write_command_record(rt);
    char line[128];
    snprintf(line, sizeof(line), "started %s (pid %d) on display %s", argv[0], rt->proc.pid,
             anc_screen_display(rt->screen));
    anc__rt_log_line(rt, line);
    return 0;
}

static void on_screen_ready(struct anc_screen *s, void *data)
{
    struct anc_runtime *rt = data;
    if (rt->stopping)
        return;
    rt->inst->stream = anc_screen_stream(s);
    rt->inst->input = screen_input;
    if (rt->inst->kind == ANC_KIND_LINUX) {
        char why[300];
        if (anc__rt_start_container(rt, why, sizeof(why)) < 0) {
            anc__rt_log_line(rt, why);
            rt->stopping = true;
            anc__rt_report_started(rt, why);
            anc__rt_teardown(rt);
        }
        return; /* on_ct_started reports */
    }
    int r = spawn_command(rt);
    if (r < 0) {
        char why[ANC_INSTANCE_MAX_ARG + 64];
        snprintf(why, sizeof(why), "cannot run %s: %s", rt->inst->command[0], uv_strerror(r));
        anc__rt_log_line(rt, why);
        rt->stopping = true;
        anc__rt_report_started(rt, why);
        anc__rt_teardown(rt);
        return;
    }
    anc__rt_report_started(rt, NULL);
}

static void on_screen_failed(struct anc_screen *s, const char *why, void *data)
{
    struct anc_runtime *rt = data;
    (void)s;
    anc__rt_log_line(rt, why);
    rt->stopping = true;
    anc__rt_report_started(rt, why);
    anc__rt_teardown(rt);
}

static int start_x11(struct anc_runtime *rt)
{
    int r = anc_mkdir_p(rt->run_dir, 0700);
    if (r == 0)
        r = open_log(rt);
    if (r < 0)
        return r;
    uv_timer_init(rt->env.loop, &rt->kill_timer);
    rt->kill_timer.data = rt;
    rt->timer_init = true;
    /* A linux guest lives on after a daemon crash with its display; an x11 command was a child
     * of the crashed daemon, its leftovers are ended and it starts afresh. */
    bool adopt_screen = rt->adopt && rt->inst->kind == ANC_KIND_LINUX;
    if (rt->adopt && !adopt_screen) {
        kill_leftover_command(rt);
        if (anc_display_kill_leftover(rt->run_dir) > 0)
            anc__rt_log_line(rt, "ended the Xvfb a previous daemon left running");
    }
    struct anc_screen_params sp = {.loop = rt->env.loop,
                                   .pool = rt->env.pool,
                                   .run_dir = rt->run_dir,
                                   .stream = rt->env.stream,
                                   .adopt = adopt_screen};
    struct anc_screen_callbacks sc = {.on_ready = on_screen_ready, .on_failed = on_screen_failed};
    r = anc_screen_start(&sp, &sc, rt, &rt->screen);
    if (r < 0) {
        uv_close((uv_handle_t *)&rt->kill_timer, NULL);
        close(rt->log_fd);
    }
    return r;
}

static int runtime_begin(struct anc_instance *inst, const struct anc_runtime_env *env,
                         const struct anc_runtime_callbacks *cbs, void *data, bool adopt)
{
    struct anc_runtime *rt = calloc(1, sizeof(*rt));
    if (!rt)
        return -ENOMEM;
    *rt = (struct anc_runtime){
        .inst = inst, .env = *env, .cbs = *cbs, .data = data, .log_fd = -1, .adopt = adopt};
    snprintf(rt->run_dir, sizeof(rt->run_dir), "%s/%s", env->run_dir, inst->id);
    anc_runtime_log_path(env, inst, rt->log_path, sizeof(rt->log_path));
    int r;
    if (inst->kind == ANC_KIND_PATTERN) {
        r = anc_stream_new(env->loop, env->pool, &env->stream,
                           (struct anc_stream_source){draw_pattern, NULL, inst}, &inst->stream);
    } else {
        r = start_x11(rt);
    }
    if (r < 0) {
        free(rt);
        return r;
    }
    inst->rt = rt;
    if (inst->kind == ANC_KIND_PATTERN)
        anc__rt_report_started(rt, NULL);
    return 0;
}

int anc_runtime_start(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data)
{
    return runtime_begin(inst, env, cbs, data, false);
}

int anc_runtime_adopt(struct anc_instance *inst, const struct anc_runtime_env *env,
                      const struct anc_runtime_callbacks *cbs, void *data)
{
    return runtime_begin(inst, env, cbs, data, true);
}

static void on_kill_timer(uv_timer_t *t)
{
    struct anc_runtime *rt = t->data;
    if (rt->proc_alive) {
        anc_warn("instance %s: command did not exit after SIGTERM; killing it", rt->inst->id);
        uv_process_kill(&rt->proc, SIGKILL);
    }
}

static void on_pattern_stream_freed(void *arg)
{
    finish_stop(arg);
}

int anc_runtime_detach(struct anc_instance *inst)
{
    struct anc_runtime *rt = inst->rt;
    if (!rt || rt->stopping || inst->kind != ANC_KIND_LINUX || !rt->ct_active ||
        !rt->started_reported || rt->adopting || rt->replacing || !rt->screen)
        return -EINVAL;
    rt->stopping = true;
    rt->detaching = true;
    rt->ct_active = false; /* let go of it: nothing of the container is stopped */
    anc__rt_log_line(
        rt, "daemon exiting: the guest and its display keep running (keep_running_on_exit)");
    anc__rt_teardown(rt);
    return 0;
}

void anc_runtime_stop(struct anc_instance *inst)
{
    struct anc_runtime *rt = inst->rt;
    if (!rt || rt->stopping)
        return;
    rt->stopping = true;
    if (inst->kind == ANC_KIND_PATTERN) {
        struct anc_stream *s = inst->stream;
        inst->stream = NULL;
        anc_stream_close_then(s, on_pattern_stream_freed, rt);
        return;
    }
    if (rt->ct_active) {
        anc__rt_log_line(rt, "stopping: the container");
        anc_container_stop(rt->ct, CONTAINER_STOP_S);
        return; /* on_ct_stopped (or on_ct_exit) continues */
    }
    if (rt->proc_alive) {
        anc__rt_log_line(rt, "stopping: SIGTERM to the command");
        uv_process_kill(&rt->proc, SIGTERM);
        uv_timer_start(&rt->kill_timer, on_kill_timer, KILL_AFTER_MS, 0);
        return; /* on_proc_exit continues */
    }
    anc__rt_teardown(rt);
}
