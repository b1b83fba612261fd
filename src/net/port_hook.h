/* The port isolation hook: LXC runs `<ancloudd> --net-isolate-port NAME net up veth HOSTDEV`
 * (lxc.net.0.script.up) once the host end of a guest's veth is on the bridge and before the
 * guest's init runs, so no frame of the guest crosses the bridge before its port is isolated.
 * The daemon binary is its own hook, as it is its own LXC start helper. */
#pragma once

#define ANC_NET_PORT_HOOK_ARG "--net-isolate-port"

/* main() of the hook: sets IFLA_BRPORT_ISOLATED on the last argument (the host-side device).
 * Returns 0, or 1 with a message on stderr: LXC then fails the start (a guest that cannot be
 * isolated does not run). */
int anc_net_port_hook_main(int argc, char **argv);
