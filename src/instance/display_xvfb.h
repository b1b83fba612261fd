/* How display.c runs Xvfb and where the X socket appears (display.h explains the socket modes):
 * pure helpers with no state of their own, kept apart from the display's state machine. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "instance/display.h"

#define ANC_XVFB_HOST_SOCKET_DIR "/tmp/.X11-unix"
#define ANC_XVFB_DISPLAYFD       3 /* the child's fd Xvfb writes its display number to */
#define ANC_XVFB_GUARDFD         4 /* the child's fd of the abstract name's guard (reserve) */
#define ANC_XVFB_MAX_NUMBER      1023

struct anc__display_cmd {
    char display[16];
    char geometry[32];
    char *argv[32];
};

/* AUTO resolved: NAMESPACE when root and unshare exists, else LINK. */
enum anc_display_socket_mode anc__display_resolve_mode(enum anc_display_socket_mode m);

/* Fills cmd->argv for Xvfb on display number serving run_dir, wrapped in a private mount
 * namespace (sock_dir over the host socket directory) in NAMESPACE mode. Xvfb listens on its path
 * socket only (-nolisten tcp, -nolisten local: no abstract socket) and admits only clients with
 * the cookie of the xauth file. The argv points into cmd and the strings given. */
void anc__display_argv(struct anc__display_cmd *cmd, const char *xvfb_path, const char *run_dir,
                       const char *sock_dir, const char *xauth, int number, int width, int height,
                       int depth, enum anc_display_socket_mode mode);

/* Claims a display number for an Xvfb whose socket will be <sock_dir>/X<N> (NAMESPACE) or
 * /tmp/.X11-unix/X<N> (LINK): the lowest N whose abstract socket @/tmp/.X11-unix/X<N> we can bind
 * (*guard: that socket, bound but never listening, for Xvfb to inherit: a client's connect there
 * is refused and libxcb goes on to the path, and no local process can take the name while Xvfb
 * runs), whose X lock file /tmp/.X<N>-lock we create (with our pid; a stale one is replaced), and
 * whose /tmp/.X11-unix/X<N> is free (NAMESPACE: we make it a link to <sock_dir>/X<N>, so that
 * host clients of ":N" reach the socket in the run dir). Returns N or -EADDRINUSE. Xvfb started
 * with -displayfd never takes the lock itself; the daemon takes it for it. */
int anc__display_reserve(const char *sock_dir, enum anc_display_socket_mode mode, int *guard);
/* Writes the Xvfb's pid into the lock of number, as Xvfb would have, so the lock outlives us. */
void anc__display_lock_owner(int number, int pid);
/* Undoes anc__display_reserve: the lock, and the host link when it still points to sock_dir.
 * number < 0: nothing. */
void anc__display_release(const char *sock_dir, int number, enum anc_display_socket_mode mode);

/* The xauth file of a display: one FamilyWild entry (any address, any display number) with an
 * MIT-MAGIC-COOKIE-1 of this length. Xvfb reads it (-auth); clients use it as XAUTHORITY. */
#define ANC_XAUTH_COOKIE_LEN 16
#define ANC_XAUTH_NAME       "MIT-MAGIC-COOKIE-1"
#define ANC_XAUTH_FILE_LEN   (2 + 2 + 2 + 2 + sizeof(ANC_XAUTH_NAME) - 1 + 2 + ANC_XAUTH_COOKIE_LEN)
void anc__xauth_encode(uint8_t out[ANC_XAUTH_FILE_LEN], const uint8_t cookie[ANC_XAUTH_COOKIE_LEN]);
/* 0 with the cookie of such a file's bytes, -EBADMSG for anything else. */
int anc__xauth_parse(const uint8_t *buf, size_t len, uint8_t cookie[ANC_XAUTH_COOKIE_LEN]);

/* The cookie of path: read back when reuse and the file is a valid one (an adopted Xvfb has it
 * already), else a new random cookie written there (0600, atomically). Returns 0 or -errno. */
int anc__xauth_file(const char *path, bool reuse, uint8_t cookie[ANC_XAUTH_COOKIE_LEN]);

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
