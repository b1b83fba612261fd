/* The in-guest agent as an instance's capture source, shared by the kinds android and linux
 * (capture "agent"): one pass-through stream for the instance's whole run, the agent as a
 * supervised child (`lxc-attach` into the container; restarted with back-off, a fresh scid at
 * every spawn) and one connection per run. A run ends by itself (killed, crashed), because its
 * connection closed (the run is then stopped, so that the child's restart is the one path back),
 * or to change the bit rate the viewers' estimates ask for. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent/agent_uv.h"
#include "base/child.h"
#include "base/log.h"
#include "container/profile_linux.h"
#include "instance/agent_jar.h"
#include "instance/runtime_internal.h"

#define AGENT_MAX_ARGS    48
#define AGENT_GRACE_MS    2000
#define AGENT_FAILS_UP    5 /* exits before the first connection that end a start */
#define RESTART_MIN_MS    500
#define RESTART_MAX_MS    10000
#define RESTART_STABLE_MS 10000

struct anc_rt_agent {
    struct anc_runtime *rt;
    struct anc_stream *stream;
    struct anc_child *child;
    struct anc_agent_conn *conn;
    void (*on_ready)(struct anc_runtime *rt);
    int init_pid;
    uint32_t scid;
    uint64_t bitrate_bps;
    unsigned fails; /* runs that ended before the first connection */
    bool ready_reported, closing;
    /* The command line: argv points into pool; scid and rate are rewritten before each spawn. */
    char *argv[AGENT_MAX_ARGS + 1];
    int argc;
    char pool[4096];
    size_t pool_used;
    char scid_arg[24], rate_arg[48];
    char record[PATH_MAX + 16], needle[128];
    int pending; /* closes in flight during anc__rt_agent_close */
    void (*done)(struct anc_runtime *rt);
};

static void agent_log(struct anc_rt_agent *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void agent_log(struct anc_rt_agent *a, const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    anc__rt_log_line(a->rt, line);
}

/* --- the connection ------------------------------------------------------------------------ */

static void conn_drop(struct anc_rt_agent *a)
{
    anc_agent_conn_close(a->conn, NULL, NULL);
    a->conn = NULL;
}

static void on_conn_ready(void *arg, const char *device, uint32_t width, uint32_t height)
{
    struct anc_rt_agent *a = arg;
    agent_log(a, "agent connected: %s, H.264 %ux%u at %llu kbit/s", device, width, height,
              (unsigned long long)(a->bitrate_bps / 1000));
    if (a->child)
        anc_child_ready(a->child);
    a->fails = 0;
    if (!a->ready_reported) {
        a->ready_reported = true;
        a->on_ready(a->rt);
    } else {
        anc_stream_request_keyframe(a->stream);
    }
}

static void on_conn_au(void *arg, const uint8_t *data, size_t len, bool keyframe, uint64_t pts)
{
    struct anc_rt_agent *a = arg;
    (void)pts; /* the agent's clock, not ours: the stream times frames by arrival */
    anc_stream_push_au(a->stream, data, len, keyframe, uv_hrtime() / 1000u);
}

static void on_conn_clipboard(void *arg, const uint8_t *utf8, size_t len)
{
    struct anc_rt_agent *a = arg;
    anc__rt_clipboard(a->rt, (const char *)utf8, len);
}

/* The connection ended: the run is stopped too (if it still runs), and the child's restart
 * brings both back. */
static void on_conn_closed(void *arg, int status, const char *why)
{
    struct anc_rt_agent *a = arg;
    agent_log(a, "agent connection closed: %s (%s)", why, strerror(-status));
    conn_drop(a);
    if (a->child)
        anc_child_signal(a->child, SIGKILL);
}

static void connect_run(struct anc_rt_agent *a)
{
    struct anc_agent_conn_params p = {
        .init_pid = a->init_pid, .scid = a->scid, .bitrate_bps = a->bitrate_bps};
    static const struct anc_agent_conn_cbs cbs = {.on_ready = on_conn_ready,
                                                  .on_au = on_conn_au,
                                                  .on_clipboard = on_conn_clipboard,
                                                  .on_closed = on_conn_closed};
    int r = anc_agent_conn_start(a->rt->env.loop, &p, &cbs, a, &a->conn);
    if (r < 0) {
        a->conn = NULL;
        agent_log(a, "agent: cannot connect to it: %s", strerror(-r));
        if (a->child)
            anc_child_signal(a->child, SIGKILL);
    }
}

/* --- the stream's requests ----------------------------------------------------------------- */

static void on_request_keyframe(void *arg)
{
    struct anc_rt_agent *a = arg;
    if (a->conn)
        anc_agent_conn_reset_video(a->conn);
}

static void on_estimate(void *arg, uint64_t bps)
{
    struct anc_rt_agent *a = arg;
    uint64_t rate = a->conn ? anc_agent_conn_estimate(a->conn, bps) : 0;
    if (rate == 0 || rate == a->bitrate_bps)
        return;
    agent_log(a, "agent: restarting it at %llu kbit/s (viewers' estimate)",
              (unsigned long long)(rate / 1000));
    a->bitrate_bps = rate;
    anc_stream_set_bitrate(a->stream, (int)(rate / 1000));
    conn_drop(a);
    if (a->child)
        anc_child_signal(a->child, SIGTERM);
}

static const struct anc_stream_passthrough_ops stream_ops = {
    .request_keyframe = on_request_keyframe, .estimate = on_estimate};

/* --- the child ----------------------------------------------------------------------------- */

static int prepare(struct anc_child *c, struct anc_child_spawn *s, void *data)
{
    struct anc_rt_agent *a = data;
    a->child = c; /* the first spawn runs inside anc_child_start */
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != sizeof(v))
        v = (uint32_t)uv_hrtime();
    a->scid = v & 0x7fffffffu;
    snprintf(a->scid_arg, sizeof(a->scid_arg), "scid=%08x", a->scid);
    snprintf(a->rate_arg, sizeof(a->rate_arg), "video_bit_rate=%llu",
             (unsigned long long)a->bitrate_bps);
    s->argv = a->argv;
    return 0;
}

static void on_spawned(struct anc_child *c, int r, void *data)
{
    struct anc_rt_agent *a = data;
    (void)c;
    if (r < 0) {
        agent_log(a, "agent: cannot run lxc-attach: %s", uv_strerror(r));
        return;
    }
    if (!a->closing)
        connect_run(a);
}

static void on_agent_exit(struct anc_child *c, const struct anc_child_exit *e, void *data)
{
    struct anc_rt_agent *a = data;
    (void)c;
    conn_drop(a);
    if (a->closing || e->restart_ms < 0)
        return;
    agent_log(a, "agent exited (status %lld, signal %d); restarting it in %.1f s",
              (long long)e->status, e->signal, (double)e->restart_ms / 1000);
    if (a->ready_reported || a->rt->state != ANC_RT_STARTING || ++a->fails < AGENT_FAILS_UP)
        return;
    char why[200];
    snprintf(why, sizeof(why), "agent: exited %u times without connecting (last status %lld)",
             a->fails, (long long)e->status);
    anc__rt_event(a->rt, ANC_RT_GONE, why); /* the release stops the child */
}

/* --- setup --------------------------------------------------------------------------------- */

static int add_arg(struct anc_rt_agent *a, const char *s)
{
    size_t n = strlen(s) + 1;
    if (a->argc >= AGENT_MAX_ARGS || a->pool_used + n > sizeof(a->pool))
        return -E2BIG;
    a->argv[a->argc++] = memcpy(a->pool + a->pool_used, s, n);
    a->pool_used += n;
    return 0;
}

/* lxc-attach [-u -g] [-v ...] -- CMD... 3.3.3 scid=... (scrcpy-server's key=value options). */
static int build_argv(struct anc_rt_agent *a, const struct anc_rt_agent_spec *spec,
                      const char *name)
{
    struct anc_runtime *rt = a->rt;
    char lxcpath[PATH_MAX], opt[64];
    int r = 0;
    snprintf(lxcpath, sizeof(lxcpath), "%s/lxc", rt->env.state_dir);
    const char *head[] = {"lxc-attach", "--clear-env", "-n", name, "-P", lxcpath};
    for (size_t i = 0; r == 0 && i < sizeof(head) / sizeof(head[0]); i++)
        r = add_arg(a, head[i]);
    if (r == 0 && spec->uid >= 0) {
        snprintf(opt, sizeof(opt), "--uid=%d", spec->uid);
        r = add_arg(a, opt);
    }
    if (r == 0 && spec->gid >= 0) {
        snprintf(opt, sizeof(opt), "--gid=%d", spec->gid);
        r = add_arg(a, opt);
    }
    for (int i = 0; r == 0 && spec->env && spec->env[i]; i++)
        if ((r = add_arg(a, "-v")) == 0)
            r = add_arg(a, spec->env[i]);
    if (r == 0)
        r = add_arg(a, "--");
    for (int i = 0; r == 0 && spec->cmd[i]; i++)
        r = add_arg(a, spec->cmd[i]);
    snprintf(opt, sizeof(opt), "max_fps=%d", rt->inst->fps);
    const char *opts[] = {ANC_AGENT_VERSION,
                          "",
                          "log_level=info",
                          "tunnel_forward=true",
                          "video=true",
                          "audio=false",
                          "control=true",
                          "video_codec=h264",
                          "",
                          opt,
                          "send_device_meta=true",
                          "send_dummy_byte=true"};
    for (size_t i = 0; r == 0 && i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (i == 1 || i == 8) { /* scid and bit rate: rewritten at each spawn (prepare) */
            if (a->argc >= AGENT_MAX_ARGS)
                return -E2BIG;
            a->argv[a->argc++] = i == 1 ? a->scid_arg : a->rate_arg;
            continue;
        }
        r = add_arg(a, opts[i]);
    }
    a->argv[a->argc] = NULL;
    return r;
}

int anc__rt_agent_new(struct anc_runtime *rt)
{
    struct anc_rt_agent *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->rt = rt;
    a->bitrate_bps = (uint64_t)rt->env.stream.bitrate_kbps * 1000u;
    int r = anc_stream_new_passthrough(rt->env.loop, &rt->env.stream, &stream_ops, a, &a->stream);
    if (r < 0) {
        free(a);
        return r;
    }
    rt->agent = a;
    return 0;
}

int anc__rt_agent_start(struct anc_runtime *rt, int init_pid, const struct anc_rt_agent_spec *spec,
                        char *why, size_t whylen)
{
    struct anc_rt_agent *a = rt->agent;
    char name[96];
    anc_container_name(rt->inst->id, name, sizeof(name));
    a->init_pid = init_pid;
    a->on_ready = spec->on_ready;
    int r = build_argv(a, spec, name);
    if (r < 0) {
        snprintf(why, whylen, "agent: its command line is too long");
        return r;
    }
    snprintf(a->record, sizeof(a->record), "%s/agent.pid", rt->run_dir);
    snprintf(a->needle, sizeof(a->needle), "\n%s\n", name);
    int old = anc_child_kill_leftover(a->record, a->needle, 1000);
    if (old)
        agent_log(a, "agent: killed the previous daemon's lxc-attach (pid %d)", old);
    int fd = rt->log_fd >= 0 ? rt->log_fd : ANC_CHILD_IGNORE;
    struct anc_child_params p = {.argv = a->argv,
                                 .fds = {ANC_CHILD_IGNORE, fd, fd},
                                 .nfds = 3,
                                 .record = a->record,
                                 .needle = a->needle,
                                 .grace_ms = AGENT_GRACE_MS,
                                 .restart = {.min_ms = RESTART_MIN_MS,
                                             .max_ms = RESTART_MAX_MS,
                                             .stable_ms = RESTART_STABLE_MS,
                                             .stable_from_ready = true}};
    static const struct anc_child_callbacks cbs = {
        .on_exit = on_agent_exit, .prepare = prepare, .on_spawned = on_spawned};
    r = anc_child_start(rt->env.loop, &p, &cbs, a, &a->child);
    if (r < 0) {
        a->child = NULL;
        conn_drop(a); /* on_spawned may have begun connecting */
        snprintf(why, whylen, "agent: cannot run lxc-attach: %s", uv_strerror(r));
        return r;
    }
    agent_log(a, "agent: %s (scid %08x, %llu kbit/s)", spec->cmd[0], a->scid,
              (unsigned long long)(a->bitrate_bps / 1000));
    return 0;
}

struct anc_stream *anc__rt_agent_stream(struct anc_runtime *rt)
{
    return rt->agent ? rt->agent->stream : NULL;
}

int anc__rt_agent_input(struct anc_runtime *rt, const struct anc_input_msg *m)
{
    struct anc_rt_agent *a = rt->agent;
    return a && a->conn ? anc_agent_conn_input(a->conn, m) : -ENOTCONN;
}

/* --- the end ------------------------------------------------------------------------------- */

static void close_step(void *arg)
{
    struct anc_rt_agent *a = arg;
    if (--a->pending > 0)
        return;
    struct anc_runtime *rt = a->rt;
    void (*done)(struct anc_runtime *) = a->done;
    free(a);
    if (done)
        done(rt);
}

void anc__rt_agent_close(struct anc_runtime *rt, void (*done)(struct anc_runtime *rt))
{
    struct anc_rt_agent *a = rt->agent;
    if (!a) {
        if (done)
            done(rt);
        return;
    }
    rt->agent = NULL; /* rt may be gone before the closes end when done is NULL */
    a->closing = true;
    a->done = done;
    a->pending = 4; /* the connection, the child, the stream, and this call */
    struct anc_agent_conn *conn = a->conn;
    a->conn = NULL;
    anc_agent_conn_close(conn, close_step, a);
    struct anc_child *child = a->child;
    a->child = NULL;
    anc_child_stop(child, close_step, a);
    anc_stream_close_then(a->stream, close_step, a);
    close_step(a);
}
