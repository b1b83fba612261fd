/* Blocking container operations (worker threads). See lxc_ops.h. */
#include "container/lxc_ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lxc/lxccontainer.h>

#include "base/fsutil.h"
#include "container/idmap.h"
#include "container/profile_linux.h"

#define MONITOR_WAIT_MS 5000
#define LOG_MAX         (1 << 20)

extern char **environ;

int anc_lxc_paths(const struct anc_container_spec *s, struct anc_lxc_paths *p)
{
    int r = anc_container_name(s->id, p->name, sizeof(p->name));
    if (r < 0)
        return r;
    int n = snprintf(p->lxcpath, sizeof(p->lxcpath), "%s/lxc", s->state_dir);
    n |= snprintf(p->config, sizeof(p->config), "%s/%s/config", p->lxcpath, p->name);
    n |= snprintf(p->inst_run, sizeof(p->inst_run), "%s/%s", s->run_dir, s->id);
    n |= snprintf(p->rootfs, sizeof(p->rootfs), "%s/rootfs", p->inst_run);
    n |= snprintf(p->data_dir, sizeof(p->data_dir), "%s/instances/%s", s->state_dir, s->id);
    n |= snprintf(p->log, sizeof(p->log), "%s/lxc.log", p->inst_run);
    return n < 0 || strlen(p->log) >= PATH_MAX - 1 || strlen(p->config) >= PATH_MAX - 1
               ? -ENAMETOOLONG
               : 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* LXC's monitor ("[lxc monitor] LXCPATH NAME") cleans up cgroups and veths after init died. */
static bool monitor_alive(const struct anc_lxc_paths *p)
{
    char want[PATH_MAX + 128], path[300], buf[PATH_MAX + 128];
    struct dirent *de;
    bool found = false;
    snprintf(want, sizeof(want), "[lxc monitor] %s %s", p->lxcpath, p->name);
    DIR *d = opendir("/proc");
    if (!d)
        return false;
    while (!found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            found = strcmp(buf, want) == 0;
        }
    }
    closedir(d);
    return found;
}

static void wait_monitor_gone(const struct anc_lxc_paths *p)
{
    for (int waited = 0; waited < MONITOR_WAIT_MS && monitor_alive(p); waited += 10)
        sleep_ms(10);
}

/* <run_dir>/<id>/lower: the id-mapped image of an unprivileged guest. */
static void lower_path(const struct anc_lxc_paths *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s/lower", p->inst_run);
}

static void teardown(struct anc_image_mounts *m, const struct anc_container_spec *s,
                     const struct anc_lxc_paths *p)
{
    char lower[PATH_MAX + 8];
    anc_overlay_umount(p->rootfs);
    lower_path(p, lower, sizeof(lower));
    anc_overlay_umount(lower); /* the id-mapped image, when there is one; its loop device goes */
    anc_image_mount_release(m, s->image);
}

int anc_lxc_running_sync(const char *name, const char *lxcpath, int *init_pid)
{
    struct lxc_container *c = lxc_container_new(name, lxcpath);
    if (!c)
        return -ENOMEM;
    int r = c->is_running(c) ? 1 : 0;
    if (r && init_pid) {
        *init_pid = c->init_pid(c);
        if (*init_pid <= 0)
            r = 0;
    }
    lxc_container_put(c);
    return r;
}

static void force_stop(const struct anc_lxc_paths *p, int timeout_s)
{
    struct lxc_container *c = lxc_container_new(p->name, p->lxcpath);
    if (!c)
        return;
    if (c->is_running(c)) {
        if (timeout_s <= 0 || !c->shutdown(c, timeout_s))
            c->stop(c);
        c->wait(c, "STOPPED", 10);
    }
    lxc_container_put(c);
    wait_monitor_gone(p);
}

/* The text after the last " - " of the first ERROR line of the LXC log (the cause; later
 * ones are its consequences). */
static void last_log_error(const char *log, char *out, size_t len)
{
    char *text = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (anc_read_file(log, LOG_MAX, &text, &n) < 0)
        return;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && !out[0];
         line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, " ERROR "))
            continue;
        char *msg = strstr(line, " - ");
        char *next;
        while (msg && (next = strstr(msg + 3, " - ")) != NULL)
            msg = next;
        snprintf(out, len, "%s", msg ? msg + 3 : line);
    }
    free(text);
}

void anc_lxc_exit_reason(const char *log_text, char *reason, size_t len)
{
    const char *p = log_text, *hit = NULL, *kind = NULL;
    int v = 0;
    while (p && (p = strstr(p, "Child <")) != NULL) {
        hit = p;
        p += 7;
    }
    if (hit && (kind = strstr(hit, "> ended on ")) != NULL &&
        !memchr(hit, '\n', (size_t)(kind - hit))) {
        const char *par = strchr(kind, '(');
        if (par && sscanf(par, "(%d)", &v) == 1) {
            if (strncmp(kind, "> ended on error", 16) == 0)
                snprintf(reason, len, "exited with status %d", v);
            else
                snprintf(reason, len, "killed by signal %d", v);
            return;
        }
    }
    snprintf(reason, len, "exited with status 0");
}

/* The guest's stdout and stderr to a host file: appended to. */
#define REDIRECT_FILE "exec \"$@\" >>" ANC_GUEST_OUTPUT " 2>&1"
/* To a FIFO the daemon reads: opened read-write, so that the guest holds a reader itself and gets
 * no SIGPIPE while no daemon reads (after a crash); its writes then wait for the next one. */
#define REDIRECT_FIFO "exec \"$@\" 1<>" ANC_GUEST_OUTPUT " 2>&1"

/* Runs the start helper and waits for it; its output (pid or error) ends up in out. With a
 * redirect, the command runs as `/bin/sh -c 'exec "$@" >>OUTPUT 2>&1' sh CMD...` (or REDIRECT_FIFO):
 * sh replaces itself with the command (which stays the container's init) after pointing its
 * stdout and stderr at what the profile binds in (ANC_GUEST_OUTPUT). */
static int run_helper(const char *exe, const struct anc_lxc_paths *p, const char *const *argv_in,
                      bool own_init, const char *redirect, char *out, size_t outlen)
{
    const char *def[] = {ANC_GUEST_INIT, NULL}, *none[] = {NULL};
    const char *const *cmd = argv_in ? argv_in : own_init ? none : def;
    char *argv[ANC_CONTAINER_MAX_ARGS + 12];
    int fds[2], st, r, n = 0;
    pid_t pid;

    argv[n++] = (char *)exe;
    argv[n++] = ANC_LXC_FORKSTART_ARG;
    argv[n++] = (char *)p->name;
    argv[n++] = (char *)p->lxcpath;
    argv[n++] = (char *)p->config;
    if (redirect) {
        argv[n++] = "/bin/sh";
        argv[n++] = "-c";
        argv[n++] = (char *)redirect;
        argv[n++] = "sh";
    }
    for (size_t i = 0; cmd[i] && n < ANC_CONTAINER_MAX_ARGS + 10; i++)
        argv[n++] = (char *)cmd[i];
    argv[n] = NULL;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    r = -posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (r == 0) {
        pid_t w;
        while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
            ;
        if (w < 0)
            st = 0; /* reaped by someone else: the running check below decides */
        /* Read after the exit: LXC's monitor may hold the pipe's write end for a while. */
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        ssize_t got = read(fds[0], out, outlen - 1);
        out[got > 0 ? got : 0] = '\0';
        r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
    }
    close(fds[0]);
    return r;
}

/* The guest's output can be captured only through a shell of its own (run_helper). */
static bool image_has_sh(const char *mnt)
{
    char path[PATH_MAX + 8];
    struct stat st;
    snprintf(path, sizeof(path), "%s/bin/sh", mnt);
    return lstat(path, &st) == 0; /* often an absolute symlink (busybox): not followed here */
}

/* An unprivileged guest: the image id-mapped at <run_dir>/<id>/lower (the shared squashfuse mount
 * cannot be: FUSE without the server's opt-in), the upper dir and the files bound in owned by the
 * guest's root. *lower is the overlay's lower dir then. */
static int prepare_idmap(const struct anc_container_spec *s, const struct anc_lxc_paths *p,
                         char *lower, size_t lowerlen, char *err, size_t errlen)
{
    char img[PATH_MAX + 140], upper[PATH_MAX + 8];
    unsigned st = s->idmap_host_start, n = s->idmap_count;
    int r;
    snprintf(img, sizeof(img), "%s/%s.img", s->image_dir, s->image);
    snprintf(upper, sizeof(upper), "%s/upper", p->data_dir);
    lower_path(p, lower, lowerlen);
    if ((r = anc_mkdir_p(upper, 0755)) < 0 || (r = anc_idmap_shift_tree(upper, st, n)) < 0) {
        snprintf(err, errlen, "container %s: cannot shift %s to uid %u: %s", s->id, upper, st,
                 strerror(-r));
        return r;
    }
    if ((s->console_log && chown(s->console_log, st, st) < 0) ||
        (s->xauthority && chown(s->xauthority, st, st) < 0)) {
        r = -errno;
        snprintf(err, errlen, "container %s: cannot give its files to uid %u: %s", s->id, st,
                 strerror(-r));
        return r;
    }
    /* The guest's root walks to its container directory and its rootfs. */
    const char *walk[] = {s->state_dir, p->lxcpath,     p->config,    s->run_dir,
                          p->inst_run,  s->console_log, s->xauthority};
    for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
        char dir[PATH_MAX];
        if (!walk[i])
            continue;
        snprintf(dir, sizeof(dir), "%s", walk[i]);
        if (i == 2 || i >= 5)
            *strrchr(dir, '/') = '\0'; /* the directory of the config and of the files bound in */
        if ((r = anc_idmap_allow_walk(dir, st)) < 0) {
            snprintf(err, errlen, "container %s: cannot let uid %u through %s: %s", s->id, st, dir,
                     strerror(-r));
            return r;
        }
    }
    r = anc_idmap_mount_image(img, lower, st, n);
    if (r < 0)
        snprintf(err, errlen, "container %s: id-mapped mount of %s failed: %s", s->id, img,
                 strerror(-r));
    return r;
}

static int write_files(const struct anc_container_spec *s, const struct anc_lxc_paths *p,
                       const char *config)
{
    char dir[PATH_MAX], seccomp[PATH_MAX + 16];
    int r;
    if (snprintf(dir, sizeof(dir), "%s/%s", p->lxcpath, p->name) >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    snprintf(seccomp, sizeof(seccomp), "%s/seccomp", dir);
    if ((r = anc_mkdir_p(dir, 0700)) < 0 || (r = anc_mkdir_p(p->inst_run, 0755)) < 0 ||
        (r = anc_write_file_atomic(p->config, config, strlen(config), 0600)) < 0 ||
        (r = anc_write_file_atomic(p->log, "", 0, 0600)) < 0)
        return r;
    if (!s->lxc_config)
        r = anc_write_file_atomic(seccomp, ANC_LINUX_SECCOMP, strlen(ANC_LINUX_SECCOMP), 0644);
    return r;
}

static int prepare(struct anc_image_mounts *m, const struct anc_container_spec *in,
                   const struct anc_lxc_paths *p, const char **redirect, char *err, size_t errlen)
{
    char *config = NULL, mnt[PATH_MAX], lower[PATH_MAX + 8];
    struct anc_container_spec spec = *in, *s = &spec;
    int r = anc_image_mount_acquire(m, s->image, mnt, sizeof(mnt), err, errlen);
    if (r < 0)
        return r;
    struct stat cst;
    if (s->console_log &&
        (stat(s->console_log, &cst) < 0 || access(s->console_log, W_OK) < 0 || !image_has_sh(mnt)))
        s->console_log = NULL;
    *redirect = !s->console_log || s->lxc_config ? NULL
                : S_ISFIFO(cst.st_mode)          ? REDIRECT_FIFO
                                                 : REDIRECT_FILE;
    r = s->lxc_config ? ((config = strdup(s->lxc_config)) ? 0 : -ENOMEM)
                      : anc_profile_linux_config(s, &config);
    if (r < 0) {
        snprintf(err, errlen, "container %s: invalid spec", s->id);
        goto fail_image;
    }
    if ((r = write_files(s, p, config)) < 0) {
        snprintf(err, errlen, "container %s: cannot write its files: %s", s->id, strerror(-r));
        goto fail_image;
    }
    snprintf(lower, sizeof(lower), "%s", mnt);
    if (!s->lxc_config && s->idmap_count > 0 &&
        (r = prepare_idmap(s, p, lower, sizeof(lower), err, errlen)) < 0)
        goto fail_lower;
    r = anc_overlay_mount(lower, p->data_dir, p->rootfs);
    if (r < 0) {
        snprintf(err, errlen, "container %s: overlay on %s failed: %s", s->id, p->rootfs,
                 strerror(-r));
        goto fail_lower;
    }
    goto out;
fail_lower:
    lower_path(p, lower, sizeof(lower));
    anc_overlay_umount(lower);
fail_image:
    anc_image_mount_release(m, s->image);
out:
    free(config);
    return r;
}

int anc_lxc_start_sync(struct anc_image_mounts *m, const struct anc_container_spec *s,
                       const char *helper_exe, int *init_pid, char *err, size_t errlen)
{
    struct anc_lxc_paths p;
    char out[512], why[256];
    int r = anc_lxc_paths(s, &p);
    if (r < 0) {
        snprintf(err, errlen, "container %s: invalid id or paths", s->id ? s->id : "");
        return r;
    }
    if (anc_lxc_running_sync(p.name, p.lxcpath, NULL) == 1) {
        snprintf(err, errlen, "container %s is already running", p.name);
        return -EBUSY;
    }
    const char *redirect;
    r = prepare(m, s, &p, &redirect, err, errlen);
    if (r < 0)
        return r;
    r = run_helper(helper_exe, &p, s->argv, s->lxc_config != NULL, redirect, out, sizeof(out));
    if (r == 0 && anc_lxc_running_sync(p.name, p.lxcpath, init_pid) == 1)
        return 0;
    /* The helper saw it RUNNING and printed the init pid, but the command has ended already (a
     * guest that exits at once): that is a start followed by an exit, which the caller's reap
     * reports with the exit status from the log, not a failure to start. */
    long pid = r == 0 ? strtol(out, NULL, 10) : 0;
    if (pid > 1) {
        *init_pid = (int)pid;
        return 0;
    }
    last_log_error(p.log, why, sizeof(why));
    out[strcspn(out, "\n")] = '\0';
    snprintf(err, errlen, "container %s failed to start: %s", p.name,
             why[0]   ? why
             : out[0] ? out
                      : "its command exited at once");
    force_stop(&p, 0);
    teardown(m, s, &p);
    return r < 0 ? r : -ECHILD;
}

int anc_lxc_adopt_sync(struct anc_image_mounts *m, const struct anc_container_spec *s,
                       int *init_pid)
{
    struct anc_lxc_paths p;
    char mnt[PATH_MAX], err[256];
    int r = anc_lxc_paths(s, &p);
    if (r < 0)
        return r;
    r = anc_lxc_running_sync(p.name, p.lxcpath, init_pid);
    if (r <= 0)
        return r < 0 ? r : -ESRCH;
    return anc_image_mount_acquire(m, s->image, mnt, sizeof(mnt), err, sizeof(err));
}

int anc_lxc_stop_sync(struct anc_image_mounts *m, const struct anc_container_spec *s, int timeout_s)
{
    struct anc_lxc_paths p;
    int r = anc_lxc_paths(s, &p);
    if (r < 0)
        return r;
    force_stop(&p, timeout_s);
    teardown(m, s, &p);
    r = anc_lxc_running_sync(p.name, p.lxcpath, NULL);
    return r == 1 ? -EBUSY : 0;
}

void anc_lxc_reap_sync(struct anc_image_mounts *m, const struct anc_container_spec *s, char *reason,
                       size_t len)
{
    struct anc_lxc_paths p;
    char *text = NULL;
    size_t n = 0;
    snprintf(reason, len, "exited");
    if (anc_lxc_paths(s, &p) < 0)
        return;
    force_stop(&p, 0);
    if (anc_read_file(p.log, LOG_MAX, &text, &n) == 0)
        anc_lxc_exit_reason(text, reason, len);
    free(text);
    teardown(m, s, &p);
}
