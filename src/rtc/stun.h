/* STUN messages (RFC 8489): a bounds-checked parser that borrows the caller's buffer, accessors for
 * the attributes ICE needs, and a builder that writes into a caller-owned buffer. Sans-IO: nothing
 * here reads the clock, touches a socket or keeps state between calls. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

#define ANC_STUN_HEADER_LEN 20
#define ANC_STUN_MAGIC      0x2112A442u
#define ANC_STUN_TXID_LEN   12
#define ANC_STUN_MI_LEN     20 /* HMAC-SHA1 */

#define ANC_STUN_METHOD_BINDING 0x001

enum anc_stun_class {
    ANC_STUN_REQUEST = 0,
    ANC_STUN_INDICATION = 1,
    ANC_STUN_SUCCESS = 2,
    ANC_STUN_ERROR = 3,
};

enum anc_stun_attr_type {
    ANC_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    ANC_STUN_ATTR_USERNAME = 0x0006,
    ANC_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    ANC_STUN_ATTR_ERROR_CODE = 0x0009,
    ANC_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
    ANC_STUN_ATTR_REALM = 0x0014,
    ANC_STUN_ATTR_NONCE = 0x0015,
    ANC_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    ANC_STUN_ATTR_PRIORITY = 0x0024,
    ANC_STUN_ATTR_USE_CANDIDATE = 0x0025,
    ANC_STUN_ATTR_SOFTWARE = 0x8022,
    ANC_STUN_ATTR_FINGERPRINT = 0x8028,
    ANC_STUN_ATTR_ICE_CONTROLLED = 0x8029,
    ANC_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* One attribute; value points into the parsed message's buffer (len excludes padding). */
struct anc_stun_attr {
    uint16_t type;
    uint16_t len;
    const uint8_t *value;
};

/* A parsed message. It borrows the buffer given to anc_stun_parse(): every pointer in it (and in
 * attributes returned by the accessors) is valid only while that buffer is. */
struct anc_stun_msg {
    const uint8_t *buf;
    size_t len;      /* header + body */
    uint16_t method; /* 12 bits */
    enum anc_stun_class cls;
    const uint8_t *txid; /* ANC_STUN_TXID_LEN bytes */
    size_t attrs_end;    /* attributes at or past this offset are ignored (they follow MI) */
    size_t mi_offset;    /* offset of MESSAGE-INTEGRITY's header, 0 when absent */
    size_t fp_offset;    /* offset of FINGERPRINT's header, 0 when absent */
};

/* True when buf looks like STUN for demultiplexing (RFC 7983: first byte 0..3, magic cookie). */
bool anc_stun_is_stun(const uint8_t *buf, size_t len);

/* Parses a whole datagram into *m: header checks (top bits, cookie, length a multiple of 4 equal to
 * the datagram's), every attribute bounds-checked with its padding, MESSAGE-INTEGRITY and
 * FINGERPRINT well-sized, nothing after FINGERPRINT. Returns 0 or -EBADMSG. */
int anc_stun_parse(struct anc_stun_msg *m, const uint8_t *buf, size_t len);

/* Finds the first attribute of a type among those that count (attributes after MESSAGE-INTEGRITY
 * other than FINGERPRINT are ignored, RFC 8489 §14.5). Returns true and fills *out if found. */
bool anc_stun_find(const struct anc_stun_msg *m, uint16_t type, struct anc_stun_attr *out);
bool anc_stun_has(const struct anc_stun_msg *m, uint16_t type);

/* Typed accessors: 0 on success, -ENOENT when absent, -EBADMSG when the value is malformed. */
int anc_stun_get_u32(const struct anc_stun_msg *m, uint16_t type, uint32_t *out);
int anc_stun_get_u64(const struct anc_stun_msg *m, uint16_t type, uint64_t *out);
int anc_stun_get_xor_addr(const struct anc_stun_msg *m, struct anc_addr *out);
/* *reason points into the message and is not NUL-terminated. */
int anc_stun_get_error_code(const struct anc_stun_msg *m, int *code, const char **reason,
                            size_t *reason_len);

/* HMAC-SHA1 check of MESSAGE-INTEGRITY with a short-term key (the password) or a long-term key
 * (MD5 of user:realm:pass). Constant-time compare. False when absent, wrong, or key_len is 0. */
bool anc_stun_verify_integrity(const struct anc_stun_msg *m, const uint8_t *key, size_t key_len);
/* CRC-32 check of FINGERPRINT. False when absent or wrong. */
bool anc_stun_verify_fingerprint(const struct anc_stun_msg *m);

/* CRC-32 (ISO-HDLC, as in zlib), exposed for tests. */
uint32_t anc_stun_crc32(const uint8_t *buf, size_t len);

/* Fills txid with ANC_STUN_TXID_LEN random bytes. Returns 0 or -EIO. */
int anc_stun_random_txid(uint8_t *txid);

/* Builds a message in a caller-owned buffer. Errors are sticky: after the first failure every add
 * returns it again and anc_stun_builder_finish() reports it, so callers may check only at the end.
 * Adding anything but FINGERPRINT after MESSAGE-INTEGRITY, or anything after FINGERPRINT, is
 * -EINVAL; running out of room is -EMSGSIZE. */
struct anc_stun_builder {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
    bool has_mi;
    bool has_fp;
};

void anc_stun_builder_init(struct anc_stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
                           enum anc_stun_class cls, const uint8_t *txid);
int anc_stun_add_attr(struct anc_stun_builder *b, uint16_t type, const void *value, size_t len);
int anc_stun_add_string(struct anc_stun_builder *b, uint16_t type, const char *s);
int anc_stun_add_u32(struct anc_stun_builder *b, uint16_t type, uint32_t v);
int anc_stun_add_u64(struct anc_stun_builder *b, uint16_t type, uint64_t v);
int anc_stun_add_xor_addr(struct anc_stun_builder *b, const struct anc_addr *addr);
/* code 300..699; reason may be NULL. */
int anc_stun_add_error_code(struct anc_stun_builder *b, int code, const char *reason);
int anc_stun_add_integrity(struct anc_stun_builder *b, const uint8_t *key, size_t key_len);
int anc_stun_add_fingerprint(struct anc_stun_builder *b);
/* Returns the message length, or the first error. */
int anc_stun_builder_finish(const struct anc_stun_builder *b);

/* An ICE connectivity check (Binding request). */
struct anc_stun_check {
    const char *username; /* "theirUfrag:ourUfrag" from the sender's point of view */
    const uint8_t *key;   /* the receiver's password */
    size_t key_len;
    uint32_t priority;
    bool controlling; /* ICE-CONTROLLING (else ICE-CONTROLLED) */
    uint64_t tiebreaker;
    bool use_candidate;
};

/* Each returns the message length written to buf, or -EMSGSIZE / -EINVAL / -EIO. Integrity and
 * FINGERPRINT are always added; key may be NULL in the error response to leave out integrity. */
int anc_stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t *txid,
                                   const struct anc_stun_check *check);
int anc_stun_build_binding_success(uint8_t *buf, size_t cap, const uint8_t *txid,
                                   const struct anc_addr *mapped, const uint8_t *key,
                                   size_t key_len);
int anc_stun_build_binding_error(uint8_t *buf, size_t cap, const uint8_t *txid, int code,
                                 const char *reason, const uint8_t *key, size_t key_len);
