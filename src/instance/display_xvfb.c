#include "instance/display_xvfb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

#define UNSHARE_PATH "/usr/bin/unshare"

enum anc_display_socket_mode anc__display_resolve_mode(enum anc_display_socket_mode m)
{
    if (m != ANC_DISPLAY_SOCKET_AUTO)
        return m;
    if (geteuid() == 0 && access(UNSHARE_PATH, X_OK) == 0)
        return ANC_DISPLAY_SOCKET_NAMESPACE;
    return ANC_DISPLAY_SOCKET_LINK;
}

void anc__display_argv(struct anc__display_cmd *cmd, const char *xvfb_path, const char *run_dir,
                       const char *sock_dir, int width, int height, int depth,
                       enum anc_display_socket_mode mode)
{
    char **args = cmd->argv;
    int n = 0;
    snprintf(cmd->geometry, sizeof(cmd->geometry), "%dx%dx%d", width, height, depth);
    if (mode == ANC_DISPLAY_SOCKET_NAMESPACE) {
        args[n++] = UNSHARE_PATH;
        args[n++] = "--mount";
        args[n++] = "--propagation";
        args[n++] = "slave";
        args[n++] = "--";
        args[n++] = "/bin/sh";
        args[n++] = "-c";
        args[n++] = "mount --bind \"$0\" " ANC_XVFB_HOST_SOCKET_DIR " && exec \"$@\"";
        args[n++] = (char *)sock_dir;
    }
    char *xvfb[] = {(char *)xvfb_path, "-screen",   "0",   cmd->geometry, "-fbdir",
                    (char *)run_dir,   "-nolisten", "tcp", "-noreset",    "-br",
                    "-displayfd",      "3",         NULL};
    memcpy(args + n, xvfb, sizeof(xvfb));
}

int anc__display_prepare_socket_dir(const char *sock_dir, enum anc_display_socket_mode mode)
{
    if (mkdir(sock_dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (mode != ANC_DISPLAY_SOCKET_NAMESPACE)
        return 0;
    if (chmod(sock_dir, 01777) < 0)
        return -errno;
    if (mkdir(ANC_XVFB_HOST_SOCKET_DIR, 01777) == 0)
        chmod(ANC_XVFB_HOST_SOCKET_DIR, 01777);
    else if (errno != EEXIST)
        return -errno;
    return 0;
}

static void host_socket(char *buf, size_t len, int number)
{
    snprintf(buf, len, ANC_XVFB_HOST_SOCKET_DIR "/X%d", number);
}

void anc__display_publish_socket(const char *sock_path, int number,
                                 enum anc_display_socket_mode mode)
{
    if (mode != ANC_DISPLAY_SOCKET_LINK)
        return; /* NAMESPACE: Xvfb creates it there itself */
    char target[64];
    host_socket(target, sizeof(target), number);
    unlink(sock_path);
    if (symlink(target, sock_path) < 0)
        anc_debug("display: symlink %s: %s", sock_path, strerror(errno));
}

void anc__display_remove_socket(const char *sock_path, int number,
                                enum anc_display_socket_mode mode, bool killed)
{
    if (mode == ANC_DISPLAY_SOCKET_LINK && number >= 0 && killed) {
        /* Killed: Xvfb left its socket in the host's /tmp/.X11-unix (NAMESPACE mode keeps it in
         * the run dir, which goes with the instance). */
        char host[64];
        host_socket(host, sizeof(host), number);
        unlink(host);
    }
    if (sock_path[0])
        unlink(sock_path);
}

void anc__display_record_format(char *buf, size_t len, int number,
                                enum anc_display_socket_mode mode)
{
    snprintf(buf, len, "%d %d", number, (int)mode);
}

bool anc__display_record_parse(const char *extra, int *number, enum anc_display_socket_mode *mode)
{
    int m;
    if (sscanf(extra, "%d %d", number, &m) != 2 || *number < 0 || *number > 65535)
        return false;
    *mode = m == ANC_DISPLAY_SOCKET_NAMESPACE || m == ANC_DISPLAY_SOCKET_LINK
                ? (enum anc_display_socket_mode)m
                : ANC_DISPLAY_SOCKET_AUTO; /* AUTO: keep the mode resolved here */
    return true;
}
