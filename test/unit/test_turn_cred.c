/* TURN REST API credentials (coturn's use-auth-secret) and the WHEP Link header, against a vector
 * computed independently (python: base64(hmac.new(b"north", b"1700000000:s1", sha1))). */
#include <errno.h>

#include "rtc/turn_cred.h"
#include "test.h"

TEST(credential_vector)
{
    char c[32];
    CHECK_EQ(anc_turn_credential("north", "1700000000:s1", c, sizeof(c)), 0);
    CHECK(strcmp(c, "QvP5NTCoHOiDw4o+Ut4C0xnk7uk=") == 0);
    CHECK_EQ(anc_turn_credential("north", "1700000000:s1", c, 28), -EMSGSIZE);
}

TEST(link_with_secret)
{
    char l[400];
    CHECK_EQ(
        anc_turn_link("turn:10.0.0.1:3478?transport=udp", "north", 1700000000, "s1", l, sizeof(l)),
        0);
    CHECK(strcmp(l, "<turn:10.0.0.1:3478?transport=udp>; rel=\"ice-server\"; "
                    "username=\"1700000000:s1\"; credential=\"QvP5NTCoHOiDw4o+Ut4C0xnk7uk=\"; "
                    "credential-type=\"password\"") == 0);
    CHECK_EQ(anc_turn_link("TURNS:t.example:5349", "north", 1700000000, "s1", l, sizeof(l)), 0);
    CHECK(strstr(l, "credential=\"QvP5NTCoHOiDw4o+Ut4C0xnk7uk=\""));
}

TEST(link_without_credentials)
{
    char l[400];
    /* STUN never gets credentials; without a secret TURN URLs pass as they are. */
    CHECK_EQ(anc_turn_link("stun:s.example:3478", "north", 1, "s1", l, sizeof(l)), 0);
    CHECK(strcmp(l, "<stun:s.example:3478>; rel=\"ice-server\"") == 0);
    CHECK_EQ(anc_turn_link("turn:t.example", "", 1, "s1", l, sizeof(l)), 0);
    CHECK(strcmp(l, "<turn:t.example>; rel=\"ice-server\"") == 0);
}

TEST(link_rejects_what_a_header_cannot_carry)
{
    char l[400];
    CHECK_EQ(anc_turn_link("turn:a>b", "x", 1, "s1", l, sizeof(l)), -EINVAL);
    CHECK_EQ(anc_turn_link("turn:a\r\nX: y", "x", 1, "s1", l, sizeof(l)), -EINVAL);
    CHECK_EQ(anc_turn_link("turn:a", "x", 1, "s\"1", l, sizeof(l)), -EINVAL);
    CHECK_EQ(anc_turn_link("turn:a", "x", 1, "s1", l, 20), -EMSGSIZE);
}
