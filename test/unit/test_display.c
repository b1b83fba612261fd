/* The display module with a real Xvfb: readiness, capture of known pixels through the XWD
 * framebuffer, the DAMAGE gate (a static screen makes no jobs), restart after a crash, and a stop
 * that leaves no process and no file. Needs /usr/bin/Xvfb (skips without it). */
#include <dirent.h>
#include <grp.h>
#include <stddef.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <X11/Xlib.h>

#include "instance/display.h"
#include "instance/display_xvfb.h"
#include "media/damage.h"
#include "media/fb_capture.h"
#include "media/stream.h"
#include "test.h"
#include "test_uv.h"

#define W 320
#define H 240

static uv_loop_t loop;
static char run_dir[64];
static struct anc_display *display;
static int ready_count, exit_count, disconnects;
static char ready_name[16];
static bool stopped;

static void need_xvfb(void)
{
    if (access("/usr/bin/Xvfb", X_OK) != 0)
        ANC_SKIP("no /usr/bin/Xvfb");
}

static void on_ready(struct anc_display *d, const char *name, void *data)
{
    (void)d;
    (void)data;
    snprintf(ready_name, sizeof(ready_name), "%s", name);
    ready_count++;
}

static void on_exit_cb(struct anc_display *d, int64_t status, int sig, void *data)
{
    (void)d;
    (void)status;
    (void)sig;
    (void)data;
    exit_count++;
}

static void on_stopped(void *data)
{
    (void)data;
    stopped = true;
}

static void on_disconnect(struct anc_damage *d, void *data)
{
    (void)d;
    (void)data;
    disconnects++;
}

static bool run_until(const int *flag, int want, uint64_t ms)
{
    return anc_test_run_until(&loop, flag, want, ms);
}

static void start_display(enum anc_display_socket_mode mode)
{
    need_xvfb();
    CHECK_EQ(uv_loop_init(&loop), 0);
    snprintf(run_dir, sizeof(run_dir), "/tmp/anc-display-XXXXXX");
    CHECK(mkdtemp(run_dir));
    ready_count = exit_count = disconnects = 0;
    stopped = false;
    struct anc_display_params p = {
        .run_dir = run_dir, .width = W, .height = H, .socket_mode = mode};
    struct anc_display_callbacks cbs = {.on_ready = on_ready, .on_exit = on_exit_cb};
    CHECK_EQ(anc_display_start(&loop, &p, &cbs, NULL, &display), 0);
    CHECK(run_until(&ready_count, 1, 10000));
    setenv("XAUTHORITY", anc_display_xauthority(display), 1); /* the test's own X clients */
    CHECK_STREQ(anc_display_name(display), ready_name);
    CHECK(anc_display_pid(display) > 0);
}

static int dir_entries(const char *path)
{
    DIR *dir = opendir(path);
    CHECK(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

/* The process has exited: no such pid, or a zombie (an adopted Xvfb is not our child: its new
 * parent reaps it in its own time). */
static bool gone(int pid)
{
    char path[64], stat[256];
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return true;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(stat, 1, sizeof(stat) - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *end = strrchr(stat, ')');
    return end && end[1] == ' ' && end[2] == 'Z';
}

/* Stops the display and checks that nothing is left: process, files, loop handles. */
static void stop_display(void)
{
    int pid = anc_display_pid(display);
    anc_display_stop(display, on_stopped, NULL);
    display = NULL;
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(stopped);
    if (pid > 0)
        CHECK(gone(pid));
    CHECK_EQ(dir_entries(run_dir), 0);
    CHECK_EQ(rmdir(run_dir), 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static void fill(Display *x, unsigned long rgb, int x0, int y0, int w, int h)
{
    GC gc = DefaultGC(x, DefaultScreen(x));
    XSetForeground(x, gc, rgb);
    XFillRectangle(x, DefaultRootWindow(x), gc, x0, y0, (unsigned)w, (unsigned)h);
    XSync(x, False);
}

static uint32_t pixel(const uint8_t *argb, int x, int y)
{
    const uint8_t *p = argb + (size_t)y * W * 4 + (size_t)x * 4;
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Runs the loop for ms, then takes the damage state. */
static bool damage_after(struct anc_damage *d, uint64_t ms)
{
    run_until(NULL, 0, 0);
    int never = 0;
    run_until(&never, 1, ms);
    return anc_damage_take(d);
}

static bool damage_within(struct anc_damage *d, uint64_t ms)
{
    for (uint64_t t = 0; t < ms; t += 10)
        if (damage_after(d, 10))
            return true;
    return false;
}

/* Only holders of the cookie get in: not a local user (nobody) through the abstract socket any
 * process can reach, not root without the cookie. */
TEST(display_needs_cookie)
{
    start_display(ANC_DISPLAY_SOCKET_AUTO);
    char cmd[PATH_MAX + 256];
    const char *xa = anc_display_xauthority(display);
    struct stat st;
    CHECK_EQ(stat(xa, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    snprintf(cmd, sizeof(cmd), "XAUTHORITY=%s xdpyinfo -display %s >/dev/null 2>&1", xa,
             ready_name);
    CHECK_EQ(system(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "env -u XAUTHORITY HOME=/nonexistent xdpyinfo -display %s >/dev/null 2>&1",
             ready_name);
    CHECK(system(cmd) != 0);
    if (geteuid() == 0) {
        snprintf(cmd, sizeof(cmd),
                 "env -u XAUTHORITY setpriv --reuid=nobody --regid=nogroup --clear-groups "
                 "xdpyinfo -display %s 2>&1 | grep -q 'unable to open display'",
                 ready_name);
        CHECK_EQ(system(cmd), 0);
        snprintf(cmd, sizeof(cmd),
                 "setpriv --reuid=nobody --regid=nogroup --clear-groups env XAUTHORITY=%s "
                 "xdpyinfo -display %s >/dev/null 2>&1",
                 xa, ready_name);
        CHECK(system(cmd) != 0);
    }
    stop_display();
}

/* Whether /proc/net/unix lists the abstract socket @/tmp/.X11-unix/X<number> as listening
 * (flags __SO_ACCEPTCON), i.e. whether any X server accepts connections there. */
static bool abstract_socket_listening(int number)
{
    char want[64], line[512];
    snprintf(want, sizeof(want), " @/tmp/.X11-unix/X%d\n", number);
    FILE *f = fopen("/proc/net/unix", "r");
    CHECK(f);
    bool found = false;
    unsigned flags;
    while (!found && fgets(line, sizeof(line), f)) {
        size_t n = strlen(line), w = strlen(want);
        found = n >= w && strcmp(line + n - w, want) == 0 &&
                sscanf(line, "%*s %*s %*s %x", &flags) == 1 && (flags & 0x10000);
    }
    fclose(f);
    return found;
}

/* Whether a local process could take the abstract name of number (bind it) and so receive the
 * connections, cookie included, of clients that try that name first (libxcb does). */
static bool abstract_name_free(int number)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "/tmp/.X11-unix/X%d", number);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int r = bind(fd, (struct sockaddr *)&sa,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n));
    close(fd);
    return r == 0;
}

/* Whether an unprivileged user (nobody) can connect() to display number, through the abstract
 * socket or through the path socket /tmp/.X11-unix/X<number>. */
static bool nobody_connects(int number)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
            setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        int connected = 0;
        for (int abstract = 0; abstract < 2; abstract++) {
            struct sockaddr_un sa = {.sun_family = AF_UNIX};
            int n = snprintf(sa.sun_path + abstract, sizeof(sa.sun_path) - 1, "/tmp/.X11-unix/X%d",
                             number);
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + n);
            if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, len) == 0)
                connected |= 1 << abstract;
            close(fd);
        }
        _exit(connected);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 2);
    return WEXITSTATUS(status) != 0;
}

/* The screen width of the server a client reaches by name. */
static int screen_width(const char *name)
{
    Display *x = XOpenDisplay(name);
    CHECK(x);
    int w = DisplayWidth(x, DefaultScreen(x));
    XCloseDisplay(x);
    return w;
}

/* Xvfb listens on its path socket only (-nolisten local): no abstract socket any local process
 * could reach (its name is held, not listening, so nobody can take it either), and the path is
 * not reachable by nobody; two displays at once get distinct numbers, and a client of each name
 * reaches its own server. */
TEST(display_socket_is_private)
{
    start_display(ANC_DISPLAY_SOCKET_AUTO);
    if (geteuid() != 0)
        ANC_SKIP("needs root for nobody");
    int number = atoi(ready_name + 1);
    CHECK(!abstract_socket_listening(number));
    CHECK(!abstract_name_free(number));
    CHECK(!nobody_connects(number));
    CHECK_EQ(screen_width(ready_name), W);

    char dir2[64] = "/tmp/anc-display-XXXXXX", name1[16];
    CHECK(mkdtemp(dir2));
    snprintf(name1, sizeof(name1), "%s", ready_name);
    struct anc_display_params p = {.run_dir = dir2, .width = W * 2, .height = H};
    struct anc_display_callbacks cbs = {.on_ready = on_ready};
    struct anc_display *d2;
    CHECK_EQ(anc_display_start(&loop, &p, &cbs, NULL, &d2), 0);
    CHECK(run_until(&ready_count, 2, 10000));
    CHECK(strcmp(ready_name, name1) != 0);
    CHECK(!abstract_socket_listening(atoi(ready_name + 1)));
    CHECK(!abstract_name_free(atoi(ready_name + 1)));
    CHECK_EQ(screen_width(name1), W);
    setenv("XAUTHORITY", anc_display_xauthority(d2), 1);
    CHECK_EQ(screen_width(ready_name), W * 2);
    setenv("XAUTHORITY", anc_display_xauthority(display), 1);
    anc_display_stop(d2, NULL, NULL);
    run_until(NULL, 0, 0);
    stop_display();
    CHECK_EQ(rmdir(dir2), 0);
}

static void write_lock_file(int number, int pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/.X%d-lock", number);
    FILE *f = fopen(path, "w");
    CHECK(f);
    fprintf(f, "%10d\n", pid);
    fclose(f);
}

static int lock_pid(int number)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/.X%d-lock", number);
    FILE *f = fopen(path, "r");
    int pid = -1;
    if (f && fscanf(f, "%d", &pid) != 1)
        pid = -1;
    if (f)
        fclose(f);
    return pid;
}

/* The number the daemon reserves: lock (ours; a stale one replaced, a live one skipped), link
 * to the run dir's socket, abstract name held by the guard; all undone by release. */
TEST(reserve_number)
{
    if (geteuid() != 0)
        ANC_SKIP("needs root for /tmp/.X11-unix");
    char dir[] = "/tmp/anc-display-XXXXXX", link[PATH_MAX], want[PATH_MAX];
    CHECK(mkdtemp(dir));
    int g1 = -1, g2 = -1;
    int n1 = anc__display_reserve(dir, ANC_DISPLAY_SOCKET_NAMESPACE, &g1);
    CHECK(n1 >= 0 && g1 >= 0);
    CHECK_EQ(lock_pid(n1), getpid());
    CHECK(!abstract_name_free(n1));
    snprintf(want, sizeof(want), "%s/X%d", dir, n1);
    snprintf(link, sizeof(link), "/tmp/.X11-unix/X%d", n1);
    char got[PATH_MAX] = "";
    CHECK(readlink(link, got, sizeof(got) - 1) > 0);
    CHECK_STREQ(got, want);
    int n2 = anc__display_reserve(dir, ANC_DISPLAY_SOCKET_NAMESPACE, &g2);
    CHECK(n2 >= 0 && n2 != n1);
    anc__display_release(dir, n2, ANC_DISPLAY_SOCKET_NAMESPACE);
    close(g2);

    /* n2 free again; a live foreign lock on it (pid 1) is skipped, a dead one replaced. */
    write_lock_file(n2, 1);
    int n3 = anc__display_reserve(dir, ANC_DISPLAY_SOCKET_NAMESPACE, &g2);
    CHECK(n3 >= 0 && n3 != n2);
    anc__display_release(dir, n3, ANC_DISPLAY_SOCKET_NAMESPACE);
    close(g2);
    pid_t dead = fork();
    CHECK(dead >= 0);
    if (dead == 0)
        _exit(0);
    CHECK_EQ(waitpid(dead, NULL, 0), dead);
    write_lock_file(n2, dead);
    /* Lower numbers other X servers on this host freed meanwhile are held until n2 comes. */
    int held[8], guards[8], nheld = 0, n;
    while ((n = anc__display_reserve(dir, ANC_DISPLAY_SOCKET_NAMESPACE, &g2)) < n2 && n >= 0 &&
           nheld < 8) {
        held[nheld] = n;
        guards[nheld++] = g2;
    }
    CHECK_EQ(n, n2);
    CHECK_EQ(lock_pid(n2), getpid());
    anc__display_release(dir, n2, ANC_DISPLAY_SOCKET_NAMESPACE);
    close(g2);
    while (nheld-- > 0) {
        anc__display_release(dir, held[nheld], ANC_DISPLAY_SOCKET_NAMESPACE);
        close(guards[nheld]);
    }
    struct stat st;
    CHECK_EQ(lstat(link, &st), 0); /* n1's reservation untouched by n2's */
    CHECK_EQ(lock_pid(n1), getpid());
    anc__display_release(dir, n1, ANC_DISPLAY_SOCKET_NAMESPACE);
    close(g1);
    CHECK(lstat(link, &st) < 0 && errno == ENOENT);
    CHECK(lock_pid(n1) < 0);
    CHECK(abstract_name_free(n1));
    CHECK_EQ(rmdir(dir), 0);
}

TEST(capture_pixels_and_damage)
{
    start_display(ANC_DISPLAY_SOCKET_AUTO);
    struct stat st;
    CHECK_EQ(lstat(anc_display_socket_path(display), &st), 0);
    bool ns = anc_display_socket_mode(display) == ANC_DISPLAY_SOCKET_NAMESPACE;
    fprintf(stderr, "socket %s (%s)\n", anc_display_socket_path(display),
            ns ? "private mount namespace" : "symlink");
    CHECK(ns ? S_ISSOCK(st.st_mode) : S_ISLNK(st.st_mode));
    struct anc_fb *fb;
    struct anc_damage *dmg;
    CHECK_EQ(anc_fb_open(anc_display_fb_path(display), &fb), 0);
    CHECK_EQ(
        anc_damage_open(&loop, ready_name, anc_display_cookie(display), on_disconnect, NULL, &dmg),
        0);
    CHECK(anc_damage_display(dmg));
    Display *x = XOpenDisplay(ready_name);
    CHECK(x);

    fill(x, 0xff0000, 10, 20, 30, 40);
    fill(x, 0x00ff00, 100, 50, 20, 10);
    fill(x, 0x123456, W - 5, H - 5, 5, 5);
    CHECK(damage_within(dmg, 2000));
    uint8_t *argb = malloc(W * H * 4);
    CHECK_EQ(anc_fb_copy(fb, argb, W * 4, W, H), 0);
    CHECK_EQ(pixel(argb, 10, 20), 0xffff0000u);
    CHECK_EQ(pixel(argb, 39, 59), 0xffff0000u);
    CHECK_EQ(pixel(argb, 40, 60), 0xff000000u);
    CHECK_EQ(pixel(argb, 110, 55), 0xff00ff00u);
    CHECK_EQ(pixel(argb, W - 1, H - 1), 0xff123456u);
    CHECK_EQ(pixel(argb, 0, 0), 0xff000000u);

    /* Quiet screen: no damage; a single pixel: damage; quiet again for 1 s: none. */
    CHECK(!damage_after(dmg, 300) || !damage_after(dmg, 300));
    XDrawPoint(x, DefaultRootWindow(x), DefaultGC(x, DefaultScreen(x)), 200, 200);
    XSync(x, False);
    CHECK(damage_within(dmg, 2000));
    CHECK(!damage_after(dmg, 1000));
    CHECK_EQ(anc_fb_copy(fb, argb, W * 4, W, H), 0);
    CHECK_EQ(pixel(argb, 200, 200), 0xff123456u);

    free(argb);
    XCloseDisplay(x);
    anc_damage_close(dmg);
    anc_fb_close(fb);
    CHECK_EQ(disconnects, 0);
    stop_display();
}

struct counting_viewer {
    struct anc_stream_viewer base;
    int frames;
};

static void on_frame(struct anc_stream_viewer *v, const struct anc_encoder_output *au,
                     uint64_t capture_us)
{
    (void)au;
    (void)capture_us;
    ((struct counting_viewer *)v)->frames++;
}

static bool pool_closed;

static void on_pool_closed(struct anc_encpool *p)
{
    (void)p;
    pool_closed = true;
}

TEST(static_screen_makes_no_jobs)
{
    start_display(ANC_DISPLAY_SOCKET_AUTO);
    struct anc_capture_source cs = {.width = W, .height = H};
    CHECK_EQ(anc_fb_open(anc_display_fb_path(display), &cs.fb), 0);
    CHECK_EQ(anc_damage_open(&loop, ready_name, anc_display_cookie(display), on_disconnect, NULL,
                             &cs.damage),
             0);
    damage_after(cs.damage, 100); /* whatever startup drew */

    struct anc_encpool pool;
    struct anc_stream *s;
    struct anc_stream_params sp = {.width = W,
                                   .height = H,
                                   .fps = 30,
                                   .bitrate_kbps = 500,
                                   .min_bitrate_kbps = 100,
                                   .max_bitrate_kbps = 1000};
    struct counting_viewer v = {.base.on_frame = on_frame};
    CHECK_EQ(anc_encpool_init(&pool, &loop, 1), 0);
    CHECK_EQ(anc_stream_new(&loop, &pool, &sp, anc_capture_stream_source(&cs), &s), 0);
    anc_stream_add_viewer(s, &v.base);
    run_until(NULL, 0, 0);
    int never = 0;
    run_until(&never, 1, 5000);
    struct anc_stream_stats st;
    anc_stream_get_stats(s, &st);
    /* Only the new viewer's keyframe was captured; every other tick was idle. */
    CHECK_EQ(st.frames_captured, 1);
    CHECK_EQ(v.frames, 1);
    CHECK(st.ticks_idle > 100);

    /* A drawing opens the gate again. */
    Display *x = XOpenDisplay(ready_name);
    CHECK(x);
    fill(x, 0xffffff, 0, 0, 8, 8);
    run_until(&v.frames, 2, 3000);
    anc_stream_get_stats(s, &st);
    CHECK(st.frames_captured >= 2);
    CHECK(v.frames >= 2);
    XCloseDisplay(x);

    pool_closed = false;
    anc_stream_remove_viewer(s, &v.base);
    anc_stream_close(s);
    anc_encpool_close(&pool, on_pool_closed);
    run_until(NULL, 0, 0);
    while (!pool_closed)
        uv_run(&loop, UV_RUN_ONCE);
    anc_damage_close(cs.damage);
    anc_fb_close(cs.fb); /* no job in flight: the pool is closed */
    stop_display();
}

TEST(restart_after_kill)
{
    start_display(ANC_DISPLAY_SOCKET_AUTO);
    struct anc_fb *fb;
    struct anc_damage *dmg;
    CHECK_EQ(anc_fb_open(anc_display_fb_path(display), &fb), 0);
    CHECK_EQ(
        anc_damage_open(&loop, ready_name, anc_display_cookie(display), on_disconnect, NULL, &dmg),
        0);
    int pid = anc_display_pid(display);
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK(run_until(&ready_count, 2, 15000));
    CHECK_EQ(exit_count, 1);
    CHECK_EQ(disconnects, 1);
    CHECK(anc_damage_take(dmg)); /* a dead connection never freezes the picture */
    CHECK(!anc_damage_display(dmg));
    CHECK(anc_display_pid(display) > 0 && anc_display_pid(display) != pid);
    CHECK(kill(pid, 0) < 0 && errno == ESRCH);
    CHECK_EQ(anc_fb_refresh(fb), 1); /* a new file from the new server */
    anc_damage_close(dmg);

    /* The new display works. */
    CHECK_EQ(
        anc_damage_open(&loop, ready_name, anc_display_cookie(display), on_disconnect, NULL, &dmg),
        0);
    Display *x = XOpenDisplay(ready_name);
    CHECK(x);
    fill(x, 0x0000ff, 1, 1, 2, 2);
    CHECK(damage_within(dmg, 2000));
    uint8_t *argb = malloc(W * H * 4);
    CHECK_EQ(anc_fb_copy(fb, argb, W * 4, W, H), 0);
    CHECK_EQ(pixel(argb, 2, 2), 0xff0000ffu);
    free(argb);
    XCloseDisplay(x);
    anc_damage_close(dmg);
    anc_fb_close(fb);
    stop_display();
}

/* Starts a display in run_dir that adopts a recorded Xvfb when it can. */
static void start_adopting(void)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    ready_count = exit_count = 0;
    stopped = false;
    struct anc_display_params p = {.run_dir = run_dir, .width = W, .height = H, .adopt = true};
    struct anc_display_callbacks cbs = {.on_ready = on_ready, .on_exit = on_exit_cb};
    CHECK_EQ(anc_display_start(&loop, &p, &cbs, NULL, &display), 0);
    setenv("XAUTHORITY", anc_display_xauthority(display), 1); /* the adopted Xvfb's cookie */
}

/* Kills Xvfb and returns the ms until the display is ready again. */
static uint64_t restart_ms(void)
{
    int want = ready_count + 1;
    CHECK_EQ(kill(anc_display_pid(display), SIGKILL), 0);
    uint64_t t0 = uv_hrtime() / 1000000u;
    CHECK(run_until(&ready_count, want, 15000));
    return uv_hrtime() / 1000000u - t0;
}

/* A display that keeps dying waits longer each time (0.5 s, 1 s, 2 s, ...). */
TEST(restart_backoff_grows)
{
    start_display(ANC_DISPLAY_SOCKET_AUTO);
    uint64_t first = restart_ms(), second = restart_ms(), third = restart_ms();
    fprintf(stderr, "restarts after %llu, %llu and %llu ms\n", (unsigned long long)first,
            (unsigned long long)second, (unsigned long long)third);
    CHECK(first >= 500);
    CHECK(second >= 1000);
    CHECK(third >= 2000); /* without the doubling: 500 ms + Xvfb's start-up, about 1.2 s */
    CHECK_EQ(exit_count, 3);
    stop_display();
}

/* A daemon that dies (here: a child process that started the display, SIGKILLed) leaves Xvfb
 * running; a display started with adopt takes it over (same pid and number, clients keep
 * working), and its stop ends it and leaves nothing behind. Without adopt, or when the recorded
 * pid is not that Xvfb, a new Xvfb starts. */
TEST(adopt_after_crash)
{
    need_xvfb();
    snprintf(run_dir, sizeof(run_dir), "/tmp/anc-display-XXXXXX");
    CHECK(mkdtemp(run_dir));
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {                     /* the "daemon" */
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphan holding the test's output if it aborts */
        close(fds[0]);
        ready_count = 0;
        CHECK_EQ(uv_loop_init(&loop), 0);
        struct anc_display_params p = {.run_dir = run_dir, .width = W, .height = H};
        struct anc_display_callbacks cbs = {.on_ready = on_ready};
        CHECK_EQ(anc_display_start(&loop, &p, &cbs, NULL, &display), 0);
        CHECK(run_until(&ready_count, 1, 10000));
        int pid = anc_display_pid(display);
        CHECK(write(fds[1], &pid, sizeof(pid)) == sizeof(pid));
        for (;;)
            pause();
    }
    close(fds[1]);
    int xvfb = 0;
    CHECK(read(fds[0], &xvfb, sizeof(xvfb)) == sizeof(xvfb));
    close(fds[0]);
    CHECK_EQ(kill(child, SIGKILL), 0);
    CHECK_EQ(waitpid(child, NULL, 0), child);
    CHECK(kill(xvfb, 0) == 0); /* the display outlived its daemon */
    if (geteuid() == 0) {
        char rec[128], text[64];
        snprintf(rec, sizeof(rec), "%s/display.pid", run_dir);
        FILE *f = fopen(rec, "r");
        CHECK(f);
        CHECK(fgets(text, sizeof(text), f));
        fclose(f);
        int number = -1;
        CHECK(sscanf(text, "%*d %d", &number) == 1);
        CHECK(!abstract_name_free(number)); /* still held: by Xvfb, not the dead daemon */
        CHECK(!abstract_socket_listening(number));
    }

    start_adopting();
    CHECK(run_until(&ready_count, 1, 5000));
    CHECK(anc_display_adopted(display));
    CHECK_EQ(anc_display_pid(display), xvfb);
    Display *x = XOpenDisplay(ready_name);
    if (!x)
        system("ls -la /tmp/.X11-unix >&2; grep X11-unix /proc/net/unix >&2");
    CHECK(x);
    XCloseDisplay(x);
    stop_display(); /* ends the adopted Xvfb and removes its files */
    CHECK(gone(xvfb));
}

/* A daemon stopping with keep_running_on_exit detaches: its handles close, Xvfb and its files
 * stay, and the next daemon adopts the very same server. */
TEST(detach_then_adopt)
{
    start_display(ANC_DISPLAY_SOCKET_AUTO);
    int xvfb = anc_display_pid(display);
    anc_display_detach(display, on_stopped, NULL);
    display = NULL;
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(stopped);
    CHECK_EQ(uv_loop_close(&loop), 0);
    CHECK(!gone(xvfb));
    start_adopting();
    CHECK(run_until(&ready_count, 1, 5000));
    CHECK(anc_display_adopted(display));
    CHECK_EQ(anc_display_pid(display), xvfb);
    stop_display();
    CHECK(gone(xvfb));
}

/* A record whose pid is something else (reused) is never adopted nor killed. */
TEST(adopt_ignores_a_foreign_pid)
{
    need_xvfb();
    snprintf(run_dir, sizeof(run_dir), "/tmp/anc-display-XXXXXX");
    CHECK(mkdtemp(run_dir));
    char rec[128];
    snprintf(rec, sizeof(rec), "%s/display.pid", run_dir);
    FILE *f = fopen(rec, "w");
    CHECK(f);
    fprintf(f, "%d 5 1\n", (int)getpid()); /* this test process: not an Xvfb of run_dir */
    fclose(f);
    start_adopting();
    CHECK(run_until(&ready_count, 1, 10000));
    CHECK(!anc_display_adopted(display));
    CHECK(anc_display_pid(display) != getpid());
    stop_display();
}

TEST(link_mode)
{
    start_display(ANC_DISPLAY_SOCKET_LINK);
    const char *sock = anc_display_socket_path(display);
    struct stat st;
    CHECK_EQ(lstat(sock, &st), 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(stat(sock, &st), 0); /* the link resolves to the live socket */
    CHECK(S_ISSOCK(st.st_mode));
    stop_display();
}

TEST(stop_while_starting)
{
    need_xvfb();
    CHECK_EQ(uv_loop_init(&loop), 0);
    snprintf(run_dir, sizeof(run_dir), "/tmp/anc-display-XXXXXX");
    CHECK(mkdtemp(run_dir));
    ready_count = 0;
    stopped = false;
    struct anc_display_params p = {.run_dir = run_dir, .width = W, .height = H};
    struct anc_display_callbacks cbs = {.on_ready = on_ready, .on_exit = on_exit_cb};
    CHECK_EQ(anc_display_start(&loop, &p, &cbs, NULL, &display), 0);
    stop_display();
    CHECK_EQ(ready_count, 0);
}

TEST(missing_xvfb_fails_cleanly)
{
    CHECK_EQ(uv_loop_init(&loop), 0);
    snprintf(run_dir, sizeof(run_dir), "/tmp/anc-display-XXXXXX");
    CHECK(mkdtemp(run_dir));
    struct anc_display_params p = {.run_dir = run_dir,
                                   .width = W,
                                   .height = H,
                                   .xvfb_path = "/nonexistent/Xvfb",
                                   .socket_mode = ANC_DISPLAY_SOCKET_LINK};
    struct anc_display_callbacks cbs = {.on_ready = on_ready};
    struct anc_display *d = NULL;
    CHECK(anc_display_start(&loop, &p, &cbs, NULL, &d) < 0);
    CHECK(!d);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(dir_entries(run_dir), 0);
    CHECK_EQ(rmdir(run_dir), 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
