/* DCEP, the WebRTC Data Channel Establishment Protocol (RFC 8832), and the data-channel PPIDs
 * (RFC 8831). Pure functions on caller-owned buffers: nothing here allocates, and parsed fields
 * that point into the input buffer are borrowed (valid only while that buffer is). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* SCTP payload protocol identifiers (host byte order; SCTP carries them big-endian). */
#define ANC_DCEP_PPID_CONTROL      50
#define ANC_DCEP_PPID_STRING       51
#define ANC_DCEP_PPID_BINARY       53
#define ANC_DCEP_PPID_STRING_EMPTY 56
#define ANC_DCEP_PPID_BINARY_EMPTY 57

/* Message types (first byte of a PPID 50 message). */
#define ANC_DCEP_MSG_ACK  0x02
#define ANC_DCEP_MSG_OPEN 0x03

/* Channel types: the high bit (0x80) means unordered, the low bits pick the reliability. */
#define ANC_DCEP_CHANNEL_RELIABLE                          0x00
#define ANC_DCEP_CHANNEL_RELIABLE_UNORDERED                0x80
#define ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT           0x01
#define ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED 0x81
#define ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED            0x02
#define ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED  0x82

/* Longest label and protocol we accept in a peer's OPEN (RFC 8832 allows 65535 each). */
#define ANC_DCEP_LABEL_MAX 1024

/* Fixed part of DATA_CHANNEL_OPEN, before label and protocol. */
#define ANC_DCEP_OPEN_HEADER_SIZE 12

struct anc_dcep_open {
    uint8_t channel_type; /* ANC_DCEP_CHANNEL_* */
    uint16_t priority;
    uint32_t reliability; /* retransmissions (REXMIT) or lifetime in ms (TIMED); else 0 */
    const uint8_t *label; /* not NUL-terminated; borrowed from the parsed/caller buffer */
    uint16_t label_len;
    const uint8_t *protocol; /* not NUL-terminated; borrowed */
    uint16_t protocol_len;
};

/* Returns the DCEP message type of buf (ANC_DCEP_MSG_OPEN or ANC_DCEP_MSG_ACK), -EBADMSG if
 * it is empty or of an unknown type. Does not validate the body. */
int anc_dcep_message_type(const uint8_t *buf, size_t len);

/* Parses a DATA_CHANNEL_OPEN. Every length is checked against len, and the message must end
 * exactly after the protocol. On success out->label/protocol point into buf. -EBADMSG when
 * malformed or of an unknown channel type; -EMSGSIZE for a well-formed OPEN whose label or
 * protocol is longer than ANC_DCEP_LABEL_MAX (the caller rejects that channel). */
int anc_dcep_parse_open(const uint8_t *buf, size_t len, struct anc_dcep_open *out);

/* Checks a DATA_CHANNEL_ACK (exactly one byte, 0x02): 0 or -EBADMSG. */
int anc_dcep_parse_ack(const uint8_t *buf, size_t len);

/* Serialized size of an OPEN carrying o's label and protocol. */
size_t anc_dcep_open_size(const struct anc_dcep_open *o);

/* Writes an OPEN into buf (cap bytes). Returns the bytes written, -ENOBUFS if cap is too
 * small, -EINVAL for an unknown channel type. */
ssize_t anc_dcep_build_open(const struct anc_dcep_open *o, uint8_t *buf, size_t cap);

/* Writes an ACK (one byte). Returns 1 or -ENOBUFS. */
ssize_t anc_dcep_build_ack(uint8_t *buf, size_t cap);

/* True for the six channel types RFC 8832 defines. */
bool anc_dcep_channel_type_valid(uint8_t channel_type);

/* True when messages on channels of this type are delivered in order. */
bool anc_dcep_channel_type_ordered(uint8_t channel_type);

/* Picks the channel type and reliability parameter for RTCDataChannelInit-like options:
 * max_retransmits and max_lifetime_ms are -1 when unset (both set: -EINVAL). */
int anc_dcep_channel_type_for(bool ordered, int max_retransmits, int max_lifetime_ms,
                              uint8_t *channel_type, uint32_t *reliability);
