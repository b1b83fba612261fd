/* The instance store: one contract run against the JSON-file backend and an in-memory fake (with
 * etcd-like global revisions), then what only files have: records of the previous version,
 * corrupt records, crash leftovers. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "instance/instance.h"
#include "instance/store.h"
#include "instance/store_files.h"
#include "test.h"

/* An in-memory backend. Revisions come from one counter for the whole store, as etcd's mod
 * revisions do, so the contract cannot pass by assuming 1, 2, 3 per record. */
#define FAKE_MAX 8
struct fake_store {
    struct anc_store store;
    struct anc_instance recs[FAKE_MAX]; /* revision 0: a free slot */
    uint64_t last_revision;
};

static struct anc_instance *fake_find(struct anc_store *st, const char *id)
{
    struct fake_store *f = (struct fake_store *)st;
    for (int i = 0; i < FAKE_MAX; i++)
        if (f->recs[i].revision && strcmp(f->recs[i].id, id) == 0)
            return &f->recs[i];
    return NULL;
}

static int fake_load(struct anc_store *st, const char *id, struct anc_instance *out)
{
    struct anc_instance *rec = fake_find(st, id);
    if (!rec)
        return -ENOENT;
    *out = *rec;
    return 0;
}

static int fake_list(struct anc_store *st, anc_store_found_fn found, anc_store_bad_fn bad,
                     void *arg)
{
    struct fake_store *f = (struct fake_store *)st;
    int n = 0;
    (void)bad;
    for (int i = 0; i < FAKE_MAX; i++) {
        if (f->recs[i].revision) {
            found(arg, &f->recs[i]);
            n++;
        }
    }
    return n;
}

static int fake_put(struct anc_store *st, const struct anc_instance *inst, uint64_t expected,
                    uint64_t *new_revision)
{
    struct fake_store *f = (struct fake_store *)st;
    struct anc_instance *rec = fake_find(st, inst->id);
    if (expected == 0 && rec)
        return -EEXIST;
    if (expected && !rec)
        return -ENOENT;
    if (rec && rec->revision != expected)
        return -ESTALE;
    for (int i = 0; !rec && i < FAKE_MAX; i++)
        if (!f->recs[i].revision)
            rec = &f->recs[i];
    if (!rec)
        return -ENOSPC;
    *rec = *inst;
    rec->revision = *new_revision = f->last_revision += 7;
    return 0;
}

static int fake_delete(struct anc_store *st, const char *id, uint64_t expected)
{
    struct anc_instance *rec = fake_find(st, id);
    if (!rec)
        return -ENOENT;
    if (expected && rec->revision != expected)
        return -ESTALE;
    rec->revision = 0;
    return 0;
}

static void fake_close(struct anc_store *st)
{
    free(st);
}

static const struct anc_store_ops fake_ops = {
    .load = fake_load,
    .list = fake_list,
    .put = fake_put,
    .delete = fake_delete,
    .close = fake_close,
};

static struct anc_store *fake_open(void)
{
    struct fake_store *f = calloc(1, sizeof(*f));
    CHECK(f != NULL);
    f->store.ops = &fake_ops;
    f->last_revision = 1000;
    return &f->store;
}

static char err[300];

static void make(struct anc_instance *inst, const char *text)
{
    json_t *req = json_loads(text, 0, NULL);
    CHECK(req != NULL);
    CHECK_EQ(anc_instance_from_request(inst, req, 30, err, sizeof(err)), 0);
    json_decref(req);
}

static int n_found, n_bad;
static struct anc_instance found_recs[FAKE_MAX];

static void found(void *arg, const struct anc_instance *inst)
{
    (void)arg;
    if (n_found < FAKE_MAX)
        found_recs[n_found] = *inst;
    n_found++;
}

static void bad(void *arg, const char *where, const char *reason)
{
    (void)arg;
    fprintf(stderr, "bad record %s: %s\n", where, reason);
    n_bad++;
}

static int list(struct anc_store *st)
{
    n_found = n_bad = 0;
    return anc_store_list(st, found, bad, NULL);
}

static const struct anc_instance *listed(const char *id)
{
    for (int i = 0; i < n_found && i < FAKE_MAX; i++)
        if (strcmp(found_recs[i].id, id) == 0)
            return &found_recs[i];
    return NULL;
}

/* What the manager relies on, whatever the backend. */
static void check_contract(struct anc_store *st)
{
    struct anc_instance a, b, got;
    uint64_t rev1 = 0, rev2 = 0, untouched = 42;
    make(&a, "{\"name\":\"a\",\"kind\":\"pattern\",\"bitrate_kbps\":2000}");
    make(&b, "{\"name\":\"b\",\"kind\":\"x11\",\"command\":[\"/bin/true\",\"-x\"]}");

    /* Create: expected 0; a second create of the same id fails. */
    CHECK_EQ(anc_store_put(st, &a, 0, &rev1), 0);
    CHECK(rev1 != 0);
    CHECK_EQ(anc_store_put(st, &a, 0, &untouched), -EEXIST);
    CHECK_EQ(untouched, 42);
    CHECK_EQ(anc_store_load(st, a.id, &got), 0);
    CHECK_STREQ(got.name, "a");
    CHECK_EQ(got.bitrate_kbps, 2000);
    CHECK_EQ(got.revision, rev1);

    /* Update with the current revision; new_revision may point into the record being written. */
    a.revision = rev1;
    a.state = ANC_STATE_RUNNING;
    CHECK_EQ(anc_store_put(st, &a, a.revision, &a.revision), 0);
    rev2 = a.revision;
    CHECK(rev2 != rev1);

    /* A put from an outdated copy changes nothing. */
    a.state = ANC_STATE_ERROR;
    CHECK_EQ(anc_store_put(st, &a, rev1, &untouched), -ESTALE);
    CHECK_EQ(untouched, 42);
    CHECK_EQ(anc_store_load(st, a.id, &got), 0);
    CHECK_EQ(got.state, ANC_STATE_RUNNING);
    CHECK_EQ(got.revision, rev2);

    /* Updating a record that is not there. */
    CHECK_EQ(anc_store_put(st, &b, rev2, NULL), -ENOENT);
    CHECK_EQ(anc_store_load(st, b.id, &got), -ENOENT);
    CHECK_EQ(anc_store_put(st, &b, 0, &b.revision), 0);

    CHECK_EQ(list(st), 2);
    CHECK_EQ(n_bad, 0);
    CHECK(listed(a.id) && listed(a.id)->revision == rev2);
    CHECK(listed(b.id) && listed(b.id)->revision == b.revision);
    CHECK_EQ(listed(b.id)->n_command, 2);
    CHECK_STREQ(listed(b.id)->command[1], "-x");

    /* Delete: only the current revision (or 0, any), and only once. */
    CHECK_EQ(anc_store_delete(st, a.id, rev1), -ESTALE);
    CHECK_EQ(anc_store_delete(st, a.id, rev2), 0);
    CHECK_EQ(anc_store_delete(st, a.id, rev2), -ENOENT);
    CHECK_EQ(anc_store_load(st, a.id, &got), -ENOENT);
    CHECK_EQ(anc_store_delete(st, b.id, 0), 0);
    CHECK_EQ(anc_store_delete(st, b.id, 0), -ENOENT);
    CHECK_EQ(list(st), 0);

    /* Created again after a delete: from scratch. */
    CHECK_EQ(anc_store_put(st, &a, rev2, NULL), -ENOENT);
    CHECK_EQ(anc_store_put(st, &a, 0, NULL), 0);
    CHECK_EQ(list(st), 1);
}

static void tmp_state_dir(char *dir)
{
    strcpy(dir, "/tmp/anc-store-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static void remove_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/instances/%s", dir, name);
    CHECK_EQ(anc_write_file_atomic(path, text, strlen(text), 0600), 0);
}

static char *read_text(const char *dir, const char *name)
{
    char path[512], *text = NULL;
    snprintf(path, sizeof(path), "%s/instances/%s", dir, name);
    return anc_read_file(path, 1 << 20, &text, NULL) == 0 ? text : NULL;
}

static bool exists(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/instances/%s", dir, name);
    return access(path, F_OK) == 0;
}

TEST(fake_backend_contract)
{
    struct anc_store *st = fake_open();
    check_contract(st);
    anc_store_close(st);
    anc_store_close(NULL);
}

TEST(files_backend_contract)
{
    char dir[64];
    struct anc_store *st;
    tmp_state_dir(dir);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    check_contract(st);
    anc_store_close(st);
    remove_dir(dir);
}

TEST(files_revision_is_in_the_file_not_in_the_api)
{
    char dir[64], name[32];
    struct anc_store *st;
    struct anc_instance a;
    tmp_state_dir(dir);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    make(&a, "{\"name\":\"a\",\"kind\":\"pattern\"}");
    CHECK_EQ(anc_store_put(st, &a, 0, &a.revision), 0);
    CHECK_EQ(a.revision, 1);
    CHECK_EQ(anc_store_put(st, &a, a.revision, &a.revision), 0);
    CHECK_EQ(a.revision, 2);
    snprintf(name, sizeof(name), "%s.json", a.id);
    char *text = read_text(dir, name);
    CHECK(text && strstr(text, "\"revision\": 2") != NULL);
    free(text);
    json_t *api = anc_instance_to_json(&a);
    CHECK(json_object_get(api, "revision") == NULL);
    json_decref(api);

    /* Revisions survive a restart of the store. */
    anc_store_close(st);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    CHECK_EQ(list(st), 1);
    CHECK_EQ(found_recs[0].revision, 2);
    CHECK_EQ(anc_store_put(st, &a, 1, NULL), -ESTALE);
    CHECK_EQ(anc_store_put(st, &a, 2, NULL), 0);

    /* Ids become file names: anything else is refused. */
    struct anc_instance got;
    CHECK_EQ(anc_store_load(st, "../../etc/x", &got), -EINVAL);
    CHECK_EQ(anc_store_delete(st, "0123456789aB", 0), -EINVAL);
    anc_store_close(st);
    remove_dir(dir);
}

TEST(files_stale_put_leaves_the_file_unchanged)
{
    char dir[64], name[32];
    struct anc_store *st;
    struct anc_instance a;
    tmp_state_dir(dir);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    make(&a, "{\"name\":\"a\",\"kind\":\"pattern\",\"fps\":15}");
    CHECK_EQ(anc_store_put(st, &a, 0, &a.revision), 0);
    CHECK_EQ(anc_store_put(st, &a, a.revision, &a.revision), 0);
    snprintf(name, sizeof(name), "%s.json", a.id);
    char *before = read_text(dir, name);
    CHECK(before != NULL);

    a.fps = 60;
    a.state = ANC_STATE_RUNNING;
    CHECK_EQ(anc_store_put(st, &a, 1, NULL), -ESTALE);
    CHECK_EQ(anc_store_put(st, &a, 0, NULL), -EEXIST);
    CHECK_EQ(anc_store_delete(st, a.id, 1), -ESTALE);
    char *after = read_text(dir, name);
    CHECK_STREQ(after, before);
    free(before);
    free(after);
    anc_store_close(st);
    remove_dir(dir);
}

/* Records written before revisions existed: the same JSON without "revision". */
TEST(files_old_record_without_revision_loads)
{
    char dir[64];
    struct anc_store *st;
    tmp_state_dir(dir);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    write_text(dir, "0123456789ab.json",
               "{\n  \"created_at\": 1700000000,\n  \"fps\": 30,\n  \"height\": 1280,\n"
               "  \"id\": \"0123456789ab\",\n  \"kind\": \"pattern\",\n  \"name\": \"old\",\n"
               "  \"state\": \"running\",\n  \"width\": 720\n}");
    CHECK_EQ(list(st), 1);
    CHECK_EQ(n_bad, 0);
    struct anc_instance old = found_recs[0];
    CHECK_STREQ(old.name, "old");
    CHECK_EQ(old.state, ANC_STATE_RUNNING);
    CHECK_EQ(old.created_at, 1700000000);
    CHECK_EQ(old.revision, 1);
    old.state = ANC_STATE_STOPPED;
    CHECK_EQ(anc_store_put(st, &old, old.revision, &old.revision), 0);
    CHECK_EQ(old.revision, 2);
    struct anc_instance got;
    CHECK_EQ(anc_store_load(st, "0123456789ab", &got), 0);
    CHECK_EQ(got.state, ANC_STATE_STOPPED);
    CHECK_EQ(got.revision, 2);
    anc_store_close(st);
    remove_dir(dir);
}

TEST(files_corrupt_records_are_moved_aside)
{
    char dir[64];
    struct anc_store *st;
    struct anc_instance a, got;
    tmp_state_dir(dir);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    make(&a, "{\"name\":\"a\",\"kind\":\"pattern\"}");
    CHECK_EQ(anc_store_put(st, &a, 0, &a.revision), 0);

    /* Not JSON; an id that is not its file's; a bad revision; a field nobody knows (the record
     * check stays strict). */
    write_text(dir, "000000000001.json", "{\"id\":");
    write_text(dir, "aaaaaaaaaaaa.json",
               "{\"id\":\"bbbbbbbbbbbb\",\"name\":\"x\",\"kind\":\"pattern\",\"state\":\"stopped\","
               "\"created_at\":1}");
    write_text(dir, "000000000002.json",
               "{\"id\":\"000000000002\",\"name\":\"x\",\"kind\":\"pattern\",\"state\":\"stopped\","
               "\"created_at\":1,\"revision\":0}");
    write_text(dir, "000000000003.json",
               "{\"id\":\"000000000003\",\"name\":\"x\",\"kind\":\"pattern\",\"state\":\"stopped\","
               "\"created_at\":1,\"revision\":\"7\"}");
    write_text(dir, "000000000004.json",
               "{\"id\":\"000000000004\",\"name\":\"x\",\"kind\":\"pattern\",\"state\":\"stopped\","
               "\"created_at\":1,\"colour\":1}");
    CHECK_EQ(anc_store_load(st, "000000000001", &got), -EBADMSG);
    CHECK_EQ(list(st), 1);
    CHECK_EQ(n_bad, 5);
    CHECK_STREQ(found_recs[0].id, a.id);
    const char *const aside[] = {"000000000001", "aaaaaaaaaaaa", "000000000002", "000000000003",
                                 "000000000004"};
    for (size_t i = 0; i < sizeof(aside) / sizeof(aside[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.json", aside[i]);
        CHECK(!exists(dir, name));
        strcat(name, ".corrupt");
        CHECK(exists(dir, name));
    }
    CHECK_EQ(list(st), 1);
    CHECK_EQ(n_bad, 0);
    anc_store_close(st);
    remove_dir(dir);
}

/* A crash between writing <id>.json.tmp and its rename leaves the old record intact and the
 * tmp file behind: the record reads as before and the leftover goes. */
TEST(files_tmp_left_by_a_crash_is_ignored)
{
    char dir[64], name[64];
    struct anc_store *st;
    struct anc_instance a;
    tmp_state_dir(dir);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    make(&a, "{\"name\":\"a\",\"kind\":\"pattern\"}");
    CHECK_EQ(anc_store_put(st, &a, 0, &a.revision), 0);
    snprintf(name, sizeof(name), "%s.json.tmp", a.id);
    write_text(dir, name, "{\"id\": \"half a rec");
    write_text(dir, "0123456789ab.json.tmp", "{\"id\":");
    CHECK_EQ(list(st), 1);
    CHECK_EQ(n_bad, 0);
    CHECK_EQ(found_recs[0].state, ANC_STATE_STOPPED);
    CHECK_EQ(found_recs[0].revision, 1);
    CHECK(!exists(dir, name));
    CHECK(!exists(dir, "0123456789ab.json.tmp"));
    CHECK(!exists(dir, "0123456789ab.json.tmp.corrupt"));
    a.state = ANC_STATE_RUNNING;
    CHECK_EQ(anc_store_put(st, &a, 1, &a.revision), 0);
    CHECK_EQ(a.revision, 2);
    anc_store_close(st);
    remove_dir(dir);
}

/* Android records (dpi, image, limits) and a linux one with capture "agent" come back as written
 * from the files backend, across a restart of the store. */
TEST(files_android_and_capture_round_trip)
{
    char dir[64];
    struct anc_store *st;
    struct anc_instance a, l;
    tmp_state_dir(dir);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    make(&a, "{\"name\":\"phone\",\"kind\":\"android\",\"image\":\"redroid13\",\"dpi\":480,"
             "\"width\":1080,\"height\":1920,\"fps\":60,\"memory_mb\":4096,\"cpus\":4,"
             "\"restart\":\"on-failure\",\"bitrate_kbps\":8000}");
    make(&l, "{\"name\":\"desk\",\"kind\":\"linux\",\"image\":\"debian\",\"capture\":\"agent\"}");
    CHECK_EQ(anc_store_put(st, &a, 0, &a.revision), 0);
    CHECK_EQ(anc_store_put(st, &l, 0, &l.revision), 0);
    anc_store_close(st);
    CHECK_EQ(anc_store_files_open(dir, &st), 0);
    CHECK_EQ(list(st), 2);
    CHECK_EQ(n_bad, 0);
    const struct anc_instance *ga = listed(a.id), *gl = listed(l.id);
    CHECK(ga && gl);
    CHECK_EQ(ga->kind, ANC_KIND_ANDROID);
    CHECK_EQ(ga->dpi, 480);
    CHECK_EQ(ga->width, 1080);
    CHECK_EQ(ga->fps, 60);
    CHECK_EQ(ga->memory_mb, 4096);
    CHECK_EQ(ga->cpus, 4);
    CHECK_EQ(ga->bitrate_kbps, 8000);
    CHECK_EQ(ga->restart, ANC_RESTART_ON_FAILURE);
    CHECK_EQ(ga->capture, ANC_CAPTURE_AGENT);
    CHECK_STREQ(ga->image, "redroid13");
    CHECK_EQ(gl->kind, ANC_KIND_LINUX);
    CHECK_EQ(gl->capture, ANC_CAPTURE_AGENT);
    anc_store_close(st);
    remove_dir(dir);
}
