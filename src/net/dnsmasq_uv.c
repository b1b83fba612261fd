/* dnsmasq supervision on the loop (base/child): spawn, restart with backoff, reload, stop. */
#include "net/dnsmasq_uv.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/child.h"
#include "base/fsutil.h"
#include "base/log.h"

#define BACKOFF_MIN_MS   250
#define BACKOFF_MAX_MS   30000
#define STABLE_MS        60000
#define KILL_AFTER_MS    2000
#define LEFTOVER_WAIT_MS 1000

struct anc_dnsmasq {
    struct anc_dnsmasq_config cfg;
    struct anc_child *child;
    bool closing;
    anc_dnsmasq_close_cb close_cb;
    void *close_ud;
};

/* <dir>/dnsmasq.pid: written by us (dnsmasq keeps none: it is our child), so that the next
 * daemon can end a dnsmasq a crashed one left holding the bridge's DHCP and DNS ports. Its
 * needle: the one whole argument naming the bridge. */
static void record(const struct anc_dnsmasq_config *c, char *path, size_t plen, char *needle,
                   size_t nlen)
{
    snprintf(path, plen, "%s/dnsmasq.pid", c->dir);
    snprintf(needle, nlen, "\n--interface=%s\n", c->bridge);
}

int anc_dnsmasq_kill_leftover(const struct anc_dnsmasq_config *c)
{
    char path[PATH_MAX + 16], needle[ANC_DNSMASQ_NAME_MAX + 32];
    record(c, path, sizeof(path), needle, sizeof(needle));
    /* Its sockets close when it exits: wait for that (briefly) so that ours can bind. */
    int pid = anc_child_kill_leftover(path, needle, LEFTOVER_WAIT_MS);
    if (pid)
        anc_info("dnsmasq: ended the one (pid %d) a previous daemon left on %s", pid, c->bridge);
    return pid;
}

static int write_hosts(const struct anc_dnsmasq_config *c, const struct anc_dnsmasq_host *hosts,
                       size_t n)
{
    char path[PATH_MAX + 8], *text = NULL;
    if (snprintf(path, sizeof(path), "%s/hosts", c->dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    int r = anc_dnsmasq_hosts_text(hosts, n, c->domain, &text);
    if (r < 0)
        return r;
    r = anc_write_file_atomic(path, text, strlen(text), 0644);
    free(text);
    return r;
}

static int start_child(uv_loop_t *loop, struct anc_dnsmasq *d, char **argv)
{
    char path[PATH_MAX + 16], needle[ANC_DNSMASQ_NAME_MAX + 32];
    record(&d->cfg, path, sizeof(path), needle, sizeof(needle));
    const struct anc_child_params p = {
        .argv = argv,
        .fds = {ANC_CHILD_IGNORE, ANC_CHILD_IGNORE, 2},
        .nfds = 3,
        .record = path,
        .needle = needle,
        .grace_ms = KILL_AFTER_MS,
        .restart = {.min_ms = BACKOFF_MIN_MS, .max_ms = BACKOFF_MAX_MS, .stable_ms = STABLE_MS},
    };
    struct anc_child_callbacks cbs = {0};
    return anc_child_start(loop, &p, &cbs, d, &d->child);
}

int anc_dnsmasq_start(uv_loop_t *loop, const struct anc_dnsmasq_config *c, struct anc_dnsmasq **out)
{
    struct anc_dnsmasq *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->cfg = *c;
    char **argv = NULL;
    int r = anc_mkdir_p(c->dir, 0755);
    if (r == 0)
        r = write_hosts(c, NULL, 0);
    if (r == 0)
        r = anc_dnsmasq_argv(c, &argv);
    if (r == 0) {
        anc_dnsmasq_kill_leftover(c);
        r = start_child(loop, d, argv); /* copies argv */
    }
    anc_dnsmasq_argv_free(argv);
    if (r < 0) {
        free(d);
        return r;
    }
    *out = d;
    return 0;
}

int anc_dnsmasq_set_hosts(struct anc_dnsmasq *d, const struct anc_dnsmasq_host *hosts, size_t n)
{
    int r = write_hosts(&d->cfg, hosts, n);
    if (r < 0)
        return r;
    r = anc_child_signal(d->child, SIGHUP);
    return r == -ESRCH ? 0 : r; /* down or exiting: the restarted one reads the new file */
}

int anc_dnsmasq_pid(const struct anc_dnsmasq *d)
{
    return anc_child_pid(d->child);
}

unsigned anc_dnsmasq_restarts(const struct anc_dnsmasq *d)
{
    return anc_child_restarts(d->child);
}

static void child_closed(void *data)
{
    struct anc_dnsmasq *d = data;
    anc_dnsmasq_close_cb cb = d->close_cb;
    void *ud = d->close_ud;
    free(d);
    if (cb)
        cb(ud);
}

void anc_dnsmasq_detach(struct anc_dnsmasq *d, anc_dnsmasq_close_cb cb, void *ud)
{
    if (!d || d->closing)
        return;
    d->closing = true;
    d->close_cb = cb;
    d->close_ud = ud;
    anc_child_detach(d->child, child_closed, d);
}

void anc_dnsmasq_close(struct anc_dnsmasq *d, anc_dnsmasq_close_cb cb, void *ud)
{
    if (!d || d->closing)
        return;
    d->closing = true;
    d->close_cb = cb;
    d->close_ud = ud;
    anc_child_stop(d->child, child_closed, d);
}
