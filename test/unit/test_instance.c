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

TEST(android_requests)
{
    struct anc_instance inst, back;
    CHECK_EQ(from_text(&inst, "{\"name\":\"a\",\"kind\":\"android\",\"image\":\"redroid13\"}"), 0);
    CHECK_EQ(inst.kind, ANC_KIND_ANDROID);
    CHECK_EQ(inst.dpi, ANC_INSTANCE_DPI_DEFAULT);
    CHECK_EQ(inst.dpi, 320);
    CHECK_EQ(inst.width, 720);
    CHECK_EQ(inst.height, 1280);
    CHECK_EQ(inst.fps, 30);
    CHECK_EQ(inst.capture, ANC_CAPTURE_AGENT);
    CHECK_EQ(from_text(&inst, "{\"name\":\"a\",\"kind\":\"android\",\"image\":\"redroid13\","
                              "\"width\":1080,\"height\":1920,\"dpi\":72,\"fps\":60,"
                              "\"bitrate_kbps\":6000,\"memory_mb\":3072,\"cpus\":4,"
                              "\"restart\":\"always\"}"),
             0);
    CHECK_EQ(inst.dpi, 72);
    CHECK_EQ(inst.fps, 60);
    CHECK_EQ(inst.restart, ANC_RESTART_ALWAYS);
    CHECK_EQ(from_text(&inst, "{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"dpi\":640}"),
             0);
    CHECK_EQ(inst.dpi, 640);

    /* The record round-trips: dpi, image and limits come back; capture is not written for it. */
    inst.state = ANC_STATE_RUNNING;
    json_t *j = anc_instance_to_json(&inst);
    CHECK_EQ(json_integer_value(json_object_get(j, "dpi")), 640);
    CHECK_STREQ(json_string_value(json_object_get(j, "kind")), "android");
    CHECK(!json_object_get(j, "capture"));
    CHECK_EQ(anc_instance_from_record(&back, j, err, sizeof(err)), 0);
    json_decref(j);
    CHECK_EQ(back.kind, ANC_KIND_ANDROID);
    CHECK_EQ(back.dpi, 640);
    CHECK_STREQ(back.id, inst.id);
    CHECK_STREQ(back.image, "r");
    CHECK_EQ(back.state, ANC_STATE_RUNNING);

    expect_bad("{\"name\":\"a\",\"kind\":\"android\"}", "image: required for kind \"android\"");
    expect_bad("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"dpi\":71}",
               "dpi: must be an integer from 72 to 640");
    expect_bad("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"dpi\":641}", "dpi");
    expect_bad("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"dpi\":\"320\"}", "dpi");
    expect_bad("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"width\":100}",
               "width: must be an even integer from 128 to 4096");
    expect_bad("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"fps\":61}", "fps");
    expect_bad("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"command\":[\"/init\"]}",
               "command");
    expect_bad("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\",\"capture\":\"agent\"}",
               "capture: only for kind \"linux\"");
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"d\",\"dpi\":320}",
               "dpi: only for kind \"android\"");
    expect_bad("{\"name\":\"p\",\"kind\":\"pattern\",\"dpi\":320}", "dpi");
}

TEST(android_fps_default_is_capped)
{
    struct anc_instance inst;
    json_t *req = json_loads("{\"name\":\"a\",\"kind\":\"android\",\"image\":\"r\"}", 0, NULL);
    CHECK_EQ(anc_instance_from_request(&inst, req, 120, err, sizeof(err)), 0);
    json_decref(req);
    CHECK_EQ(inst.fps, 60);
}

TEST(linux_capture)
{
    struct anc_instance inst, back;
    CHECK_EQ(from_text(&inst, "{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"demo\"}"), 0);
    CHECK_EQ(inst.capture, ANC_CAPTURE_HOST);
    json_t *j = anc_instance_to_json(&inst);
    CHECK_STREQ(json_string_value(json_object_get(j, "capture")), "host");
    json_decref(j);
    CHECK_EQ(from_text(&inst, "{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"demo\","
                              "\"capture\":\"agent\"}"),
             0);
    CHECK_EQ(inst.capture, ANC_CAPTURE_AGENT);
    j = anc_instance_to_json(&inst);
    CHECK_STREQ(json_string_value(json_object_get(j, "capture")), "agent");
    CHECK_EQ(anc_instance_from_record(&back, j, err, sizeof(err)), 0);
    json_decref(j);
    CHECK_EQ(back.capture, ANC_CAPTURE_AGENT);
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"d\",\"capture\":\"gpu\"}",
               "capture: must be \"host\" or \"agent\"");
    expect_bad("{\"name\":\"l\",\"kind\":\"linux\",\"image\":\"d\",\"capture\":1}", "capture");
    expect_bad("{\"name\":\"x\",\"kind\":\"x11\",\"command\":[\"/a\"],\"capture\":\"host\"}",
               "capture");
}
