/* The agent connection against an in-process fake agent: a real abstract socket in our own
 * namespace, the server side written with the proto writers, served from uv_poll handles. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "agent/agent_uv.h"
#include "agent/proto.h"
#include "test.h"

static const uint8_t sps_pps[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0xda,
                                  0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80};
static const uint8_t idr[] = {0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33};
static const uint8_t pframe[] = {0, 0, 0, 1, 0x41, 0x9a, 0x02};

/* Browser pointer 3 down at the far corner → wire pointer 0 at (719,1279) on 720x1280. */
static const uint8_t touch_corner[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xcf, 0x00, 0x00,
    0x04, 0xff, 0x02, 0xd0, 0x05, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static struct {
    uv_loop_t loop;
    int listener, video, control;
    uv_poll_t accept_poll, control_poll;
    bool control_polling;
    uint8_t got[64];
    size_t got_len;
} agent;

static struct {
    struct anc_agent_conn *conn;
    int ready, aus, keyframes, clipboards, closed, freed;
    char device[80];
    uint32_t w, h;
    uint8_t first_au[64];
    size_t first_au_len;
    int closed_status;
    int input_result;
} seen;

static void write_all(int fd, const void *p, size_t n)
{
    CHECK_EQ(write(fd, p, n), (ssize_t)n);
}

static void send_packet(uint64_t pts, bool config, bool key, const uint8_t *d, size_t n)
{
    uint8_t h[ANC_AGENT_FRAME_HEADER_SIZE];
    CHECK_EQ(anc_agent_write_frame_header(h, pts, config, key, n), 0);
    write_all(agent.video, h, sizeof(h));
    write_all(agent.video, d, n);
}

static void serve_video(void)
{
    uint8_t b[ANC_AGENT_DEVICE_NAME_SIZE];
    write_all(agent.video, "\0", 1);
    anc_agent_write_device_meta(b, "fake agent");
    write_all(agent.video, b, sizeof(b));
    anc_agent_write_codec_meta(b, ANC_AGENT_CODEC_H264, 720, 1280);
    write_all(agent.video, b, ANC_AGENT_CODEC_META_SIZE);
    send_packet(0, true, false, sps_pps, sizeof(sps_pps));
    send_packet(1000, false, true, idr, sizeof(idr));
    send_packet(34000, false, false, pframe, sizeof(pframe));
}

static void on_control_readable(uv_poll_t *p, int status, int events)
{
    (void)p;
    (void)status;
    (void)events;
    ssize_t n = read(agent.control, agent.got + agent.got_len, sizeof(agent.got) - agent.got_len);
    CHECK(n > 0);
    agent.got_len += (size_t)n;
    if (agent.got_len < sizeof(touch_corner))
        return;
    /* The touch arrived as the exact bytes: answer with a clipboard change. */
    CHECK_EQ(agent.got_len, sizeof(touch_corner));
    CHECK(memcmp(agent.got, touch_corner, sizeof(touch_corner)) == 0);
    uint8_t b[32];
    struct anc_agent_devmsg m = {.type = ANC_AGENT_DEVMSG_CLIPBOARD,
                                 .clipboard = {.utf8 = (const uint8_t *)"copied", .len = 6}};
    ssize_t len = anc_agent_devmsg_serialize(&m, b, sizeof(b));
    write_all(agent.control, b, (size_t)len);
}

static void on_acceptable(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    int fd = accept(agent.listener, NULL, NULL);
    CHECK(fd >= 0);
    if (agent.video < 0) {
        agent.video = fd;
        serve_video();
        return;
    }
    agent.control = fd;
    uv_poll_stop(p);
    uv_poll_init(&agent.loop, &agent.control_poll, agent.control);
    uv_poll_start(&agent.control_poll, UV_READABLE, on_control_readable);
    agent.control_polling = true;
}

static void agent_listen(uint32_t scid)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "scrcpy_%08x", scid);
    agent.listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(agent.listener >= 0);
    CHECK_EQ(bind(agent.listener, (struct sockaddr *)&sa,
                  (socklen_t)(sizeof(sa.sun_family) + 1 + (size_t)n)),
             0);
    CHECK_EQ(listen(agent.listener, 4), 0);
    uv_poll_init(&agent.loop, &agent.accept_poll, agent.listener);
    uv_poll_start(&agent.accept_poll, UV_READABLE, on_acceptable);
}

static void agent_stop(void)
{
    uv_close((uv_handle_t *)&agent.accept_poll, NULL);
    if (agent.control_polling)
        uv_close((uv_handle_t *)&agent.control_poll, NULL);
    close(agent.listener);
    if (agent.video >= 0)
        close(agent.video);
    if (agent.control >= 0)
        close(agent.control);
    agent.video = agent.control = -1;
}

/* ---- The daemon side ---- */

static void on_freed(void *arg)
{
    CHECK(arg == &seen);
    seen.freed++;
}

static void on_ready(void *arg, const char *device, uint32_t w, uint32_t h)
{
    CHECK(arg == &seen);
    seen.ready++;
    snprintf(seen.device, sizeof(seen.device), "%s", device);
    seen.w = w;
    seen.h = h;
    struct anc_input_msg m = {.type = ANC_INPUT_TOUCH,
                              .touch = {.action = ANC_INPUT_TOUCH_DOWN,
                                        .pointer_id = 3,
                                        .x = 65535,
                                        .y = 65535,
                                        .pressure = 0xffff}};
    seen.input_result = anc_agent_conn_input(seen.conn, &m);
}

static void on_au(void *arg, const uint8_t *data, size_t len, bool keyframe, uint64_t pts_us)
{
    (void)arg;
    (void)pts_us;
    if (seen.aus++ == 0) {
        CHECK(len <= sizeof(seen.first_au));
        memcpy(seen.first_au, data, len);
        seen.first_au_len = len;
    }
    seen.keyframes += keyframe;
}

static void on_clipboard(void *arg, const uint8_t *utf8, size_t len)
{
    (void)arg;
    seen.clipboards++;
    CHECK_EQ(len, 6);
    CHECK(memcmp(utf8, "copied", 6) == 0);
    /* The agent goes away. */
    close(agent.video);
    agent.video = -1;
}

static void on_closed(void *arg, int status, const char *why)
{
    (void)arg;
    CHECK(why && *why);
    seen.closed++;
    seen.closed_status = status;
    struct anc_input_msg m = {.type = ANC_INPUT_KEY, .key = {.keycode = 30}};
    CHECK_EQ(anc_agent_conn_input(seen.conn, &m), -ENOTCONN);
    agent_stop();
    anc_agent_conn_close(seen.conn, on_freed, &seen);
}

static const struct anc_agent_conn_cbs cbs = {on_ready, on_au, on_clipboard, on_closed};

TEST(fake_agent_session)
{
    uint32_t scid = 0x10000000u | (uint32_t)getpid();
    memset(&seen, 0, sizeof(seen));
    memset(&agent, 0, sizeof(agent));
    agent.video = agent.control = -1;
    CHECK_EQ(uv_loop_init(&agent.loop), 0);
    agent_listen(scid);
    struct anc_agent_conn_params p = {.init_pid = getpid(), .scid = scid, .bitrate_bps = 4000000};
    CHECK_EQ(anc_agent_conn_start(&agent.loop, &p, &cbs, &seen, &seen.conn), 0);
    uv_run(&agent.loop, UV_RUN_DEFAULT);

    CHECK_EQ(seen.ready, 1);
    CHECK_STREQ(seen.device, "fake agent");
    CHECK_EQ(seen.w, 720);
    CHECK_EQ(seen.h, 1280);
    CHECK_EQ(seen.input_result, ANC_INPUT_APPLIED);
    CHECK_EQ(seen.aus, 2);
    CHECK_EQ(seen.keyframes, 1);
    CHECK_EQ(seen.first_au_len, sizeof(sps_pps) + sizeof(idr));
    CHECK(memcmp(seen.first_au, sps_pps, sizeof(sps_pps)) == 0);
    CHECK(memcmp(seen.first_au + sizeof(sps_pps), idr, sizeof(idr)) == 0);
    CHECK_EQ(seen.clipboards, 1);
    CHECK_EQ(seen.closed, 1);
    CHECK_EQ(seen.closed_status, -EPIPE);
    CHECK_EQ(seen.freed, 1);
    CHECK_EQ(uv_loop_close(&agent.loop), 0);
}

static void on_closed_quietly(void *arg, int status, const char *why)
{
    (void)why;
    (void)arg;
    seen.closed++;
    seen.closed_status = status;
    anc_agent_conn_close(seen.conn, on_freed, &seen);
}

/* Nothing listens: the connect timeout ends it; closing while connecting frees it quietly. */
TEST(no_agent_and_close_while_connecting)
{
    uv_loop_t loop;
    const struct anc_agent_conn_cbs quiet = {on_ready, on_au, NULL, on_closed_quietly};
    struct anc_agent_conn_params p = {
        .init_pid = getpid(), .scid = 0x20000000u | (uint32_t)getpid(), .connect_timeout_ms = 150};
    memset(&seen, 0, sizeof(seen));
    CHECK_EQ(uv_loop_init(&loop), 0);
    CHECK_EQ(anc_agent_conn_start(&loop, &p, &quiet, &seen, &seen.conn), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(seen.closed, 1);
    CHECK_EQ(seen.closed_status, -ETIMEDOUT);
    CHECK_EQ(seen.freed, 1);

    memset(&seen, 0, sizeof(seen));
    p.connect_timeout_ms = 5000;
    CHECK_EQ(anc_agent_conn_start(&loop, &p, &quiet, &seen, &seen.conn), 0);
    anc_agent_conn_close(seen.conn, on_freed, &seen);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(seen.closed, 0);
    CHECK_EQ(seen.freed, 1);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
