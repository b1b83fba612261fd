/* Reads scrcpy-server's version from its jar: a zip reader for one entry and a dex walk to one
 * static field (agent_jar.h). Every offset read from the input is checked against its length. */
#include "instance/agent_jar.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/fsutil.h"

#define BUILDCONFIG  "Lcom/genymobile/scrcpy/BuildConfig;"
#define VERSION_NAME "VERSION_NAME"
#define STRING_TYPE  "Ljava/lang/String;"

/* --- dex ----------------------------------------------------------------------------------- */

struct dex {
    const uint8_t *p;
    size_t len;
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* A u32 at off, or -1 when it is not inside the file. */
static int64_t u32_at(const struct dex *d, uint64_t off)
{
    return off + 4 <= d->len ? (int64_t)le32(d->p + off) : -1;
}

/* An unsigned LEB128 (at most 5 bytes) at *off, which moves past it; -1 when malformed. */
static int64_t uleb(const struct dex *d, uint64_t *off)
{
    uint32_t v = 0;
    for (int i = 0; i < 5; i++) {
        if (*off >= d->len)
            return -1;
        uint8_t b = d->p[(*off)++];
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            return v;
    }
    return -1;
}

/* The item `idx` of a table of `size` items of `item` bytes whose offset is at header field
 * `hdr`: its file offset, or -1. */
static int64_t table_item(const struct dex *d, size_t hdr, uint32_t idx, uint32_t item)
{
    int64_t size = u32_at(d, hdr), off = u32_at(d, hdr + 4);
    if (size < 0 || off < 0 || idx >= (uint64_t)size)
        return -1;
    uint64_t at = (uint64_t)off + (uint64_t)idx * item;
    return at + item <= d->len ? (int64_t)at : -1;
}

/* Compares string `idx` (MUTF-8 after a ULEB128 length) with s; -1 when malformed. */
static int string_is(const struct dex *d, uint32_t idx, const char *s)
{
    int64_t id = table_item(d, 56, idx, 4);
    uint64_t off;
    if (id < 0 || (off = (uint64_t)le32(d->p + id)) >= d->len || uleb(d, &off) < 0)
        return -1;
    size_t n = strlen(s);
    if (off + n + 1 > d->len)
        return 0;
    return memcmp(d->p + off, s, n) == 0 && d->p[off + n] == '\0';
}

/* The descriptor of type `idx` is s. */
static int type_is(const struct dex *d, uint32_t idx, const char *s)
{
    int64_t t = table_item(d, 64, idx, 4);
    return t < 0 ? -1 : string_is(d, le32(d->p + t), s);
}

/* Copies string `idx` into out when it is a plain version string. */
static int copy_version(const struct dex *d, uint32_t idx, char *out, size_t outlen)
{
    static const char ok[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+_-";
    int64_t id = table_item(d, 56, idx, 4);
    uint64_t off;
    if (id < 0 || (off = (uint64_t)le32(d->p + id)) >= d->len || uleb(d, &off) < 0)
        return -EBADMSG;
    const uint8_t *s = d->p + off, *end = memchr(s, '\0', d->len - off);
    size_t n = end ? (size_t)(end - s) : 0;
    if (!end)
        return -EBADMSG;
    if (n == 0 || n >= outlen || n >= ANC_AGENT_VERSION_MAX || strspn((const char *)s, ok) != n)
        return -ENAMETOOLONG;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* Skips one encoded_value whose header byte is at *off (dex format: value_arg << 5 | type).
 * Arrays and annotations never precede a String constant in a BuildConfig: refused. */
static int skip_value(const struct dex *d, uint64_t *off, uint8_t *type, uint32_t *arg)
{
    if (*off >= d->len)
        return -EBADMSG;
    uint8_t b = d->p[(*off)++];
    *type = b & 0x1f;
    *arg = b >> 5;
    switch (*type) {
    case 0x1e: /* null */
    case 0x1f: /* boolean: the value is in arg */
        return 0;
    case 0x1c: /* array */
    case 0x1d: /* annotation */
        return -EBADMSG;
    default:
        if (*off + *arg + 1 > d->len)
            return -EBADMSG;
        *off += *arg + 1;
        return 0;
    }
}

/* The static_values entry `pos` of a class: a string index (VALUE_STRING), or an error. */
static int static_string(const struct dex *d, uint32_t values_off, uint32_t pos, uint32_t *idx)
{
    uint64_t off = values_off;
    int64_t n = values_off ? uleb(d, &off) : 0;
    if (n < 0)
        return -EBADMSG;
    if ((uint64_t)pos >= (uint64_t)n)
        return -ENOENT; /* a constant always has a value: this field is no constant */
    for (uint32_t i = 0;; i++) {
        uint8_t type;
        uint32_t arg;
        uint64_t at = off + 1;
        if (skip_value(d, &off, &type, &arg) < 0)
            return -EBADMSG;
        if (i < pos)
            continue;
        if (type != 0x17)
            return -ENOENT;
        *idx = 0;
        for (uint32_t k = 0; k <= arg; k++)
            *idx |= (uint32_t)d->p[at + k] << (8 * k);
        return 0;
    }
}

/* In one class_def: the position of VERSION_NAME among its static fields, then its value. */
static int class_version(const struct dex *d, uint64_t def, char *out, size_t outlen)
{
    uint64_t off = le32(d->p + def + 24);
    int64_t n_static = off ? uleb(d, &off) : 0;
    if (n_static < 0 || uleb(d, &off) < 0 || uleb(d, &off) < 0 || uleb(d, &off) < 0)
        return -EBADMSG;
    uint32_t field = 0;
    for (uint32_t i = 0; i < (uint64_t)n_static; i++) {
        int64_t diff = uleb(d, &off);
        if (diff < 0 || uleb(d, &off) < 0)
            return -EBADMSG;
        field += (uint32_t)diff;
        int64_t f = table_item(d, 80, field, 8);
        if (f < 0)
            return -EBADMSG;
        int name = string_is(d, le32(d->p + f + 4), VERSION_NAME);
        int type = type_is(d, le16(d->p + f + 2), STRING_TYPE);
        if (name < 0 || type < 0)
            return -EBADMSG;
        if (!name || !type)
            continue;
        uint32_t idx;
        int r = static_string(d, le32(d->p + def + 28), i, &idx);
        return r < 0 ? r : copy_version(d, idx, out, outlen);
    }
    return -ENOENT;
}

int anc_agent_dex_version(const uint8_t *dex, size_t len, char *out, size_t outlen)
{
    struct dex d = {dex, len};
    if (len < 0x70 || memcmp(dex, "dex\n", 4) != 0 || dex[7] != '\0')
        return -EBADMSG;
    int64_t n_defs = u32_at(&d, 96);
    for (uint32_t i = 0; n_defs > 0 && i < (uint64_t)n_defs; i++) {
        int64_t def = table_item(&d, 96, i, 32);
        if (def < 0)
            return -EBADMSG;
        int is = type_is(&d, le32(dex + def), BUILDCONFIG);
        if (is < 0)
            return -EBADMSG;
        if (is)
            return class_version(&d, (uint64_t)def, out, outlen);
    }
    return -ENOENT;
}

/* --- zip ----------------------------------------------------------------------------------- */

#define EOCD_SIG     0x06054b50u
#define CENTRAL_SIG  0x02014b50u
#define LOCAL_SIG    0x04034b50u
#define EOCD_LEN     22
#define CENTRAL_LEN  46
#define LOCAL_LEN    30
#define ZIP_MAX_NOTE 0xffff

struct entry {
    uint16_t method;
    uint32_t csize, usize, local;
};

/* The End Of Central Directory record: the last one, within the comment's reach of the end. */
static int64_t find_eocd(const uint8_t *p, size_t len)
{
    if (len < EOCD_LEN)
        return -1;
    size_t stop = len - EOCD_LEN > ZIP_MAX_NOTE ? len - EOCD_LEN - ZIP_MAX_NOTE : 0;
    for (size_t at = len - EOCD_LEN + 1; at-- > stop;)
        if (le32(p + at) == EOCD_SIG)
            return (int64_t)at;
    return -1;
}

static int find_entry(const uint8_t *p, size_t len, const char *name, struct entry *e)
{
    int64_t eocd = find_eocd(p, len);
    if (eocd < 0)
        return -EBADMSG;
    uint32_t count = le16(p + eocd + 10), off = le32(p + eocd + 16);
    size_t want = strlen(name);
    for (uint32_t i = 0; i < count; i++) {
        if ((uint64_t)off + CENTRAL_LEN > len || le32(p + off) != CENTRAL_SIG)
            return -EBADMSG;
        uint16_t n = le16(p + off + 28), extra = le16(p + off + 30), note = le16(p + off + 32);
        if ((uint64_t)off + CENTRAL_LEN + n > len)
            return -EBADMSG;
        if (n == want && memcmp(p + off + CENTRAL_LEN, name, n) == 0) {
            *e = (struct entry){le16(p + off + 10), le32(p + off + 20), le32(p + off + 24),
                                le32(p + off + 42)};
            return 0;
        }
        off += CENTRAL_LEN + n + extra + note;
    }
    return -ENOENT;
}

static int inflate_raw(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
    z_stream z = {0};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return -ENOMEM;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)inlen;
    z.next_out = out;
    z.avail_out = (uInt)outlen;
    int r = inflate(&z, Z_FINISH);
    size_t got = z.total_out;
    inflateEnd(&z);
    return r == Z_STREAM_END && got == outlen ? 0 : -EBADMSG;
}

int anc_agent_jar_version(const uint8_t *jar, size_t len, char *out, size_t outlen)
{
    struct entry e;
    int r = find_entry(jar, len, "classes.dex", &e);
    if (r < 0)
        return r;
    if ((uint64_t)e.local + LOCAL_LEN > len || le32(jar + e.local) != LOCAL_SIG)
        return -EBADMSG;
    uint64_t data =
        (uint64_t)e.local + LOCAL_LEN + le16(jar + e.local + 26) + le16(jar + e.local + 28);
    if (data + e.csize > len)
        return -EBADMSG;
    if (e.method == 0)
        return e.csize == e.usize ? anc_agent_dex_version(jar + data, e.csize, out, outlen)
                                  : -EBADMSG;
    if (e.method != 8)
        return -EBADMSG;
    if (e.usize > ANC_AGENT_JAR_MAX)
        return -EFBIG;
    uint8_t *dex = malloc(e.usize ? e.usize : 1);
    if (!dex)
        return -ENOMEM;
    r = inflate_raw(jar + data, e.csize, dex, e.usize);
    if (r == 0)
        r = anc_agent_dex_version(dex, e.usize, out, outlen);
    free(dex);
    return r;
}

/* --- the operator's file ------------------------------------------------------------------- */

int anc_agent_jar_check(const char *path, char *why, size_t len)
{
    char *buf = NULL, version[ANC_AGENT_VERSION_MAX];
    size_t n = 0;
    int r = anc_read_file(path, ANC_AGENT_JAR_MAX, &buf, &n);
    if (r == -ENOENT) {
        snprintf(why, len,
                 "[android] agent_jar: %s does not exist; install scrcpy-server " ANC_AGENT_VERSION
                 " there (the scrcpy release file scrcpy-server-v" ANC_AGENT_VERSION
                 ") or set agent_jar to where it is",
                 path);
        return r;
    }
    if (r < 0) {
        snprintf(why, len, "[android] agent_jar: cannot read %s: %s", path, strerror(-r));
        return r;
    }
    r = anc_agent_jar_version((const uint8_t *)buf, n, version, sizeof(version));
    free(buf);
    if (r < 0) {
        snprintf(why, len,
                 "[android] agent_jar: %s is not a scrcpy-server jar (no readable "
                 "BuildConfig.VERSION_NAME in its classes.dex: %s); install "
                 "scrcpy-server " ANC_AGENT_VERSION,
                 path, strerror(-r));
        return r == -ENOMEM ? r : -EBADMSG;
    }
    if (strcmp(version, ANC_AGENT_VERSION) != 0) {
        snprintf(why, len,
                 "[android] agent_jar: %s is scrcpy-server %s, but this ancloudd needs "
                 "version " ANC_AGENT_VERSION " (the agent protocol changes between versions)",
                 path, version);
        return -EPROTO;
    }
    why[0] = '\0';
    return 0;
}
