/* REST routes of instances, viewer sessions and WHEP signaling (docs/api.md). */
#pragma once

struct anc_app;

/* Adds the routes to the app's HTTP server. Returns 0 or -errno. */
int anc_api_instances_register(struct anc_app *app);
