/* GET /api/v1/instances/{id}/screenshot: a PNG of the instance's current picture.
 *
 * Host-capture instances (pattern, x11, linux with capture "host"): the stream's source draws the
 * picture into a still's own buffer on a threadpool worker (media/stream.h), which hashes it (the
 * strong ETag: equal pictures, equal tags) and, unless If-None-Match names that tag (304), encodes
 * it with libpng at zlib's fastest level (media/png.h). No video encode, nothing on the loop.
 *
 * Android guests, whose frames are H.264 from the in-guest agent that the daemon never decodes:
 * `screencap -p` in the guest (instance/runtime.h, anc_runtime_screenshot), asynchronous with a
 * deadline; the tag is the hash of its PNG, so a 304 saves the transfer, not the capture. Linux
 * guests with capture "agent": 501, the stand-in agent's guest has no screencap (and its Xvfb,
 * though the host has it, is the agent's to capture). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api_instances.h"
#include "http/server.h"
#include "http/static.h"
#include "instance/manager.h"
#include "instance/runtime.h"
#include "media/png.h"
#include "media/stream.h"

struct shot {
    struct anc_stream_still still; /* first: the still's callbacks get the shot back */
    struct anc_http_request *req;
    char *if_none_match; /* a copy: the worker reads it */
    /* Results, written by the worker. */
    char etag[24];
    bool not_modified;
    uint8_t *png;
    size_t png_len;
    int err;
};

static int error(struct anc_http_response *res, int status, const char *message)
{
    anc_http_response_error(res, status, anc_http_error_code(status), message);
    return 0;
}

static void shot_work(struct anc_stream_still *st, const uint8_t *argb, int stride, int width,
                      int height)
{
    struct shot *sh = (struct shot *)st;
    if (!argb) {
        sh->err = -ENOMEM;
        return;
    }
    uint64_t h = anc_frame_hash(argb, width, height, stride);
    snprintf(sh->etag, sizeof(sh->etag), "\"%016" PRIx64 "\"", h);
    if (sh->if_none_match && anc_http_etag_match(sh->if_none_match, sh->etag)) {
        sh->not_modified = true;
        return;
    }
    sh->err =
        anc_png_encode(argb, width, height, stride, ANC_PNG_LEVEL_FAST, &sh->png, &sh->png_len);
}

static int shot_response(struct shot *sh, int status, struct anc_http_response *res)
{
    if (status < 0)
        return error(res, 503, "the screenshot was cancelled: the daemon is shutting down");
    if (sh->err < 0)
        return error(res, 500, strerror(-sh->err));
    int r = anc_http_response_header(res, "ETag", sh->etag);
    if (r == 0)
        r = anc_http_response_header(res, "Cache-Control", "no-cache");
    if (r < 0)
        return r;
    if (sh->not_modified)
        return anc_http_response_set(res, 304, NULL, NULL, 0);
    r = anc_http_response_take(res, 200, "image/png", sh->png, sh->png_len);
    sh->png = NULL;
    return r;
}

static void shot_done(struct anc_stream_still *st, int status)
{
    struct shot *sh = (struct shot *)st;
    struct anc_http_response res;
    anc_http_response_init(&res);
    if (shot_response(sh, status, &res) < 0) {
        anc_http_response_destroy(&res);
        anc_http_response_init(&res);
        error(&res, 500, "out of memory");
    }
    anc_http_respond(sh->req, &res);
    free(sh->png);
    free(sh->if_none_match);
    free(sh);
}

/* A host-capture instance: the still of its stream. */
static int host_shot(struct anc_http_request *req, struct anc_http_response *res,
                     struct anc_stream *stream)
{
    struct shot *sh = calloc(1, sizeof(*sh));
    if (!sh)
        return -ENOMEM;
    const char *inm = anc_http_request_header(req, "If-None-Match");
    if (inm && !(sh->if_none_match = strdup(inm))) {
        free(sh);
        return -ENOMEM;
    }
    sh->req = req;
    sh->still.work = shot_work;
    sh->still.done = shot_done;
    int r = anc_stream_still(stream, &sh->still);
    if (r < 0) {
        free(sh->if_none_match);
        free(sh);
    }
    if (r == -EBUSY) {
        anc_http_response_header(res, "Retry-After", "1");
        return error(res, 503, "too many screenshots of this instance in progress; retry");
    }
    if (r == -ESHUTDOWN)
        return error(res, 409, "instance is stopping");
    return r < 0 ? error(res, 500, strerror(-r)) : ANC_HTTP_DEFERRED;
}

/* An Android guest's own screencap. */
struct guest_shot {
    struct anc_http_request *req;
};

static int guest_response(struct anc_http_request *req, int status, uint8_t *png, size_t len,
                          uint8_t **steal, struct anc_http_response *res)
{
    if (status == -ESHUTDOWN)
        return error(res, 409, "instance stopped before its screenshot was taken");
    if (status == -ETIMEDOUT)
        return error(res, 504, "screencap did not answer in time in the guest");
    if (status < 0 || len < 8 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0)
        return error(res, 502, "screencap failed in the guest (see the instance log)");
    char etag[24];
    snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"", anc_bytes_hash(png, len));
    int r = anc_http_response_header(res, "ETag", etag);
    if (r == 0)
        r = anc_http_response_header(res, "Cache-Control", "no-cache");
    if (r < 0)
        return r;
    const char *inm = anc_http_request_header(req, "If-None-Match");
    if (inm && anc_http_etag_match(inm, etag))
        return anc_http_response_set(res, 304, NULL, NULL, 0);
    *steal = png;
    return anc_http_response_take(res, 200, "image/png", png, len);
}

static void on_guest_shot(void *arg, int status, uint8_t *png, size_t len, uint8_t **steal)
{
    struct guest_shot *gs = arg;
    struct anc_http_response res;
    anc_http_response_init(&res);
    if (guest_response(gs->req, status, png, len, steal, &res) < 0) {
        anc_http_response_destroy(&res);
        anc_http_response_init(&res);
        error(&res, 500, "out of memory");
    }
    anc_http_respond(gs->req, &res);
    free(gs);
}

static int guest_shot(struct anc_http_request *req, struct anc_http_response *res,
                      struct anc_instance *inst)
{
    struct guest_shot *gs = calloc(1, sizeof(*gs));
    if (!gs)
        return -ENOMEM;
    gs->req = req;
    int r = anc_runtime_screenshot(inst, on_guest_shot, gs);
    if (r < 0)
        free(gs);
    if (r == -EBUSY) {
        anc_http_response_header(res, "Retry-After", "1");
        return error(res, 503, "a screenshot of this instance is in progress; retry");
    }
    if (r == -EAGAIN)
        return error(res, 409, "instance is not running");
    return r < 0 ? error(res, 500, strerror(-r)) : ANC_HTTP_DEFERRED;
}

static int get_screenshot(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_instances_deps *api = user;
    struct anc_instance *inst = anc_api_instance_of(api, req, res);
    if (!inst)
        return 0;
    if (inst->state != ANC_STATE_RUNNING || !inst->stream) {
        char msg[96];
        snprintf(msg, sizeof(msg), "instance is %s; start it first",
                 anc_instance_state_name(inst->state));
        return error(res, 409, msg);
    }
    if (inst->kind == ANC_KIND_LINUX && inst->capture == ANC_CAPTURE_AGENT)
        return error(res, 501,
                     "no screenshot of a linux instance with capture \"agent\": its frames are "
                     "H.264 from the in-guest agent, which the daemon does not decode, and the "
                     "guest has no screencap; use capture \"host\"");
    if (inst->kind == ANC_KIND_ANDROID)
        return guest_shot(req, res, inst);
    return host_shot(req, res, inst->stream);
}

int anc_api_screenshot_register(struct anc_http_server *server,
                                const struct anc_api_instances_deps *deps)
{
    /* A viewer token of the instance may read its picture: it sees the video anyway. */
    return anc_http_route_add(server, "GET", "/api/v1/instances/{id}/screenshot", get_screenshot,
                              (void *)deps, ANC_HTTP_ROUTE_VIEWER | ANC_HTTP_ROUTE_OWNER);
}
