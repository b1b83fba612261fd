/* See port_hook.h. */
#include "net/port_hook.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/link.h"

int anc_net_port_hook_main(int argc, char **argv)
{
    /* LXC's arguments: container name, "net", "up", the network type, the host-side device. */
    if (argc < 7 || strcmp(argv[1], ANC_NET_PORT_HOOK_ARG) != 0 || strcmp(argv[3], "net") != 0 ||
        strcmp(argv[4], "up") != 0) {
        fprintf(stderr, "usage: %s " ANC_NET_PORT_HOOK_ARG " NAME net up TYPE HOSTDEV\n", argv[0]);
        return 1;
    }
    const char *dev = argv[argc - 1];
    int r = anc_net_port_set_isolated(dev, true);
    if (r < 0) {
        fprintf(stderr, "%s: cannot isolate bridge port %s: %s%s\n", argv[2], dev, strerror(-r),
                r == -EINVAL ? " (needs Linux 4.18 or [network] isolate = false)" : "");
        return 1;
    }
    return 0;
}
