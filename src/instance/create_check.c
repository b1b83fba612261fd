#include "instance/create_check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "container/image.h"
#include "instance/agent_jar.h"

/* An android instance needs binder and shared memory on the host, then the agent's jar. */
static int check_android(const struct anc_config *cfg, int (*host_check)(char *, size_t), char *err,
                         size_t errlen)
{
    char why[ANC_AGENT_WHY_MAX] = "";
    if (host_check(why, sizeof(why)) < 0 ||
        anc_agent_jar_check(cfg->android_agent_jar, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s", why);
        return -EINVAL;
    }
    return 0;
}

/* The image exists, is sane, and is of the instance's family (an Android system image does not
 * boot as a Linux guest, nor the reverse). */
static int check_image(const struct anc_config *cfg, const struct anc_instance *inst, char *err,
                       size_t errlen)
{
    char why[256] = "";
    if (anc_image_validate(cfg->image_dir, inst->image, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "image: %s", why);
        return -EINVAL;
    }
    bool android = strcmp(anc_image_kind(cfg->image_dir, inst->image), "android") == 0;
    if (android && inst->kind == ANC_KIND_LINUX) {
        snprintf(err, errlen, "image: %s is an Android image; create it with kind \"android\"",
                 inst->image);
        return -EINVAL;
    }
    if (!android && inst->kind == ANC_KIND_ANDROID) {
        snprintf(err, errlen,
                 "image: %s is not an Android image (no /system/build.prop); create it with kind "
                 "\"linux\", or convert an Android image with tools/mkimage --from-oci",
                 inst->image);
        return -EINVAL;
    }
    return 0;
}

int anc_create_check(const struct anc_config *cfg, int (*android_host_check)(char *why, size_t len),
                     const struct anc_instance *inst, char *err, size_t errlen)
{
    int r = 0;
    if (inst->kind == ANC_KIND_ANDROID)
        r = check_android(cfg, android_host_check, err, errlen);
    if (r == 0 && anc_instance_has_image(inst))
        r = check_image(cfg, inst, err, errlen);
    return r;
}
