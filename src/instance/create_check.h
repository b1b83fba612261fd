/* What a creation request needs from the host beyond its own fields: an android instance needs
 * binder (the host check) and the agent's jar; an image must exist and be of the instance's
 * family. Pure apart from reading the image and the jar. */
#pragma once

#include <stddef.h>

#include "instance/instance.h"

struct anc_config;

/* 0, or -EINVAL with the reason for the API in err (the host check's message names what the
 * kernel lacks and points at kernel/check). Checks in this order: host, jar, image. */
int anc_create_check(const struct anc_config *cfg, int (*android_host_check)(char *why, size_t len),
                     const struct anc_instance *inst, char *err, size_t errlen);
