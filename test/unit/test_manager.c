/* The instance manager on a private loop, with the fake runtime (fake_runtime.c) linked in place
 * of the real one and no guest network. */
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "base/config.h"
#include "base/metrics.h"
#include "base/fsutil.h"
#include "fake_runtime.h"
#include "instance/manager.h"
#include "instance/store_files.h"
#include "jar_builder.h"
#include "net/network.h"
#include "test.h"

/* The manager is given no network (NULL), so these are never reached; they stand in for
 * net/network.c at link time. */
int anc_network_lookup(const struct anc_network *net, const char *id, uint32_t *addr)
{
    (void)net, (void)id, (void)addr;
    abort();
}

int anc_network_set_hosts(struct anc_network *net, const struct anc_dnsmasq_host *hosts, size_t n)
{
    (void)net, (void)hosts, (void)n;
    abort();
}

/* Thread creation that can be made to fail, as when the host is out of threads (EAGAIN). */
static bool fail_threads;

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (fail_threads)
        return EAGAIN;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
    return real(t, attr, fn, arg);
}

struct fixture {
    uv_loop_t loop;
    uv_timer_t tick; /* keeps RUN_UNTIL's turns short */
    struct anc_config cfg;
    struct anc_metrics *metrics;
    char dir[64];
    struct anc_manager *m;
    struct anc_store *store;
    struct anc_instance *ended[8];
    int n_ended;
    struct anc_instance *clip_inst;
    char clip[64];
    size_t clip_len;
    int clips;
    int closed;
    bool left_running;
};

static void on_instance_ended(void *arg, struct anc_instance *inst)
{
    struct fixture *f = arg;
    CHECK(f->n_ended < 8);
    f->ended[f->n_ended++] = inst;
}

static void on_instance_clipboard(void *arg, struct anc_instance *inst, const char *utf8,
                                  size_t len)
{
    struct fixture *f = arg;
    CHECK(len <= sizeof(f->clip));
    f->clips++;
    f->clip_inst = inst;
    memcpy(f->clip, utf8, len);
    f->clip_len = len;
}

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    fake_runtime_reset();
    CHECK_EQ(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->tick);
    anc_config_defaults(&f->cfg);
    snprintf(f->dir, sizeof(f->dir), "/tmp/anc-test-manager-XXXXXX");
    CHECK(mkdtemp(f->dir));
    snprintf(f->cfg.state_dir, sizeof(f->cfg.state_dir), "%s/state", f->dir);
    snprintf(f->cfg.run_dir, sizeof(f->cfg.run_dir), "%s/run", f->dir);
    snprintf(f->cfg.image_dir, sizeof(f->cfg.image_dir), "%s/images", f->dir);
    f->cfg.encoder_threads = 1;
    f->metrics = anc_metrics_new();
    CHECK(f->metrics);
}

static bool defer_resume; /* the next open_manager defers it (cluster mode) */

static int open_manager(struct fixture *f)
{
    if (!f->store)
        CHECK_EQ(anc_store_files_open(f->cfg.state_dir, &f->store), 0);
    struct anc_manager_deps deps = {
        .store = f->store,
        .loop = &f->loop,
        .cfg = &f->cfg,
        .metrics = f->metrics,
        .net = NULL,
        .defer_resume = defer_resume,
        .events = {.instance_ended = on_instance_ended,
                   .instance_clipboard = on_instance_clipboard,
                   .arg = f},
    };
    return anc_manager_new(&deps, &f->m);
}

static void on_closed(void *arg, bool guests_left_running)
{
    struct fixture *f = arg;
    f->closed++;
    f->left_running = guests_left_running;
}

static void close_manager(struct fixture *f)
{
    anc_manager_close(f->m, on_closed, f);
    f->m = NULL;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    CHECK_EQ(f->closed, 1);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void teardown(struct fixture *f)
{
    CHECK(!f->m);
    anc_store_close(f->store);
    uv_close((uv_handle_t *)&f->tick, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&f->loop), 0);
    anc_metrics_free(f->metrics);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until cond holds, checking it at least every millisecond. */
#define RUN_UNTIL(f, cond)                                                                         \
    do {                                                                                           \
        uv_timer_start(&(f)->tick, on_tick, 1, 1);                                                 \
        for (int turn_ = 0; !(cond); turn_++) {                                                    \
            CHECK(turn_ < 100000);                                                                 \
            uv_run(&(f)->loop, UV_RUN_ONCE);                                                       \
        }                                                                                          \
        uv_timer_stop(&(f)->tick);                                                                 \
    } while (0)

/* The state the store holds for inst, as the next daemon would read it. */
static const char *stored_state(struct fixture *f, const struct anc_instance *inst)
{
    static char state[32];
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/instances/%s.json", f->cfg.state_dir, inst->id);
    json_t *o = json_load_file(path, 0, NULL);
    if (!o)
        return "(none)";
    snprintf(state, sizeof(state), "%s", json_string_value(json_object_get(o, "state")));
    json_decref(o);
    return state;
}

static struct anc_instance *create(struct fixture *f, const char *name)
{
    char err[256] = "";
    struct anc_instance *inst;
    json_t *req = json_pack("{s:s, s:s}", "name", name, "kind", "pattern");
    int r = anc_manager_create(f->m, req, &inst, err, sizeof(err));
    json_decref(req);
    if (r < 0)
        fprintf(stderr, "create: %s\n", err);
    CHECK_EQ(r, 0);
    return inst;
}

/* A linux guest with a restart policy, written to the store as an earlier daemon would have (so
 * that no image is needed to create it). */
static void store_linux_record(struct fixture *f, const char *id, enum anc_restart_policy restart,
                               enum anc_instance_state state)
{
    struct anc_instance rec = {.kind = ANC_KIND_LINUX,
                               .width = 640,
                               .height = 480,
                               .fps = 10,
                               .restart = restart,
                               .state = state,
                               .n_command = 1};
    snprintf(rec.id, sizeof(rec.id), "%s", id);
    snprintf(rec.name, sizeof(rec.name), "guest-%s", id);
    snprintf(rec.image, sizeof(rec.image), "debian");
    snprintf(rec.command[0], sizeof(rec.command[0]), "/sbin/init");
    struct anc_store *st;
    CHECK_EQ(anc_store_files_open(f->cfg.state_dir, &st), 0);
    CHECK_EQ(anc_store_put(st, &rec, 0, &rec.revision), 0);
    anc_store_close(st);
}

TEST(start_stop_persists_each_state_before_acting)
{
    struct fixture f;
    char err[256];
    setup(&f);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *inst = create(&f, "card");
    CHECK_EQ(anc_manager_count(f.m), 1);
    CHECK_STREQ(stored_state(&f, inst), "stopped");

    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), 0);
    CHECK_EQ(inst->state, ANC_STATE_STARTING);
    CHECK_STREQ(stored_state(&f, inst), "starting"); /* written before the runtime ran */
    CHECK_EQ(fake_runtime.starts, 1);
    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), -EALREADY);
    RUN_UNTIL(&f, inst->state == ANC_STATE_RUNNING);
    CHECK_STREQ(stored_state(&f, inst), "running");

    CHECK_EQ(anc_manager_stop(f.m, inst, err, sizeof(err)), 0);
    CHECK_EQ(inst->state, ANC_STATE_STOPPING);
    CHECK_STREQ(stored_state(&f, inst), "stopping");
    CHECK_EQ(f.n_ended, 1); /* viewers let go before the runtime stops */
    CHECK(f.ended[0] == inst);
    RUN_UNTIL(&f, inst->state == ANC_STATE_STOPPED);
    CHECK(!inst->rt);
    CHECK_STREQ(stored_state(&f, inst), "stopped");
    CHECK_EQ(anc_manager_stop(f.m, inst, err, sizeof(err)), -EALREADY);

    close_manager(&f);
    CHECK(!f.left_running);
    teardown(&f);
}

TEST(start_failure_is_error_with_reason)
{
    struct fixture f;
    char err[256];
    setup(&f);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *inst = create(&f, "card");
    fake_runtime.fail_start = "no display";
    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), 0);
    RUN_UNTIL(&f, inst->state == ANC_STATE_ERROR && !inst->rt);
    CHECK_STREQ(inst->error, "no display");
    CHECK_STREQ(stored_state(&f, inst), "error");

    /* A start refused at once: error too, and the caller gets the errno. */
    fake_runtime.fail_start = NULL;
    fake_runtime.fail_start_now = -EMFILE;
    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), -EMFILE);
    CHECK_EQ(inst->state, ANC_STATE_ERROR);
    CHECK(strstr(err, "cannot start"));
    close_manager(&f);
    teardown(&f);
}

TEST(dying_guest_restarts_after_1s_then_2s)
{
    struct fixture f;
    char err[256];
    setup(&f);
    store_linux_record(&f, "0123456789ab", ANC_RESTART_ON_FAILURE, ANC_STATE_STOPPED);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *inst = anc_manager_find(f.m, "0123456789ab");
    CHECK(inst);
    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), 0);
    RUN_UNTIL(&f, inst->state == ANC_STATE_RUNNING);

    fake_runtime_die(inst, "container exited with status 1");
    CHECK_EQ(f.n_ended, 1);
    CHECK_EQ(inst->state, ANC_STATE_ERROR);
    CHECK_STREQ(stored_state(&f, inst), "error");
    RUN_UNTIL(&f, !inst->rt);
    CHECK_EQ(inst->restart_delay_ms, 1000);
    uint64_t restart_at = inst->restart_at_ms;
    CHECK(restart_at > uv_now(&f.loop) && restart_at <= uv_now(&f.loop) + 1000);
    RUN_UNTIL(&f, inst->state == ANC_STATE_RUNNING);
    CHECK(uv_now(&f.loop) >= restart_at);
    CHECK_EQ(inst->restarts, 1);
    CHECK_EQ(fake_runtime.starts, 2);

    /* Dying again within a minute doubles the wait. */
    fake_runtime_die(inst, "container exited with status 1");
    RUN_UNTIL(&f, !inst->rt);
    CHECK_EQ(inst->restart_delay_ms, 2000);
    CHECK(inst->restart_at_ms > uv_now(&f.loop) + 1000);

    /* A clean exit is not a failure: no restart. */
    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), 0);
    RUN_UNTIL(&f, inst->state == ANC_STATE_RUNNING);
    fake_runtime_die(inst, "container exited with status 0");
    RUN_UNTIL(&f, !inst->rt);
    CHECK_EQ(inst->restart_at_ms, 0);
    close_manager(&f);
    teardown(&f);
}

/* The runtime's clipboard report reaches the owner with its instance and bytes. */
TEST(guest_clipboard_is_forwarded)
{
    struct fixture f;
    char err[256];
    setup(&f);
    store_linux_record(&f, "0123456789ab", ANC_RESTART_NO, ANC_STATE_STOPPED);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *inst = anc_manager_find(f.m, "0123456789ab");
    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), 0);
    RUN_UNTIL(&f, inst->state == ANC_STATE_RUNNING);
    fake_runtime_clipboard(inst, "h\xc3\xa9\0x", 5); /* not NUL-terminated: len counts */
    CHECK_EQ(f.clips, 1);
    CHECK(f.clip_inst == inst);
    CHECK_EQ(f.clip_len, 5);
    CHECK(memcmp(f.clip, "h\xc3\xa9\0x", 5) == 0);
    close_manager(&f);
    teardown(&f);
}

TEST(delete_while_running_removes_once_stopped)
{
    struct fixture f;
    char err[256];
    setup(&f);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *inst = create(&f, "card");
    char id[ANC_INSTANCE_ID_LEN + 1];
    memcpy(id, inst->id, sizeof(id));
    CHECK_EQ(anc_manager_start(f.m, inst, err, sizeof(err)), 0);
    RUN_UNTIL(&f, inst->state == ANC_STATE_RUNNING);
    CHECK_EQ(anc_manager_delete(f.m, inst), 0);
    CHECK_EQ(anc_manager_count(f.m), 1); /* until the runtime has stopped */
    CHECK_EQ(f.n_ended, 1);
    RUN_UNTIL(&f, anc_manager_count(f.m) == 0);
    CHECK(!anc_manager_find(f.m, id));
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/instances/%s.json", f.cfg.state_dir, id);
    CHECK(access(path, F_OK) < 0);
    close_manager(&f);
    teardown(&f);
}

TEST(second_manager_reloads_and_resumes)
{
    struct fixture f;
    char err[256];
    setup(&f);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *a = create(&f, "a"), *b = create(&f, "b");
    char id_a[ANC_INSTANCE_ID_LEN + 1], id_b[ANC_INSTANCE_ID_LEN + 1];
    memcpy(id_a, a->id, sizeof(id_a));
    memcpy(id_b, b->id, sizeof(id_b));
    CHECK_EQ(anc_manager_start(f.m, a, err, sizeof(err)), 0);
    RUN_UNTIL(&f, a->state == ANC_STATE_RUNNING);
    close_manager(&f); /* records keep "running" */

    f.closed = 0;
    fake_runtime_reset();
    CHECK_EQ(open_manager(&f), 0);
    CHECK_EQ(anc_manager_count(f.m), 2);
    a = anc_manager_find(f.m, id_a);
    b = anc_manager_find(f.m, id_b);
    CHECK(a && b);
    CHECK_EQ(fake_runtime.adopts, 1);
    CHECK_EQ(fake_runtime.starts, 0);
    RUN_UNTIL(&f, a->state == ANC_STATE_RUNNING);
    CHECK_EQ(b->state, ANC_STATE_STOPPED);
    close_manager(&f);
    teardown(&f);
}

static bool keep_named_a(void *arg, const struct anc_instance *inst)
{
    (void)arg;
    return strcmp(inst->name, "a") == 0;
}

/* Cluster mode: nothing is resumed until the cluster says what is still this node's; what is not
 * settles in stopped. A placed copy keeps its id and is stored. */
TEST(deferred_resume_and_adopt)
{
    struct fixture f;
    char err[256];
    setup(&f);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *a = create(&f, "a"), *b = create(&f, "b");
    char id_a[ANC_INSTANCE_ID_LEN + 1], id_b[ANC_INSTANCE_ID_LEN + 1];
    memcpy(id_a, a->id, sizeof(id_a));
    memcpy(id_b, b->id, sizeof(id_b));
    CHECK_EQ(anc_manager_start(f.m, a, err, sizeof(err)), 0);
    CHECK_EQ(anc_manager_start(f.m, b, err, sizeof(err)), 0);
    RUN_UNTIL(&f, a->state == ANC_STATE_RUNNING && b->state == ANC_STATE_RUNNING);
    close_manager(&f);

    f.closed = 0;
    fake_runtime_reset();
    defer_resume = true;
    CHECK_EQ(open_manager(&f), 0);
    defer_resume = false;
    CHECK_EQ(fake_runtime.adopts + fake_runtime.starts, 0);
    anc_manager_resume(f.m, keep_named_a, NULL);
    a = anc_manager_find(f.m, id_a);
    b = anc_manager_find(f.m, id_b);
    RUN_UNTIL(&f, a->state == ANC_STATE_RUNNING);
    CHECK_EQ(fake_runtime.adopts, 1);
    CHECK_EQ(b->state, ANC_STATE_STOPPED);
    CHECK_STREQ(stored_state(&f, b), "stopped");
    anc_manager_resume(f.m, NULL, NULL); /* once only */
    CHECK_EQ(fake_runtime.adopts + fake_runtime.starts, 1);

    struct anc_instance spec = *b, *c;
    snprintf(spec.id, sizeof(spec.id), "00000000c0de");
    snprintf(spec.name, sizeof(spec.name), "c");
    spec.state = ANC_STATE_RUNNING;
    CHECK_EQ(anc_manager_adopt(f.m, &spec, &c), 0);
    CHECK_STREQ(c->id, "00000000c0de");
    CHECK_EQ(c->state, ANC_STATE_STOPPED);
    CHECK_STREQ(stored_state(&f, c), "stopped");
    CHECK_EQ(anc_manager_adopt(f.m, &spec, &c), -EEXIST);
    CHECK_EQ(anc_manager_count(f.m), 3);
    close_manager(&f);
    teardown(&f);
}

TEST(keep_running_on_exit_leaves_linux_guests)
{
    struct fixture f;
    setup(&f);
    f.cfg.keep_running_on_exit = true;
    store_linux_record(&f, "0123456789ab", ANC_RESTART_NO, ANC_STATE_RUNNING);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *inst = anc_manager_find(f.m, "0123456789ab");
    RUN_UNTIL(&f, inst->state == ANC_STATE_RUNNING);
    close_manager(&f);
    CHECK_EQ(fake_runtime.detaches, 1);
    CHECK_EQ(fake_runtime.stops, 0);
    CHECK(f.left_running); /* reported to the caller, who keeps the network */
    teardown(&f);
}

/* Shutdown: the root has already let go of its sessions when the manager closes; a guest dying in
 * that same iteration is still reported (the root must cope), and the close completes once. */
TEST(close_while_a_guest_dies)
{
    struct fixture f;
    char err[256];
    setup(&f);
    CHECK_EQ(open_manager(&f), 0);
    struct anc_instance *a = create(&f, "a"), *b = create(&f, "b");
    CHECK_EQ(anc_manager_start(f.m, a, err, sizeof(err)), 0);
    CHECK_EQ(anc_manager_start(f.m, b, err, sizeof(err)), 0);
    RUN_UNTIL(&f, a->state == ANC_STATE_RUNNING && b->state == ANC_STATE_RUNNING);
    fake_runtime_die(a, "killed by signal 9");
    CHECK_EQ(f.n_ended, 1);
    CHECK(f.ended[0] == a);
    anc_manager_close(f.m, on_closed, &f);
    f.m = NULL;
    fake_runtime_die(b, "killed by signal 9"); /* already stopping: gone quietly */
    uv_run(&f.loop, UV_RUN_DEFAULT);
    CHECK_EQ(f.closed, 1);
    CHECK_EQ(f.n_ended, 1);
    teardown(&f);
}

/* The host is out of threads: the encoder pool cannot start, and the manager's failure path must
 * not free memory that holds a handle still closing (run it under valgrind: libuv is not
 * instrumented for ASan). */
TEST(new_fails_when_the_pool_has_no_threads)
{
    struct fixture f;
    setup(&f);
    fail_threads = true;
    int r = open_manager(&f);
    fail_threads = false;
    CHECK_EQ(r, -EAGAIN);
    f.m = NULL;
    uv_run(&f.loop, UV_RUN_DEFAULT);
    teardown(&f);
}

/* The root opens the store before the manager: a state_dir that is a file fails there, and the
 * manager is never made. */
TEST(store_fails_on_an_unusable_state_dir)
{
    struct fixture f;
    setup(&f);
    FILE *file = fopen(f.cfg.state_dir, "w");
    CHECK(file);
    fclose(file);
    CHECK(anc_store_files_open(f.cfg.state_dir, &f.store) < 0);
    CHECK(!f.store);
    teardown(&f);
}

/* The host check of kind android, as the test makes it: binder or not. */
static const char *host_missing;

static int fake_host_check(char *why, size_t len)
{
    snprintf(why, len, "%s", host_missing ? host_missing : "");
    return host_missing ? -ENODEV : 0;
}

static int create_json(struct fixture *f, const char *json, char *err, size_t errlen)
{
    struct anc_instance *inst;
    json_t *req = json_loads(json, 0, NULL);
    CHECK(req);
    int r = anc_manager_create(f->m, req, &inst, err, errlen);
    json_decref(req);
    return r;
}

/* A file that passes image validation (a squashfs 4.0 superblock); names starting with
 * "android" are Android images. */
static void write_image(struct fixture *f, const char *name)
{
    uint8_t img[4096] = {0};
    char path[PATH_MAX + 64];
    memcpy(img, "hsqs", 4);
    img[14] = 0x02, img[20] = 1, img[22] = 17, img[28] = 4;
    img[41] = 0x10; /* bytes_used 4096 */
    CHECK_EQ(anc_mkdir_p(f->cfg.image_dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/%s.img", f->cfg.image_dir, name);
    jb_write_file(path, img, sizeof(img));
}

/* Kind android is refused, in this order, for: the host (binder), the agent jar (missing, then
 * another version), the image; nothing is left behind by a refusal. */
TEST(android_create_checks_host_then_jar_then_image)
{
    struct fixture f;
    char err[600];
    const char *req = "{\"name\":\"a1\",\"kind\":\"android\",\"image\":\"android13\"}";
    setup(&f);
    snprintf(f.cfg.android_agent_jar, sizeof(f.cfg.android_agent_jar), "%s/scrcpy-server", f.dir);
    CHECK_EQ(anc_store_files_open(f.cfg.state_dir, &f.store), 0);
    struct anc_manager_deps deps = {.store = f.store,
                                    .loop = &f.loop,
                                    .cfg = &f.cfg,
                                    .metrics = f.metrics,
                                    .events = {.instance_ended = on_instance_ended, .arg = &f},
                                    .android_host_check = fake_host_check};
    CHECK_EQ(anc_manager_new(&deps, &f.m), 0);

    host_missing =
        "kind \"android\" needs binder: no binderfs (kernel/check lists what is missing)";
    CHECK_EQ(create_json(&f, req, err, sizeof(err)), -EINVAL);
    CHECK_STREQ(err, host_missing); /* binder first, although the jar is missing too */

    host_missing = NULL;
    CHECK_EQ(create_json(&f, req, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "[android] agent_jar: ") && strstr(err, "does not exist"));

    jb_write_jar(f.cfg.android_agent_jar, "1.25");
    CHECK_EQ(create_json(&f, req, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "is scrcpy-server 1.25, but this ancloudd needs version 3.3.3"));

    jb_write_jar(f.cfg.android_agent_jar, "3.3.3");
    CHECK_EQ(create_json(&f, req, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "image: ")); /* no such image yet */
    write_image(&f, "debian");
    CHECK_EQ(create_json(&f, "{\"name\":\"a1\",\"kind\":\"android\",\"image\":\"debian\"}", err,
                         sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "image: debian is not an Android image"));
    CHECK_EQ(anc_manager_count(f.m), 0);

    /* Field errors come before the host: they are the client's to fix. */
    host_missing = "no binder";
    CHECK_EQ(create_json(&f,
                         "{\"name\":\"a1\",\"kind\":\"android\",\"image\":\"android13\","
                         "\"dpi\":700}",
                         err, sizeof(err)),
             -EINVAL);
    CHECK_STREQ(err, "dpi: must be an integer from 72 to 640");
    host_missing = NULL;

    write_image(&f, "android13");
    CHECK_EQ(create_json(&f, "{\"name\":\"a1\",\"kind\":\"linux\",\"image\":\"android13\"}", err,
                         sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "is an Android image; create it with kind \"android\""));
    CHECK_EQ(create_json(&f, req, err, sizeof(err)), 0);
    struct anc_instance *a = anc_manager_first(f.m);
    CHECK(a && a->kind == ANC_KIND_ANDROID && a->dpi == 320 && a->capture == ANC_CAPTURE_AGENT);

    /* Its /data (and overlay layers) go with the instance. */
    char data[PATH_MAX + 64], gone[PATH_MAX + 64];
    snprintf(data, sizeof(data), "%s/instances/%s/data/system", f.cfg.state_dir, a->id);
    CHECK_EQ(anc_mkdir_p(data, 0755), 0);
    strcat(data, "/packages.xml");
    jb_write_file(data, "<packages/>", 11);
    snprintf(gone, sizeof(gone), "%s/instances/%s", f.cfg.state_dir, a->id);
    CHECK_EQ(anc_manager_delete(f.m, a), 0);
    CHECK_EQ(access(gone, F_OK), -1);
    snprintf(gone, sizeof(gone), "%s/instances/.deleted-%.12s", f.cfg.state_dir,
             strrchr(gone, '/') + 1);
    RUN_UNTIL(&f, access(gone, F_OK) < 0);
    CHECK_EQ(anc_manager_count(f.m), 0);
    close_manager(&f);
    teardown(&f);
}
