/* Kind linux: a container from an image on the instance's screen, its address leased from the
 * network. After a daemon crash the guest and its Xvfb are taken over (adopted) when they still
 * run; at exit with keep_running_on_exit they are let go of (detached), address included.
 *
 * capture "host" (default): the daemon captures the screen and encodes it. capture "agent": the
 * screen is only the guest's display (runtime_screen.c makes it display-only), and the guest's
 * /usr/bin/ancloud-agent captures it and sends H.264 (runtime_agent.c); the instance is UP once
 * the container runs and the agent is connected. An adopted guest gets a new agent (the previous
 * daemon's agent ended with its connection; a leftover lxc-attach on record is killed).
 *
 * The guest's stdout and stderr go to a FIFO, <run_dir>/<id>/guest-output, bound into the guest
 * (never a writable host file): the daemon reads it on the loop into the instance log, which
 * keeps it under its cap (base/caplog.h). A start makes the FIFO anew; an adopt reopens the one
 * the running guest still writes to. While no daemon reads (between a crash and the next start),
 * the pipe keeps up to 64 KiB; past that the guest's writes wait for the next daemon. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/caplog.h"
#include "base/log.h"
#include "container/idmap.h"
#include "container/lxc.h"
#include "container/profile_linux.h"
#include "instance/runtime_internal.h"
#include "instance/screen.h"
#include "net/network.h"

#define FORKSTART_HELPER "/proc/self/exe"
#define CONTAINER_STOP_S 10
#define GUEST_AGENT      "/usr/bin/ancloud-agent"
#define GUEST_OUTPUT     "guest-output"

enum ct_state {
    CT_NONE,      /* no container object (yet) */
    CT_ADOPTING,  /* anc_container_adopt in flight */
    CT_REPLACING, /* a leftover on a stale display is stopped before a fresh start */
    CT_STARTING,  /* anc_container_start in flight */
    CT_RUNNING,   /* started or adopted */
    CT_ENDED,     /* exited, stopped, failed or let go: only the object is left */
};

struct rt_linux {
    struct anc_runtime rt;
    struct anc_container *ct;
    enum ct_state cs;
    bool adopt;                 /* after a daemon restart: take over what still runs */
    bool leased;                /* the network lent the guest an address */
    char output[PATH_MAX + 16]; /* <run_dir>/<id>/guest-output: the guest's stdout and stderr */
};

static bool ct_active(const struct rt_linux *l)
{
    return l->cs >= CT_ADOPTING && l->cs <= CT_RUNNING;
}

/* The container ended (or never ran): GONE with why. */
static void ct_gone(struct rt_linux *l, const char *why)
{
    l->cs = CT_ENDED;
    anc__rt_event(&l->rt, ANC_RT_GONE, why);
}

static void ct_failed_to_start(struct rt_linux *l, int r)
{
    char why[200];
    snprintf(why, sizeof(why), "cannot start the container: %s", strerror(-r));
    ct_gone(l, why);
}

static void ct_start(struct rt_linux *l)
{
    l->cs = CT_STARTING;
    int r = anc_container_start(l->ct);
    if (r < 0)
        ct_failed_to_start(l, r);
}

static void on_agent_ready(struct anc_runtime *rt)
{
    anc__rt_event(rt, ANC_RT_UP, NULL);
}

/* The container runs: UP, or (capture agent) the agent starts and UP follows its connection. */
static void ct_up(struct rt_linux *l)
{
    struct anc_runtime *rt = &l->rt;
    char why[300], exe[64];
    if (!rt->agent) {
        anc__rt_event(rt, ANC_RT_UP, NULL);
        return;
    }
    if (rt->state != ANC_RT_STARTING)
        return; /* a stop came meanwhile: it goes on */
    int pid = anc_container_init_pid(l->ct);
    /* Through the init's root: the binary as the guest sees it, without entering it. */
    snprintf(exe, sizeof(exe), "/proc/%d/root" GUEST_AGENT, pid);
    if (access(exe, X_OK) < 0) {
        snprintf(why, sizeof(why),
                 "capture agent: the image has no executable " GUEST_AGENT " (%s)",
                 strerror(errno));
        anc__rt_event(rt, ANC_RT_GONE, why); /* the release stops the container */
        return;
    }
    char display[64];
    snprintf(display, sizeof(display), "DISPLAY=%s", anc_screen_display(rt->screen));
    const char *cmd[] = {GUEST_AGENT, NULL};
    const char *env[] = {display, "XAUTHORITY=" ANC_GUEST_XAUTHORITY, NULL};
    struct anc_rt_agent_spec spec = {
        .cmd = cmd, .env = env, .uid = -1, .gid = -1, .on_ready = on_agent_ready};
    if (anc__rt_agent_start(rt, pid, &spec, why, sizeof(why)) < 0)
        anc__rt_event(rt, ANC_RT_GONE, why);
}

/* The end of an adopt: a container that still runs on the adopted display is kept; one whose
 * display is new (the old Xvfb was gone: its guest lost its X connection and DISPLAY is stale) is
 * stopped and started again; none is started. */
static void adopt_done(struct rt_linux *l, int status, int init_pid)
{
    struct anc_runtime *rt = &l->rt;
    char line[300];
    if (status == 0 && anc_screen_adopted(rt->screen)) {
        snprintf(line, sizeof(line), "adopted container %s (init pid %d) on display %s",
                 anc_container_get_name(l->ct), init_pid, anc_screen_display(rt->screen));
        anc__rt_log_line(rt, line);
        l->cs = CT_RUNNING;
        ct_up(l);
        return;
    }
    if (status == 0) {
        anc__rt_log_line(rt, "the container outlived its display: restarting it on the new one");
        l->cs = CT_REPLACING;
        anc_container_stop(l->ct, 0);
        return;
    }
    anc__rt_log_line(rt, "no container left running: starting it");
    ct_start(l);
}

static void on_ct_started(struct anc_container *c, int status, int init_pid, const char *error,
                          void *data)
{
    struct rt_linux *l = data;
    char line[400];
    if (l->cs == CT_ADOPTING && l->rt.state == ANC_RT_STARTING) {
        adopt_done(l, status, init_pid);
        return;
    }
    if (status < 0) {
        snprintf(line, sizeof(line), "container did not start: %s", error ? error : "");
        ct_gone(l, line);
        return;
    }
    l->cs = CT_RUNNING;
    snprintf(line, sizeof(line), "container %s running (init pid %d) on display %s",
             anc_container_get_name(c), init_pid, anc_screen_display(l->rt.screen));
    anc__rt_log_line(&l->rt, line);
    ct_up(l); /* nothing while stopping: the stop goes on */
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
    struct rt_linux *l = data;
    (void)c;
    if (l->cs == CT_REPLACING && l->rt.state == ANC_RT_STARTING) {
        ct_start(l);
        return;
    }
    if (status < 0)
        anc_warn("instance %s: container stop: %s", l->rt.inst->id, strerror(-status));
    ct_gone(l, "container stopped");
}

/* Whether linux guests run id-mapped here (decided once, said once in the daemon's log): the
 * host range of their ids, or 0 count for the privileged fallback. */
static void guest_idmap(unsigned *start, unsigned *count)
{
    static int state; /* 0 unknown, 1 id-mapped, -1 privileged */
    static unsigned host_start;
    if (state == 0) {
        char why[256];
        if (anc_idmap_detect("/etc/subuid", "/etc/subgid", &host_start, why, sizeof(why)) == 0) {
            state = 1;
            anc_info("linux guests run unprivileged: their uids and gids 0..%u are host %u..%u",
                     ANC_IDMAP_COUNT - 1, host_start, host_start + ANC_IDMAP_COUNT - 1);
        } else {
            state = -1;
            anc_warn("linux guests run PRIVILEGED (their root is host root, with fewer "
                     "capabilities): %s",
                     why);
        }
    }
    *start = state > 0 ? host_start : 0;
    *count = state > 0 ? ANC_IDMAP_COUNT : 0;
}

/* Makes (fresh) or reopens the guest's output FIFO and has the instance log read it. Read-write:
 * the daemon is a writer too, so a guest that closes its end is no EOF, and a guest that opens
 * its end never waits. */
static int open_output(struct rt_linux *l, bool fresh)
{
    struct anc_runtime *rt = &l->rt;
    struct stat st;
    snprintf(l->output, sizeof(l->output), "%s/" GUEST_OUTPUT, rt->run_dir);
    if (fresh || lstat(l->output, &st) < 0 || !S_ISFIFO(st.st_mode)) {
        if (unlink(l->output) < 0 && errno != ENOENT)
            return -errno;
        if (mkfifo(l->output, 0600) < 0)
            return -errno;
    }
    int fd = open(l->output, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return anc_caplog_follow(rt->log, fd);
}

/* The container's description: image, screen, limits, and the leased address (if any). */
static void describe(struct rt_linux *l, const char **argv, const struct anc_network_lease *lease,
                     struct anc_container_spec *spec)
{
    struct anc_runtime *rt = &l->rt;
    struct anc_instance *inst = rt->inst;
    for (int i = 0; i < inst->n_command; i++)
        argv[i] = inst->command[i];
    argv[inst->n_command] = NULL;
    *spec = (struct anc_container_spec){.id = inst->id,
                                        .image = inst->image,
                                        .image_dir = rt->env.image_dir,
                                        .state_dir = rt->env.state_dir,
                                        .run_dir = rt->env.run_dir,
                                        .argv = inst->n_command ? argv : NULL,
                                        .display = anc_screen_display(rt->screen),
                                        .x11_dir = anc_screen_socket_dir(rt->screen),
                                        .console_log = l->output,
                                        .xauthority = anc_screen_xauthority(rt->screen),
                                        .memory_mb = inst->memory_mb,
                                        .cpus = inst->cpus,
                                        .pids_max = 4096,
                                        .cgroup = anc_profile_cgroup_layout(),
                                        .apparmor = anc_profile_apparmor_enabled()};
    if (lease) {
        spec->bridge = lease->bridge;
        spec->ipv4_cidr = lease->cidr;
        spec->gateway = lease->gateway;
        spec->net_hook = lease->port_hook;
    }
    guest_idmap(&spec->idmap_host_start, &spec->idmap_count);
}

/* Starts (or adopts) the container on the screen that is ready. Returns 0 (a callback follows)
 * or -errno with why filled. */
static int start_container(struct rt_linux *l, char *why, size_t whylen)
{
    struct anc_runtime *rt = &l->rt;
    const char *argv[ANC_INSTANCE_MAX_ARGS + 1];
    struct anc_network_lease lease;
    struct anc_container_spec spec;
    int r = open_output(l, !l->adopt);
    if (r < 0) {
        snprintf(why, whylen, "cannot make the FIFO for the guest's output (%s): %s", GUEST_OUTPUT,
                 strerror(-r));
        return r;
    }
    if (rt->env.net) {
        r = anc_network_lease(rt->env.net, rt->inst->id, &lease);
        if (r < 0) {
            snprintf(why, whylen, "no address for the container: %s", strerror(-r));
            return r;
        }
        l->leased = true;
    }
    describe(l, argv, rt->env.net ? &lease : NULL, &spec);
    static const struct anc_container_callbacks cbs = {on_ct_started, on_ct_exit, on_ct_stopped};
    r = anc_container_new(rt->env.loop, rt->env.images, FORKSTART_HELPER, &spec, &cbs, l, &l->ct);
    if (r == 0) {
        l->cs = l->adopt ? CT_ADOPTING : CT_STARTING;
        r = l->adopt ? anc_container_adopt(l->ct) : anc_container_start(l->ct);
    }
    if (r < 0) {
        l->cs = CT_ENDED;
        snprintf(why, whylen, "cannot start the container: %s", strerror(-r));
        return r;
    }
    char line[300];
    snprintf(line, sizeof(line), "%s container from image %s%s%s",
             l->adopt ? "adopting the" : "starting", rt->inst->image,
             spec.ipv4_cidr ? " at " : " (no network)", spec.ipv4_cidr ? spec.ipv4_cidr : "");
    anc__rt_log_line(rt, line);
    return 0;
}

static void on_screen(struct anc_runtime *rt)
{
    char why[300];
    if (start_container((struct rt_linux *)rt, why, sizeof(why)) < 0)
        anc__rt_event(rt, ANC_RT_GONE, why);
}

/* capture "agent": the pass-through stream exists before the screen, which is then display-only
 * and publishes it. */
static int make_agent(struct anc_runtime *rt)
{
    return rt->inst->capture == ANC_CAPTURE_AGENT ? anc__rt_agent_new(rt) : 0;
}

static int start(struct anc_runtime *rt)
{
    int r = anc__rt_open_log(rt);
    if (r == 0)
        r = make_agent(rt);
    if (r == 0)
        r = anc__rt_screen_start(rt, false);
    if (r < 0)
        anc__rt_agent_close(rt, NULL);
    return r;
}

/* A linux guest lives on after a daemon crash with its display: both are taken over. */
static int adopt(struct anc_runtime *rt)
{
    ((struct rt_linux *)rt)->adopt = true;
    int r = anc__rt_open_log(rt);
    if (r == 0)
        r = make_agent(rt);
    if (r == 0)
        r = anc__rt_screen_start(rt, true);
    if (r < 0)
        anc__rt_agent_close(rt, NULL);
    return r;
}

static void stop(struct anc_runtime *rt)
{
    struct rt_linux *l = (struct rt_linux *)rt;
    if (!ct_active(l)) {
        anc__rt_event(rt, ANC_RT_GONE, NULL);
        return;
    }
    anc__rt_log_line(rt, "stopping: the container");
    anc_container_stop(l->ct, CONTAINER_STOP_S); /* on_ct_stopped (or on_ct_exit) reports */
}

static int detach(struct anc_runtime *rt)
{
    struct rt_linux *l = (struct rt_linux *)rt;
    if (l->cs != CT_RUNNING || !rt->screen)
        return -EINVAL;
    l->cs = CT_ENDED; /* let go of it: nothing of the container is stopped */
    return 0;
}

static void on_container_freed(struct anc_runtime *rt)
{
    struct rt_linux *l = (struct rt_linux *)rt;
    if (l->leased && rt->env.net && rt->state != ANC_RT_DETACHING)
        anc_network_release(rt->env.net, rt->inst->id); /* a detached guest keeps it */
    l->leased = false;
    anc__rt_kind_released(rt);
}

/* The agent first (a detached guest gets a new one from the next daemon), then the container. */
static void on_agent_closed(struct anc_runtime *rt)
{
    anc__rt_free_container(rt, &((struct rt_linux *)rt)->ct, on_container_freed);
}

static void release(struct anc_runtime *rt, bool detach)
{
    (void)detach;
    anc__rt_agent_close(rt, on_agent_closed);
}

static struct anc_stream *stream(struct anc_runtime *rt)
{
    return rt->agent ? anc__rt_agent_stream(rt) : anc__rt_screen_stream(rt);
}

static int input(struct anc_runtime *rt, const struct anc_input_msg *m)
{
    return rt->agent ? anc__rt_agent_input(rt, m) : anc__rt_screen_input(rt, m);
}

const struct anc_runtime_ops anc__rt_linux_ops = {
    .name = "linux",
    .size = sizeof(struct rt_linux),
    .start = start,
    .adopt = adopt,
    .on_screen = on_screen,
    .stop = stop,
    .detach = detach,
    .release = release,
    .stream = stream,
    .input = input,
};
