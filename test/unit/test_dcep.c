/* DCEP codec against literal bytes (RFC 8832 §5.1, §5.2). */
#include <errno.h>

#include "rtc/dcep.h"
#include "test.h"

/* OPEN, reliable ordered, priority 256, label "input", protocol "". */
static const uint8_t open_input[] = {
    0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 'i', 'n', 'p', 'u', 't',
};

/* OPEN, partial reliable rexmit unordered, maxRetransmits 0, label "cursor", protocol "v1". */
static const uint8_t open_cursor[] = {
    0x03, 0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x02, 'c',  'u',  'r',  's',  'o',  'r',  'v',  '1',
};

static const uint8_t ack[] = {0x02};

TEST(parse_open_input)
{
    struct anc_dcep_open o;
    CHECK_EQ(anc_dcep_message_type(open_input, sizeof(open_input)), ANC_DCEP_MSG_OPEN);
    CHECK_EQ(anc_dcep_parse_open(open_input, sizeof(open_input), &o), 0);
    CHECK_EQ(o.channel_type, ANC_DCEP_CHANNEL_RELIABLE);
    CHECK_EQ(o.priority, 256);
    CHECK_EQ(o.reliability, 0);
    CHECK_EQ(o.label_len, 5);
    CHECK(memcmp(o.label, "input", 5) == 0);
    CHECK_EQ(o.protocol_len, 0);
    CHECK(anc_dcep_channel_type_ordered(o.channel_type));
}

TEST(parse_open_unordered_rexmit)
{
    struct anc_dcep_open o;
    CHECK_EQ(anc_dcep_parse_open(open_cursor, sizeof(open_cursor), &o), 0);
    CHECK_EQ(o.channel_type, ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED);
    CHECK_EQ(o.reliability, 0);
    CHECK(!anc_dcep_channel_type_ordered(o.channel_type));
    CHECK(memcmp(o.label, "cursor", 6) == 0);
    CHECK(memcmp(o.protocol, "v1", 2) == 0);
}

TEST(build_open_matches_literal)
{
    uint8_t buf[64];
    struct anc_dcep_open o = {.channel_type = ANC_DCEP_CHANNEL_RELIABLE,
                              .priority = 256,
                              .label = (const uint8_t *)"input",
                              .label_len = 5};
    CHECK_EQ(anc_dcep_open_size(&o), sizeof(open_input));
    CHECK_EQ(anc_dcep_build_open(&o, buf, sizeof(buf)), sizeof(open_input));
    CHECK(memcmp(buf, open_input, sizeof(open_input)) == 0);
    CHECK_EQ(anc_dcep_build_open(&o, buf, sizeof(open_input) - 1), -ENOBUFS);
    o.channel_type = 0x03;
    CHECK_EQ(anc_dcep_build_open(&o, buf, sizeof(buf)), -EINVAL);
}

TEST(ack)
{
    uint8_t buf[1];
    CHECK_EQ(anc_dcep_message_type(ack, sizeof(ack)), ANC_DCEP_MSG_ACK);
    CHECK_EQ(anc_dcep_parse_ack(ack, sizeof(ack)), 0);
    CHECK_EQ(anc_dcep_build_ack(buf, sizeof(buf)), 1);
    CHECK_EQ(buf[0], 0x02);
    CHECK_EQ(anc_dcep_build_ack(buf, 0), -ENOBUFS);
    CHECK_EQ(anc_dcep_parse_ack(open_input, 1), -EBADMSG);
    CHECK_EQ(anc_dcep_parse_ack(ack, 0), -EBADMSG);
}

TEST(truncated_open)
{
    struct anc_dcep_open o;
    for (size_t n = 0; n < sizeof(open_input); n++)
        CHECK_EQ(anc_dcep_parse_open(open_input, n, &o), -EBADMSG);
    CHECK_EQ(anc_dcep_message_type(open_input, 0), -EBADMSG);
}

TEST(bad_lengths_and_types)
{
    struct anc_dcep_open o;
    uint8_t m[sizeof(open_input)];

    /* Label length beyond the buffer. */
    memcpy(m, open_input, sizeof(m));
    m[9] = 0x06;
    CHECK_EQ(anc_dcep_parse_open(m, sizeof(m), &o), -EBADMSG);
    m[8] = 0xff;
    m[9] = 0xff;
    CHECK_EQ(anc_dcep_parse_open(m, sizeof(m), &o), -EBADMSG);
    /* Protocol length beyond the buffer. */
    memcpy(m, open_input, sizeof(m));
    m[11] = 0x01;
    CHECK_EQ(anc_dcep_parse_open(m, sizeof(m), &o), -EBADMSG);
    /* Trailing garbage after the protocol. */
    memcpy(m, open_input, sizeof(m));
    m[9] = 0x04;
    CHECK_EQ(anc_dcep_parse_open(m, sizeof(m), &o), -EBADMSG);
    /* Unknown channel type and unknown message type. */
    memcpy(m, open_input, sizeof(m));
    m[1] = 0x03;
    CHECK_EQ(anc_dcep_parse_open(m, sizeof(m), &o), -EBADMSG);
    m[0] = 0x04;
    CHECK_EQ(anc_dcep_message_type(m, sizeof(m)), -EBADMSG);
}

TEST(channel_type_for)
{
    uint8_t type;
    uint32_t rel;
    CHECK_EQ(anc_dcep_channel_type_for(true, -1, -1, &type, &rel), 0);
    CHECK_EQ(type, ANC_DCEP_CHANNEL_RELIABLE);
    CHECK_EQ(anc_dcep_channel_type_for(false, -1, -1, &type, &rel), 0);
    CHECK_EQ(type, ANC_DCEP_CHANNEL_RELIABLE_UNORDERED);
    CHECK_EQ(anc_dcep_channel_type_for(false, 0, -1, &type, &rel), 0);
    CHECK_EQ(type, ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED);
    CHECK_EQ(rel, 0);
    CHECK_EQ(anc_dcep_channel_type_for(true, -1, 1500, &type, &rel), 0);
    CHECK_EQ(type, ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED);
    CHECK_EQ(rel, 1500);
    CHECK_EQ(anc_dcep_channel_type_for(true, 1, 1, &type, &rel), -EINVAL);
}

/* Security review finding: label and protocol are capped at 1 KiB each; a well-formed OPEN
 * beyond that is told apart from a malformed one, so the caller can reject just that channel. */
TEST(label_and_protocol_capped_at_1k)
{
    static uint8_t m[ANC_DCEP_OPEN_HEADER_SIZE + 2 * 2048];
    struct anc_dcep_open o;
    static const uint16_t cases[][3] = {
        /* label, protocol, expected: 0 ok, 1 -EMSGSIZE */
        {1024, 0, 0}, {0, 1024, 0}, {1024, 1024, 0}, {1025, 0, 1}, {0, 1025, 1}, {2048, 2048, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t ll = cases[i][0], pl = cases[i][1];
        memset(m, 'x', sizeof(m));
        memcpy(m, open_input, ANC_DCEP_OPEN_HEADER_SIZE);
        m[8] = (uint8_t)(ll >> 8);
        m[9] = (uint8_t)ll;
        m[10] = (uint8_t)(pl >> 8);
        m[11] = (uint8_t)pl;
        int r = anc_dcep_parse_open(m, ANC_DCEP_OPEN_HEADER_SIZE + ll + pl, &o);
        CHECK_EQ(r, cases[i][2] ? -EMSGSIZE : 0);
    }
    /* Malformed stays malformed, whatever the lengths claim. */
    m[8] = 0x08;
    m[9] = 0x00;
    CHECK_EQ(anc_dcep_parse_open(m, ANC_DCEP_OPEN_HEADER_SIZE + 10, &o), -EBADMSG);
}
