/* See forkstart.h. */
#include "container/forkstart.h"

#include <stdio.h>
#include <string.h>

#include <lxc/lxccontainer.h>

#include "container/lxc_ops.h"

int anc_lxc_forkstart_main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[1], ANC_LXC_FORKSTART_ARG) != 0) {
        fprintf(stderr, "usage: %s " ANC_LXC_FORKSTART_ARG " NAME LXCPATH CONFIG [CMD [ARG...]]\n",
                argv[0]);
        return 2;
    }
    const char *name = argv[2], *lxcpath = argv[3], *config = argv[4];
    struct lxc_container *c = lxc_container_new(name, lxcpath);
    if (!c) {
        fprintf(stderr, "cannot create the LXC handle for %s\n", name);
        return 1;
    }
    int rc = 1;
    c->clear_config(c);
    if (!c->load_config(c, config)) {
        fprintf(stderr, "cannot load %s\n", config);
        goto out;
    }
    c->want_daemonize(c, true);
    c->want_close_all_fds(c, true);
    /* No command: the config's lxc.init.cmd (profiles that write their own init, android). */
    if (!c->start(c, 0, argc > 5 ? &argv[5] : NULL)) {
        fprintf(stderr, "start failed (error %d)\n", c->error_num);
        goto out;
    }
    printf("%d\n", (int)c->init_pid(c));
    rc = 0;
out:
    lxc_container_put(c);
    return rc;
}
