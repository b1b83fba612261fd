/* Screenshots the guest takes itself: `lxc-attach ... -- screencap -p` in the instance's
 * container, its PNG read from stdout (base/run_output.h) within SHOT_TIMEOUT_MS. The runtime
 * keeps the runs in flight so that a stop answers them at once (-ESHUTDOWN) instead of leaving
 * an HTTP request waiting for a guest that is gone. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/run_output.h"
#include "container/profile_linux.h"
#include "instance/runtime_internal.h"

#define SHOT_TIMEOUT_MS 5000
#define SHOT_MAX_BYTES  (32u << 20) /* a 4096x4096 PNG of noise is ~50 MB; screens are far less */

struct anc_rt_shot {
    struct anc_runtime *rt;
    struct anc_run_output *run;
    anc_runtime_shot_cb cb;
    void *arg;
    struct anc_rt_shot *next;
};

static void unlink_shot(struct anc_rt_shot *sh)
{
    for (struct anc_rt_shot **pp = &sh->rt->shots; *pp; pp = &(*pp)->next)
        if (*pp == sh) {
            *pp = sh->next;
            return;
        }
}

static void on_output(void *arg, int status, uint8_t *out, size_t len, uint8_t **steal)
{
    struct anc_rt_shot *sh = arg;
    unlink_shot(sh);
    if (status > 0 || (status == 0 && len == 0))
        status = -EIO; /* screencap failed (its message went to stderr, /dev/null) */
    sh->cb(sh->arg, status, out, status == 0 ? len : 0, steal);
    free(sh);
}

int anc__rt_guest_shot(struct anc_runtime *rt, const char *const *cmd, anc_runtime_shot_cb cb,
                       void *arg)
{
    int n = 0;
    for (struct anc_rt_shot *s = rt->shots; s; s = s->next)
        n++;
    if (n >= ANC_RT_MAX_SHOTS)
        return -EBUSY;
    char name[96], lxcpath[PATH_MAX];
    anc_container_name(rt->inst->id, name, sizeof(name));
    snprintf(lxcpath, sizeof(lxcpath), "%s/lxc", rt->env.state_dir);
    char *argv[16] = {"lxc-attach", "--clear-env", "-n", name, "-P", lxcpath, "--"};
    n = 7;
    for (int i = 0; cmd[i] && n < 15; i++)
        argv[n++] = (char *)cmd[i];
    argv[n] = NULL;
    struct anc_rt_shot *sh = calloc(1, sizeof(*sh));
    if (!sh)
        return -ENOMEM;
    *sh = (struct anc_rt_shot){.rt = rt, .cb = cb, .arg = arg};
    int r = anc_run_output_start(rt->env.loop, argv, SHOT_MAX_BYTES, SHOT_TIMEOUT_MS, on_output, sh,
                                 &sh->run);
    if (r < 0) {
        free(sh);
        return r;
    }
    sh->next = rt->shots;
    rt->shots = sh;
    return 0;
}

void anc__rt_shots_cancel(struct anc_runtime *rt)
{
    while (rt->shots) {
        struct anc_rt_shot *sh = rt->shots;
        rt->shots = sh->next;
        anc_run_output_abandon(sh->run);
        uint8_t *steal = NULL;
        sh->cb(sh->arg, -ESHUTDOWN, (uint8_t *)"", 0, &steal);
        free(sh);
    }
}
