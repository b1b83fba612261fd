/* scrcpy-server's version from its jar, on dex files and jars built by jar_builder.c. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

#include "instance/agent_jar.h"
#include "jar_builder.h"
#include "test.h"

static char version[ANC_AGENT_VERSION_MAX];

TEST(dex_version)
{
    struct jb_buf d;
    jb_make_dex(&d, "3.3.3", JB_T_STRING, true);
    CHECK_EQ(anc_agent_dex_version(d.b, d.n, version, sizeof(version)), 0);
    CHECK_STREQ(version, "3.3.3");
    jb_make_dex(&d, "1.25", JB_T_STRING, true);
    CHECK_EQ(anc_agent_dex_version(d.b, d.n, version, sizeof(version)), 0);
    CHECK_STREQ(version, "1.25");
}

TEST(dex_without_the_constant)
{
    struct jb_buf d;
    jb_make_dex(&d, "3.3.3", JB_T_Z, true); /* VERSION_NAME of another type */
    CHECK_EQ(anc_agent_dex_version(d.b, d.n, version, sizeof(version)), -ENOENT);
    jb_make_dex(&d, "3.3.3", JB_T_STRING, false); /* no static_values */
    CHECK_EQ(anc_agent_dex_version(d.b, d.n, version, sizeof(version)), -ENOENT);
    jb_make_dex(&d, "3.3.3\n", JB_T_STRING, true);
    CHECK_EQ(anc_agent_dex_version(d.b, d.n, version, sizeof(version)), -ENAMETOOLONG);
    jb_make_dex(&d, "3.3.3", JB_T_STRING, true);
    d.b[3] = 'x';
    CHECK_EQ(anc_agent_dex_version(d.b, d.n, version, sizeof(version)), -EBADMSG);
}

/* Every prefix of a valid dex and of a valid jar is refused without reading past its end (ASan
 * watches), and so is every single-byte corruption of the dex. */
TEST(truncated_and_corrupt_inputs)
{
    struct jb_buf d, z;
    jb_make_dex(&d, "3.3.3", JB_T_STRING, true);
    for (size_t n = 0; n < d.n; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, d.b, n);
        CHECK(anc_agent_dex_version(copy, n, version, sizeof(version)) < 0);
        free(copy);
    }
    for (size_t at = 0; at < d.n; at++) {
        uint8_t *copy = malloc(d.n);
        memcpy(copy, d.b, d.n);
        copy[at] ^= 0xa5;
        int r = anc_agent_dex_version(copy, d.n, version, sizeof(version));
        CHECK(r == 0 || r == -ENOENT || r == -EBADMSG || r == -ENAMETOOLONG);
        free(copy);
    }
    jb_make_jar(&z, &d, 8);
    for (size_t n = 0; n < z.n; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, z.b, n);
        CHECK(anc_agent_jar_version(copy, n, version, sizeof(version)) < 0);
        free(copy);
    }
}

TEST(jar_stored_and_deflated)
{
    struct jb_buf d, z;
    jb_make_dex(&d, "3.3.3", JB_T_STRING, true);
    for (int method = 0; method <= 8; method += 8) {
        jb_make_jar(&z, &d, method);
        memset(version, 0, sizeof(version));
        CHECK_EQ(anc_agent_jar_version(z.b, z.n, version, sizeof(version)), 0);
        CHECK_STREQ(version, "3.3.3");
    }
    CHECK_EQ(anc_agent_jar_version((const uint8_t *)"not a zip", 9, version, sizeof(version)),
             -EBADMSG);
}

/* The operator's messages: each names [android] agent_jar and the path; another version names
 * both versions. */
TEST(check_file)
{
    char dir[] = "/tmp/anc-test-jar-XXXXXX", path[64], why[ANC_AGENT_WHY_MAX];
    struct jb_buf d, z;
    CHECK(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/scrcpy-server", dir);

    CHECK_EQ(anc_agent_jar_check(path, why, sizeof(why)), -ENOENT);
    CHECK(strstr(why, "[android] agent_jar") && strstr(why, path) && strstr(why, "3.3.3"));

    jb_make_dex(&d, "3.3.3", JB_T_STRING, true);
    jb_make_jar(&z, &d, 8);
    jb_write_file(path, z.b, z.n);
    CHECK_EQ(anc_agent_jar_check(path, why, sizeof(why)), 0);
    CHECK_STREQ(why, "");

    jb_make_dex(&d, "1.25", JB_T_STRING, true);
    jb_make_jar(&z, &d, 8);
    jb_write_file(path, z.b, z.n);
    CHECK_EQ(anc_agent_jar_check(path, why, sizeof(why)), -EPROTO);
    CHECK(strstr(why, "is scrcpy-server 1.25, but this ancloudd needs version 3.3.3"));

    jb_write_file(path, d.b, d.n); /* a bare dex is no jar */
    CHECK_EQ(anc_agent_jar_check(path, why, sizeof(why)), -EBADMSG);
    CHECK(strstr(why, "[android] agent_jar") && strstr(why, "not a scrcpy-server jar"));

    unlink(path);
    rmdir(dir);
}

/* Distribution scrcpy packages install the server at the default path (Debian 12 has none, in
 * main or contrib; later releases and Ubuntu do): when one is there, its version must be read,
 * whichever it is. */
TEST(installed_scrcpy_server_if_any)
{
    char why[ANC_AGENT_WHY_MAX];
    if (access("/usr/share/scrcpy/scrcpy-server", R_OK) != 0)
        return;
    int r = anc_agent_jar_check("/usr/share/scrcpy/scrcpy-server", why, sizeof(why));
    fprintf(stderr, "installed scrcpy-server: %d %s\n", r, why);
    CHECK(r == 0 || r == -EPROTO);
}
