/* STUN message parsing and building (RFC 8489). Everything works on caller-owned buffers. */
#include "rtc/stun.h"

#include "base/bytes.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define FINGERPRINT_XOR 0x5354554Eu
#define MI_ATTR_LEN     (4 + ANC_STUN_MI_LEN)
#define FP_ATTR_LEN     (4 + 4)

/* CRC-32 with the reflected polynomial 0xEDB88320, one entry per byte value. */
static const uint32_t crc_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
    0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988, 0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
    0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
    0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172, 0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
    0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
    0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924, 0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
    0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
    0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e, 0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
    0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
    0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0, 0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
    0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
    0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a, 0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
    0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
    0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc, 0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
    0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
    0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236, 0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
    0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
    0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38, 0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
    0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
    0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2, 0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
    0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
    0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94, 0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

static size_t padded(size_t len)
{
    return (len + 3) & ~(size_t)3;
}

uint32_t anc_stun_crc32(const uint8_t *buf, size_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

bool anc_stun_is_stun(const uint8_t *buf, size_t len)
{
    return len >= ANC_STUN_HEADER_LEN && buf[0] <= 3 && anc_rd32(buf + 4) == ANC_STUN_MAGIC;
}

/* The type field interleaves the class bits C1 (bit 8) and C0 (bit 4) with the method bits. */
static uint16_t type_method(uint16_t t)
{
    return (uint16_t)((t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2));
}

static enum anc_stun_class type_class(uint16_t t)
{
    return (enum anc_stun_class)(((t >> 4) & 1) | ((t >> 7) & 2));
}

static uint16_t make_type(uint16_t method, enum anc_stun_class cls)
{
    return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                      ((cls & 1) << 4) | ((cls & 2) << 7));
}

/* Checks one attribute at off and records MESSAGE-INTEGRITY / FINGERPRINT positions. Returns the
 * offset of the next attribute, or 0 when the message is malformed. */
static size_t parse_attr(struct anc_stun_msg *m, size_t off)
{
    const uint8_t *p = m->buf + off;
    if (m->len - off < 4 || m->fp_offset)
        return 0; /* truncated header, or something follows FINGERPRINT */
    uint16_t type = anc_rd16(p), len = anc_rd16(p + 2);
    size_t next = off + 4 + padded(len);
    if (next > m->len)
        return 0;
    if (type == ANC_STUN_ATTR_FINGERPRINT) {
        if (len != 4)
            return 0;
        m->fp_offset = off;
    } else if (type == ANC_STUN_ATTR_MESSAGE_INTEGRITY && !m->mi_offset) {
        if (len != ANC_STUN_MI_LEN)
            return 0;
        m->mi_offset = off;
        m->attrs_end = next;
    }
    if (!m->mi_offset)
        m->attrs_end = next;
    return next;
}

int anc_stun_parse(struct anc_stun_msg *m, const uint8_t *buf, size_t len)
{
    memset(m, 0, sizeof(*m));
    if (len < ANC_STUN_HEADER_LEN || (buf[0] & 0xC0) || anc_rd32(buf + 4) != ANC_STUN_MAGIC)
        return -EBADMSG;
    size_t body = anc_rd16(buf + 2);
    if (body % 4 != 0 || ANC_STUN_HEADER_LEN + body != len)
        return -EBADMSG;
    m->buf = buf;
    m->len = len;
    m->method = type_method(anc_rd16(buf));
    m->cls = type_class(anc_rd16(buf));
    m->txid = buf + 8;
    m->attrs_end = ANC_STUN_HEADER_LEN;
    for (size_t off = ANC_STUN_HEADER_LEN; off < len;) {
        off = parse_attr(m, off);
        if (!off) {
            memset(m, 0, sizeof(*m));
            return -EBADMSG;
        }
    }
    return 0;
}

static void attr_at(const struct anc_stun_msg *m, size_t off, struct anc_stun_attr *out)
{
    out->type = anc_rd16(m->buf + off);
    out->len = anc_rd16(m->buf + off + 2);
    out->value = m->buf + off + 4;
}

bool anc_stun_find(const struct anc_stun_msg *m, uint16_t type, struct anc_stun_attr *out)
{
    struct anc_stun_attr a;
    if (type == ANC_STUN_ATTR_FINGERPRINT) {
        if (!m->fp_offset)
            return false;
        attr_at(m, m->fp_offset, out);
        return true;
    }
    /* parse() has checked every attribute header and length below attrs_end. */
    for (size_t off = ANC_STUN_HEADER_LEN; off < m->attrs_end; off += 4 + padded(a.len)) {
        attr_at(m, off, &a);
        if (a.type == type) {
            *out = a;
            return true;
        }
    }
    return false;
}

bool anc_stun_has(const struct anc_stun_msg *m, uint16_t type)
{
    struct anc_stun_attr a;
    return anc_stun_find(m, type, &a);
}

int anc_stun_get_u32(const struct anc_stun_msg *m, uint16_t type, uint32_t *out)
{
    struct anc_stun_attr a;
    if (!anc_stun_find(m, type, &a))
        return -ENOENT;
    if (a.len != 4)
        return -EBADMSG;
    *out = anc_rd32(a.value);
    return 0;
}

int anc_stun_get_u64(const struct anc_stun_msg *m, uint16_t type, uint64_t *out)
{
    struct anc_stun_attr a;
    if (!anc_stun_find(m, type, &a))
        return -ENOENT;
    if (a.len != 8)
        return -EBADMSG;
    *out = (uint64_t)anc_rd32(a.value) << 32 | anc_rd32(a.value + 4);
    return 0;
}

/* The XOR mask of an address attribute: the magic cookie, then (for IPv6) the transaction id. */
static void xor_mask(const uint8_t *txid, uint8_t mask[16])
{
    anc_wr32(mask, ANC_STUN_MAGIC);
    memcpy(mask + 4, txid, ANC_STUN_TXID_LEN);
}

int anc_stun_get_xor_addr(const struct anc_stun_msg *m, struct anc_addr *out)
{
    struct anc_stun_attr a;
    uint8_t mask[16];
    if (!anc_stun_find(m, ANC_STUN_ATTR_XOR_MAPPED_ADDRESS, &a))
        return -ENOENT;
    if (a.len < 4)
        return -EBADMSG;
    xor_mask(m->txid, mask);
    uint16_t port = anc_rd16(a.value + 2) ^ (uint16_t)(ANC_STUN_MAGIC >> 16);
    memset(out, 0, sizeof(*out));
    if (a.value[1] == 0x01 && a.len == 8) {
        uint8_t *ip = (uint8_t *)&out->u.in4.sin_addr;
        for (int i = 0; i < 4; i++)
            ip[i] = a.value[4 + i] ^ mask[i];
        out->u.in4.sin_family = AF_INET;
        out->u.in4.sin_port = htons(port);
        return 0;
    }
    if (a.value[1] == 0x02 && a.len == 20) {
        uint8_t *ip = out->u.in6.sin6_addr.s6_addr;
        for (int i = 0; i < 16; i++)
            ip[i] = a.value[4 + i] ^ mask[i];
        out->u.in6.sin6_family = AF_INET6;
        out->u.in6.sin6_port = htons(port);
        return 0;
    }
    return -EBADMSG;
}

int anc_stun_get_error_code(const struct anc_stun_msg *m, int *code, const char **reason,
                            size_t *reason_len)
{
    struct anc_stun_attr a;
    if (!anc_stun_find(m, ANC_STUN_ATTR_ERROR_CODE, &a))
        return -ENOENT;
    if (a.len < 4 || (a.value[2] & 7) < 3 || (a.value[2] & 7) > 6 || a.value[3] > 99)
        return -EBADMSG;
    *code = (a.value[2] & 7) * 100 + a.value[3];
    *reason = (const char *)a.value + 4;
    *reason_len = a.len - 4u;
    return 0;
}

/* HMAC-SHA1 over up to three pieces, which is how MESSAGE-INTEGRITY covers a header whose length
 * field has to be rewritten without copying the message. */
static bool hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *p[3], const size_t n[3],
                      uint8_t out[ANC_STUN_MI_LEN])
{
    bool ok = false;
    size_t out_len = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
        OSSL_PARAM_construct_end(),
    };
    if (!ctx || !EVP_MAC_init(ctx, key, key_len, params))
        goto out;
    for (int i = 0; i < 3; i++)
        if (!EVP_MAC_update(ctx, p[i], n[i]))
            goto out;
    ok = EVP_MAC_final(ctx, out, &out_len, ANC_STUN_MI_LEN) && out_len == ANC_STUN_MI_LEN;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok;
}

/* Computes the MESSAGE-INTEGRITY value for an attribute at mi_offset of buf: the hash covers the
 * message up to that attribute, with the header's length as if the attribute ended the message. */
static bool integrity_at(const uint8_t *buf, size_t mi_offset, const uint8_t *key, size_t key_len,
                         uint8_t out[ANC_STUN_MI_LEN])
{
    uint8_t len_field[2];
    anc_wr16(len_field, (uint16_t)(mi_offset + MI_ATTR_LEN - ANC_STUN_HEADER_LEN));
    const uint8_t *p[3] = {buf, len_field, buf + 4};
    const size_t n[3] = {2, 2, mi_offset - 4};
    return key_len > 0 && hmac_sha1(key, key_len, p, n, out);
}

bool anc_stun_verify_integrity(const struct anc_stun_msg *m, const uint8_t *key, size_t key_len)
{
    uint8_t mac[ANC_STUN_MI_LEN];
    if (!m->mi_offset || !integrity_at(m->buf, m->mi_offset, key, key_len, mac))
        return false;
    return CRYPTO_memcmp(mac, m->buf + m->mi_offset + 4, ANC_STUN_MI_LEN) == 0;
}

bool anc_stun_verify_fingerprint(const struct anc_stun_msg *m)
{
    /* FINGERPRINT is last (parse enforces it), so the header's length already covers it. */
    if (!m->fp_offset)
        return false;
    uint32_t crc = anc_stun_crc32(m->buf, m->fp_offset) ^ FINGERPRINT_XOR;
    return crc == anc_rd32(m->buf + m->fp_offset + 4);
}

int anc_stun_random_txid(uint8_t *txid)
{
    return RAND_bytes(txid, ANC_STUN_TXID_LEN) == 1 ? 0 : -EIO;
}

void anc_stun_builder_init(struct anc_stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
                           enum anc_stun_class cls, const uint8_t *txid)
{
    memset(b, 0, sizeof(*b));
    b->buf = buf;
    b->cap = cap;
    if (cap < ANC_STUN_HEADER_LEN) {
        b->err = -EMSGSIZE;
        return;
    }
    if (method > 0x0FFF) {
        b->err = -EINVAL;
        return;
    }
    anc_wr16(buf, make_type(method, cls));
    anc_wr16(buf + 2, 0);
    anc_wr32(buf + 4, ANC_STUN_MAGIC);
    memcpy(buf + 8, txid, ANC_STUN_TXID_LEN);
    b->len = ANC_STUN_HEADER_LEN;
}

/* Reserves a padded attribute and updates the header's length; returns its value or NULL. */
static uint8_t *reserve(struct anc_stun_builder *b, uint16_t type, size_t len)
{
    if (b->err)
        return NULL;
    if (b->has_fp || (b->has_mi && type != ANC_STUN_ATTR_FINGERPRINT) || len > 0xFFFF) {
        b->err = -EINVAL;
        return NULL;
    }
    size_t total = b->len + 4 + padded(len);
    if (total > b->cap || total - ANC_STUN_HEADER_LEN > 0xFFFF) {
        b->err = -EMSGSIZE;
        return NULL;
    }
    uint8_t *p = b->buf + b->len;
    anc_wr16(p, type);
    anc_wr16(p + 2, (uint16_t)len);
    memset(p + 4 + len, 0, padded(len) - len);
    b->len = total;
    anc_wr16(b->buf + 2, (uint16_t)(total - ANC_STUN_HEADER_LEN));
    return p + 4;
}

int anc_stun_add_attr(struct anc_stun_builder *b, uint16_t type, const void *value, size_t len)
{
    uint8_t *p = reserve(b, type, len);
    if (p && len)
        memcpy(p, value, len);
    return b->err;
}

int anc_stun_add_string(struct anc_stun_builder *b, uint16_t type, const char *s)
{
    return anc_stun_add_attr(b, type, s, strlen(s));
}

int anc_stun_add_u32(struct anc_stun_builder *b, uint16_t type, uint32_t v)
{
    uint8_t p[4];
    anc_wr32(p, v);
    return anc_stun_add_attr(b, type, p, sizeof(p));
}

int anc_stun_add_u64(struct anc_stun_builder *b, uint16_t type, uint64_t v)
{
    uint8_t p[8];
    anc_wr32(p, (uint32_t)(v >> 32));
    anc_wr32(p + 4, (uint32_t)v);
    return anc_stun_add_attr(b, type, p, sizeof(p));
}

int anc_stun_add_xor_addr(struct anc_stun_builder *b, const struct anc_addr *addr)
{
    uint8_t v[20] = {0}, mask[16];
    const uint8_t *ip;
    size_t ip_len;
    uint16_t port;
    if (b->err)
        return b->err;
    if (addr->u.sa.sa_family == AF_INET) {
        v[1] = 0x01;
        ip = (const uint8_t *)&addr->u.in4.sin_addr;
        ip_len = 4;
        port = ntohs(addr->u.in4.sin_port);
    } else if (addr->u.sa.sa_family == AF_INET6) {
        v[1] = 0x02;
        ip = addr->u.in6.sin6_addr.s6_addr;
        ip_len = 16;
        port = ntohs(addr->u.in6.sin6_port);
    } else {
        return b->err = -EINVAL;
    }
    xor_mask(b->buf + 8, mask);
    anc_wr16(v + 2, port ^ (uint16_t)(ANC_STUN_MAGIC >> 16));
    for (size_t i = 0; i < ip_len; i++)
        v[4 + i] = ip[i] ^ mask[i];
    return anc_stun_add_attr(b, ANC_STUN_ATTR_XOR_MAPPED_ADDRESS, v, 4 + ip_len);
}

int anc_stun_add_error_code(struct anc_stun_builder *b, int code, const char *reason)
{
    size_t rlen = reason ? strlen(reason) : 0;
    if (b->err)
        return b->err;
    if (code < 300 || code > 699 || rlen > 763) /* RFC 8489 §14.8: 763 bytes at most */
        return b->err = -EINVAL;
    uint8_t *p = reserve(b, ANC_STUN_ATTR_ERROR_CODE, 4 + rlen);
    if (!p)
        return b->err;
    p[0] = 0;
    p[1] = 0;
    p[2] = (uint8_t)(code / 100);
    p[3] = (uint8_t)(code % 100);
    if (rlen)
        memcpy(p + 4, reason, rlen);
    return 0;
}

int anc_stun_add_integrity(struct anc_stun_builder *b, const uint8_t *key, size_t key_len)
{
    uint8_t mac[ANC_STUN_MI_LEN];
    size_t mi_offset = b->len;
    if (b->err)
        return b->err;
    if (b->has_mi)
        return b->err = -EINVAL;
    if (b->cap < mi_offset + MI_ATTR_LEN)
        return b->err = -EMSGSIZE;
    if (!integrity_at(b->buf, mi_offset, key, key_len, mac))
        return b->err = key_len ? -EIO : -EINVAL;
    anc_stun_add_attr(b, ANC_STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof(mac));
    b->has_mi = true;
    return b->err;
}

int anc_stun_add_fingerprint(struct anc_stun_builder *b)
{
    uint8_t *p = reserve(b, ANC_STUN_ATTR_FINGERPRINT, 4);
    if (!p)
        return b->err;
    b->has_fp = true;
    /* reserve() has set the length to include this attribute, as the CRC requires. */
    anc_wr32(p, anc_stun_crc32(b->buf, b->len - FP_ATTR_LEN) ^ FINGERPRINT_XOR);
    return 0;
}

int anc_stun_builder_finish(const struct anc_stun_builder *b)
{
    return b->err ? b->err : (int)b->len;
}

int anc_stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t *txid,
                                   const struct anc_stun_check *check)
{
    struct anc_stun_builder b;
    anc_stun_builder_init(&b, buf, cap, ANC_STUN_METHOD_BINDING, ANC_STUN_REQUEST, txid);
    anc_stun_add_string(&b, ANC_STUN_ATTR_USERNAME, check->username);
    anc_stun_add_u32(&b, ANC_STUN_ATTR_PRIORITY, check->priority);
    anc_stun_add_u64(
        &b, check->controlling ? ANC_STUN_ATTR_ICE_CONTROLLING : ANC_STUN_ATTR_ICE_CONTROLLED,
        check->tiebreaker);
    if (check->use_candidate)
        anc_stun_add_attr(&b, ANC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
    anc_stun_add_integrity(&b, check->key, check->key_len);
    anc_stun_add_fingerprint(&b);
    return anc_stun_builder_finish(&b);
}

int anc_stun_build_binding_success(uint8_t *buf, size_t cap, const uint8_t *txid,
                                   const struct anc_addr *mapped, const uint8_t *key,
                                   size_t key_len)
{
    struct anc_stun_builder b;
    anc_stun_builder_init(&b, buf, cap, ANC_STUN_METHOD_BINDING, ANC_STUN_SUCCESS, txid);
    anc_stun_add_xor_addr(&b, mapped);
    anc_stun_add_integrity(&b, key, key_len);
    anc_stun_add_fingerprint(&b);
    return anc_stun_builder_finish(&b);
}

int anc_stun_build_binding_error(uint8_t *buf, size_t cap, const uint8_t *txid, int code,
                                 const char *reason, const uint8_t *key, size_t key_len)
{
    struct anc_stun_builder b;
    anc_stun_builder_init(&b, buf, cap, ANC_STUN_METHOD_BINDING, ANC_STUN_ERROR, txid);
    anc_stun_add_error_code(&b, code, reason);
    if (key)
        anc_stun_add_integrity(&b, key, key_len);
    anc_stun_add_fingerprint(&b);
    return anc_stun_builder_finish(&b);
}
