/* STUN against RFC 5769's test vectors (verbatim), plus builder round trips and malformed input. */
#include <errno.h>

#include <openssl/evp.h>

#include "rtc/stun.h"
#include "test.h"

static const char short_term_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 §2.1: Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME "evtj:h6vY"
 * (padded with spaces), MESSAGE-INTEGRITY and FINGERPRINT. */
static const uint8_t rfc5769_request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 §2.2: success response, XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t rfc5769_ipv4_response[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 §2.3: success response, XOR-MAPPED-ADDRESS
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc5769_ipv6_response[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 §2.4: request with long-term credentials (USERNAME in katakana, NONCE, REALM
 * "example.org", MESSAGE-INTEGRITY; no FINGERPRINT). */
static const uint8_t rfc5769_long_term[] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72,
    0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88,
    0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00,
    0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73,
    0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
    0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02,
    0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

static const uint8_t *pwd_key(void)
{
    return (const uint8_t *)short_term_pwd;
}

static bool attr_is(const struct anc_stun_msg *m, uint16_t type, const char *text)
{
    struct anc_stun_attr a;
    return anc_stun_find(m, type, &a) && a.len == strlen(text) && !memcmp(a.value, text, a.len);
}

static bool addr_is(const struct anc_addr *a, const char *ip, unsigned port)
{
    struct anc_addr want;
    CHECK_EQ(anc_addr_from_string(&want, ip, port), 0);
    return anc_addr_equal(a, &want);
}

TEST(crc32_check_value)
{
    CHECK_EQ(anc_stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
    CHECK_EQ(anc_stun_crc32(NULL, 0), 0);
}

TEST(rfc5769_sample_request)
{
    struct anc_stun_msg m;
    uint32_t prio;
    uint64_t tiebreaker;
    CHECK(anc_stun_is_stun(rfc5769_request, sizeof(rfc5769_request)));
    CHECK_EQ(anc_stun_parse(&m, rfc5769_request, sizeof(rfc5769_request)), 0);
    CHECK_EQ(m.method, ANC_STUN_METHOD_BINDING);
    CHECK_EQ(m.cls, ANC_STUN_REQUEST);
    CHECK(!memcmp(m.txid, rfc5769_request + 8, ANC_STUN_TXID_LEN));
    CHECK(attr_is(&m, ANC_STUN_ATTR_SOFTWARE, "STUN test client"));
    CHECK(attr_is(&m, ANC_STUN_ATTR_USERNAME, "evtj:h6vY"));
    CHECK_EQ(anc_stun_get_u32(&m, ANC_STUN_ATTR_PRIORITY, &prio), 0);
    CHECK_EQ(prio, 0x6e0001ffu);
    CHECK_EQ(anc_stun_get_u64(&m, ANC_STUN_ATTR_ICE_CONTROLLED, &tiebreaker), 0);
    CHECK(tiebreaker == 0x932ff9b151263b36ull);
    CHECK_EQ(anc_stun_get_u64(&m, ANC_STUN_ATTR_ICE_CONTROLLING, &tiebreaker), -ENOENT);
    CHECK(!anc_stun_has(&m, ANC_STUN_ATTR_USE_CANDIDATE));
    CHECK(anc_stun_verify_integrity(&m, pwd_key(), strlen(short_term_pwd)));
    CHECK(!anc_stun_verify_integrity(&m, (const uint8_t *)"wrong", 5));
    CHECK(anc_stun_verify_fingerprint(&m));
}

TEST(rfc5769_ipv4_response)
{
    struct anc_stun_msg m;
    struct anc_addr addr;
    CHECK_EQ(anc_stun_parse(&m, rfc5769_ipv4_response, sizeof(rfc5769_ipv4_response)), 0);
    CHECK_EQ(m.cls, ANC_STUN_SUCCESS);
    CHECK(attr_is(&m, ANC_STUN_ATTR_SOFTWARE, "test vector"));
    CHECK_EQ(anc_stun_get_xor_addr(&m, &addr), 0);
    CHECK(addr_is(&addr, "192.0.2.1", 32853));
    CHECK(anc_stun_verify_integrity(&m, pwd_key(), strlen(short_term_pwd)));
    CHECK(anc_stun_verify_fingerprint(&m));
}

TEST(rfc5769_ipv6_response)
{
    struct anc_stun_msg m;
    struct anc_addr addr;
    CHECK_EQ(anc_stun_parse(&m, rfc5769_ipv6_response, sizeof(rfc5769_ipv6_response)), 0);
    CHECK_EQ(m.cls, ANC_STUN_SUCCESS);
    CHECK_EQ(anc_stun_get_xor_addr(&m, &addr), 0);
    CHECK(addr_is(&addr, "2001:db8:1234:5678:11:2233:4455:6677", 32853));
    CHECK(anc_stun_verify_integrity(&m, pwd_key(), strlen(short_term_pwd)));
    CHECK(anc_stun_verify_fingerprint(&m));
}

TEST(rfc5769_long_term)
{
    /* Key = MD5("username:realm:password") with the SASLprep'd password "TheMatrIX". */
    static const char user_realm_pass[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82"
                                          "\xaf\xe3\x82\xb9:example.org:TheMatrIX";
    uint8_t key[16];
    unsigned key_len = 0;
    struct anc_stun_msg m;
    CHECK_EQ(anc_stun_parse(&m, rfc5769_long_term, sizeof(rfc5769_long_term)), 0);
    CHECK(attr_is(&m, ANC_STUN_ATTR_REALM, "example.org"));
    CHECK(attr_is(&m, ANC_STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA"));
    CHECK(!m.fp_offset);
    CHECK(!anc_stun_verify_fingerprint(&m));
    CHECK(EVP_Digest(user_realm_pass, strlen(user_realm_pass), key, &key_len, EVP_md5(), NULL));
    CHECK_EQ(key_len, 16);
    CHECK(anc_stun_verify_integrity(&m, key, key_len));
    key[0] ^= 1;
    CHECK(!anc_stun_verify_integrity(&m, key, key_len));
}

/* Copies a vector into a writable buffer so a test can corrupt it. */
static size_t copy_of(uint8_t *dst, const uint8_t *src, size_t len)
{
    memcpy(dst, src, len);
    return len;
}

TEST(flipped_byte_breaks_integrity_and_fingerprint)
{
    uint8_t buf[sizeof(rfc5769_request)];
    struct anc_stun_msg m;
    for (size_t i = ANC_STUN_HEADER_LEN; i < sizeof(buf) - 8; i++) {
        size_t len = copy_of(buf, rfc5769_request, sizeof(rfc5769_request));
        buf[i] ^= 0x01;
        if (anc_stun_parse(&m, buf, len) < 0)
            continue; /* the flip hit a length field */
        CHECK(!anc_stun_verify_fingerprint(&m));
        CHECK(!anc_stun_verify_integrity(&m, pwd_key(), strlen(short_term_pwd)));
    }
}

TEST(bad_fingerprint_fails)
{
    uint8_t buf[sizeof(rfc5769_request)];
    struct anc_stun_msg m;
    size_t len = copy_of(buf, rfc5769_request, sizeof(rfc5769_request));
    buf[len - 1] ^= 0x80;
    CHECK_EQ(anc_stun_parse(&m, buf, len), 0);
    CHECK(!anc_stun_verify_fingerprint(&m));
    /* The fingerprint is outside MESSAGE-INTEGRITY's coverage. */
    CHECK(anc_stun_verify_integrity(&m, pwd_key(), strlen(short_term_pwd)));
}

TEST(malformed_is_ebadmsg)
{
    uint8_t buf[sizeof(rfc5769_request) + 4];
    struct anc_stun_msg m;
    size_t len;

    /* Truncated at every length. */
    for (size_t n = 0; n < sizeof(rfc5769_request); n++)
        CHECK_EQ(anc_stun_parse(&m, rfc5769_request, n), -EBADMSG);
    /* Header length longer than the datagram, not a multiple of 4, or shorter than it. */
    len = copy_of(buf, rfc5769_request, sizeof(rfc5769_request));
    buf[3] = 0x5c;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    buf[3] = 0x59;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    buf[3] = 0x54;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    /* Top bits set, wrong cookie. */
    len = copy_of(buf, rfc5769_request, sizeof(rfc5769_request));
    buf[0] = 0x40;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    CHECK(!anc_stun_is_stun(buf, len));
    len = copy_of(buf, rfc5769_request, sizeof(rfc5769_request));
    buf[7] ^= 1;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    CHECK(!anc_stun_is_stun(buf, len));
    /* SOFTWARE's length runs one byte past the end of the message (56 would fit exactly). */
    len = copy_of(buf, rfc5769_ipv4_response, sizeof(rfc5769_ipv4_response));
    buf[23] = 0x38;
    CHECK_EQ(anc_stun_parse(&m, buf, len), 0);
    buf[23] = 0x39;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    /* SOFTWARE (11 bytes) sent without its padding byte, so the next attribute is misaligned:
     * whether the header length then counts the missing byte (a multiple of 4 again, thanks to a
     * trailing zero) or not, the message is refused. */
    len = sizeof(rfc5769_ipv4_response);
    copy_of(buf, rfc5769_ipv4_response, 35);
    memcpy(buf + 35, rfc5769_ipv4_response + 36, len - 36);
    buf[len - 1] = 0;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    buf[3] = 0x3b;
    CHECK_EQ(anc_stun_parse(&m, buf, len - 1), -EBADMSG);
    /* MESSAGE-INTEGRITY of the wrong size. */
    len = copy_of(buf, rfc5769_ipv4_response, sizeof(rfc5769_ipv4_response));
    buf[51] = 0x10;
    CHECK_EQ(anc_stun_parse(&m, buf, len), -EBADMSG);
    /* An attribute after FINGERPRINT. */
    len = copy_of(buf, rfc5769_request, sizeof(rfc5769_request));
    memcpy(buf + len, "\x00\x25\x00\x00", 4);
    buf[3] += 4;
    CHECK_EQ(anc_stun_parse(&m, buf, len + 4), -EBADMSG);
}

TEST(attributes_after_integrity_are_ignored)
{
    uint8_t buf[128], txid[ANC_STUN_TXID_LEN] = {1, 2, 3};
    struct anc_stun_builder b;
    struct anc_stun_msg m;
    anc_stun_builder_init(&b, buf, sizeof(buf), ANC_STUN_METHOD_BINDING, ANC_STUN_REQUEST, txid);
    anc_stun_add_string(&b, ANC_STUN_ATTR_USERNAME, "a:b");
    anc_stun_add_integrity(&b, pwd_key(), strlen(short_term_pwd));
    int n = anc_stun_builder_finish(&b);
    CHECK(n > 0);
    /* Append USE-CANDIDATE by hand: the builder refuses to. */
    CHECK_EQ(anc_stun_add_attr(&b, ANC_STUN_ATTR_USE_CANDIDATE, NULL, 0), -EINVAL);
    memcpy(buf + n, "\x00\x25\x00\x00", 4);
    buf[3] += 4;
    CHECK_EQ(anc_stun_parse(&m, buf, (size_t)n + 4), 0);
    CHECK(!anc_stun_has(&m, ANC_STUN_ATTR_USE_CANDIDATE));
    CHECK(attr_is(&m, ANC_STUN_ATTR_USERNAME, "a:b"));
    CHECK(anc_stun_verify_integrity(&m, pwd_key(), strlen(short_term_pwd)));
}

TEST(builder_round_trip_request)
{
    uint8_t buf[256], txid[ANC_STUN_TXID_LEN];
    struct anc_stun_msg m;
    uint32_t prio;
    uint64_t tb;
    struct anc_stun_check check = {
        .username = "evtj:h6vY",
        .key = pwd_key(),
        .key_len = strlen(short_term_pwd),
        .priority = 0x6e0001ff,
        .controlling = true,
        .tiebreaker = 0x0102030405060708ull,
        .use_candidate = true,
    };
    CHECK_EQ(anc_stun_random_txid(txid), 0);
    int n = anc_stun_build_binding_request(buf, sizeof(buf), txid, &check);
    CHECK(n > 0);
    CHECK_EQ(anc_stun_parse(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.cls, ANC_STUN_REQUEST);
    CHECK(!memcmp(m.txid, txid, sizeof(txid)));
    CHECK(attr_is(&m, ANC_STUN_ATTR_USERNAME, "evtj:h6vY"));
    CHECK_EQ(anc_stun_get_u32(&m, ANC_STUN_ATTR_PRIORITY, &prio), 0);
    CHECK_EQ(prio, 0x6e0001ffu);
    CHECK_EQ(anc_stun_get_u64(&m, ANC_STUN_ATTR_ICE_CONTROLLING, &tb), 0);
    CHECK(tb == check.tiebreaker);
    CHECK(anc_stun_has(&m, ANC_STUN_ATTR_USE_CANDIDATE));
    CHECK(anc_stun_verify_integrity(&m, pwd_key(), strlen(short_term_pwd)));
    CHECK(anc_stun_verify_fingerprint(&m));
    /* Too small a buffer at every size is -EMSGSIZE, never an overrun. */
    for (size_t cap = 0; cap < (size_t)n; cap++)
        CHECK_EQ(anc_stun_build_binding_request(buf, cap, txid, &check), -EMSGSIZE);
}

TEST(builder_reproduces_rfc5769_ipv4_response)
{
    uint8_t buf[128];
    struct anc_stun_builder b;
    struct anc_addr mapped;
    CHECK_EQ(anc_addr_from_string(&mapped, "192.0.2.1", 32853), 0);
    anc_stun_builder_init(&b, buf, sizeof(buf), ANC_STUN_METHOD_BINDING, ANC_STUN_SUCCESS,
                          rfc5769_ipv4_response + 8);
    /* The RFC pads SOFTWARE with a space, where the builder writes a zero. */
    anc_stun_add_attr(&b, ANC_STUN_ATTR_SOFTWARE, "test vector ", 12);
    buf[23] = 0x0b;
    anc_stun_add_xor_addr(&b, &mapped);
    anc_stun_add_integrity(&b, pwd_key(), strlen(short_term_pwd));
    anc_stun_add_fingerprint(&b);
    CHECK_EQ(anc_stun_builder_finish(&b), sizeof(rfc5769_ipv4_response));
    CHECK(!memcmp(buf, rfc5769_ipv4_response, sizeof(rfc5769_ipv4_response)));
}

TEST(builder_round_trip_v6_success_and_error)
{
    uint8_t buf[256], txid[ANC_STUN_TXID_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
    struct anc_stun_msg m;
    struct anc_addr mapped, got;
    int code = 0;
    const char *reason;
    size_t reason_len;
    CHECK_EQ(anc_addr_from_string(&mapped, "2001:db8::42", 50000), 0);
    int n = anc_stun_build_binding_success(buf, sizeof(buf), txid, &mapped, pwd_key(), 3);
    CHECK(n > 0);
    CHECK_EQ(anc_stun_parse(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.cls, ANC_STUN_SUCCESS);
    CHECK_EQ(anc_stun_get_xor_addr(&m, &got), 0);
    CHECK(anc_addr_equal(&got, &mapped));
    CHECK(anc_stun_verify_integrity(&m, pwd_key(), 3));
    CHECK(!anc_stun_verify_integrity(&m, pwd_key(), 4));
    CHECK(anc_stun_verify_fingerprint(&m));

    n = anc_stun_build_binding_error(buf, sizeof(buf), txid, 487, "Role Conflict", NULL, 0);
    CHECK(n > 0);
    CHECK_EQ(anc_stun_parse(&m, buf, (size_t)n), 0);
    CHECK_EQ(m.cls, ANC_STUN_ERROR);
    CHECK_EQ(m.method, ANC_STUN_METHOD_BINDING);
    CHECK_EQ(anc_stun_get_error_code(&m, &code, &reason, &reason_len), 0);
    CHECK_EQ(code, 487);
    CHECK(reason_len == 13 && !memcmp(reason, "Role Conflict", 13));
    CHECK(!m.mi_offset);
    CHECK(anc_stun_verify_fingerprint(&m));
    CHECK_EQ(anc_stun_build_binding_error(buf, sizeof(buf), txid, 200, NULL, NULL, 0), -EINVAL);
}

TEST(method_and_class_bits)
{
    uint8_t buf[64], txid[ANC_STUN_TXID_LEN] = {0};
    struct anc_stun_builder b;
    struct anc_stun_msg m;
    for (unsigned cls = 0; cls < 4; cls++) {
        anc_stun_builder_init(&b, buf, sizeof(buf), 0xABC, (enum anc_stun_class)cls, txid);
        CHECK_EQ(anc_stun_builder_finish(&b), ANC_STUN_HEADER_LEN);
        CHECK_EQ(anc_stun_parse(&m, buf, ANC_STUN_HEADER_LEN), 0);
        CHECK_EQ(m.method, 0xABC);
        CHECK_EQ(m.cls, cls);
    }
    anc_stun_builder_init(&b, buf, sizeof(buf), ANC_STUN_METHOD_BINDING, ANC_STUN_SUCCESS, txid);
    CHECK(buf[0] == 0x01 && buf[1] == 0x01);
}
