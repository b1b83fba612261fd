#include "base/rmtree_uv.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct removal {
    uv_work_t work;
    char path[PATH_MAX];
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void remove_tree(uv_work_t *w)
{
    struct removal *d = (struct removal *)w;
    /* FTW_MOUNT: never into a mount left behind. */
    if (nftw(d->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
        anc_debug("cannot remove all of %s: %s", d->path, strerror(errno));
}

static void removed(uv_work_t *w, int status)
{
    (void)status;
    free(w);
}

int anc_remove_tree_later(uv_loop_t *loop, const char *dir, const char *aside)
{
    struct removal *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    if (snprintf(d->path, sizeof(d->path), "%s", aside) >= (int)sizeof(d->path)) {
        free(d);
        return -ENAMETOOLONG;
    }
    if (rename(dir, d->path) < 0) {
        int r = -errno;
        free(d);
        return r;
    }
    int r = uv_queue_work(loop, &d->work, remove_tree, removed);
    if (r < 0)
        free(d);
    return r;
}
