#include <errno.h>
#include <stdlib.h>

#include "instance/instance.h"
#include "test.h"

static char err[300];

static int from_text(struct anc_instance *inst, const char *text)
{
    json_t *req = json_loads(text, 0, NULL);
    int r = anc_instance_from_request(inst, req, 30, err, sizeof(err));
    json_decref(req);
    return r;
}

static void expect_bad(const char *text, const char *field)
{
    struct anc_instance inst;
    CHECK_EQ(from_text(&inst, text), -EINVAL);
    if (strncmp(err, field, strlen(field)) != 0) {
        fprintf(stderr, "error \"%s\" does not start with \"%s\"\n", err, field);
        CHECK(false);
    }
}

TEST(valid_request)
{
    struct anc_instance inst;
    CHECK_EQ(from_text(&inst, "{\"name\":\"tc\",\"kind\":\"pattern\",\"width\":720,\"height\":1280,"
                              "\"fps\":30}"),
             0);
    CHECK_STREQ(inst.name, "tc");
    CHECK_EQ(inst.kind, ANC_KIND_PATTERN);
    CHECK_EQ(inst.width, 720);
    CHECK_EQ(inst.state, ANC_STATE_STOPPED);
    CHECK_EQ(strlen(inst.id), ANC_INSTANCE_ID_LEN);
    CHECK_EQ(from_text(&inst, "{\"name\":\"d\",\"kind\":\"pattern\"}"), 0);
    CHECK_EQ(inst.fps, 30);
    CHECK_EQ(inst.height, 1280);
}

TEST(invalid_requests_name_the_field)
{
    expect_bad("[]", "body");
    expect_bad("{\"kind\":\"pattern\"}", "name");
    expect_bad("{\"name\":\"a b\",\"kind\":\"pattern\"}", "name");
    expect_bad("{\"name\":\"\",\"kind\":\"pattern\"}", "name");
    expect_bad("{\"name\":\"a\"}", "kind");
    expect_bad("{\"name\":\"a\",\"kind\":\"vm\"}", "kind");
    expect_bad("{\"name\":\"a\",\"kind\":\"pattern\",\"width\":721}", "width");
    expect_bad("{\"name\":\"a\",\"kind\":\"pattern\",\"width\":\"720\"}", "width");
    expect_bad("{\"name\":\"a\",\"kind\":\"pattern\",\"height\":99999}", "height");
    expect_bad("{\"name\":\"a\",\"kind\":\"pattern\",\"fps\":0}", "fps");
    expect_bad("{\"name\":\"a\",\"kind\":\"pattern\",\"fps\":30.5}", "fps");
    expect_bad("{\"name\":\"a\",\"kind\":\"pattern\",\"colour\":1}", "colour");
}

TEST(linux_requests)
{
    struct anc_instance inst;
    CHECK_EQ(from_text(&inst, "{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"demo\"}"), 0);
    CHECK_EQ(inst.kind, ANC_KIND_LINUX);
    CHECK_STREQ(inst.image, "demo");
    CHECK_EQ(inst.n_command, 0);
    CHECK_EQ(inst.restart, ANC_RESTART_NO);
    CHECK_EQ(from_text(&inst, "{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"demo\","
                              "\"command\":[\"/usr/bin/app\",\"-x\"],\"memory_mb\":512,"
                              "\"cpus\":2,\"restart\":\"on-failure\"}"),
             0);
    CHECK_EQ(inst.n_command, 2);
    CHECK_EQ(inst.memory_mb, 512);
    CHECK_EQ(inst.cpus, 2);
    CHECK_EQ(inst.restart, ANC_RESTART_ON_FAILURE);
    json_t *j = anc_instance_to_json(&inst);
    CHECK_STREQ(json_string_value(json_object_get(j, "restart")), "on-failure");
    CHECK_STREQ(json_string_value(json_object_get(j, "image")), "demo");
    json_decref(j);
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\"}", "image");
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"../x\"}", "image");
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"d\",\"restart\":\"yes\"}",
               "restart");
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"d\",\"memory_mb\":1}", "memory_mb");
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"d\",\"cpus\":0}", "cpus");
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"d\",\"command\":[\"x\"]}",
               "command");
    expect_bad("{\"name\":\"p\",\"kind\":\"pattern\",\"image\":\"d\"}", "image");
    expect_bad("{\"name\":\"p\",\"kind\":\"x11\",\"command\":[\"/a\"],\"restart\":\"no\"}",
               "restart");
}
