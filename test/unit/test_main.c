#include "test.h"

#include <signal.h>

#define MAX_TESTS 512

static struct {
    const char *name;
    anc_test_fn fn;
} tests[MAX_TESTS];
static int n_tests;

void anc_test_register(const char *name, anc_test_fn fn)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    n_tests++;
}

int anc_test_skip_code(const char *reason)
{
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0) {
        fprintf(stderr, "SKIP is a failure in CI: %s\n", reason);
        return 1;
    }
    fprintf(stderr, "SKIP: %s\n", reason);
    return 77;
}

const char *anc_test_data_dir(void)
{
    const char *d = getenv("ANC_TEST_DATA");
    return d ? d : "test/data";
}

static bool selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    int ran = 0;
    /* As in the daemon (ancloudd.c): a peer that went away (an Xvfb killed by a test, its X
     * connection then written to) is an error return, not the end of the process. */
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < n_tests; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        fprintf(stderr, "== %s\n", tests[i].name);
        tests[i].fn();
        ran++;
    }
    fprintf(stderr, "%d tests passed\n", ran);
    return ran > 0 ? 0 : 1;
}
