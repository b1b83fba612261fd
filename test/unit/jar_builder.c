/* See jar_builder.h. */
#include "jar_builder.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "test.h"

static void put8(struct jb_buf *b, uint8_t v)
{
    CHECK(b->n < sizeof(b->b));
    b->b[b->n++] = v;
}

static void put16(struct jb_buf *b, uint16_t v)
{
    put8(b, v & 0xff);
    put8(b, v >> 8);
}

static void put32(struct jb_buf *b, uint32_t v)
{
    put16(b, v & 0xffff);
    put16(b, v >> 16);
}

static void set32(struct jb_buf *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->b[at + i] = (uint8_t)(v >> (8 * i));
}

static void put_uleb(struct jb_buf *b, uint32_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        put8(b, x | (v ? 0x80 : 0));
    } while (v);
}

enum { S_DEBUG, S_BUILDCONFIG, S_OBJECT, S_SERVER, S_STRING, S_VERSION_NAME, S_Z, S_VALUE, NSTR };
enum { T_BUILDCONFIG, T_OBJECT, T_SERVER, T_STRING, T_Z, NTYPE };

void jb_make_dex(struct jb_buf *d, const char *version, int field_type, bool with_values)
{
    const char *strings[NSTR] = {"DEBUG",
                                 "Lcom/genymobile/scrcpy/BuildConfig;",
                                 "Ljava/lang/Object;",
                                 "Lcom/genymobile/scrcpy/Server;",
                                 "Ljava/lang/String;",
                                 "VERSION_NAME",
                                 "Z",
                                 version};
    const uint32_t types[NTYPE] = {S_BUILDCONFIG, S_OBJECT, S_SERVER, S_STRING, S_Z};
    memset(d, 0, sizeof(*d));
    memcpy(d->b, "dex\n035\0", 8);
    d->n = 0x70;
    set32(d, 36, 0x70);
    set32(d, 40, 0x12345678);
    set32(d, 56, NSTR);
    set32(d, 60, (uint32_t)d->n);
    size_t string_ids = d->n;
    for (int i = 0; i < NSTR; i++)
        put32(d, 0);
    set32(d, 64, NTYPE);
    set32(d, 68, (uint32_t)d->n);
    for (int i = 0; i < NTYPE; i++)
        put32(d, types[i]);
    set32(d, 80, 2);
    set32(d, 84, (uint32_t)d->n);
    put16(d, T_BUILDCONFIG), put16(d, T_Z), put32(d, S_DEBUG);
    put16(d, T_BUILDCONFIG), put16(d, (uint16_t)field_type), put32(d, S_VERSION_NAME);
    set32(d, 96, 2);
    set32(d, 100, (uint32_t)d->n);
    size_t defs = d->n;
    for (int c = 0; c < 2; c++) {
        put32(d, c == 0 ? T_SERVER : T_BUILDCONFIG);
        put32(d, 0x11), put32(d, T_OBJECT), put32(d, 0), put32(d, 0xffffffff), put32(d, 0);
        put32(d, 0), put32(d, 0); /* class_data_off, static_values_off: set below */
    }
    set32(d, 108, (uint32_t)d->n); /* data_off */
    for (int i = 0; i < NSTR; i++) {
        set32(d, string_ids + 4 * (size_t)i, (uint32_t)d->n);
        put_uleb(d, (uint32_t)strlen(strings[i]));
        for (const char *s = strings[i]; *s; s++)
            put8(d, (uint8_t)*s);
        put8(d, 0);
    }
    set32(d, defs + 32 + 24, (uint32_t)d->n);
    put_uleb(d, 2), put_uleb(d, 0), put_uleb(d, 1), put_uleb(d, 0); /* 2 static fields, <init> */
    put_uleb(d, 0), put_uleb(d, 0x19);                              /* DEBUG */
    put_uleb(d, 1), put_uleb(d, 0x19);                              /* VERSION_NAME (+1) */
    put_uleb(d, 0), put_uleb(d, 0x10001), put_uleb(d, 0);           /* <init>, no code */
    if (with_values) {
        set32(d, defs + 32 + 28, (uint32_t)d->n);
        put_uleb(d, 2);
        put8(d, 0x1f);                   /* VALUE_BOOLEAN false */
        put8(d, 0x17), put8(d, S_VALUE); /* VALUE_STRING, one byte of index */
    }
    set32(d, 32, (uint32_t)d->n);
}

static uint32_t crc(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(0, p, (uInt)n);
}

void jb_make_jar(struct jb_buf *z, const struct jb_buf *dex, int method)
{
    static const char manifest[] = "Manifest-Version: 1.0\r\n\r\n";
    uint8_t packed[4096];
    size_t packed_len = dex->n;
    if (method == 8) {
        z_stream s = {0};
        CHECK_EQ(deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        s.next_in = (Bytef *)dex->b, s.avail_in = (uInt)dex->n;
        s.next_out = packed, s.avail_out = sizeof(packed);
        CHECK_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
        packed_len = s.total_out;
        deflateEnd(&s);
    } else {
        memcpy(packed, dex->b, dex->n);
    }
    struct {
        const char *name;
        const uint8_t *data;
        size_t len, usize;
        uint32_t crc;
        int method;
        size_t local;
    } e[2] = {{"META-INF/MANIFEST.MF", (const uint8_t *)manifest, strlen(manifest),
               strlen(manifest), crc((const uint8_t *)manifest, strlen(manifest)), 0, 0},
              {"classes.dex", packed, packed_len, dex->n, crc(dex->b, dex->n), method, 0}};
    memset(z, 0, sizeof(*z));
    for (int i = 0; i < 2; i++) {
        e[i].local = z->n;
        put32(z, 0x04034b50), put16(z, 20), put16(z, 0x0808), put16(z, (uint16_t)e[i].method);
        put32(z, 0), put32(z, e[i].crc), put32(z, (uint32_t)e[i].len);
        put32(z, (uint32_t)e[i].usize), put16(z, (uint16_t)strlen(e[i].name)), put16(z, 0);
        for (const char *s = e[i].name; *s; s++)
            put8(z, (uint8_t)*s);
        CHECK(z->n + e[i].len < sizeof(z->b));
        memcpy(z->b + z->n, e[i].data, e[i].len);
        z->n += e[i].len;
    }
    size_t central = z->n;
    for (int i = 0; i < 2; i++) {
        put32(z, 0x02014b50), put16(z, 20), put16(z, 20), put16(z, 0x0808);
        put16(z, (uint16_t)e[i].method), put32(z, 0), put32(z, e[i].crc);
        put32(z, (uint32_t)e[i].len), put32(z, (uint32_t)e[i].usize);
        put16(z, (uint16_t)strlen(e[i].name)), put16(z, 0), put16(z, 0), put16(z, 0);
        put16(z, 0), put32(z, 0), put32(z, (uint32_t)e[i].local);
        for (const char *s = e[i].name; *s; s++)
            put8(z, (uint8_t)*s);
    }
    size_t central_len = z->n - central;
    put32(z, 0x06054b50), put16(z, 0), put16(z, 0), put16(z, 2), put16(z, 2);
    put32(z, (uint32_t)central_len), put32(z, (uint32_t)central), put16(z, 0);
}

void jb_write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK_EQ(fwrite(p, 1, n, f), n);
    fclose(f);
}

void jb_write_jar(const char *path, const char *version)
{
    struct jb_buf d, z;
    jb_make_dex(&d, version, JB_T_STRING, true);
    jb_make_jar(&z, &d, 8);
    jb_write_file(path, z.b, z.n);
}
