/* The container start helper (the idea of LXD's `forkstart`): liblxc's start() forks and keeps
 * running library code in the child, which is unsafe in a process with other threads (encoder
 * threads, libuv's pool may hold locks at fork time). The daemon therefore re-executes itself
 * as `ancloudd --lxc-forkstart NAME LXCPATH CONFIG CMD [ARG...]`, a fresh single-threaded
 * process that calls start() with LXC's daemonized monitor, prints the init pid on stdout once
 * the container is RUNNING, and exits (0, or 1 with a message).
 *
 * ancloudd's main() must call this before anything else (no threads, no loop) when
 * argv[1] == ANC_LXC_FORKSTART_ARG ("--lxc-forkstart") and return its result. */
#pragma once

int anc_lxc_forkstart_main(int argc, char **argv);
