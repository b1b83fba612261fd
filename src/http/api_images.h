/* REST route of the guest images: GET /api/v1/images (docs/api.md). */
#pragma once

#include <uv.h>

struct anc_config;
struct anc_http_server;

/* What the route uses: the loop (the listing runs on its thread pool) and the config
 * (image_dir, read at each request). */
struct anc_api_images_deps {
    uv_loop_t *loop;
    const struct anc_config *cfg;
};

/* Adds the route to server. deps is borrowed and must outlive the server. Returns 0 or -errno. */
int anc_api_images_register(struct anc_http_server *server, const struct anc_api_images_deps *deps);
