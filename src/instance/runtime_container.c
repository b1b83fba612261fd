/* The linux kind's container, seen from the instance runtime: its address from IPAM, start or
 * adoption (after a daemon crash) on the instance's screen, exit and stop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "container/lxc.h"
#include "container/profile_linux.h"
#include "instance/runtime_internal.h"
#include "instance/screen.h"
#include "net/network.h"

#define FORKSTART_HELPER "/proc/self/exe"

static void ct_failed_to_start(struct anc_runtime *rt, int r)
{
    char why[200];
    rt->ct_active = false;
    snprintf(why, sizeof(why), "cannot start the container: %s", strerror(-r));
    anc__rt_guest_gone(rt, why);
}

/* The end of an adopt: a container that still runs on the adopted display is kept; one whose
 * display is new (the old Xvfb was gone: its guest lost its X connection and DISPLAY is stale) is
 * stopped and started again; none is started. */
static void adopt_done(struct anc_runtime *rt, int status, int init_pid)
{
    char line[300];
    rt->adopting = false;
    if (status == 0 && anc_screen_adopted(rt->screen)) {
        snprintf(line, sizeof(line), "adopted container %s (init pid %d) on display %s",
                 anc_container_get_name(rt->ct), init_pid, anc_screen_display(rt->screen));
        anc__rt_log_line(rt, line);
        anc__rt_report_started(rt, NULL);
        return;
    }
    if (status == 0) {
        anc__rt_log_line(rt, "the container outlived its display: restarting it on the new one");
        rt->replacing = true;
        anc_container_stop(rt->ct, 0);
        return;
    }
    anc__rt_log_line(rt, "no container left running: starting it");
    int r = anc_container_start(rt->ct);
    if (r < 0)
        ct_failed_to_start(rt, r);
}

static void on_ct_started(struct anc_container *c, int status, int init_pid, const char *error,
                          void *data)
{
    struct anc_runtime *rt = data;
    char line[400];
    (void)c;
    if (rt->adopting && !rt->stopping) {
        adopt_done(rt, status, init_pid);
        return;
    }
    rt->adopting = false;
    if (status < 0) {
        rt->ct_active = false;
        snprintf(line, sizeof(line), "container did not start: %s", error ? error : "");
        anc__rt_guest_gone(rt, line);
        return;
    }
    snprintf(line, sizeof(line), "container %s running (init pid %d) on display %s",
             anc_container_get_name(c), init_pid, anc_screen_display(rt->screen));
    anc__rt_log_line(rt, line);
    if (!rt->stopping)
        anc__rt_report_started(rt, NULL);
}

static void on_ct_exit(struct anc_container *c, const char *reason, void *data)
{
    struct anc_runtime *rt = data;
    char why[200];
    (void)c;
    rt->ct_active = false;
    snprintf(why, sizeof(why), "container %s", reason);
    anc__rt_guest_gone(rt, why);
}

static void on_ct_stopped(struct anc_container *c, int status, void *data)
{
    struct anc_runtime *rt = data;
    (void)c;
    if (rt->replacing) {
        rt->replacing = false;
        int r = rt->stopping ? -ECANCELED : anc_container_start(rt->ct);
        if (r == 0)
            return;
        if (r != -ECANCELED) {
            ct_failed_to_start(rt, r);
            return;
        }
    }
    rt->ct_active = false;
    if (status < 0)
        anc_warn("instance %s: container stop: %s", rt->inst->id, strerror(-status));
    anc__rt_log_line(rt, "container stopped");
    anc__rt_teardown(rt);
}

int anc__rt_start_container(struct anc_runtime *rt, char *why, size_t whylen)
{
    struct anc_instance *inst = rt->inst;
    const char *argv[ANC_INSTANCE_MAX_ARGS + 1];
    struct anc_network_lease lease;
    for (int i = 0; i < inst->n_command; i++)
        argv[i] = inst->command[i];
    argv[inst->n_command] = NULL;
    struct anc_container_spec spec = {.id = inst->id,
                                      .image = inst->image,
                                      .image_dir = rt->env.image_dir,
                                      .state_dir = rt->env.state_dir,
                                      .run_dir = rt->env.run_dir,
                                      .argv = inst->n_command ? argv : NULL,
                                      .display = anc_screen_display(rt->screen),
                                      .x11_dir = anc_screen_socket_dir(rt->screen),
                                      .console_log = rt->log_path,
                                      .memory_mb = inst->memory_mb,
                                      .cpus = inst->cpus,
                                      .pids_max = 4096,
                                      .cgroup = anc_profile_cgroup_layout(),
                                      .apparmor = anc_profile_apparmor_enabled()};
    int r = 0;
    if (rt->env.net) {
        r = anc_network_lease(rt->env.net, inst->id, &lease);
        if (r < 0) {
            snprintf(why, whylen, "no address for the container: %s", strerror(-r));
            return r;
        }
        rt->ip_leased = true;
        spec.bridge = lease.bridge;
        spec.ipv4_cidr = lease.cidr;
        spec.gateway = lease.gateway;
    }
    static const struct anc_container_callbacks cbs = {on_ct_started, on_ct_exit, on_ct_stopped};
    r = anc_container_new(rt->env.loop, rt->env.images, FORKSTART_HELPER, &spec, &cbs, rt, &rt->ct);
    rt->adopting = r == 0 && rt->adopt;
    if (r == 0)
        r = rt->adopting ? anc_container_adopt(rt->ct) : anc_container_start(rt->ct);
    if (r < 0) {
        snprintf(why, whylen, "cannot start the container: %s", strerror(-r));
        return r;
    }
    rt->ct_active = true;
    char line[300];
    snprintf(line, sizeof(line), "%s container from image %s%s%s",
             rt->adopting ? "adopting the" : "starting", inst->image,
             spec.ipv4_cidr ? " at " : " (no network)", spec.ipv4_cidr ? spec.ipv4_cidr : "");
    anc__rt_log_line(rt, line);
    return 0;
}
