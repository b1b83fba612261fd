#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "test.h"

static char err[600];

static int load(struct anc_config *c, const char *text)
{
    anc_config_defaults(c);
    err[0] = '\0';
    return anc_config_load_string(c, text, "t.conf", err, sizeof(err));
}

/* Loading must fail with an error that starts with "t.conf:<line>:" and mentions `what`. */
static void expect_error(const char *text, int line, const char *what)
{
    struct anc_config c;
    char prefix[32];
    CHECK_EQ(load(&c, text), -EINVAL);
    snprintf(prefix, sizeof(prefix), "t.conf:%d:", line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, what)) {
        fprintf(stderr, "got error \"%s\", wanted prefix %s and \"%s\"\n", err, prefix, what);
        CHECK(false);
    }
}

TEST(defaults)
{
    struct anc_config c;
    anc_config_defaults(&c);
    CHECK_STREQ(c.listen, "127.0.0.1:8080");
    CHECK_STREQ(c.token, "");
    CHECK_EQ(c.max_connections, 1024);
    CHECK_EQ(c.max_body_kib, 1024);
    CHECK_STREQ(c.state_dir, "/var/lib/ancloud");
    CHECK_STREQ(c.run_dir, "/run/ancloud");
    CHECK_STREQ(c.image_dir, "/var/lib/ancloud/images");
    CHECK_EQ(c.log_level, ANC_LOG_INFO);
    CHECK_EQ(c.fps, 30);
    CHECK_STREQ(c.preset, "ultrafast");
    CHECK_EQ(c.n_public_ip, 0);
}

TEST(valid_file)
{
    struct anc_config c;
    CHECK_EQ(load(&c, "; comment\n# another\n[server]\nlisten = [::1]:0\ntoken = abc ; inline\n"
                      "max_connections=5\n\n[log]\nlevel = debug\n[rtc]\npublic_ip = 10.0.0.1\n"
                      "public_ip = ::1\nice_servers = stun:stun.example.org:3478\n"
                      "[stream]\npreset = veryfast\n"),
             0);
    CHECK_STREQ(c.listen, "[::1]:0");
    CHECK_STREQ(c.token, "abc");
    CHECK_EQ(c.max_connections, 5);
    CHECK_EQ(c.log_level, ANC_LOG_DEBUG);
    CHECK_EQ(c.n_public_ip, 2);
    CHECK_STREQ(c.public_ip[1], "::1");
    CHECK_EQ(c.n_ice_servers, 1);
    CHECK_STREQ(c.preset, "veryfast");
}

TEST(empty_file_keeps_defaults)
{
    struct anc_config c;
    CHECK_EQ(load(&c, ""), 0);
    CHECK_STREQ(c.listen, "127.0.0.1:8080");
}

TEST(bad_lines)
{
    expect_error("[nope]\n", 1, "unknown section [nope]");
    expect_error("[server]\n\n[bogus]\nx = 1\n", 3, "unknown section [bogus]");
    expect_error("[server]\nlisten = 127.0.0.1:8080\nfrobnicate = 1\n", 3,
                 "unknown key \"frobnicate\"");
    expect_error("listen = 1.2.3.4:5\n", 1, "unknown section []");
    expect_error("[server]\nmax_connections = many\n", 2, "server.max_connections: not an integer");
    expect_error("[server]\nmax_connections = 0\n", 2, "out of range");
    expect_error("[server]\nmax_connections = 99999999999999999999\n", 2, "not an integer");
    expect_error("[server]\nmax_connections = 12abc\n", 2, "not an integer");
    expect_error("[server]\nlisten = localhost:80\n", 2, "server.listen");
    expect_error("[server]\nlisten = 127.0.0.1\n", 2, "server.listen");
    expect_error("[server]\nlisten = 127.0.0.1:70000\n", 2, "server.listen");
    expect_error("[server]\nlisten = [::1:80\n", 2, "server.listen");
    expect_error("[log]\nlevel = loud\n", 2, "log.level");
    expect_error("[stream]\npreset = placebo\n", 2, "stream.preset");
    expect_error("[rtc]\npublic_ip = example.org\n", 2, "rtc.public_ip");
    expect_error("[rtc]\nice_servers = http://x\n", 2, "rtc.ice_servers");
    expect_error("[rtc]\nudp_port = -1\n", 2, "rtc.udp_port");
    expect_error("[server]\nthis line has no equals sign\n", 2, "syntax error");
    expect_error("[server\nlisten = 1.2.3.4:5\n", 1, "syntax error");
    /* The first error wins, whichever kind it is. */
    expect_error("[server]\nbad\nmax_connections = x\n", 2, "syntax error");
    expect_error("[server]\nmax_connections = x\nbad\n", 2, "not an integer");
}

TEST(long_value)
{
    char text[1200];
    memset(text, 'a', sizeof(text));
    memcpy(text, "[stream]\npreset = ", 18);
    text[sizeof(text) - 2] = '\n';
    text[sizeof(text) - 1] = '\0';
    struct anc_config c;
    CHECK(load(&c, text) == -EINVAL);
    CHECK(strstr(err, "t.conf:2:") == err);
}

TEST(too_many_list_items)
{
    char text[1024] = "[rtc]\n";
    for (int i = 0; i < 9; i++)
        sprintf(text + strlen(text), "public_ip = 10.0.0.%d\n", i + 1);
    expect_error(text, 10, "too many values");
}

TEST(min_max_bitrate)
{
    struct anc_config c;
    CHECK_EQ(load(&c, "[stream]\nmin_bitrate_kbps = 5000\nmax_bitrate_kbps = 1000\n"), -EINVAL);
    CHECK(strstr(err, "min_bitrate_kbps") != NULL);
}

TEST(missing_file)
{
    struct anc_config c;
    anc_config_defaults(&c);
    CHECK_EQ(anc_config_load(&c, "/nonexistent/ancloud.conf", err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "/nonexistent/ancloud.conf") != NULL);
}

TEST(diff_reports_restart_keys)
{
    struct anc_config a, b;
    char restart[256];
    anc_config_defaults(&a);
    b = a;
    b.log_level = ANC_LOG_DEBUG;
    b.max_connections = 7;
    anc_config_diff(&a, &b, restart, sizeof(restart));
    CHECK_STREQ(restart, "");
    strcpy(b.listen, "0.0.0.0:9000");
    b.fps = 60;
    anc_config_diff(&a, &b, restart, sizeof(restart));
    CHECK_STREQ(restart, "server.listen, stream.fps");
}

/* The repository's ancloud.conf must parse and document every key the daemon knows. */
TEST(shipped_example_documents_every_key)
{
    char path[1024], *buf = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/../../ancloud.conf", anc_test_data_dir());
    struct anc_config c;
    anc_config_defaults(&c);
    CHECK_EQ(anc_config_load(&c, path, err, sizeof(err)), 0);

    FILE *mem = open_memstream(&buf, &len);
    anc_config_print_defaults(mem);
    fclose(mem);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char shipped[16384];
    size_t n = fread(shipped, 1, sizeof(shipped) - 1, f);
    shipped[n] = '\0';
    fclose(f);
    /* Every "key =" line of the generated defaults appears in the shipped file. */
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        char key[64];
        if (sscanf(line, ";%63[a-z_] =", key) == 1 || sscanf(line, "%63[a-z_] =", key) == 1) {
            char needle[80];
            snprintf(needle, sizeof(needle), "\n%s =", key);
            char needle2[80];
            snprintf(needle2, sizeof(needle2), "\n;%s =", key);
            if (!strstr(shipped, needle) && !strstr(shipped, needle2)) {
                fprintf(stderr, "ancloud.conf does not document %s\n", key);
                CHECK(false);
            }
        }
    }
    free(buf);
}

TEST(android_keys)
{
    struct anc_config c;
    anc_config_defaults(&c);
    CHECK_STREQ(c.android_agent_jar, "/usr/share/scrcpy/scrcpy-server");
    CHECK_EQ(c.android_boot_timeout_s, 180);
    CHECK_EQ(load(&c, "[android]\nagent_jar = /opt/scrcpy-server-v3.3.3\nboot_timeout_s = 600\n"),
             0);
    CHECK_STREQ(c.android_agent_jar, "/opt/scrcpy-server-v3.3.3");
    CHECK_EQ(c.android_boot_timeout_s, 600);
    expect_error("[android]\nboot_timeout_s = 5\n", 2, "boot_timeout_s");
    expect_error("[android]\nboot_timeout_s = 3601\n", 2, "boot_timeout_s");
    expect_error("[android]\nagent = x\n", 2, "agent");
    CHECK_STREQ(c.android_binder, "auto");
    CHECK_EQ(load(&c, "[android]\nbinder = host\n"), 0);
    CHECK_STREQ(c.android_binder, "host");
    expect_error("[android]\nbinder = nodes\n", 2, "expected auto, guest or host");
}

TEST(cluster_keys)
{
    struct anc_config c;
    anc_config_defaults(&c);
    CHECK_EQ(c.n_cluster_etcd, 0);
    CHECK_EQ(c.cluster_lease_s, 10);
    CHECK_EQ(load(&c, "[cluster]\netcd = http://10.0.0.1:2379, http://10.0.0.2:2379\n"
                      "etcd = http://10.0.0.3:2379\nnode = a-1\nlabels = binder,gpu\n"
                      "advertise = http://10.0.0.5:8080\nlease_s = 5\nmax_instances = 9\n"),
             0);
    CHECK_EQ(c.n_cluster_etcd, 3);
    CHECK_STREQ(c.cluster_etcd[0], "http://10.0.0.1:2379");
    CHECK_STREQ(c.cluster_etcd[1], "http://10.0.0.2:2379");
    CHECK_STREQ(c.cluster_etcd[2], "http://10.0.0.3:2379");
    CHECK_STREQ(c.cluster_node, "a-1");
    CHECK_STREQ(c.cluster_labels, "binder,gpu");
    CHECK_EQ(c.cluster_lease_s, 5);
    CHECK_EQ(c.cluster_max_instances, 9);
    expect_error("[cluster]\netcd = https://\n", 2, "https://host:port");
    expect_error("[cluster]\netcd = 10.0.0.1:2379\n", 2, "http://host:port");
    expect_error("[cluster]\nlease_s = 1\n", 2, "lease_s");
}

TEST(cluster_etcd_tls_keys)
{
    struct anc_config c;
    anc_config_defaults(&c);
    CHECK_STREQ(c.cluster_etcd_ca, "");
    CHECK_EQ(load(&c,
                  "[cluster]\netcd = https://10.0.0.1:2379, https://e2.example:2379\n"
                  "etcd_ca = /etc/a/ca.pem\netcd_cert = /etc/a/c.pem\netcd_key = /etc/a/c.key\n"),
             0);
    CHECK_STREQ(c.cluster_etcd[1], "https://e2.example:2379");
    CHECK_STREQ(c.cluster_etcd_ca, "/etc/a/ca.pem");
    CHECK_STREQ(c.cluster_etcd_cert, "/etc/a/c.pem");
    CHECK_STREQ(c.cluster_etcd_key, "/etc/a/c.key");
    /* https without a CA file: the system store, not an error. */
    anc_config_defaults(&c);
    CHECK_EQ(load(&c, "[cluster]\netcd = https://10.0.0.1:2379\n"), 0);
    const char *bad[][2] = {
        {"[cluster]\netcd = https://10.0.0.1:2379, http://10.0.0.2:2379\n", "every URL"},
        {"[cluster]\netcd = https://10.0.0.1:2379\netcd_cert = /c.pem\n", "go together"},
        {"[cluster]\netcd = https://10.0.0.1:2379\netcd_key = /c.key\n", "go together"},
        {"[cluster]\netcd = http://10.0.0.1:2379\netcd_ca = /ca.pem\n", "https:// etcd URLs only"},
        {"[cluster]\netcd_ca = /ca.pem\n", "https:// etcd URLs only"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        anc_config_defaults(&c);
        CHECK_EQ(load(&c, bad[i][0]), -EINVAL);
        if (!strstr(err, bad[i][1])) {
            fprintf(stderr, "got \"%s\", wanted \"%s\"\n", err, bad[i][1]);
            CHECK(false);
        }
    }
}
