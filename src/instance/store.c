#include "instance/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsutil.h"

#define MAX_RECORD (64 * 1024)

int anc_store_open(struct anc_store *st, const char *state_dir)
{
    if (snprintf(st->dir, sizeof(st->dir), "%s/instances", state_dir) >= (int)sizeof(st->dir))
        return -ENAMETOOLONG;
    return anc_mkdir_p(st->dir, 0700);
}

static int record_path(const struct anc_store *st, const char *id, char *out, size_t len)
{
    if (snprintf(out, len, "%s/%s.json", st->dir, id) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

int anc_store_save(struct anc_store *st, const struct anc_instance *inst)
{
    char path[PATH_MAX];
    int r = record_path(st, inst->id, path, sizeof(path));
    if (r < 0)
        return r;
    json_t *o = anc_instance_to_json(inst);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!text)
        return -ENOMEM;
    r = anc_write_file_atomic(path, text, strlen(text), 0600);
    free(text);
    return r;
}

int anc_store_remove(struct anc_store *st, const char *id)
{
    char path[PATH_MAX];
    int r = record_path(st, id, path, sizeof(path));
    if (r < 0)
        return r;
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

static int load_one(const char *path, const char *fname, struct anc_instance *inst, char *why,
                    size_t whylen)
{
    char *text;
    int r = anc_read_file(path, MAX_RECORD, &text, NULL);
    if (r < 0) {
        snprintf(why, whylen, "cannot read: %s", strerror(-r));
        return r;
    }
    json_error_t jerr;
    json_t *rec = json_loads(text, 0, &jerr);
    free(text);
    if (!rec) {
        snprintf(why, whylen, "not JSON: line %d: %s", jerr.line, jerr.text);
        return -EINVAL;
    }
    r = anc_instance_from_record(inst, rec, why, whylen);
    json_decref(rec);
    if (r == 0 && strncmp(fname, inst->id, ANC_INSTANCE_ID_LEN) != 0) {
        snprintf(why, whylen, "id %s does not match the file name", inst->id);
        r = -EINVAL;
    }
    return r;
}

int anc_store_load(struct anc_store *st, void (*found)(void *arg, const struct anc_instance *inst),
                   void (*bad)(void *arg, const char *path, const char *reason), void *arg)
{
    DIR *d = opendir(st->dir);
    if (!d)
        return -errno;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[PATH_MAX + 256], why[300];
        struct anc_instance inst;
        snprintf(path, sizeof(path), "%s/%s", st->dir, e->d_name);
        if (load_one(path, e->d_name, &inst, why, sizeof(why)) < 0) {
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
