/* Binder through ancloud's own code on a kernel that has it (kernel/vm boots one; this host's
 * kernel has none). Run as root inside the VM:
 *
 *   test-binder-vm binderfs
 *     container/binder_host.c mounts binderfs, allocates the binder, hwbinder and vndbinder
 *     devices of two instances through binder-control, BINDER_VERSION answers on each, and the
 *     teardown an instance's deletion runs removes that instance's devices and no other's.
 *   test-binder-vm containers BINDER_INIT
 *     for each route (host: devices allocated by ancloud and bound in; guest: the container mounts
 *     its own binderfs as redroid's init does), two Android-profile containers started at once by
 *     container/lxc.c from a squashfs image whose /init is BINDER_INIT (test/kernel/binder_init.c):
 *     each becomes the context manager of its own three contexts while the other holds its own,
 *     then completes a transaction and its reply on each.
 *   test-binder-vm no-binder
 *     on a kernel without binder: every route is refused with a reason that names the fix.
 * Every check prints what it saw; the exit status says whether all held. */
#include "../unit/test.h"
#include "../unit/test_sh.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base/fsutil.h"
#include "container/binder_host.h"
#include "container/forkstart.h"
#include "container/image.h"
#include "container/lxc.h"
#include "container/lxc_ops.h"
#include "container/profile_android.h"
#include "container/profile_linux.h"

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* ---- binderfs: allocation, BINDER_VERSION, teardown ---------------------------------------- */

static void expect_devices(const char *run_dir, const struct anc_binder_setup *s, const char *id)
{
    static const char *const names[] = {"binder", "hwbinder", "vndbinder"};
    for (int i = 0; i < ANC_BINDER_NCTX; i++) {
        char want[PATH_MAX];
        struct stat st;
        snprintf(want, sizeof(want), "%s/binderfs/%s.%s", run_dir, id, names[i]);
        CHECK_STREQ(s->nodes.host[i], want);
        CHECK(stat(want, &st) == 0 && S_ISCHR(st.st_mode));
        int v = anc_binder_version(want);
        CHECK(v > 0);
        printf("binderfs: %s (%u:%u) BINDER_VERSION %d\n", want, major(st.st_rdev),
               minor(st.st_rdev), v);
    }
}

static int check_binderfs(void)
{
    char run_dir[] = "/tmp/anc-binderfs-XXXXXX", why[512], path[PATH_MAX + 32];
    struct anc_binder_setup a, b, again;
    CHECK(mkdtemp(run_dir));

    /* auto and guest: the guest mounts its own; nothing is made on the host */
    CHECK_EQ(anc_binder_setup(run_dir, "g1", ANC_BINDER_PREF_AUTO, &a, why, sizeof(why)), 0);
    CHECK_EQ(a.mode, ANC_BINDER_GUESTFS);
    CHECK_EQ(anc_binder_setup(run_dir, "g1", ANC_BINDER_PREF_GUEST, &a, why, sizeof(why)), 0);
    CHECK_EQ(a.mode, ANC_BINDER_GUESTFS);
    snprintf(path, sizeof(path), "%s/binderfs", run_dir);
    CHECK(!exists(path));
    CHECK_EQ(anc_binder_setup(run_dir, "bad.id", ANC_BINDER_PREF_HOST, &a, why, sizeof(why)),
             -EINVAL);

    /* host: two instances, each with its own three devices */
    CHECK_EQ(anc_binder_setup(run_dir, "inst-a", ANC_BINDER_PREF_HOST, &a, why, sizeof(why)), 0);
    CHECK_EQ(anc_binder_setup(run_dir, "inst-b", ANC_BINDER_PREF_HOST, &b, why, sizeof(why)), 0);
    CHECK_EQ(a.mode, ANC_BINDER_HOSTFS);
    CHECK(a.version > 0 && a.version == b.version);
    expect_devices(run_dir, &a, "inst-a");
    expect_devices(run_dir, &b, "inst-b");
    /* a second setup of the same instance (a daemon restarted) reuses its devices */
    CHECK_EQ(anc_binder_setup(run_dir, "inst-a", ANC_BINDER_PREF_HOST, &again, why, sizeof(why)),
             0);
    CHECK_STREQ(again.nodes.host[0], a.nodes.host[0]);

    /* deleting inst-a removes its devices, inst-b keeps its own */
    CHECK_EQ(anc_binder_teardown(run_dir, "inst-a", ANC_BINDER_HOSTFS), 0);
    for (int i = 0; i < ANC_BINDER_NCTX; i++) {
        CHECK(!exists(a.nodes.host[i]));
        CHECK(anc_binder_version(b.nodes.host[i]) > 0);
    }
    printf("binderfs: inst-a deleted: its 3 devices are gone, inst-b's 3 still answer\n");
    CHECK_EQ(anc_binder_teardown(run_dir, "inst-a", ANC_BINDER_HOSTFS), 0); /* twice is fine */
    CHECK_EQ(anc_binder_teardown(run_dir, "inst-b", ANC_BINDER_HOSTFS), 0);
    test_sh("ls %s/binderfs", run_dir);
    CHECK_EQ(umount(path), 0);
    CHECK_EQ(test_sh("rm -rf %s", run_dir), 0);
    printf("PASS binderfs\n");
    return 0;
}

static int check_no_binder(void)
{
    static const enum anc_binder_pref prefs[] = {ANC_BINDER_PREF_AUTO, ANC_BINDER_PREF_GUEST,
                                                 ANC_BINDER_PREF_HOST};
    char run_dir[] = "/tmp/anc-nobinder-XXXXXX", why[512];
    struct anc_binder_setup s;
    CHECK(mkdtemp(run_dir));
    for (size_t i = 0; i < 3; i++) {
        int r = anc_binder_setup(run_dir, "x", prefs[i], &s, why, sizeof(why));
        printf("no binder: route %zu: %s\n", i, why);
        CHECK_EQ(r, -ENODEV);
        CHECK(strstr(why, "kernel/check") || strstr(why, "CONFIG_ANDROID_BINDERFS"));
    }
    CHECK_EQ(test_sh("rm -rf %s", run_dir), 0);
    printf("PASS no-binder\n");
    return 0;
}

/* ---- containers ------------------------------------------------------------------------------ */

static char top[] = "/tmp/anc-binder-ct-XXXXXX";
static char image_dir[128], state_dir[128], run_dir[128];
static uv_loop_t loop;
static struct anc_image_mounts *mounts;

struct ct {
    char id[32];
    struct anc_container *c;
    struct anc_binder_setup binder;
    bool started, ended;
    int status;
    char error[512], reason[128];
};

static void on_started(struct anc_container *c, int status, int pid, const char *error, void *d)
{
    struct ct *t = d;
    (void)c;
    (void)pid;
    t->started = true;
    t->status = status;
    snprintf(t->error, sizeof(t->error), "%s", error ? error : "");
    if (status < 0)
        t->ended = true;
}

static void on_exit_cb(struct anc_container *c, const char *reason, void *d)
{
    struct ct *t = d;
    (void)c;
    t->ended = true;
    snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
}

static void on_stopped(struct anc_container *c, int status, void *d)
{
    struct ct *t = d;
    (void)c;
    t->ended = true;
    snprintf(t->reason, sizeof(t->reason), "stopped (%d)", status);
}

static const struct anc_container_callbacks cbs = {on_started, on_exit_cb, on_stopped};

static void tick(uv_timer_t *t)
{
    (void)t; /* wakes the loop so that run_until looks at the files again */
}

static void run_until(bool (*done)(struct ct *, int), struct ct *cts, int n, int timeout_ms)
{
    uint64_t end = test_now_ms() + (uint64_t)timeout_ms;
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, tick, 50, 50);
    while (!done(cts, n) && test_now_ms() < end)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static void data_file(const struct ct *t, const char *name, char *buf, size_t len)
{
    CHECK(snprintf(buf, len, "%s/instances/%s/data/%s", state_dir, t->id, name) < (int)len);
}

static bool all_ready(struct ct *cts, int n)
{
    char path[PATH_MAX];
    for (int i = 0; i < n; i++) {
        data_file(&cts[i], "ready", path, sizeof(path));
        if (!cts[i].ended && !exists(path))
            return false;
    }
    return true;
}

static bool all_ended(struct ct *cts, int n)
{
    for (int i = 0; i < n; i++)
        if (!cts[i].ended)
            return false;
    return true;
}

static void start_ct(struct ct *t, const char *id, enum anc_binder_pref pref)
{
    char why[512], log[PATH_MAX + 16], data[PATH_MAX];
    char *text = NULL;
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", id);
    CHECK_EQ(anc_binder_setup(run_dir, id, pref, &t->binder, why, sizeof(why)), 0);
    CHECK_EQ(anc_android_data_dir(state_dir, id, data, sizeof(data)), 0);
    CHECK_EQ(anc_mkdir_p(data, 0771), 0);
    /* where the container module reads the exit status from (the init's "ended on" line) */
    snprintf(log, sizeof(log), "%s/%s", run_dir, id);
    CHECK_EQ(anc_mkdir_p(log, 0755), 0);
    strcat(log, "/lxc.log");
    struct anc_android_spec spec = {.id = id,
                                    .run_dir = run_dir,
                                    .state_dir = state_dir,
                                    .log_file = log,
                                    .width = 720,
                                    .height = 1280,
                                    .dpi = 320,
                                    .fps = 30,
                                    .memfd = t->binder.memfd,
                                    .binder = t->binder.mode,
                                    .nodes = &t->binder.nodes,
                                    .cgroup = anc_profile_cgroup_layout()};
    CHECK_EQ(anc_android_lxc_config(&spec, &text), 0);
    struct anc_container_spec cs = {.id = id,
                                    .image = "binder-test",
                                    .image_dir = image_dir,
                                    .state_dir = state_dir,
                                    .run_dir = run_dir,
                                    .lxc_config = text};
    CHECK_EQ(anc_container_new(&loop, mounts, "/proc/self/exe", &cs, &cbs, t, &t->c), 0);
    free(text);
    CHECK_EQ(anc_container_start(t->c), 0);
}

/* Shows the container's own report; true if its last line is PASS. */
static bool show_log(const struct ct *t)
{
    char path[PATH_MAX];
    data_file(t, "binder-test.log", path, sizeof(path));
    test_sh("sed 's/^/  %s | /' %s", t->id, path);
    return test_sh("tail -n 1 %s | grep -q '^PASS '", path) == 0;
}

/* Two containers at once on one route; both must hold their context managers together. */
static void pair_on_route(enum anc_binder_pref pref, const char *route)
{
    struct ct cts[2];
    char id[32], path[PATH_MAX];
    uint64_t t0 = test_now_ms();
    for (int i = 0; i < 2; i++) {
        snprintf(id, sizeof(id), "%s%d", route, i + 1);
        start_ct(&cts[i], id, pref);
        CHECK_EQ(cts[i].binder.mode,
                 pref == ANC_BINDER_PREF_HOST ? ANC_BINDER_HOSTFS : ANC_BINDER_GUESTFS);
    }
    run_until(all_ready, cts, 2, 120000);
    for (int i = 0; i < 2; i++) {
        if (cts[i].ended || !cts[i].started) {
            fprintf(stderr, "%s: %s %s\n", cts[i].id, cts[i].error, cts[i].reason);
            test_sh("cat %s/%s/lxc.log", run_dir, cts[i].id);
            show_log(&cts[i]);
        }
        CHECK(cts[i].started && cts[i].status == 0 && !cts[i].ended);
    }
    printf("containers (%s): both are context managers of their own contexts at once, %.1f s "
           "after the starts\n",
           route, (double)(test_now_ms() - t0) / 1000);
    for (int i = 0; i < 2; i++) {
        data_file(&cts[i], "go", path, sizeof(path));
        close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    }
    run_until(all_ended, cts, 2, 120000);
    for (int i = 0; i < 2; i++) {
        CHECK(show_log(&cts[i]));
        if (strcmp(cts[i].reason, "exited with status 0") != 0)
            test_sh("tail -n 30 %s/%s/lxc.log", run_dir, cts[i].id);
        CHECK_STREQ(cts[i].reason, "exited with status 0");
        anc_container_free(cts[i].c, NULL, NULL);
        CHECK_EQ(anc_binder_teardown(run_dir, cts[i].id, cts[i].binder.mode), 0);
        for (int k = 0; pref == ANC_BINDER_PREF_HOST && k < ANC_BINDER_NCTX; k++)
            CHECK(!exists(cts[i].binder.nodes.host[k]));
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    printf("PASS containers (%s route), %.1f s\n", route, (double)(test_now_ms() - t0) / 1000);
}

/* The image: BINDER_INIT as /init with the libraries it links, and the directories LXC and the
 * android profile mount on. */
static void make_image(const char *binder_init)
{
    char stage[PATH_MAX + 8];
    snprintf(stage, sizeof(stage), "%s/stage", top);
    CHECK_EQ(test_sh("mkdir -p %s/dev %s/proc %s/sys %s/data %s/tmp && cp %s %s/init && "
                     "ldd %s | grep -o '/[^ ]*' | while read -r f; do "
                     "mkdir -p %s$(dirname $f) && cp -L $f %s$f; done",
                     stage, stage, stage, stage, stage, binder_init, stage, binder_init, stage,
                     stage),
             0);
    CHECK_EQ(test_sh("mksquashfs %s %s/binder-test.img -noappend -quiet -comp gzip >/dev/null",
                     stage, image_dir),
             0);
}

static int check_containers(const char *binder_init)
{
    CHECK(mkdtemp(top));
    snprintf(image_dir, sizeof(image_dir), "%s/images", top);
    snprintf(state_dir, sizeof(state_dir), "%s/state", top);
    snprintf(run_dir, sizeof(run_dir), "%s/run", top);
    CHECK_EQ(anc_mkdir_p(image_dir, 0755), 0);
    CHECK_EQ(anc_mkdir_p(run_dir, 0755), 0);
    make_image(binder_init);
    CHECK_EQ(uv_loop_init(&loop), 0);
    mounts = anc_image_mounts_new(image_dir, run_dir);
    CHECK(mounts);
    pair_on_route(ANC_BINDER_PREF_HOST, "host");
    pair_on_route(ANC_BINDER_PREF_GUEST, "guest");
    anc_image_mounts_free(mounts);
    CHECK_EQ(uv_loop_close(&loop), 0);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/binderfs", run_dir);
    umount(path);
    printf("PASS containers\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], ANC_LXC_FORKSTART_ARG) == 0)
        return anc_lxc_forkstart_main(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "binderfs") == 0)
        return check_binderfs();
    if (argc == 2 && strcmp(argv[1], "no-binder") == 0)
        return check_no_binder();
    if (argc == 3 && strcmp(argv[1], "containers") == 0)
        return check_containers(argv[2]);
    fprintf(stderr, "usage: %s binderfs | containers BINDER_INIT | no-binder\n", argv[0]);
    return 2;
}
