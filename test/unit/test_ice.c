/* ICE-lite responder: checks answered, bad ones dropped without state, nomination, address
 * changes and consent expiry on a fake clock. */
#include <errno.h>

#include "rtc/ice.h"
#include "rtc/stun.h"
#include "test.h"

#define SEC 1000000ull

static const char local_ufrag[] = "Lufr";
static const char local_pwd[] = "abcdefghijklmnopqrstuvwx";
static const char remote_ufrag[] = "Rufr";
static const char remote_pwd[] = "ABCDEFGHIJKLMNOPQRSTUVWX";

static int session_a, session_b; /* their addresses serve as user pointers */

static struct anc_addr addr(const char *ip, unsigned port)
{
    struct anc_addr a;
    CHECK_EQ(anc_addr_from_string(&a, ip, port), 0);
    return a;
}

static struct anc_ice_agent *agent_with_session(void)
{
    struct anc_ice_agent *a = anc_ice_agent_new(4);
    CHECK(a);
    CHECK_EQ(
        anc_ice_session_add(a, 0, local_ufrag, local_pwd, remote_ufrag, remote_pwd, &session_a), 0);
    return a;
}

/* Builds a check as the browser (controlling) would send it. */
static size_t check(uint8_t *buf, const char *username, const char *pwd, bool use_candidate,
                    bool controlling)
{
    uint8_t txid[ANC_STUN_TXID_LEN];
    struct anc_stun_check c = {
        .username = username,
        .key = (const uint8_t *)pwd,
        .key_len = strlen(pwd),
        .priority = 1234,
        .controlling = controlling,
        .tiebreaker = 77,
        .use_candidate = use_candidate,
    };
    CHECK_EQ(anc_stun_random_txid(txid), 0);
    int n = anc_stun_build_binding_request(buf, 256, txid, &c);
    CHECK(n > 0);
    return (size_t)n;
}

static int send_check(struct anc_ice_agent *a, uint64_t now, const struct anc_addr *from,
                      bool use_candidate, struct anc_ice_result *res)
{
    uint8_t buf[256];
    size_t n = check(buf, "Lufr:Rufr", local_pwd, use_candidate, true);
    return anc_ice_handle_packet(a, now, from, buf, n, res);
}

TEST(random_strings)
{
    char ufrag[ANC_ICE_UFRAG_LEN + 1], pwd[ANC_ICE_PWD_LEN + 1], other[ANC_ICE_PWD_LEN + 1];
    CHECK_EQ(anc_ice_random_string(ufrag, ANC_ICE_UFRAG_LEN), 0);
    CHECK_EQ(anc_ice_random_string(pwd, ANC_ICE_PWD_LEN), 0);
    CHECK_EQ(anc_ice_random_string(other, ANC_ICE_PWD_LEN), 0);
    CHECK_EQ(strlen(ufrag), ANC_ICE_UFRAG_LEN);
    CHECK_EQ(strlen(pwd), ANC_ICE_PWD_LEN);
    CHECK(strcmp(pwd, other) != 0);
    for (size_t i = 0; i < ANC_ICE_PWD_LEN; i++)
        CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", pwd[i]));
    struct anc_ice_agent *a = anc_ice_agent_new(2);
    CHECK_EQ(anc_ice_session_add(a, 0, ufrag, pwd, "abcd", NULL, &session_a), 0);
    anc_ice_agent_free(a);
}

TEST(valid_check_is_answered)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_stun_msg m;
    struct anc_addr from = addr("203.0.113.5", 40000), mapped;
    uint8_t req[256];
    size_t n = check(req, "Lufr:Rufr", local_pwd, false, true);

    CHECK_EQ(anc_ice_handle_packet(a, 1 * SEC, &from, req, n, &res), 0);
    CHECK(res.user == &session_a);
    CHECK(res.len > 0);
    CHECK_EQ(anc_stun_parse(&m, res.buf, res.len), 0);
    CHECK_EQ(m.cls, ANC_STUN_SUCCESS);
    CHECK(!memcmp(m.txid, req + 8, ANC_STUN_TXID_LEN));
    CHECK_EQ(anc_stun_get_xor_addr(&m, &mapped), 0);
    CHECK(anc_addr_equal(&mapped, &from));
    CHECK(anc_stun_verify_integrity(&m, (const uint8_t *)local_pwd, strlen(local_pwd)));
    CHECK(anc_stun_verify_fingerprint(&m));
    /* Validated but not nominated: routable, no event yet. */
    CHECK(anc_ice_session_for_addr(a, &from) == &session_a);
    struct anc_ice_event ev;
    CHECK(!anc_ice_poll_event(a, &ev));
    anc_ice_agent_free(a);
}

TEST(bad_checks_leave_no_trace)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_addr from = addr("198.51.100.7", 5000);
    uint8_t buf[256];
    size_t n;

    n = check(buf, "Nope:Rufr", local_pwd, true, true);
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, n, &res), -ENOENT);
    CHECK_EQ(res.len, 0);
    n = check(buf, "Lufr:Xxxx", local_pwd, true, true);
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, n, &res), -ENOENT);
    n = check(buf, "Lufr", local_pwd, true, true);
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, n, &res), -ENOENT);
    n = check(buf, "Lufr:Rufr", "wrong-password-of-some-length", true, true);
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, n, &res), -EACCES);
    CHECK_EQ(res.len, 0);
    n = check(buf, "Lufr:Rufr", local_pwd, true, true);
    buf[n - 1] ^= 1; /* fingerprint */
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, n, &res), -EACCES);
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, (const uint8_t *)"\x16\xfe\xfd", 3, &res),
             -EBADMSG);
    CHECK(res.user == NULL && res.len == 0);

    CHECK(anc_ice_session_for_addr(a, &from) == NULL);
    struct anc_ice_event ev;
    CHECK(!anc_ice_poll_event(a, &ev));
    /* The failed checks did not refresh consent either. */
    CHECK(anc_ice_next_timeout(a) == ANC_ICE_CONSENT_US);
    anc_ice_agent_free(a);
}

TEST(non_requests_are_ignored)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_addr from = addr("198.51.100.7", 5000);
    uint8_t buf[256], txid[ANC_STUN_TXID_LEN] = {0};
    int n = anc_stun_build_binding_success(buf, sizeof(buf), txid, &from,
                                           (const uint8_t *)local_pwd, strlen(local_pwd));
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, (size_t)n, &res), 0);
    CHECK_EQ(res.len, 0);
    struct anc_stun_builder b;
    anc_stun_builder_init(&b, buf, sizeof(buf), ANC_STUN_METHOD_BINDING, ANC_STUN_INDICATION, txid);
    anc_stun_add_fingerprint(&b);
    n = anc_stun_builder_finish(&b);
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, (size_t)n, &res), 0);
    CHECK_EQ(res.len, 0);
    CHECK(anc_ice_session_for_addr(a, &from) == NULL);
    anc_ice_agent_free(a);
}

TEST(role_conflict_gets_487)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_stun_msg m;
    struct anc_addr from = addr("198.51.100.7", 5000);
    uint8_t buf[256];
    int code;
    const char *reason;
    size_t reason_len;
    size_t n = check(buf, "Lufr:Rufr", local_pwd, true, false);
    CHECK_EQ(anc_ice_handle_packet(a, SEC, &from, buf, n, &res), 0);
    CHECK(res.len > 0 && res.user == NULL);
    CHECK_EQ(anc_stun_parse(&m, res.buf, res.len), 0);
    CHECK_EQ(m.cls, ANC_STUN_ERROR);
    CHECK_EQ(anc_stun_get_error_code(&m, &code, &reason, &reason_len), 0);
    CHECK_EQ(code, 487);
    CHECK(anc_stun_verify_integrity(&m, (const uint8_t *)local_pwd, strlen(local_pwd)));
    CHECK(anc_ice_session_for_addr(a, &from) == NULL);
    anc_ice_agent_free(a);
}

TEST(use_candidate_selects_and_address_change_is_followed)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_ice_event ev;
    struct anc_addr wifi = addr("203.0.113.5", 40000), lte = addr("2001:db8::9", 41000);

    CHECK_EQ(send_check(a, 1 * SEC, &wifi, true, &res), 0);
    CHECK(anc_ice_poll_event(a, &ev));
    CHECK_EQ(ev.type, ANC_ICE_EVENT_SELECTED);
    CHECK(ev.user == &session_a);
    CHECK(anc_addr_equal(&ev.addr, &wifi));
    CHECK(!anc_ice_poll_event(a, &ev));
    /* Renominating the same address is no news. */
    CHECK_EQ(send_check(a, 2 * SEC, &wifi, true, &res), 0);
    CHECK(!anc_ice_poll_event(a, &ev));
    /* A plain check from a new address validates it without moving the session. */
    CHECK_EQ(send_check(a, 3 * SEC, &lte, false, &res), 0);
    CHECK(!anc_ice_poll_event(a, &ev));
    CHECK(anc_ice_session_for_addr(a, &lte) == &session_a);
    CHECK_EQ(send_check(a, 4 * SEC, &lte, true, &res), 0);
    CHECK(anc_ice_poll_event(a, &ev));
    CHECK_EQ(ev.type, ANC_ICE_EVENT_ADDR_CHANGED);
    CHECK(anc_addr_equal(&ev.addr, &lte));
    CHECK(!anc_ice_poll_event(a, &ev));
    CHECK(anc_ice_session_for_addr(a, &lte) == &session_a);
    anc_ice_agent_free(a);
}

TEST(address_belongs_to_latest_session)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_addr from = addr("203.0.113.5", 40000);
    uint8_t buf[256];
    CHECK_EQ(anc_ice_session_add(a, 0, "Bufr", "0123456789012345678901", "Cufr", NULL, &session_b),
             0);
    CHECK_EQ(anc_ice_session_add(a, 0, "Bufr", "0123456789012345678901", "Cufr", NULL, &session_b),
             -EEXIST);
    CHECK_EQ(send_check(a, SEC, &from, true, &res), 0);
    CHECK(anc_ice_session_for_addr(a, &from) == &session_a);
    size_t n = check(buf, "Bufr:Cufr", "0123456789012345678901", true, true);
    CHECK_EQ(anc_ice_handle_packet(a, 2 * SEC, &from, buf, n, &res), 0);
    CHECK(res.user == &session_b);
    CHECK(anc_ice_session_for_addr(a, &from) == &session_b);
    CHECK_EQ(anc_ice_session_remove(a, "Bufr"), 0);
    CHECK_EQ(anc_ice_session_remove(a, "Bufr"), -ENOENT);
    CHECK(anc_ice_session_for_addr(a, &from) == NULL);
    anc_ice_agent_free(a);
}

TEST(validated_addresses_are_bounded)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_addr sel = addr("192.0.2.1", 1000);
    CHECK_EQ(send_check(a, SEC, &sel, true, &res), 0);
    for (unsigned i = 0; i < 3 * ANC_ICE_MAX_ADDRS; i++) {
        struct anc_addr other = addr("192.0.2.2", 2000 + i);
        CHECK_EQ(send_check(a, (2 + i) * SEC, &other, false, &res), 0);
        CHECK(anc_ice_session_for_addr(a, &other) == &session_a);
    }
    /* The selected address survives any number of other validated ones; the oldest go. */
    CHECK(anc_ice_session_for_addr(a, &sel) == &session_a);
    struct anc_addr first = addr("192.0.2.2", 2000);
    CHECK(anc_ice_session_for_addr(a, &first) == NULL);
    anc_ice_agent_free(a);
}

TEST(consent_expires_after_30s)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_ice_event ev;
    struct anc_addr from = addr("203.0.113.5", 40000);
    uint8_t buf[256];

    CHECK_EQ(send_check(a, 1 * SEC, &from, true, &res), 0);
    CHECK(anc_ice_poll_event(a, &ev) && ev.type == ANC_ICE_EVENT_SELECTED);
    CHECK(anc_ice_next_timeout(a) == 31 * SEC);
    anc_ice_handle_timeout(a, 31 * SEC - 1);
    CHECK(!anc_ice_poll_event(a, &ev));
    anc_ice_handle_timeout(a, 31 * SEC);
    CHECK(anc_ice_poll_event(a, &ev));
    CHECK_EQ(ev.type, ANC_ICE_EVENT_EXPIRED);
    CHECK(ev.user == &session_a);
    CHECK(!anc_ice_poll_event(a, &ev));
    CHECK(anc_ice_next_timeout(a) == UINT64_MAX);
    /* Expired: no routing, and checks are no longer answered. */
    CHECK(anc_ice_session_for_addr(a, &from) == NULL);
    size_t n = check(buf, "Lufr:Rufr", local_pwd, true, true);
    CHECK_EQ(anc_ice_handle_packet(a, 32 * SEC, &from, buf, n, &res), -ENOENT);
    CHECK_EQ(res.len, 0);
    CHECK_EQ(anc_ice_session_remove(a, local_ufrag), 0);
    CHECK(anc_ice_next_timeout(a) == UINT64_MAX);
    anc_ice_agent_free(a);
}

TEST(checks_every_5s_keep_consent_for_60s)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_ice_event ev;
    struct anc_addr from = addr("203.0.113.5", 40000);
    uint64_t now = 0;

    for (int i = 0; i <= 12; i++, now += 5 * SEC) {
        /* Fire any deadline that falls before this check, as an event loop would. */
        if (anc_ice_next_timeout(a) <= now)
            anc_ice_handle_timeout(a, now);
        CHECK_EQ(send_check(a, now, &from, true, &res), 0);
        CHECK(anc_ice_next_timeout(a) == now + ANC_ICE_CONSENT_US);
    }
    CHECK(anc_ice_poll_event(a, &ev) && ev.type == ANC_ICE_EVENT_SELECTED);
    CHECK(!anc_ice_poll_event(a, &ev));
    CHECK(anc_ice_session_for_addr(a, &from) == &session_a);
    anc_ice_agent_free(a);
}

TEST(unused_session_expires_and_limits_hold)
{
    struct anc_ice_agent *a = anc_ice_agent_new(1);
    struct anc_ice_event ev;
    CHECK_EQ(anc_ice_session_add(a, 10 * SEC, "abcd", "short", "efgh", NULL, &session_a), -EINVAL);
    CHECK_EQ(anc_ice_session_add(a, 10 * SEC, "a:bc", local_pwd, "efgh", NULL, &session_a),
             -EINVAL);
    CHECK_EQ(anc_ice_session_add(a, 10 * SEC, "abcd", local_pwd, "efgh", NULL, NULL), -EINVAL);
    CHECK_EQ(anc_ice_session_add(a, 10 * SEC, "abcd", local_pwd, "efgh", NULL, &session_a), 0);
    CHECK_EQ(anc_ice_session_add(a, 10 * SEC, "bcde", local_pwd, "efgh", NULL, &session_b),
             -ENOSPC);
    CHECK(anc_ice_next_timeout(a) == 40 * SEC);
    anc_ice_handle_timeout(a, 40 * SEC);
    CHECK(anc_ice_poll_event(a, &ev) && ev.type == ANC_ICE_EVENT_EXPIRED);
    anc_ice_agent_free(a);
    anc_ice_agent_free(NULL);
}

/* Security review finding: consent is per candidate pair. A is nominated; afterwards valid checks
 * arrive only from B (another address of the same credentials, or a replay from elsewhere). They
 * must not keep A's consent alive, and B must not become the selected pair without a nomination:
 * 30 s after A's last check the session expires and nothing more is sent to A. */
TEST(checks_from_another_address_do_not_renew_the_selected_pair)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_ice_event ev;
    struct anc_addr pair_a = addr("203.0.113.5", 40000), pair_b = addr("198.51.100.9", 41000);

    CHECK_EQ(send_check(a, 1 * SEC, &pair_a, true, &res), 0);
    CHECK(anc_ice_poll_event(a, &ev) && ev.type == ANC_ICE_EVENT_SELECTED);
    CHECK(anc_addr_equal(&ev.addr, &pair_a));
    uint64_t now = 1 * SEC;
    for (int i = 0; i < 12; i++) {
        now += 5 * SEC;
        if (anc_ice_next_timeout(a) <= now)
            anc_ice_handle_timeout(a, now);
        int r = send_check(a, now, &pair_b, false, &res);
        if (now < 31 * SEC) {
            /* B is validated (answered, routable) but never selected. */
            CHECK_EQ(r, 0);
            CHECK(res.len > 0);
            CHECK(anc_ice_session_for_addr(a, &pair_b) == &session_a);
            CHECK(!anc_ice_poll_event(a, &ev));
        }
        /* A's consent runs out 30 s after A's own check, whatever B does. */
        CHECK(anc_ice_next_timeout(a) == (now < 31 * SEC ? 31 * SEC : UINT64_MAX));
    }
    CHECK(anc_ice_poll_event(a, &ev));
    CHECK_EQ(ev.type, ANC_ICE_EVENT_EXPIRED);
    CHECK(!anc_ice_poll_event(a, &ev));
    CHECK(anc_ice_session_for_addr(a, &pair_a) == NULL);
    CHECK(anc_ice_session_for_addr(a, &pair_b) == NULL);
    anc_ice_agent_free(a);
}

/* A nomination from B moves the session there, and from then on only B's checks count. */
TEST(nomination_moves_consent_to_the_new_pair)
{
    struct anc_ice_agent *a = agent_with_session();
    struct anc_ice_result res;
    struct anc_ice_event ev;
    struct anc_addr pair_a = addr("203.0.113.5", 40000), pair_b = addr("198.51.100.9", 41000);

    CHECK_EQ(send_check(a, 1 * SEC, &pair_a, true, &res), 0);
    CHECK_EQ(send_check(a, 10 * SEC, &pair_b, true, &res), 0);
    CHECK(anc_ice_poll_event(a, &ev) && ev.type == ANC_ICE_EVENT_SELECTED);
    CHECK(anc_addr_equal(&ev.addr, &pair_b));
    CHECK(anc_ice_next_timeout(a) == 40 * SEC);
    /* Checks from the old pair no longer renew anything. */
    CHECK_EQ(send_check(a, 20 * SEC, &pair_a, false, &res), 0);
    CHECK(anc_ice_next_timeout(a) == 40 * SEC);
    CHECK_EQ(send_check(a, 25 * SEC, &pair_b, false, &res), 0);
    CHECK(anc_ice_next_timeout(a) == 55 * SEC);
    /* A's stale validation is forgotten once its own 30 s have passed. */
    anc_ice_handle_timeout(a, 50 * SEC);
    CHECK(anc_ice_session_for_addr(a, &pair_a) == NULL);
    CHECK(anc_ice_session_for_addr(a, &pair_b) == &session_a);
    CHECK(!anc_ice_poll_event(a, &ev));
    anc_ice_agent_free(a);
}
