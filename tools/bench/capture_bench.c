/* Per-frame cost of the whole capture path on a real screen: Xvfb (-fbdir) showing the demo app
 * with --animate; each frame is a copy out of the mapped XWD framebuffer (what a stream's draw()
 * does), libyuv ARGB→I420 and x264 (ultrafast, zerolatency, one thread), at 720x1280 and
 * 1080x1920. Prints median and p95 per stage, and the ratio of the whole to a memcpy of the frame
 * measured in the same run. Usage: bench-capture DEMO_BINARY [frames] */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "media/encoder.h"
#include "media/fb_capture.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_p95(double *v, int n, double *p95)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    *p95 = v[(n * 95 + 99) / 100 - 1];
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Starts Xvfb WxH with its framebuffer in dir; returns its pid and the display number. */
static pid_t start_xvfb(int w, int h, const char *dir, int *display)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char screen[64], fd[16];
        snprintf(screen, sizeof(screen), "%dx%dx24", w, h);
        snprintf(fd, sizeof(fd), "%d", fds[1]);
        close(fds[0]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execl("/usr/bin/Xvfb", "Xvfb", "-screen", "0", screen, "-fbdir", dir, "-nolisten", "tcp",
              "-displayfd", fd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* Xvfb writes the number and the newline separately; closing the pipe before the newline
     * makes its second write fail (SIGPIPE/EPIPE) and the server exits. Read up to the newline. */
    char buf[16] = "";
    size_t len = 0;
    while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
        ssize_t n = read(fds[0], buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]);
    if (!memchr(buf, '\n', len)) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    *display = atoi(buf);
    return pid;
}

static pid_t start_demo(const char *demo, int display, int w, int h)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char d[16], ws[16], hs[16];
        snprintf(d, sizeof(d), ":%d", display);
        snprintf(ws, sizeof(ws), "%d", w);
        snprintf(hs, sizeof(hs), "%d", h);
        setenv("DISPLAY", d, 1);
        dup2(fds[1], 1);
        close(fds[0]);
        execl(demo, demo, "--width", ws, "--height", hs, "--animate", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* Wait for its "ready" line. */
    FILE *f = fdopen(fds[0], "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, "\"ready\""))
            break;
    /* Leave the pipe open (the app keeps printing nothing while not touched). */
    return pid;
}

static int bench(const char *demo, int w, int h, int kbps, int frames)
{
    char dir[] = "/tmp/anc-capbench-XXXXXX", path[64];
    int display, r = -1;
    if (!mkdtemp(dir))
        return -1;
    pid_t xvfb = start_xvfb(w, h, dir, &display);
    pid_t app = xvfb > 0 ? start_demo(demo, display, w, h) : -1;
    struct anc_fb *fb = NULL;
    struct anc_encoder *enc = NULL;
    struct anc_encoder_output out = {0};
    size_t stride = 4 * (size_t)w;
    uint8_t *frame = malloc(stride * (size_t)h), *copy = malloc(stride * (size_t)h);
    double *t_mem = calloc((size_t)frames, sizeof(double));
    double *t_cap = calloc((size_t)frames, sizeof(double));
    double *t_enc = calloc((size_t)frames, sizeof(double));
    double *t_all = calloc((size_t)frames, sizeof(double));
    snprintf(path, sizeof(path), "%s/Xvfb_screen0", dir);
    struct anc_encoder_params p = {.width = w, .height = h, .fps = 30, .bitrate_kbps = kbps};
    if (app <= 0 || !frame || !copy || !t_all || anc_fb_open(path, &fb) < 0 ||
        anc_encoder_new(&p, &enc) < 0) {
        fprintf(stderr, "setup failed (Xvfb, demo app or framebuffer)\n");
        goto done;
    }
    for (int i = -10; i < frames; i++) {
        double a = now_ms();
        anc_fb_copy(fb, frame, (int)stride, w, h);
        double b = now_ms();
        anc_encoder_encode_argb(enc, frame, (int)stride, i + 10, false, &out);
        double c = now_ms();
        memcpy(copy, frame, stride * (size_t)h);
        double d = now_ms();
        if (i >= 0) {
            t_cap[i] = b - a;
            t_enc[i] = c - b;
            t_all[i] = c - a;
            t_mem[i] = d - c;
        }
        usleep(33000 - (useconds_t)((d - a) * 1000 < 33000 ? (d - a) * 1000 : 33000));
    }
    double p_mem, p_cap, p_enc, p_all;
    double m_mem = median_p95(t_mem, frames, &p_mem), m_cap = median_p95(t_cap, frames, &p_cap);
    double m_enc = median_p95(t_enc, frames, &p_enc), m_all = median_p95(t_all, frames, &p_all);
    printf("%dx%d, demo app --animate on Xvfb, %d frames at 30 fps, %d kbps\n", w, h, frames, kbps);
    printf("  memcpy of a frame (baseline)   median %7.3f ms  p95 %7.3f ms\n", m_mem, p_mem);
    printf("  capture (copy out of the XWD)  median %7.3f ms  p95 %7.3f ms\n", m_cap, p_cap);
    printf("  convert + encode               median %7.3f ms  p95 %7.3f ms\n", m_enc, p_enc);
    printf("  capture + convert + encode     median %7.3f ms  p95 %7.3f ms  (%.1fx memcpy)\n",
           m_all, p_all, m_all / m_mem);
    r = 0;
done:
    anc_encoder_output_destroy(&out);
    anc_encoder_free(enc);
    anc_fb_close(fb);
    if (app > 0)
        kill(app, SIGTERM), waitpid(app, NULL, 0);
    if (xvfb > 0)
        kill(xvfb, SIGTERM), waitpid(xvfb, NULL, 0);
    unlink(path);
    rmdir(dir);
    free(frame);
    free(copy);
    free(t_mem);
    free(t_cap);
    free(t_enc);
    free(t_all);
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DEMO_BINARY [frames]\n", argv[0]);
        return 2;
    }
    int frames = argc > 2 ? atoi(argv[2]) : 90;
    signal(SIGPIPE, SIG_IGN);
    if (bench(argv[1], 720, 1280, 3000, frames) < 0 || bench(argv[1], 1080, 1920, 6000, frames) < 0)
        return 1;
    return 0;
}
