/* test-needs NEEDS -- PROGRAM [ARGS...]: runs PROGRAM when this machine has what the test is tagged
 * with in its meson list (NEEDS: comma-separated, possibly empty), else exits 77 (meson's skip) with
 * the reason, or 1 when CI=true, because in CI a skipped test is a defect.
 *
 * The tags, and what each checks:
 *   root      the effective uid is 0
 *   netns     root, a new network namespace can be made, and ip(8) exists
 *   lxc       root, lxc-start and squashfuse exist
 *   xvfb      /usr/bin/Xvfb exists
 *   chromium  /usr/bin/chromium exists and playwright-core is installed (npm ci)
 *   valgrind  valgrind exists
 *   coturn    /usr/bin/turnserver exists (Debian package coturn)
 *   etcd      /usr/bin/etcd exists (Debian package etcd-server)
 * The test still checks what it needs itself; this gate makes the meson list the one place that
 * says it, so that `meson test --no-suite lxc` and the skip reasons agree with it. */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool executable(const char *path)
{
    return access(path, X_OK) == 0;
}

/* A child that unshares its network namespace: the parent's stays as it was. */
static bool can_make_netns(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool playwright_installed(void)
{
    const char *root = getenv("ANC_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/node_modules/playwright-core/package.json", root ? root : ".");
    return access(path, R_OK) == 0;
}

/* NULL when the machine has it, else why not. */
static const char *missing(const char *need)
{
    if (strcmp(need, "root") == 0)
        return geteuid() == 0 ? NULL : "needs root";
    if (strcmp(need, "netns") == 0) {
        if (geteuid() != 0)
            return "needs root to create network namespaces";
        if (!executable("/usr/sbin/ip") && !executable("/usr/bin/ip") && !executable("/sbin/ip"))
            return "needs ip (Debian package iproute2)";
        return can_make_netns() ? NULL : "cannot create a network namespace here";
    }
    if (strcmp(need, "lxc") == 0) {
        if (geteuid() != 0)
            return "needs root to run LXC containers";
        if (!executable("/usr/bin/lxc-start"))
            return "needs lxc-start (Debian package lxc)";
        return executable("/usr/bin/squashfuse") ? NULL : "needs squashfuse (Debian package)";
    }
    if (strcmp(need, "xvfb") == 0)
        return executable("/usr/bin/Xvfb") ? NULL : "needs /usr/bin/Xvfb (Debian package xvfb)";
    if (strcmp(need, "chromium") == 0) {
        if (!executable("/usr/bin/chromium"))
            return "needs /usr/bin/chromium (Debian package chromium)";
        return playwright_installed() ? NULL : "needs playwright-core (npm ci)";
    }
    if (strcmp(need, "coturn") == 0)
        return executable("/usr/bin/turnserver")
                   ? NULL
                   : "needs /usr/bin/turnserver (Debian package coturn)";
    if (strcmp(need, "etcd") == 0)
        return executable("/usr/bin/etcd") ? NULL
                                           : "needs /usr/bin/etcd (Debian package etcd-server)";
    if (strcmp(need, "valgrind") == 0)
        return executable("/usr/bin/valgrind") ? NULL : "needs valgrind (Debian package)";
    return "an unknown tag in the test list (a typo in meson.build?)";
}

static int skip(const char *need, const char *why)
{
    bool ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
    fprintf(stderr, "%s: [%s] %s\n", ci ? "SKIP is a failure in CI" : "SKIP", need, why);
    return ci ? 1 : 77;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: test-needs NEED[,NEED...] -- PROGRAM [ARGS...]\n");
        return 2;
    }
    char *needs = strdup(argv[1]), *save = NULL;
    for (char *n = strtok_r(needs, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        const char *why = missing(n);
        if (why)
            return skip(n, why);
    }
    free(needs);
    execvp(argv[3], argv + 3);
    fprintf(stderr, "test-needs: cannot run %s: %s\n", argv[3], strerror(errno));
    return 127;
}
