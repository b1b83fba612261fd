/* REST route of the guest images: GET /api/v1/images (docs/api.md). */
#pragma once

struct anc_app;

/* Adds the routes to the app's HTTP server. Returns 0 or -errno. */
int anc_api_images_register(struct anc_app *app);
