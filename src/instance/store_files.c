#include "instance/store_files.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"

#define MAX_RECORD (64 * 1024)

struct store_files {
    struct anc_store store; /* first: the ops take it */
    char dir[PATH_MAX];
};

static struct store_files *files_of(struct anc_store *st)
{
    return (struct store_files *)st;
}

/* Ids become file names: nothing but the 12 lowercase hex characters of anc_instance_new_id(). */
static bool valid_id(const char *id)
{
    return strlen(id) == ANC_INSTANCE_ID_LEN && strspn(id, "0123456789abcdef") == strlen(id);
}

static int record_path(const struct store_files *fs, const char *id, char *out, size_t len)
{
    if (!valid_id(id))
        return -EINVAL;
    if (snprintf(out, len, "%s/%s.json", fs->dir, id) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

/* The file's "revision" is the store's, not the record's: it is taken out before the strict
 * anc_instance_from_record() sees the rest. */
static int parse_record(const char *text, const char *id, struct anc_instance *out, char *why,
                        size_t whylen)
{
    json_error_t jerr;
    json_t *rec = json_loads(text, 0, &jerr);
    if (!rec) {
        snprintf(why, whylen, "not JSON: line %d: %s", jerr.line, jerr.text);
        return -EBADMSG;
    }
    json_t *rev = json_object_get(rec, "revision");
    json_int_t revision = rev ? (json_is_integer(rev) ? json_integer_value(rev) : 0) : 1;
    int r = 0;
    if (revision < 1) {
        snprintf(why, whylen, "revision: must be a positive integer");
        r = -EBADMSG;
    } else {
        json_object_del(rec, "revision");
        r = anc_instance_from_record(out, rec, why, whylen) < 0 ? -EBADMSG : 0;
    }
    json_decref(rec);
    if (r == 0 && strcmp(out->id, id) != 0) {
        snprintf(why, whylen, "id %s does not match the file name", out->id);
        r = -EBADMSG;
    }
    if (r == 0)
        out->revision = (uint64_t)revision;
    return r;
}

/* -ENOENT: no file; -EBADMSG: it does not parse (why says how). */
static int read_record(const char *path, const char *id, struct anc_instance *out, char *why,
                       size_t whylen)
{
    char *text;
    int r = anc_read_file(path, MAX_RECORD, &text, NULL);
    if (r < 0) {
        snprintf(why, whylen, "cannot read: %s", strerror(-r));
        return r;
    }
    r = parse_record(text, id, out, why, whylen);
    free(text);
    return r;
}

/* The stored revision of id, 0 when there is no record. */
static int stored_revision(struct store_files *fs, const char *id, uint64_t *out)
{
    char path[PATH_MAX], why[300];
    struct anc_instance cur;
    int r = record_path(fs, id, path, sizeof(path));
    if (r < 0)
        return r;
    r = read_record(path, id, &cur, why, sizeof(why));
    *out = r == 0 ? cur.revision : 0;
    return r == -ENOENT ? 0 : r;
}

static int files_load(struct anc_store *st, const char *id, struct anc_instance *out)
{
    char path[PATH_MAX], why[300];
    int r = record_path(files_of(st), id, path, sizeof(path));
    return r < 0 ? r : read_record(path, id, out, why, sizeof(why));
}

static int write_record(struct store_files *fs, const struct anc_instance *inst, uint64_t revision)
{
    char path[PATH_MAX];
    int r = record_path(fs, inst->id, path, sizeof(path));
    if (r < 0)
        return r;
    json_t *o = anc_instance_to_json(inst);
    if (o && json_object_set_new(o, "revision", json_integer((json_int_t)revision)) < 0) {
        json_decref(o);
        o = NULL;
    }
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!text)
        return -ENOMEM;
    r = anc_write_file_atomic(path, text, strlen(text), 0600);
    free(text);
    return r;
}

static int files_put(struct anc_store *st, const struct anc_instance *inst, uint64_t expected,
                     uint64_t *new_revision)
{
    struct store_files *fs = files_of(st);
    uint64_t cur;
    int r = stored_revision(fs, inst->id, &cur);
    if (r < 0)
        return r;
    if (expected == 0 && cur)
        return -EEXIST;
    if (expected && !cur)
        return -ENOENT;
    if (expected != cur)
        return -ESTALE;
    if (cur >= (uint64_t)INT64_MAX) /* JSON integers are signed 64 bits */
        return -EOVERFLOW;
    r = write_record(fs, inst, cur + 1);
    if (r == 0)
        *new_revision = cur + 1;
    return r;
}

static int files_delete(struct anc_store *st, const char *id, uint64_t expected)
{
    struct store_files *fs = files_of(st);
    char path[PATH_MAX];
    uint64_t cur = 0;
    int r = record_path(fs, id, path, sizeof(path));
    if (r == 0 && expected)
        r = stored_revision(fs, id, &cur);
    if (r < 0)
        return r;
    if (expected && !cur)
        return -ENOENT;
    if (expected && expected != cur)
        return -ESTALE;
    return unlink(path) < 0 ? -errno : 0;
}

/* A record that does not parse goes to <path>.corrupt, for a human to look at; a <name>.json.tmp
 * is a write that a crash interrupted before its rename (the record itself is intact) and goes. */
static int files_list(struct anc_store *st, anc_store_found_fn found, anc_store_bad_fn bad,
                      void *arg)
{
    struct store_files *fs = files_of(st);
    DIR *d = opendir(fs->dir);
    if (!d)
        return -errno;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX + 256], id[256], why[300];
        size_t len = strlen(e->d_name);
        snprintf(path, sizeof(path), "%s/%s", fs->dir, e->d_name);
        if (len > 9 && strcmp(e->d_name + len - 9, ".json.tmp") == 0)
            unlink(path);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(id, sizeof(id), "%.*s", (int)(len - 5), e->d_name);
        struct anc_instance inst;
        if (read_record(path, id, &inst, why, sizeof(why)) < 0) {
            char aside[PATH_MAX + 300];
            snprintf(aside, sizeof(aside), "%s.corrupt", path);
            rename(path, aside);
            bad(arg, path, why);
            continue;
        }
        found(arg, &inst);
        n++;
    }
    closedir(d);
    return n;
}

static void files_close(struct anc_store *st)
{
    free(files_of(st));
}

static const struct anc_store_ops files_ops = {
    .load = files_load,
    .list = files_list,
    .put = files_put,
    .delete = files_delete,
    .close = files_close,
};

int anc_store_files_open(const char *state_dir, struct anc_store **out)
{
    struct store_files *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    fs->store.ops = &files_ops;
    int r = snprintf(fs->dir, sizeof(fs->dir), "%s/instances", state_dir) >= (int)sizeof(fs->dir)
                ? -ENAMETOOLONG
                : anc_mkdir_p(fs->dir, 0700);
    if (r < 0) {
        free(fs);
        return r;
    }
    *out = &fs->store;
    return 0;
}
