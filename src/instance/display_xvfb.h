/* How display.c runs Xvfb and where the X socket appears (display.h explains the socket modes):
 * pure helpers with no state of their own, kept apart from the display's state machine. */
#pragma once

#include <stdbool.h>

#include "instance/display.h"

#define ANC_XVFB_HOST_SOCKET_DIR "/tmp/.X11-unix"
#define ANC_XVFB_DISPLAYFD       3 /* the child's fd Xvfb writes its display number to */

struct anc__display_cmd {
    char geometry[32];
    char *argv[24];
};

/* AUTO resolved: NAMESPACE when root and unshare exists, else LINK. */
enum anc_display_socket_mode anc__display_resolve_mode(enum anc_display_socket_mode m);

/* Fills cmd->argv for Xvfb serving run_dir, wrapped in a private mount namespace (sock_dir over
 * the host socket directory) in NAMESPACE mode. The argv points into cmd and the strings given. */
void anc__display_argv(struct anc__display_cmd *cmd, const char *xvfb_path, const char *run_dir,
                       const char *sock_dir, int width, int height, int depth,
                       enum anc_display_socket_mode mode);

/* Creates sock_dir (<run_dir>/X11-unix) and in NAMESPACE mode the host directory, both sticky
 * and world-writable as xtrans expects. Returns 0 or -errno. */
int anc__display_prepare_socket_dir(const char *sock_dir, enum anc_display_socket_mode mode);

/* Makes display number's socket visible at sock_path (LINK mode: a symlink to the host's). */
void anc__display_publish_socket(const char *sock_path, int number,
                                 enum anc_display_socket_mode mode);

/* Removes sock_path, and the host socket a SIGKILLed Xvfb left behind in LINK mode. */
void anc__display_remove_socket(const char *sock_path, int number,
                                enum anc_display_socket_mode mode, bool killed);

/* The record's text after the pid: "NUMBER MODE". Parse returns false for anything else. */
void anc__display_record_format(char *buf, size_t len, int number,
                                enum anc_display_socket_mode mode);
bool anc__display_record_parse(const char *extra, int *number, enum anc_display_socket_mode *mode);
