/* DCEP message codec (RFC 8832 §5). All integers are big-endian on the wire. */
#include "rtc/dcep.h"

#include "base/bytes.h"

#include <errno.h>
#include <string.h>

bool anc_dcep_channel_type_valid(uint8_t channel_type)
{
    uint8_t reliability = channel_type & 0x7f;
    return reliability <= ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED;
}

bool anc_dcep_channel_type_ordered(uint8_t channel_type)
{
    return !(channel_type & 0x80);
}

int anc_dcep_channel_type_for(bool ordered, int max_retransmits, int max_lifetime_ms,
                              uint8_t *channel_type, uint32_t *reliability)
{
    uint8_t type = ANC_DCEP_CHANNEL_RELIABLE;
    uint32_t rel = 0;

    if (max_retransmits >= 0 && max_lifetime_ms >= 0)
        return -EINVAL;
    if (max_retransmits >= 0) {
        type = ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT;
        rel = (uint32_t)max_retransmits;
    } else if (max_lifetime_ms >= 0) {
        type = ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED;
        rel = (uint32_t)max_lifetime_ms;
    }
    if (!ordered)
        type |= 0x80;
    *channel_type = type;
    *reliability = rel;
    return 0;
}

int anc_dcep_message_type(const uint8_t *buf, size_t len)
{
    if (len < 1)
        return -EBADMSG;
    if (buf[0] != ANC_DCEP_MSG_OPEN && buf[0] != ANC_DCEP_MSG_ACK)
        return -EBADMSG;
    return buf[0];
}

int anc_dcep_parse_open(const uint8_t *buf, size_t len, struct anc_dcep_open *out)
{
    if (len < ANC_DCEP_OPEN_HEADER_SIZE || buf[0] != ANC_DCEP_MSG_OPEN)
        return -EBADMSG;
    if (!anc_dcep_channel_type_valid(buf[1]))
        return -EBADMSG;

    uint16_t label_len = anc_rd16(buf + 8);
    uint16_t protocol_len = anc_rd16(buf + 10);
    size_t body = len - ANC_DCEP_OPEN_HEADER_SIZE;
    if ((size_t)label_len + protocol_len != body)
        return -EBADMSG;

    if (label_len > ANC_DCEP_LABEL_MAX || protocol_len > ANC_DCEP_LABEL_MAX)
        return -EMSGSIZE;

    out->channel_type = buf[1];
    out->priority = anc_rd16(buf + 2);
    out->reliability = anc_rd32(buf + 4);
    out->label = buf + ANC_DCEP_OPEN_HEADER_SIZE;
    out->label_len = label_len;
    out->protocol = out->label + label_len;
    out->protocol_len = protocol_len;
    /* RFC 8832: the reliability parameter is ignored for reliable channels. */
    if ((out->channel_type & 0x7f) == ANC_DCEP_CHANNEL_RELIABLE)
        out->reliability = 0;
    return 0;
}

int anc_dcep_parse_ack(const uint8_t *buf, size_t len)
{
    if (len != 1 || buf[0] != ANC_DCEP_MSG_ACK)
        return -EBADMSG;
    return 0;
}

size_t anc_dcep_open_size(const struct anc_dcep_open *o)
{
    return ANC_DCEP_OPEN_HEADER_SIZE + (size_t)o->label_len + o->protocol_len;
}

ssize_t anc_dcep_build_open(const struct anc_dcep_open *o, uint8_t *buf, size_t cap)
{
    size_t need = anc_dcep_open_size(o);

    if (!anc_dcep_channel_type_valid(o->channel_type))
        return -EINVAL;
    if (cap < need)
        return -ENOBUFS;
    buf[0] = ANC_DCEP_MSG_OPEN;
    buf[1] = o->channel_type;
    anc_wr16(buf + 2, o->priority);
    anc_wr32(buf + 4, o->reliability);
    anc_wr16(buf + 8, o->label_len);
    anc_wr16(buf + 10, o->protocol_len);
    if (o->label_len)
        memcpy(buf + ANC_DCEP_OPEN_HEADER_SIZE, o->label, o->label_len);
    if (o->protocol_len)
        memcpy(buf + ANC_DCEP_OPEN_HEADER_SIZE + o->label_len, o->protocol, o->protocol_len);
    return (ssize_t)need;
}

ssize_t anc_dcep_build_ack(uint8_t *buf, size_t cap)
{
    if (cap < 1)
        return -ENOBUFS;
    buf[0] = ANC_DCEP_MSG_ACK;
    return 1;
}
