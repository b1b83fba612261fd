/* binder-init: the /init of the test image that stands in for redroid's in kernel/ checks. It is
 * started by the android profile's lxc.init.cmd (its androidboot.* arguments are ignored) and
 * proves binder IPC inside the container with raw ioctls, no libbinder:
 *
 *   1. binder devices: /dev/binder, /dev/hwbinder, /dev/vndbinder bound in by the host (route
 *      "host" or "nodes"), or, when /dev/binder is missing, a binderfs of its own mounted on
 *      /dev/binderfs (stats=global, as redroid's init does) with the three devices allocated
 *      through binder-control and linked into /dev (route "guest");
 *   2. BINDER_VERSION on each;
 *   3. this process becomes the context manager (BINDER_SET_CONTEXT_MGR) of all three contexts
 *      (a second one of /dev/binder must then fail with EBUSY),
 *      writes /data/ready and waits for /data/go, so that the test can hold several containers
 *      in this state at once (a second context manager of a shared context would get EBUSY);
 *   4. per context, a forked client sends a transaction to handle 0 ("ping <hostname>"); the
 *      context manager replies "pong <its hostname> <what it got> from pid <sender>"; the client
 *      checks the reply names its own container.
 * Every step is a line on stdout and in /data/binder-test.log; the last line is PASS or FAIL, the
 * exit status 0 or 1. */
#include <errno.h>
#include <fcntl.h>
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAP_SIZE (128 * 1024)
#define WAIT_S   120

static const char *const ctx[3] = {"binder", "hwbinder", "vndbinder"};
static FILE *logfile;
static char host[64];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    if (logfile) {
        va_start(ap, fmt);
        vfprintf(logfile, fmt, ap);
        va_end(ap);
        fputc('\n', logfile);
        fflush(logfile);
    }
}

static int fail(const char *what)
{
    say("FAIL %s: %s: %s", host, what, strerror(errno));
    return 1;
}

/* Route "guest": a binderfs of our own, devices allocated and linked as redroid's init does. */
static int own_binderfs(void)
{
    mkdir("/dev/binderfs", 0755);
    if (mount("binder", "/dev/binderfs", "binder", 0, "stats=global") < 0)
        return fail("mount binderfs on /dev/binderfs");
    int fd = open("/dev/binderfs/binder-control", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fail("open binder-control");
    for (int i = 0; i < 3; i++) {
        struct binderfs_device dev = {0};
        char from[64], to[64];
        snprintf(dev.name, sizeof(dev.name), "%s", ctx[i]);
        if (ioctl(fd, BINDER_CTL_ADD, &dev) < 0)
            return fail("BINDER_CTL_ADD");
        snprintf(from, sizeof(from), "/dev/binderfs/%s", ctx[i]);
        snprintf(to, sizeof(to), "/dev/%s", ctx[i]);
        if (symlink(from, to) < 0)
            return fail("symlink into /dev");
        say("allocated %s (%u:%u)", from, dev.major, dev.minor);
    }
    close(fd);
    return 0;
}

static int open_binder(const char *name)
{
    char path[64];
    snprintf(path, sizeof(path), "/dev/%s", name);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (mmap(NULL, MAP_SIZE, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One BINDER_WRITE_READ: writes wlen bytes, reads into rbuf; returns bytes read or -1. */
static long write_read(int fd, const void *wbuf, size_t wlen, void *rbuf, size_t rlen)
{
    struct binder_write_read bwr = {.write_size = wlen,
                                    .write_buffer = (binder_uintptr_t)(uintptr_t)wbuf,
                                    .read_size = rlen,
                                    .read_buffer = (binder_uintptr_t)(uintptr_t)rbuf};
    while (ioctl(fd, BINDER_WRITE_READ, &bwr) < 0)
        if (errno != EINTR)
            return -1;
    return (long)bwr.read_consumed;
}

/* Reads until a BR_TRANSACTION (want_reply false) or BR_REPLY arrives; copies it into *txn. */
static int wait_for(int fd, bool want_reply, struct binder_transaction_data *txn)
{
    uint8_t buf[512];
    for (;;) {
        long n = write_read(fd, NULL, 0, buf, sizeof(buf));
        if (n < 0)
            return -1;
        for (long off = 0; off + 4 <= n;) {
            uint32_t cmd;
            memcpy(&cmd, buf + off, 4);
            off += 4;
            if (cmd == (want_reply ? BR_REPLY : BR_TRANSACTION)) {
                memcpy(txn, buf + off, sizeof(*txn));
                return 0;
            }
            if (cmd == BR_DEAD_REPLY || cmd == BR_FAILED_REPLY) {
                errno = ECONNREFUSED;
                return -1;
            }
            off += _IOC_SIZE(cmd);
        }
    }
}

/* Appends one command and its payload to a write buffer (commands are packed, 4-byte codes). */
static size_t put(uint8_t *buf, size_t off, uint32_t cmd, const void *arg, size_t len)
{
    memcpy(buf + off, &cmd, 4);
    memcpy(buf + off + 4, arg, len);
    return off + 4 + len;
}

/* A transaction (handle 0) or reply carrying text. */
static struct binder_transaction_data txn_of(const char *text)
{
    struct binder_transaction_data t = {.target.handle = 0, .code = 1};
    t.data_size = strlen(text) + 1;
    t.data.ptr.buffer = (binder_uintptr_t)(uintptr_t)text;
    return t;
}

/* The client: a transaction to the context manager (handle 0), its reply checked. */
static int client(const char *name)
{
    char msg[128], want[96];
    struct binder_transaction_data reply;
    int fd = open_binder(name);
    if (fd < 0)
        return fail("client open");
    snprintf(msg, sizeof(msg), "ping %s", host);
    struct binder_transaction_data t = txn_of(msg);
    uint8_t out[128];
    size_t n = put(out, 0, BC_TRANSACTION, &t, sizeof(t));
    if (write_read(fd, out, n, NULL, 0) < 0 || wait_for(fd, true, &reply) < 0)
        return fail("client transaction");
    const char *text = (const char *)(uintptr_t)reply.data.ptr.buffer;
    say("%s: reply \"%.*s\"", name, (int)reply.data_size, text);
    snprintf(want, sizeof(want), "pong %s ", host);
    int ok = reply.data_size > strlen(want) && strncmp(text, want, strlen(want)) == 0;
    n = put(out, 0, BC_FREE_BUFFER, &reply.data.ptr.buffer, sizeof(binder_uintptr_t));
    write_read(fd, out, n, NULL, 0);
    if (!ok) {
        say("FAIL %s: %s: the reply is not from this container's context manager", host, name);
        return 1;
    }
    return 0;
}

/* The context manager side of one transaction on fd: receive, reply, free. */
static int serve_one(int fd)
{
    struct binder_transaction_data in;
    char text[256];
    if (wait_for(fd, false, &in) < 0)
        return -1;
    snprintf(text, sizeof(text), "pong %s \"%.*s\" from pid %d", host, (int)in.data_size,
             (const char *)(uintptr_t)in.data.ptr.buffer, (int)in.sender_pid);
    struct binder_transaction_data t = txn_of(text);
    uint8_t out[128], buf[256];
    size_t n = put(out, 0, BC_REPLY, &t, sizeof(t));
    n = put(out, n, BC_FREE_BUFFER, &in.data.ptr.buffer, sizeof(binder_uintptr_t));
    return write_read(fd, out, n, buf, sizeof(buf)) < 0 ? -1 : 0;
}

static bool wait_file(const char *path)
{
    for (int i = 0; i < WAIT_S * 20; i++) {
        if (access(path, F_OK) == 0)
            return true;
        usleep(50000);
    }
    return false;
}

int main(void)
{
    int fds[3];
    gethostname(host, sizeof(host) - 1);
    logfile = fopen("/data/binder-test.log", "w");
    signal(SIGPIPE, SIG_IGN);

    bool bound = access("/dev/binder", F_OK) == 0;
    say("%s: route %s", host,
        bound ? "host (devices bound in by ancloud)" : "guest (own binderfs)");
    if (!bound && own_binderfs() != 0)
        return 1;
    for (int i = 0; i < 3; i++) {
        char path[64];
        struct binder_version v = {0};
        snprintf(path, sizeof(path), "/dev/%s", ctx[i]);
        fds[i] = open_binder(ctx[i]);
        if (fds[i] < 0 || ioctl(fds[i], BINDER_VERSION, &v) < 0)
            return fail(path);
        int zero = 0;
        if (ioctl(fds[i], BINDER_SET_CONTEXT_MGR, &zero) < 0)
            return fail("BINDER_SET_CONTEXT_MGR");
        uint32_t enter = BC_ENTER_LOOPER;
        if (write_read(fds[i], &enter, sizeof(enter), NULL, 0) < 0)
            return fail("BC_ENTER_LOOPER");
        say("%s: BINDER_VERSION %d, context manager", path, v.protocol_version);
    }
    /* The kernel allows one context manager per context: a second one here must be refused, so
     * two containers that hold one each at the same time have contexts of their own. */
    int again = open_binder(ctx[0]), zero = 0;
    if (again < 0 || ioctl(again, BINDER_SET_CONTEXT_MGR, &zero) == 0 || errno != EBUSY) {
        say("FAIL %s: a second context manager of /dev/binder was not refused with EBUSY", host);
        return 1;
    }
    close(again);
    say("a second context manager of /dev/binder: EBUSY, as it must be");
    close(open("/data/ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!wait_file("/data/go")) {
        say("FAIL %s: no /data/go within %d s", host, WAIT_S);
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(30);
            _exit(client(ctx[i]));
        }
        int st = 0;
        if (pid < 0 || serve_one(fds[i]) < 0)
            return fail("serve");
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            say("FAIL %s: %s client ended with status %#x", host, ctx[i], st);
            return 1;
        }
    }
    say("PASS %s: a transaction and its reply through each of binder, hwbinder, vndbinder", host);
    return 0;
}
