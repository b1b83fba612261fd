/* Builds scrcpy-server-like jars for tests: a classes.dex laid out the way the dexer writes
 * scrcpy's BuildConfig (strings, types, fields, class_defs, then class_data and the static_values
 * array holding DEBUG and VERSION_NAME), zipped stored or deflated as jar(1) does. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jb_buf {
    uint8_t b[4096];
    size_t n;
};

/* The type given to BuildConfig.VERSION_NAME. */
enum { JB_T_STRING = 3, JB_T_Z = 4 };

/* A dex with classes Server (no data) and BuildConfig { static final boolean DEBUG = false;
 * static final String VERSION_NAME = version; }; field_type JB_T_Z makes VERSION_NAME a boolean,
 * with_values false leaves the class without static_values. */
void jb_make_dex(struct jb_buf *d, const char *version, int field_type, bool with_values);
/* A jar with META-INF/MANIFEST.MF and classes.dex (method 0: stored, 8: deflated). */
void jb_make_jar(struct jb_buf *z, const struct jb_buf *dex, int method);
void jb_write_file(const char *path, const void *p, size_t n);
/* A jar of scrcpy-server `version` written at path. */
void jb_write_jar(const char *path, const char *version);
