#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/token.h"
#include "test.h"

static char dir[] = "/tmp/anc-fsutil-XXXXXX";

TEST(atomic_write_and_read)
{
    CHECK(mkdtemp(dir) != NULL);
    char path[256], *text;
    size_t len;
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    CHECK_EQ(anc_mkdir_p(path, 0700), 0);
    CHECK_EQ(anc_mkdir_p(path, 0700), 0);
    strcat(path, "/f.json");
    CHECK_EQ(anc_write_file_atomic(path, "{\"x\":1}", 7, 0640), 0);
    CHECK_EQ(anc_read_file(path, 1024, &text, &len), 0);
    CHECK_EQ(len, 7);
    CHECK_STREQ(text, "{\"x\":1}");
    free(text);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0640);
    strcat(path, ".tmp");
    CHECK(access(path, F_OK) < 0); /* no temp file left behind */
    CHECK_EQ(anc_read_file("/nonexistent", 10, &text, &len), -ENOENT);
}

TEST(read_limit)
{
    char path[256], *text;
    char big[10000];
    memset(big, 'x', sizeof(big));
    snprintf(path, sizeof(path), "%s/big", dir);
    CHECK_EQ(anc_write_file_atomic(path, big, sizeof(big), 0600), 0);
    CHECK_EQ(anc_read_file(path, 5000, &text, NULL), -EFBIG);
}

TEST(token_generated_once)
{
    char t1[256] = "", t2[256] = "";
    bool gen;
    char state[256], path[300];
    snprintf(state, sizeof(state), "%s/state", dir);
    CHECK_EQ(anc_token_ensure(t1, sizeof(t1), state, &gen), 0);
    CHECK(gen);
    CHECK_EQ(strlen(t1), 64);
    CHECK_EQ(anc_token_ensure(t2, sizeof(t2), state, &gen), 0);
    CHECK(!gen);
    CHECK_STREQ(t1, t2);
    snprintf(path, sizeof(path), "%s/token", state);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    /* A configured token is used as is and nothing is written. */
    char t3[256] = "configured";
    CHECK_EQ(anc_token_ensure(t3, sizeof(t3), "/nonexistent", &gen), 0);
    CHECK_STREQ(t3, "configured");
}

TEST(token_compare)
{
    CHECK(anc_token_equal("secret", "secret", 6));
    CHECK(!anc_token_equal("secret", "secreT", 6));
    CHECK(!anc_token_equal("secret", "secret2", 7));
    CHECK(!anc_token_equal("secret", "secre", 5));
    CHECK(!anc_token_equal("", "", 0));
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
}
