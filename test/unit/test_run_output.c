/* base/run_output.c with real processes: the output arrives whole (large, binary), a non-zero
 * exit, the deadline, the size limit, a spawn failure and an abandoned run; every test ends with
 * the loop closing with nothing left open. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/run_output.h"
#include "test.h"

struct result {
    int calls, status;
    size_t len;
    uint8_t *data; /* stolen */
};

static void on_done(void *arg, int status, uint8_t *out, size_t len, uint8_t **steal)
{
    struct result *res = arg;
    res->calls++;
    res->status = status;
    res->len = len;
    CHECK(out[len] == 0);
    res->data = out;
    *steal = out;
}

static struct result run(const char *script, size_t max, uint64_t timeout_ms)
{
    uv_loop_t loop;
    struct result res = {0};
    struct anc_run_output *r;
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    uv_loop_init(&loop);
    CHECK_EQ(anc_run_output_start(&loop, argv, max, timeout_ms, on_done, &res, &r), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
    CHECK_EQ(res.calls, 1);
    return res;
}

TEST(large_binary_output)
{
    /* 3 MiB with NUL bytes: more than a pipe holds, in many reads. */
    struct result res =
        run("head -c 3145728 /dev/zero | tr '\\0' '\\001'; printf '\\000end'", 8u << 20, 10000);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.len, 3145728 + 4);
    CHECK(res.data[0] == 1 && res.data[3145727] == 1 && res.data[3145728] == 0);
    CHECK(memcmp(res.data + 3145729, "end", 3) == 0);
    free(res.data);
}

TEST(exit_status)
{
    struct result res = run("printf partial; exit 3", 1024, 10000);
    CHECK_EQ(res.status, 3);
    CHECK_EQ(res.len, 7);
    free(res.data);
}

TEST(deadline_kills)
{
    struct result res = run("printf x; exec sleep 30", 1024, 200);
    CHECK_EQ(res.status, -ETIMEDOUT);
    free(res.data);
}

TEST(too_much_output_kills)
{
    struct result res = run("exec cat /dev/zero", 100000, 10000);
    CHECK_EQ(res.status, -EFBIG);
    free(res.data);
}

TEST(spawn_failure_and_abandon)
{
    uv_loop_t loop;
    struct result res = {0};
    struct anc_run_output *r;
    char *missing[] = {"/nonexistent/screencap", NULL};
    char *slow[] = {"/bin/sleep", "30", NULL};
    uv_loop_init(&loop);
    CHECK(anc_run_output_start(&loop, missing, 10, 1000, on_done, &res, &r) < 0);
    CHECK_EQ(anc_run_output_start(&loop, slow, 10, 60000, on_done, &res, &r), 0);
    anc_run_output_abandon(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(res.calls, 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
