/* The namespace connect helper against a listener in our own namespace: runs anywhere, as there
 * is no namespace to enter (test_nsconnect_netns.c makes one). */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "agent/nsconnect.h"
#include "test.h"

static struct {
    int calls, status;
    int fds[ANC_NSCONNECT_MAX];
    unsigned count;
} result;

static void on_done(void *arg, int status, const int *fds, unsigned count)
{
    CHECK(arg == &result);
    result.calls++;
    result.status = status;
    result.count = count;
    for (unsigned i = 0; i < count; i++)
        result.fds[i] = fds[i];
}

static int listen_abstract(const char *name)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    memcpy(sa.sun_path + 1, name, n);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    CHECK_EQ(bind(fd, (struct sockaddr *)&sa, (socklen_t)(sizeof(sa.sun_family) + 1 + n)), 0);
    CHECK_EQ(listen(fd, 4), 0);
    return fd;
}

static void unique_name(char *buf, size_t cap, const char *what)
{
    snprintf(buf, cap, "anc_test_%s_%d", what, (int)getpid());
}

/* The order of the accepted sockets is the order of the fds: write a tag into each. */
static void accept_and_tag(int listener)
{
    for (int i = 0; i < 2; i++) {
        int a = accept(listener, NULL, NULL);
        CHECK(a >= 0);
        char tag = (char)('v' + i);
        CHECK_EQ(write(a, &tag, 1), 1);
        close(a);
    }
}

static void check_tags(void)
{
    for (int i = 0; i < 2; i++) {
        char got = 0;
        CHECK_EQ(read(result.fds[i], &got, 1), 1);
        CHECK_EQ(got, 'v' + i);
        close(result.fds[i]);
    }
}

static char late_name[64];
static int late_fd = -1;

static void bind_late(uv_timer_t *t)
{
    late_fd = listen_abstract(late_name);
    uv_close((uv_handle_t *)t, NULL);
}

/* The agent starts listening only after a while: the child retries until it does. */
TEST(own_namespace_retries_until_listening)
{
    uv_loop_t loop;
    uv_timer_t t;
    uv_loop_init(&loop);
    memset(&result, 0, sizeof(result));
    unique_name(late_name, sizeof(late_name), "late");
    CHECK_EQ(anc_nsconnect_start(&loop, getpid(), late_name, 2, 3000, on_done, &result, NULL), 0);
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, bind_late, 150, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(result.calls, 1);
    CHECK_EQ(result.status, 0);
    CHECK_EQ(result.count, 2);
    accept_and_tag(late_fd);
    check_tags();
    close(late_fd);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

TEST(nobody_listening_times_out)
{
    uv_loop_t loop;
    char name[64];
    uv_loop_init(&loop);
    memset(&result, 0, sizeof(result));
    unique_name(name, sizeof(name), "none");
    CHECK_EQ(anc_nsconnect_start(&loop, getpid(), name, 2, 200, on_done, &result, NULL), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(result.calls, 1);
    CHECK_EQ(result.status, -ETIMEDOUT);
    CHECK_EQ(result.count, 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

TEST(cancel_and_bad_arguments)
{
    uv_loop_t loop;
    char name[64];
    struct anc_nsconnect *nc;
    uv_loop_init(&loop);
    memset(&result, 0, sizeof(result));
    unique_name(name, sizeof(name), "cancel");
    CHECK_EQ(anc_nsconnect_start(&loop, getpid(), name, 1, 5000, on_done, &result, &nc), 0);
    anc_nsconnect_cancel(nc);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(result.calls, 1);
    CHECK_EQ(result.status, -ECANCELED);

    CHECK_EQ(anc_nsconnect_start(&loop, getpid(), name, 0, 100, on_done, &result, NULL), -EINVAL);
    CHECK_EQ(anc_nsconnect_start(&loop, getpid(), "", 1, 100, on_done, &result, NULL), -EINVAL);
    CHECK_EQ(anc_nsconnect_start(&loop, 0x7ffffff0, name, 1, 100, on_done, &result, NULL), -ENOENT);
    CHECK_EQ(result.calls, 1);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
