/* The namespace connect helper against a listener in a network namespace the test makes (an
 * unshared child): reachable through the child's pid, not from ours. Needs root. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "agent/nsconnect.h"
#include "test.h"

static struct {
    int calls, status;
    int fds[ANC_NSCONNECT_MAX];
} result;

static void on_done(void *arg, int status, const int *fds, unsigned count)
{
    (void)arg;
    result.calls++;
    result.status = status;
    for (unsigned i = 0; i < count; i++)
        result.fds[i] = fds[i];
}

/* The child: a new network namespace, the abstract listener, then two accepts tagged 'v', 'w'. */
static void listener_main(const char *name, int ready)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    memcpy(sa.sun_path + 1, name, n);
    if (unshare(CLONE_NEWNET) < 0)
        _exit(2);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, (socklen_t)(sizeof(sa.sun_family) + 1 + n)) < 0 ||
        listen(l, 4) < 0)
        _exit(3);
    char ok = 1;
    if (write(ready, &ok, 1) != 1)
        _exit(4);
    for (int i = 0; i < 2; i++) {
        int a = accept(l, NULL, NULL);
        char tag = (char)('v' + i);
        if (a < 0 || write(a, &tag, 1) != 1)
            _exit(5);
        close(a);
    }
    _exit(0);
}

/* A listener in a fresh network namespace: reachable through its pid, not from ours. */
TEST(other_namespace)
{
    if (geteuid() != 0)
        ANC_SKIP("needs root (unshare and setns of a network namespace)");
    char name[64];
    int ready[2];
    snprintf(name, sizeof(name), "anc_test_netns_%d", (int)getpid());
    CHECK_EQ(pipe(ready), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        close(ready[0]);
        listener_main(name, ready[1]);
    }
    close(ready[1]);
    char ok = 0;
    CHECK_EQ(read(ready[0], &ok, 1), 1);
    close(ready[0]);

    /* Not reachable from our namespace. */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path + 1, name, strlen(name));
    int probe = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(probe, (struct sockaddr *)&sa,
                  (socklen_t)(sizeof(sa.sun_family) + 1 + strlen(name))) < 0);
    close(probe);

    uv_loop_t loop;
    uv_loop_init(&loop);
    memset(&result, 0, sizeof(result));
    CHECK_EQ(anc_nsconnect_start(&loop, child, name, 2, 3000, on_done, &result, NULL), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(result.status, 0);
    for (int i = 0; i < 2; i++) {
        char got = 0;
        CHECK_EQ(read(result.fds[i], &got, 1), 1);
        CHECK_EQ(got, 'v' + i);
        close(result.fds[i]);
    }
    int st;
    CHECK_EQ(waitpid(child, &st, 0), child);
    CHECK(WIFEXITED(st));
    CHECK_EQ(uv_loop_close(&loop), 0);
}
