/* GET /api/v1/images: the valid images of [paths] image_dir (name, size, kind) and, apart, the
 * *.img files that are not valid with the reason. Reading superblocks and looking into images
 * blocks, so the listing is built on a worker thread and answered through a deferred response. */
#include "http/api_images.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/config.h"
#include "container/image.h"
#include "http/server.h"

struct list_job {
    uv_work_t work;
    struct anc_http_request *req;
    char image_dir[PATH_MAX];
    json_t *body; /* built on the worker; NULL on failure */
    int err;
};

static json_t *valid_images(const char *image_dir, int *err)
{
    struct anc_image_info *v;
    size_t n;
    *err = anc_image_list(image_dir, &v, &n);
    if (*err < 0)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; i < n && arr; i++)
        json_array_append_new(arr, json_pack("{s:s, s:I, s:s}", "name", v[i].name, "size",
                                             (json_int_t)v[i].size, "kind", v[i].kind));
    free(v);
    return arr;
}

/* The *.img files that anc_image_list left out, each with the reason. */
static json_t *invalid_images(const char *image_dir)
{
    json_t *arr = json_array();
    DIR *d = opendir(image_dir);
    if (!d)
        return arr;
    struct dirent *de;
    while (arr && (de = readdir(d)) != NULL) {
        char name[128], reason[256] = "";
        size_t len = strlen(de->d_name);
        if (len <= 4 || strcmp(de->d_name + len - 4, ".img") != 0)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)(len - 4), de->d_name);
        if (anc_image_validate(image_dir, name, reason, sizeof(reason)) == 0)
            continue;
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", name, "reason", reason));
    }
    closedir(d);
    return arr;
}

static void list_work(uv_work_t *w)
{
    struct list_job *job = w->data;
    json_t *valid = valid_images(job->image_dir, &job->err);
    if (!valid)
        return;
    job->body = json_pack("{s:o, s:o}", "images", valid, "invalid", invalid_images(job->image_dir));
}

static void list_done(uv_work_t *w, int status)
{
    struct list_job *job = w->data;
    struct anc_http_response res;
    anc_http_response_init(&res);
    if (status == 0 && job->body) {
        anc_http_response_json(&res, 200, job->body);
    } else {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof(msg), "cannot read image_dir %s: %s", job->image_dir,
                 strerror(job->err < 0 ? -job->err : ECANCELED));
        anc_http_response_error(&res, 500, anc_http_error_code(500), msg);
    }
    anc_http_respond(job->req, &res);
    json_decref(job->body);
    free(job);
}

static int list_images(struct anc_http_request *req, struct anc_http_response *res, void *user)
{
    const struct anc_api_images_deps *deps = user;
    (void)res;
    struct list_job *job = calloc(1, sizeof(*job));
    if (!job)
        return -ENOMEM;
    job->req = req;
    job->work.data = job;
    snprintf(job->image_dir, sizeof(job->image_dir), "%s", deps->cfg->image_dir);
    int r = uv_queue_work(deps->loop, &job->work, list_work, list_done);
    if (r < 0) {
        free(job);
        return -ENOMEM;
    }
    return ANC_HTTP_DEFERRED;
}

int anc_api_images_register(struct anc_http_server *server, const struct anc_api_images_deps *deps)
{
    return anc_http_route_add(server, "GET", "/api/v1/images", list_images, (void *)deps, 0);
}
