/* An instance's X display: Xvfb as a child of the daemon, restarted with backoff when it dies.
 *
 * Loop thread only. The daemon picks the display number N (display_xvfb.h: the X lock file
 * /tmp/.X<N>-lock, the abstract name @/tmp/.X11-unix/X<N> and /tmp/.X11-unix/X<N> all free) and
 * starts Xvfb on :N with -displayfd, so readiness is the number arriving on a pipe (no sleeps, no
 * polling). It writes its framebuffer as an XWD file <run_dir>/Xvfb_screen0 (-fbdir), which
 * media/fb_capture maps. The root window is black (-br) rather than the X stipple, so an idle
 * screen encodes to almost nothing.
 *
 * Where the X socket goes: Xvfb 21.1 (xtrans) listens on /tmp/.X11-unix/X<N> (the path is
 * compiled in; TMPDIR and options do not move it) and nowhere else: -nolisten tcp, -nolisten
 * local (no abstract socket, which any local process could reach). Its abstract name stays bound
 * but never listening, by a socket Xvfb inherits from us, so a client's connect there is refused
 * and libxcb (which tries that name first; libxcb 1.15 takes no socket path as display name) goes
 * on to the path, and nobody else can take the name. The socket a container needs is made to
 * appear as <run_dir>/X11-unix/X<N>:
 *  - NAMESPACE mode (default when root and /usr/bin/unshare exists): Xvfb starts in its own
 *    mount namespace (unshare --mount --propagation slave) in which <run_dir>/X11-unix is
 *    bind-mounted over /tmp/.X11-unix, so the real listening socket is created in the run dir
 *    (only reachable by whoever can walk the run dir), the mount dies with the process, and the
 *    whole <run_dir>/X11-unix directory can be bind-mounted into a container. "slave" rather than
 *    "private" so that the host's later unmounts (an image under the run dir) reach Xvfb's copy
 *    of the mount table instead of keeping those mounts alive. Host clients (this daemon, the
 *    x11 kind's command) connect to ":N" through the link /tmp/.X11-unix/X<N> -> the run dir's
 *    socket that the daemon made when it reserved N.
 *  - LINK mode (fallback when not root or the namespace cannot be made): <run_dir>/X11-unix/X<N>
 *    is a symlink to /tmp/.X11-unix/X<N>. Bind-mount that file (mount resolves the symlink), not
 *    its directory.
 * AUTO picks NAMESPACE when possible and falls back to LINK for good if the first start in a
 * namespace fails before becoming ready. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct anc_display;

enum anc_display_socket_mode {
    ANC_DISPLAY_SOCKET_AUTO = 0,
    ANC_DISPLAY_SOCKET_NAMESPACE,
    ANC_DISPLAY_SOCKET_LINK,
};

struct anc_display_params {
    const char *run_dir;   /* existing directory, owned by the instance */
    int width, height;     /* > 0 */
    int depth;             /* 0: 24 (the only depth capture supports) */
    const char *xvfb_path; /* NULL: /usr/bin/Xvfb */
    enum anc_display_socket_mode socket_mode;
    /* Adopt the Xvfb a previous daemon started for run_dir (recorded in <run_dir>/display.pid)
     * when it still runs, so that its X clients survive a daemon restart; else start one. */
    bool adopt;
};

struct anc_display_callbacks {
    /* Xvfb accepts connections on name (":N", valid until the next callback): after the first
     * start and after every restart. The fb file and socket exist by then. */
    void (*on_ready)(struct anc_display *d, const char *name, void *data);
    /* Xvfb ended without being asked to (exit_status, or term_signal when killed; status < 0 for a
     * failed spawn); a restart follows after the backoff (0.5 s doubling to 10 s, back to 0.5 s
     * once a run lasted 10 s). Connections to the old display are dead. May be NULL. */
    void (*on_exit)(struct anc_display *d, int64_t exit_status, int term_signal, void *data);
};

/* Copies p, spawns Xvfb and returns 0 with the display in *out (freed by anc_display_stop), or a
 * negative errno / libuv error (Xvfb missing: UV_ENOENT); a call that fails calls no callback. */
int anc_display_start(uv_loop_t *loop, const struct anc_display_params *p,
                      const struct anc_display_callbacks *cbs, void *data,
                      struct anc_display **out);

/* ":N" while ready, else NULL. */
const char *anc_display_name(const struct anc_display *d);
/* <run_dir>/Xvfb_screen0: the framebuffer file (present while ready). */
const char *anc_display_fb_path(const struct anc_display *d);
/* <run_dir>/X11-unix/X<N> while ready, else NULL. */
const char *anc_display_socket_path(const struct anc_display *d);
/* The running Xvfb's pid, 0 when none. */
int anc_display_pid(const struct anc_display *d);
/* The display took over a previous daemon's Xvfb (params.adopt) instead of starting one. */
bool anc_display_adopted(const struct anc_display *d);
/* The mode in use (AUTO resolved). */
enum anc_display_socket_mode anc_display_socket_mode(const struct anc_display *d);
/* The xauth file Xvfb admits clients by (<run_dir>/xauthority, 0600; XAUTHORITY for the
 * display's clients) and its MIT-MAGIC-COOKIE-1 (ANC_DISPLAY_COOKIE_LEN bytes). */
#define ANC_DISPLAY_COOKIE_LEN 16
const char *anc_display_xauthority(const struct anc_display *d);
const uint8_t *anc_display_cookie(const struct anc_display *d);

/* Kills the Xvfb a previous daemon left running for run_dir (none: nothing happens). Returns its
 * pid or 0. */
int anc_display_kill_leftover(const char *run_dir);

/* At daemon exit with guests left running: closes everything of d but Xvfb itself (which keeps
 * running, its record and files stay for the next daemon to adopt), frees d, then
 * on_stopped(data). A display that is not ready is stopped instead. d may be NULL. */
void anc_display_detach(struct anc_display *d, void (*on_stopped)(void *data), void *data);

/* Stops for good: SIGTERM, SIGKILL after 5 s, waits for the exit, removes the fb file, the socket
 * or link and <run_dir>/X11-unix, then calls on_stopped(data) and frees d. No other callback runs
 * after this call. Call once; d may be NULL (on_stopped is then called at once). */
void anc_display_stop(struct anc_display *d, void (*on_stopped)(void *data), void *data);
