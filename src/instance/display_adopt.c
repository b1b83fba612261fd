/* Taking over an Xvfb after a daemon crash: the record each ready Xvfb leaves in its run dir,
 * the check that a recorded pid is still that Xvfb, and the pidfd watch that replaces the
 * uv_process_t of a run the daemon started itself. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/log.h"
#include "base/pidwatch.h"
#include "instance/display_internal.h"

/* <run_dir>/display.pid: "PID NUMBER MODE", so that the next daemon can adopt this Xvfb (and with
 * it every X client on it, a container's guest among them) after a crash or kill -9. */
void anc__display_write_record(struct anc_display *d)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "%d %d %d\n", run_pid(d), d->number, (int)d->mode);
    int r = anc_write_file_atomic(d->rec_path, line, (size_t)n, 0600);
    if (r < 0)
        anc_warn("display: cannot record Xvfb in %s: %s", d->rec_path, strerror(-r));
}

static void on_adopted_closed(void *data)
{
    struct anc_display *d = data;
    if (--d->run_handles == 0)
        anc__display_run_ended(d);
}

void anc__display_release_adopted(struct anc_display *d)
{
    struct anc_pidwatch *w = d->adopted;
    d->adopted = NULL;
    anc_pidwatch_close(w, on_adopted_closed, d);
}

static void on_adopted_exit(struct anc_pidwatch *w, void *data)
{
    struct anc_display *d = data;
    d->exited = true;
    d->exit_status = -1; /* not our child: its status is not ours to read */
    d->term_signal = 0;
    d->adopted = NULL;
    anc_pidwatch_close(w, on_adopted_closed, d);
}

/* The Xvfb recorded in run_dir, if it is still the one serving run_dir: its pid, display number
 * and socket mode. Returns the pid, or 0 when there is none to adopt. */
static int recorded_xvfb(const char *rec_path, const char *run_dir, int *number, int *mode)
{
    char line[64], want[PATH_MAX + 16];
    FILE *f = fopen(rec_path, "re");
    if (!f)
        return 0;
    int pid = 0;
    if (!fgets(line, sizeof(line), f) || sscanf(line, "%d %d %d", &pid, number, mode) != 3 ||
        pid <= 1 || *number < 0 || *number > 65535)
        pid = 0;
    fclose(f);
    snprintf(want, sizeof(want), "\n-fbdir\n%s\n", run_dir);
    if (pid && !anc_proc_matches(pid, want))
        pid = 0; /* gone, or the pid was reused by something else */
    return pid;
}

int anc_display_kill_leftover(const char *run_dir)
{
    char rec[PATH_MAX];
    int number, mode;
    snprintf(rec, sizeof(rec), "%s/display.pid", run_dir);
    int pid = recorded_xvfb(rec, run_dir, &number, &mode);
    unlink(rec);
    if (!pid)
        return 0;
    kill(pid, SIGKILL);
    anc_debug("display: killed the Xvfb (pid %d) a previous daemon left in %s", pid, run_dir);
    return pid;
}

int anc__display_adopt_run(struct anc_display *d)
{
    int number, mode;
    int pid = recorded_xvfb(d->rec_path, d->run_dir, &number, &mode);
    if (!pid || access(d->fb_path, R_OK) < 0 ||
        anc_pidwatch_start(d->loop, pid, on_adopted_exit, d, &d->adopted) < 0) {
        if (pid)
            kill(pid, SIGKILL); /* not usable: a fresh one replaces it */
        return -ESRCH;
    }
    d->run_handles = 1;
    d->exited = false;
    d->number = number;
    if (mode == ANC_DISPLAY_SOCKET_NAMESPACE || mode == ANC_DISPLAY_SOCKET_LINK)
        d->mode = (enum anc_display_socket_mode)mode;
    d->mode_auto = false;
    d->state = ST_ADOPTING;
    d->was_adopted = true;
    anc_info("display: adopted Xvfb pid %d on :%d in %s", pid, number, d->run_dir);
    return 0;
}
