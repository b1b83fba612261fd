/* Kind android: a redroid image in a privileged LXC container (container/profile_android.h).
 *
 * start: binder (container/binder_host.h: per [android] binder, nothing for the guest's own
 * binderfs, devices allocated on the host's binderfs, or a claimed slot of named devices), the
 * instance's /data, an address, the config text, then the container through the container module
 * (the image's shared squashfuse mount under a per-instance overlay, as for linux guests). Once
 * the container runs, the instance stays STARTING until `getprop sys.boot_completed` prints 1 in
 * the guest (boot_wait.h decides; `lxc-attach` runs getprop, one run at a time); then
 * start_agent() (runtime_agent.c: scrcpy-server through app_process as the shell user), and UP
 * once the agent is connected. Past [android] boot_timeout_s the last lines of `logcat -d` go to the
 * instance log and the container is stopped: GONE with the reason. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/caplog.h"
#include "base/fsutil.h"
#include "base/log.h"
#include "container/binder_host.h"
#include "container/lxc.h"
#include "container/profile_android.h"
#include "container/profile_linux.h"
#include "instance/boot_wait.h"
#include "instance/runtime_internal.h"
#include "net/network.h"

#define FORKSTART_HELPER "/proc/self/exe"
#define CONTAINER_STOP_S 10
#define PROBE_OUT_MAX    16384
#define LOGCAT_LINES     "30"
#define DEFAULT_JAR      "/usr/share/scrcpy/scrcpy-server"
#define GUEST_JAR        "/data/local/tmp/scrcpy-server.jar"
#define JAR_MAX          (64u << 20)
#define SHELL_UID        2000 /* Android's shell user and group, as `adb shell` runs it */

enum ct_state { CT_NONE, CT_STARTING, CT_RUNNING, CT_ENDED };

struct probe;

struct rt_android {
    struct anc_runtime rt;
    struct anc_container *ct;
    enum ct_state cs;
    struct anc_boot_wait boot;
    bool booting;
    struct probe *probe; /* the lxc-attach in flight, or NULL */
    bool leased, claimed;
    enum anc_binder_mode binder; /* what claimed refers to */
    char why[400];               /* the reason of a stop the kind decided (boot timeout, agent) */
};

/* --- lxc-attach runs (getprop, logcat) ----------------------------------------------------- */

/* One command in the guest. It owns itself: when the runtime goes away first, owner is cleared
 * and the probe frees itself once both its handles are closed. */
struct probe {
    struct rt_android *owner;
    void (*done)(struct rt_android *a, int status, const char *out);
    uv_process_t proc;
    uv_pipe_t out;
    char buf[PROBE_OUT_MAX];
    size_t len;
    int status, open;
    bool exited, eof;
};

static void probe_closed(uv_handle_t *h)
{
    struct probe *p = h->data;
    if (--p->open == 0)
        free(p);
}

static void probe_finish(struct probe *p)
{
    if (!p->exited || !p->eof)
        return;
    p->buf[p->len] = '\0';
    struct rt_android *a = p->owner;
    if (a) {
        a->probe = NULL;
        p->done(a, p->status, p->buf);
    }
    uv_close((uv_handle_t *)&p->proc, probe_closed);
    uv_close((uv_handle_t *)&p->out, probe_closed);
}

static void probe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct probe *p = h->data;
    (void)hint;
    size_t room = sizeof(p->buf) - 1 - p->len;
    if (room == 0) { /* keep the tail: logcat's last lines matter most */
        memmove(p->buf, p->buf + sizeof(p->buf) / 2, sizeof(p->buf) / 2 - 1);
        p->len = sizeof(p->buf) / 2 - 1;
        room = sizeof(p->buf) - 1 - p->len;
    }
    *b = uv_buf_init(p->buf + p->len, (unsigned)room);
}

static void probe_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct probe *p = s->data;
    (void)b;
    if (n > 0) {
        p->len += (size_t)n;
        return;
    }
    if (n < 0) {
        uv_read_stop(s);
        p->eof = true;
        probe_finish(p);
    }
}

static void probe_exit(uv_process_t *proc, int64_t status, int sig)
{
    struct probe *p = proc->data;
    p->status = sig ? -EINTR : (int)status;
    p->exited = true;
    probe_finish(p);
}

/* Runs `lxc-attach --clear-env -n NAME -P LXCPATH -- CMD...` in the instance's container. */
static int probe_start(struct rt_android *a, const char *const *cmd,
                       void (*done)(struct rt_android *, int, const char *))
{
    struct anc_runtime *rt = &a->rt;
    char name[96], lxcpath[PATH_MAX];
    char *argv[16];
    int n = 0;
    anc_container_name(rt->inst->id, name, sizeof(name));
    snprintf(lxcpath, sizeof(lxcpath), "%s/lxc", rt->env.state_dir);
    argv[n++] = "lxc-attach";
    argv[n++] = "--clear-env";
    argv[n++] = "-n";
    argv[n++] = name;
    argv[n++] = "-P";
    argv[n++] = lxcpath;
    argv[n++] = "--";
    for (int i = 0; cmd[i] && n < 15; i++)
        argv[n++] = (char *)cmd[i];
    argv[n] = NULL;
    struct probe *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->owner = a;
    p->done = done;
    uv_pipe_init(rt->env.loop, &p->out, 0);
    p->out.data = p;
    p->proc.data = p;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out},
        {.flags = UV_IGNORE}};
    uv_process_options_t o = {
        .exit_cb = probe_exit, .file = argv[0], .args = argv, .stdio_count = 3, .stdio = stdio};
    int r = uv_spawn(rt->env.loop, &p->proc, &o);
    if (r < 0) {
        p->open = 2;
        uv_close((uv_handle_t *)&p->proc, probe_closed);
        uv_close((uv_handle_t *)&p->out, probe_closed);
        return r;
    }
    p->open = 2;
    uv_read_start((uv_stream_t *)&p->out, probe_alloc, probe_read);
    a->probe = p;
    return 0;
}

/* The runtime goes away before the probe: it ends unreported. */
static void probe_abandon(struct rt_android *a)
{
    struct probe *p = a->probe;
    if (!p)
        return;
    a->probe = NULL;
    p->owner = NULL;
    if (!p->exited)
        uv_process_kill(&p->proc, SIGKILL);
}

/* --- boot ---------------------------------------------------------------------------------- */

static void boot_tick(uv_timer_t *t);
static void stop_container(struct rt_android *a, const char *why);

static void on_agent_ready(struct anc_runtime *rt)
{
    anc__rt_publish(rt);
    anc__rt_event(rt, ANC_RT_UP, NULL);
}

/* [android] agent_jar into the instance's /data/local/tmp (bind-mounted from the host), where
 * app_process finds it as the shell user. */
static int push_jar(struct rt_android *a, char *why, size_t len)
{
    const char *jar = a->rt.env.android_agent_jar ? a->rt.env.android_agent_jar : DEFAULT_JAR;
    char data[PATH_MAX], dest[PATH_MAX + 64];
    char *bytes = NULL;
    size_t n = 0;
    int r = anc_android_data_dir(a->rt.env.state_dir, a->rt.inst->id, data, sizeof(data));
    if (r == 0) {
        snprintf(dest, sizeof(dest), "%s/local/tmp", data);
        r = anc_mkdir_p(dest, 0771);
    }
    if (r < 0) {
        snprintf(why, len, "agent: no /data/local/tmp in the instance: %s", strerror(-r));
        return r;
    }
    r = anc_read_file(jar, JAR_MAX, &bytes, &n);
    if (r < 0) {
        snprintf(why, len, "agent: cannot read [android] agent_jar %.200s: %s", jar, strerror(-r));
        return r;
    }
    snprintf(dest, sizeof(dest), "%s/local/tmp/scrcpy-server.jar", data);
    r = anc_write_file_atomic(dest, bytes, n, 0644);
    free(bytes);
    if (r == 0 && chmod(dest, 0644) < 0)
        r = -errno;
    if (r < 0)
        snprintf(why, len, "agent: cannot copy the jar to %.200s: %s", dest, strerror(-r));
    return r;
}

/* Android has booted: the jar is pushed, scrcpy-server started as the shell user through
 * app_process and connected; UP comes with its connection (the stream is published then). */
static void start_agent(struct rt_android *a)
{
    struct anc_runtime *rt = &a->rt;
    char why[400];
    static const char *const cmd[] = {"/system/bin/app_process", "/",
                                      "com.genymobile.scrcpy.Server", NULL};
    static const char *const env[] = {"CLASSPATH=" GUEST_JAR, NULL};
    struct anc_rt_agent_spec spec = {
        .cmd = cmd, .env = env, .uid = SHELL_UID, .gid = SHELL_UID, .on_ready = on_agent_ready};
    int r = anc__rt_agent_new(rt);
    if (r < 0) {
        snprintf(why, sizeof(why), "agent: %s", strerror(-r));
        stop_container(a, why);
        return;
    }
    if (push_jar(a, why, sizeof(why)) < 0 ||
        anc__rt_agent_start(rt, anc_container_init_pid(a->ct), &spec, why, sizeof(why)) < 0)
        stop_container(a, why);
}

static void arm_boot(struct rt_android *a)
{
    uint64_t next = anc_boot_next_timeout(&a->boot), now = uv_now(a->rt.env.loop);
    if (next != UINT64_MAX)
        uv_timer_start(&a->rt.timer, boot_tick, next > now ? next - now : 0, 0);
}

/* logcat's output after a boot timeout: all of it to the instance log, its last line into the
 * reason; then the container is stopped. */
static void on_logcat(struct rt_android *a, int status, const char *out)
{
    char why[256];
    anc__rt_log_line(&a->rt, "boot timeout: the last lines of logcat -d follow");
    anc_caplog_write(a->rt.log, out, strlen(out));
    const char *last = out, *end = out + strlen(out);
    while (end > out && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    for (const char *s = out; s < end; s++)
        if (*s == '\n')
            last = s + 1;
    snprintf(why, sizeof(why),
             "android did not boot within %d s (sys.boot_completed: %s); logcat: %.*s",
             (int)((a->boot.deadline_ms - a->boot.start_ms) / 1000), a->boot.last,
             status == 0 ? (int)(end - last) : 0, status == 0 ? last : "");
    if (status != 0)
        snprintf(why + strlen(why), sizeof(why) - strlen(why), "(logcat failed: %d)", status);
    stop_container(a, why);
}

static void on_getprop(struct rt_android *a, int status, const char *out)
{
    char line[200];
    uint64_t now = uv_now(a->rt.env.loop);
    enum anc_boot_state s = anc_boot_result(&a->boot, now, status, out, line, sizeof(line));
    if (line[0])
        anc__rt_log_line(&a->rt, line);
    if (s == ANC_BOOT_DONE) {
        a->booting = false;
        start_agent(a);
        return;
    }
    boot_tick(&a->rt.timer);
}

static void boot_tick(uv_timer_t *t)
{
    struct rt_android *a = t->data;
    static const char *const getprop[] = {"/system/bin/getprop", "sys.boot_completed", NULL};
    static const char *const logcat[] = {"/system/bin/logcat", "-d", "-t", LOGCAT_LINES, NULL};
    if (!a->booting || a->rt.state != ANC_RT_STARTING)
        return;
    switch (anc_boot_step(&a->boot, uv_now(a->rt.env.loop))) {
    case ANC_BOOT_POLL:
        if (probe_start(a, getprop, on_getprop) < 0)
            on_getprop(a, -ECHILD, NULL);
        return;
    case ANC_BOOT_TIMED_OUT:
        a->booting = false;
        if (probe_start(a, logcat, on_logcat) < 0)
            on_logcat(a, -ECHILD, "");
        return;
    case ANC_BOOT_WAIT:
        arm_boot(a);
        return;
    default:
        return;
    }
}

/* --- the container ------------------------------------------------------------------------- */

static void ct_gone(struct rt_android *a, const char *why)
{
    a->cs = CT_ENDED;
    anc__rt_event(&a->rt, ANC_RT_GONE, why);
}

static void stop_container(struct rt_android *a, const char *why)
{
    snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
    anc__rt_log_line(&a->rt, "stopping: the container");
    anc_container_stop(a->ct, CONTAINER_STOP_S); /* on_ct_stopped (or on_ct_exit) reports */
}

static void on_ct_started(struct anc_container *c, int status, int init_pid, const char *error,
                          void *data)
{
    struct rt_android *a = data;
    char line[400];
    if (status < 0) {
        snprintf(line, sizeof(line), "container did not start: %s", error ? error : "");
        ct_gone(a, line);
        return;
    }
    a->cs = CT_RUNNING;
    if (a->rt.state != ANC_RT_STARTING)
        return; /* a stop came meanwhile: it goes on */
    snprintf(line, sizeof(line),
             "container %s running (init pid %d); waiting for sys.boot_completed=1 (up to %d s)",
             anc_container_get_name(c), init_pid, a->rt.env.android_boot_timeout_s);
    anc__rt_log_line(&a->rt, line);
    anc_boot_init(&a->boot, uv_now(a->rt.env.loop), (unsigned)a->rt.env.android_boot_timeout_s);
    a->booting = true;
    arm_boot(a);
}

static void on_ct_exit(struct anc_container *c, const char *reason, void *data)
{
    char why[200];
    (void)c;
    snprintf(why, sizeof(why), "container %s", reason);
    ct_gone(data, why);
}

static void on_ct_stopped(struct anc_container *c, int status, void *data)
{
    struct rt_android *a = data;
    (void)c;
    if (status < 0)
        anc_warn("instance %s: container stop: %s", a->rt.inst->id, strerror(-status));
    ct_gone(a, a->why[0] ? a->why : "container stopped");
}

/* --- setup --------------------------------------------------------------------------------- */

/* Binder for the spec (container/binder_host.h); what is made is undone in on_container_freed. */
static int claim_binder(struct rt_android *a, struct anc_android_spec *spec,
                        struct anc_binder_setup *b, char *why, size_t len)
{
    enum anc_binder_pref pref = ANC_BINDER_PREF_AUTO;
    const char *want = a->rt.env.android_binder;
    if (want && anc_binder_pref_parse(want, &pref) < 0) {
        snprintf(why, len, "[android] binder = %.40s: expected auto, guest or host", want);
        return -EINVAL;
    }
    int r = anc_binder_setup(a->rt.env.run_dir, a->rt.inst->id, pref, b, why, len);
    if (r < 0)
        return r;
    a->claimed = true;
    a->binder = b->mode;
    spec->memfd = b->memfd;
    spec->binder = b->mode;
    spec->nodes = &b->nodes;
    return 0;
}

/* The config text of the instance into *text (caller frees). */
static int make_config(struct rt_android *a, char **text, char *why, size_t len)
{
    struct anc_runtime *rt = &a->rt;
    struct anc_instance *inst = rt->inst;
    struct anc_binder_setup binder;
    struct anc_network_lease lease;
    char data[PATH_MAX], log[PATH_MAX + 16];
    snprintf(log, sizeof(log), "%s/lxc.log", rt->run_dir);
    struct anc_android_spec spec = {.id = inst->id,
                                    .run_dir = rt->env.run_dir,
                                    .state_dir = rt->env.state_dir,
                                    .log_file = log,
                                    .width = (unsigned)inst->width,
                                    .height = (unsigned)inst->height,
                                    .dpi = (unsigned)inst->dpi,
                                    .fps = (unsigned)inst->fps,
                                    .memory_mb = inst->memory_mb,
                                    .cpus = inst->cpus,
                                    .pids_max = 16384,
                                    .cgroup = anc_profile_cgroup_layout()};
    int r = claim_binder(a, &spec, &binder, why, len);
    if (r < 0)
        return r;
    if ((r = anc_android_data_dir(rt->env.state_dir, inst->id, data, sizeof(data))) < 0 ||
        (r = anc_mkdir_p(data, 0771)) < 0) {
        snprintf(why, len, "cannot make the instance's /data (%.200s): %s", data, strerror(-r));
        return r;
    }
    if (rt->env.net) {
        r = anc_network_lease(rt->env.net, inst->id, &lease);
        if (r < 0) {
            snprintf(why, len, "no address for the container: %s", strerror(-r));
            return r;
        }
        a->leased = true;
        spec.bridge = lease.bridge;
        spec.ipv4_cidr = lease.cidr;
        spec.gateway = lease.gateway;
        spec.net_hook = lease.port_hook;
    }
    r = anc_android_lxc_config(&spec, text);
    if (r < 0)
        snprintf(why, len, "cannot write the LXC config: %s", strerror(-r));
    return r;
}

static int start_container(struct rt_android *a, char *why, size_t len)
{
    struct anc_runtime *rt = &a->rt;
    char *text = NULL, line[300];
    int r = make_config(a, &text, why, len);
    if (r < 0)
        return r;
    struct anc_container_spec spec = {.id = rt->inst->id,
                                      .image = rt->inst->image,
                                      .image_dir = rt->env.image_dir,
                                      .state_dir = rt->env.state_dir,
                                      .run_dir = rt->env.run_dir,
                                      .lxc_config = text};
    static const struct anc_container_callbacks cbs = {on_ct_started, on_ct_exit, on_ct_stopped};
    r = anc_container_new(rt->env.loop, rt->env.images, FORKSTART_HELPER, &spec, &cbs, a, &a->ct);
    free(text);
    if (r == 0) {
        a->cs = CT_STARTING;
        r = anc_container_start(a->ct);
    }
    if (r < 0) {
        a->cs = CT_ENDED;
        snprintf(why, len, "cannot start the container: %s", strerror(-r));
        return r;
    }
    snprintf(line, sizeof(line), "starting android container from image %s (%dx%d, %d dpi, %d fps)",
             rt->inst->image, rt->inst->width, rt->inst->height, rt->inst->dpi, rt->inst->fps);
    anc__rt_log_line(rt, line);
    return 0;
}

static int start(struct anc_runtime *rt)
{
    char why[512];
    int r = anc__rt_open_log(rt);
    if (r < 0)
        return r;
    if (start_container((struct rt_android *)rt, why, sizeof(why)) < 0)
        anc__rt_event(rt, ANC_RT_GONE, why); /* release undoes what was made */
    return 0;
}

static void stop(struct anc_runtime *rt)
{
    struct rt_android *a = (struct rt_android *)rt;
    a->booting = false;
    uv_timer_stop(&rt->timer);
    probe_abandon(a);
    if (a->cs != CT_STARTING && a->cs != CT_RUNNING) {
        anc__rt_event(rt, ANC_RT_GONE, NULL);
        return;
    }
    stop_container(a, NULL);
}

static void on_container_freed(struct anc_runtime *rt)
{
    struct rt_android *a = (struct rt_android *)rt;
    if (a->leased && rt->env.net)
        anc_network_release(rt->env.net, rt->inst->id);
    a->leased = false;
    if (a->claimed)
        anc_binder_teardown(rt->env.run_dir, rt->inst->id, a->binder);
    a->claimed = false;
    anc__rt_kind_released(rt);
}

static void on_agent_closed(struct anc_runtime *rt)
{
    anc__rt_free_container(rt, &((struct rt_android *)rt)->ct, on_container_freed);
}

static void release(struct anc_runtime *rt, bool detach)
{
    struct rt_android *a = (struct rt_android *)rt;
    (void)detach;
    a->booting = false;
    probe_abandon(a);
    uv_timer_stop(&rt->timer);
    anc__rt_agent_close(rt, on_agent_closed);
}

/* The guest's own screencap: the frames the agent sends are H.264 the daemon never decodes. */
static int screenshot(struct anc_runtime *rt, anc_runtime_shot_cb cb, void *arg)
{
    static const char *const cmd[] = {"/system/bin/screencap", "-p", NULL};
    return anc__rt_guest_shot(rt, cmd, cb, arg);
}

const struct anc_runtime_ops anc__rt_android_ops = {
    .name = "android",
    .size = sizeof(struct rt_android),
    .start = start,
    .stop = stop,
    .release = release,
    .stream = anc__rt_agent_stream,
    .input = anc__rt_agent_input,
    .screenshot = screenshot,
};
