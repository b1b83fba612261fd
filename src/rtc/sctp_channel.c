/* WebRTC data channels on the SCTP association (RFC 8831): DCEP open/ack (RFC 8832), PPIDs,
 * per-channel reliability, reassembly of messages read in parts, closing by stream reset. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "rtc/dcep.h"
#include "rtc/sctp_internal.h"

void anc__sctp_channel_free(struct anc__sctp_channel *ch)
{
    if (!ch)
        return;
    free(ch->label);
    free(ch->protocol);
    free(ch);
}

static void push_channel_open(struct anc_sctp *s, uint16_t sid, const struct anc__sctp_channel *ch)
{
    struct anc_sctp_event ev = {.type = ANC_SCTP_EV_CHANNEL_OPEN,
                                .channel = sid,
                                .remote = !ch->local,
                                .channel_type = ch->type,
                                .reliability = ch->reliability};
    size_t ll = strlen(ch->label) + 1, pl = strlen(ch->protocol) + 1;
    struct anc__sctp_event_node *e = anc__sctp_event_push(s, &ev, ch->label, ll, ch->protocol, pl);
    if (e) {
        e->ev.label = (const char *)e->payload;
        e->ev.protocol = (const char *)e->payload + ll;
    }
}

static void push_message(struct anc_sctp *s, uint16_t sid, bool binary, const uint8_t *buf,
                         size_t len)
{
    struct anc_sctp_event ev = {
        .type = ANC_SCTP_EV_MESSAGE, .channel = sid, .is_binary = binary, .len = len};
    struct anc__sctp_event_node *e = anc__sctp_event_push(s, &ev, buf, len, NULL, 0);
    if (e && len)
        e->ev.data = e->payload;
}

static int send_open(struct anc_sctp *s, uint16_t sid, const struct anc__sctp_channel *ch)
{
    struct anc_dcep_open o = {.channel_type = ch->type,
                              .reliability = ch->reliability,
                              .label = (const uint8_t *)ch->label,
                              .label_len = (uint16_t)strlen(ch->label),
                              .protocol = (const uint8_t *)ch->protocol,
                              .protocol_len = (uint16_t)strlen(ch->protocol)};
    size_t n = anc_dcep_open_size(&o);
    uint8_t *buf = malloc(n);
    if (!buf)
        return -ENOMEM;
    int r = (int)anc_dcep_build_open(&o, buf, n);
    if (r >= 0)
        r = anc__sctp_send_raw(s, sid, ANC_DCEP_PPID_CONTROL, buf, n, false, SCTP_PR_SCTP_NONE, 0);
    free(buf);
    return r;
}

static int send_ack(struct anc_sctp *s, uint16_t sid)
{
    uint8_t ack[1];
    anc_dcep_build_ack(ack, sizeof(ack));
    return anc__sctp_send_raw(s, sid, ANC_DCEP_PPID_CONTROL, ack, sizeof(ack), false,
                              SCTP_PR_SCTP_NONE, 0);
}

/* Requests one outgoing stream reset for every channel that wants one. usrsctp allows one
 * request in flight, so a refusal (EALREADY/EBUSY) is retried on the next notification or
 * tick. */
static void request_resets(struct anc_sctp *s)
{
    uint16_t list[ANC_SCTP_MAX_STREAMS];
    uint16_t n = 0;

    for (uint16_t i = 0; i < ANC_SCTP_MAX_STREAMS; i++)
        if (s->chans[i] && s->chans[i]->reset_wanted)
            list[n++] = i;
    if (n == 0)
        return;
    size_t len = sizeof(struct sctp_reset_streams) + n * sizeof(uint16_t);
    struct sctp_reset_streams *srs = calloc(1, len);
    if (!srs)
        return;
    srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    srs->srs_number_streams = n;
    memcpy(srs->srs_stream_list, list, n * sizeof(uint16_t));
    if (anc__sctp_setopt(s, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)len) == 0)
        for (uint16_t i = 0; i < n; i++)
            s->chans[list[i]]->reset_wanted = false;
    free(srs);
}

void anc__sctp_flush_pending(struct anc_sctp *s)
{
    if (!s->connected || s->closed)
        return;
    for (uint16_t i = 0; i < ANC_SCTP_MAX_STREAMS; i++) {
        struct anc__sctp_channel *ch = s->chans[i];
        if (ch && ch->ack_pending && send_ack(s, i) == 0)
            ch->ack_pending = false;
        if (ch && ch->open_pending && send_open(s, i, ch) == 0)
            ch->open_pending = false;
    }
    request_resets(s);
}

static struct anc__sctp_channel *channel_get(struct anc_sctp *s, uint16_t id)
{
    return id < ANC_SCTP_MAX_STREAMS ? s->chans[id] : NULL;
}

int anc_sctp_send(struct anc_sctp *s, uint16_t id, bool is_binary, const void *buf, size_t len)
{
    static const uint8_t zero = 0;
    struct anc__sctp_channel *ch = channel_get(s, id);
    uint16_t policy = SCTP_PR_SCTP_NONE;
    uint32_t ppid;

    if (!s->connected || s->closed)
        return -ENOTCONN;
    if (!ch || ch->closing)
        return -ENOENT;
    if (len > s->cfg.max_message_size ||
        (s->cfg.remote_max_message_size && len > s->cfg.remote_max_message_size))
        return -EMSGSIZE;
    if (ch->open_pending)
        return -EAGAIN; /* data must not overtake its OPEN */
    if (len == 0) {
        /* SCTP cannot carry empty messages: one zero byte with the "empty" PPID stands in. */
        ppid = is_binary ? ANC_DCEP_PPID_BINARY_EMPTY : ANC_DCEP_PPID_STRING_EMPTY;
        buf = &zero;
        len = 1;
    } else {
        ppid = is_binary ? ANC_DCEP_PPID_BINARY : ANC_DCEP_PPID_STRING;
    }
    if ((ch->type & 0x7f) == ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_REXMIT)
        policy = SCTP_PR_SCTP_RTX;
    else if ((ch->type & 0x7f) == ANC_DCEP_CHANNEL_PARTIAL_RELIABLE_TIMED)
        policy = SCTP_PR_SCTP_TTL;
    bool unordered = !anc_dcep_channel_type_ordered(ch->type) && ch->acked;
    int r = anc__sctp_send_raw(s, id, ppid, buf, len, unordered, policy, ch->reliability);
    if (r == 0)
        s->stats.messages_sent++;
    return r;
}

/* Channels open or opening (not closing, not rejected). */
static size_t channels_open(const struct anc_sctp *s)
{
    size_t n = 0;
    for (uint16_t i = 0; i < ANC_SCTP_MAX_STREAMS; i++)
        n += s->chans[i] && !s->chans[i]->closing;
    return n;
}

static struct anc__sctp_channel *channel_new(const char *label, size_t ll, const char *proto,
                                             size_t pl)
{
    struct anc__sctp_channel *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return NULL;
    ch->label = strndup(label, ll);
    ch->protocol = strndup(proto, pl);
    if (!ch->label || !ch->protocol) {
        anc__sctp_channel_free(ch);
        return NULL;
    }
    return ch;
}

int anc_sctp_open_channel(struct anc_sctp *s, const char *label, const char *protocol, bool ordered,
                          int max_retransmits, int max_lifetime_ms, uint16_t *id)
{
    uint8_t type;
    uint32_t rel;
    uint16_t sid;

    label = label ? label : "";
    protocol = protocol ? protocol : "";
    if (strlen(label) > UINT16_MAX || strlen(protocol) > UINT16_MAX || s->closed)
        return -EINVAL;
    if (anc_dcep_channel_type_for(ordered, max_retransmits, max_lifetime_ms, &type, &rel) < 0)
        return -EINVAL;
    for (sid = s->cfg.dtls_client ? 0 : 1; sid < s->out_streams; sid += 2)
        if (!s->chans[sid])
            break;
    if (sid >= s->out_streams || channels_open(s) >= s->cfg.max_channels)
        return -ENOSPC;
    struct anc__sctp_channel *ch = channel_new(label, strlen(label), protocol, strlen(protocol));
    if (!ch)
        return -ENOMEM;
    ch->type = type;
    ch->reliability = rel;
    ch->local = true;
    ch->open_pending = true;
    s->chans[sid] = ch;
    anc__sctp_flush_pending(s);
    *id = sid;
    return 0;
}

int anc_sctp_close_channel(struct anc_sctp *s, uint16_t id)
{
    struct anc__sctp_channel *ch = channel_get(s, id);
    if (!ch)
        return -ENOENT;
    if (ch->closing)
        return 0;
    ch->closing = true;
    if (!s->connected || s->closed || ch->open_pending) {
        /* Nothing reached the peer on this stream: close on our side only. */
        anc__sctp_channel_free(ch);
        s->chans[id] = NULL;
        anc__sctp_push_simple(s, ANC_SCTP_EV_CHANNEL_CLOSED, id);
        return 0;
    }
    ch->reset_wanted = true;
    anc__sctp_flush_pending(s);
    return 0;
}

/* Refuses a peer's OPEN: DCEP has no negative answer, so the stream is reset (RFC 8831 §6.7),
 * which closes the channel on the peer's side. A placeholder holds the stream until both
 * directions are reset; it reports nothing. */
static void reject_open(struct anc_sctp *s, uint16_t sid)
{
    s->stats.rejected_opens++;
    struct anc__sctp_channel *ch = channel_new("", 0, "", 0);
    if (!ch)
        return;
    ch->rejected = ch->closing = ch->reset_wanted = true;
    s->chans[sid] = ch;
    anc__sctp_flush_pending(s);
}

static void on_open(struct anc_sctp *s, uint16_t sid, const uint8_t *buf, size_t len)
{
    struct anc_dcep_open o;
    int r = anc_dcep_parse_open(buf, len, &o);
    if ((r < 0 && r != -EMSGSIZE) || sid >= ANC_SCTP_MAX_STREAMS || s->chans[sid]) {
        s->stats.bad_dcep++;
        return;
    }
    if (r == -EMSGSIZE || channels_open(s) >= s->cfg.max_channels) {
        reject_open(s, sid);
        return;
    }
    struct anc__sctp_channel *ch =
        channel_new((const char *)o.label, o.label_len, (const char *)o.protocol, o.protocol_len);
    if (!ch)
        return;
    ch->type = o.channel_type;
    ch->reliability = o.reliability;
    ch->acked = true;
    ch->open_reported = true;
    s->chans[sid] = ch;
    if (send_ack(s, sid) < 0)
        ch->ack_pending = true;
    push_channel_open(s, sid, ch);
}

static void on_dcep(struct anc_sctp *s, uint16_t sid, const uint8_t *buf, size_t len)
{
    struct anc__sctp_channel *ch = channel_get(s, sid);

    switch (anc_dcep_message_type(buf, len)) {
    case ANC_DCEP_MSG_OPEN:
        on_open(s, sid, buf, len);
        return;
    case ANC_DCEP_MSG_ACK:
        if (anc_dcep_parse_ack(buf, len) == 0 && ch && ch->local && !ch->open_reported) {
            ch->acked = true;
            ch->open_reported = true;
            push_channel_open(s, sid, ch);
            return;
        }
        break;
    default:
        break;
    }
    s->stats.bad_dcep++;
}

static void deliver(struct anc_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
    struct anc__sctp_channel *ch = channel_get(s, sid);
    bool binary = ppid == ANC_DCEP_PPID_BINARY || ppid == ANC_DCEP_PPID_BINARY_EMPTY;

    switch (ppid) {
    case ANC_DCEP_PPID_CONTROL:
        on_dcep(s, sid, buf, len);
        return;
    case ANC_DCEP_PPID_STRING_EMPTY:
    case ANC_DCEP_PPID_BINARY_EMPTY:
        len = 0;
        break;
    case ANC_DCEP_PPID_STRING:
    case ANC_DCEP_PPID_BINARY:
        break;
    default:
        s->stats.bad_ppid++;
        return;
    }
    if (!ch || ch->rejected) {
        s->stats.dropped_no_channel++;
        return;
    }
    if (len > s->cfg.max_message_size) {
        s->stats.dropped_oversize++;
        return;
    }
    ch->acked = true; /* data from the peer implies it has our OPEN (RFC 8832 §6) */
    s->stats.messages_received++;
    push_message(s, sid, binary, buf, len);
}

/* The largest message we accept in parts: user data up to max_message_size, DCEP up to an
 * OPEN with 64 KiB label and protocol. */
static size_t rx_limit(const struct anc_sctp *s)
{
    size_t dcep = ANC_DCEP_OPEN_HEADER_SIZE + 2 * (size_t)UINT16_MAX;
    return s->cfg.max_message_size > dcep ? s->cfg.max_message_size : dcep;
}

static void rx_append(struct anc_sctp *s, const uint8_t *buf, size_t n)
{
    if (s->rx_discard)
        return;
    if (s->rx_len + n > rx_limit(s)) {
        s->rx_discard = true;
        s->stats.dropped_oversize++;
        return;
    }
    if (s->rx_len + n > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap : RECV_CHUNK;
        while (cap < s->rx_len + n)
            cap *= 2;
        uint8_t *p = realloc(s->rx, cap);
        if (!p) {
            s->rx_discard = true;
            s->stats.dropped_oversize++;
            return;
        }
        s->rx = p;
        s->rx_cap = cap;
    }
    memcpy(s->rx + s->rx_len, buf, n);
    s->rx_len += n;
}

void anc__sctp_on_data(struct anc_sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf,
                       size_t n, bool eor)
{
    if (!s->rx_active && eor) {
        deliver(s, sid, ppid, buf, n);
        return;
    }
    if (s->rx_active && sid != s->rx_sid) {
        /* Parts of two messages interleaved: not possible with usrsctp's default
         * fragment interleave level, so treat the older one as lost. */
        s->stats.dropped_oversize++;
        s->rx_active = false;
    }
    if (!s->rx_active) {
        s->rx_active = true;
        s->rx_discard = false;
        s->rx_sid = sid;
        s->rx_ppid = ppid;
        s->rx_len = 0;
    }
    rx_append(s, buf, n);
    if (eor) {
        if (!s->rx_discard)
            deliver(s, s->rx_sid, s->rx_ppid, s->rx, s->rx_len);
        s->rx_active = false;
        s->rx_len = 0;
    }
}

static void finish_close(struct anc_sctp *s, uint16_t sid)
{
    struct anc__sctp_channel *ch = s->chans[sid];
    if (!ch || !ch->reset_in_done || !ch->reset_out_done)
        return;
    bool rejected = ch->rejected;
    anc__sctp_channel_free(ch);
    s->chans[sid] = NULL;
    if (!rejected)
        anc__sctp_push_simple(s, ANC_SCTP_EV_CHANNEL_CLOSED, sid);
}

static void on_reset_stream(struct anc_sctp *s, uint16_t sid, uint16_t flags)
{
    struct anc__sctp_channel *ch = channel_get(s, sid);
    if (!ch)
        return;
    if (flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
        /* Our request was refused: ask again a few times, then give the stream up. */
        if (flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
            if (++ch->reset_attempts < RESET_ATTEMPTS_MAX)
                ch->reset_wanted = true;
            else
                ch->reset_out_done = true;
        }
    } else if (flags & SCTP_STREAM_RESET_INCOMING_SSN) {
        /* The peer closed: answer by resetting our side (RFC 8831 §6.7). */
        ch->reset_in_done = true;
        if (!ch->closing) {
            ch->closing = true;
            ch->reset_wanted = true;
        }
    } else if (flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
        ch->reset_out_done = true;
    }
    finish_close(s, sid);
}

void anc__sctp_on_stream_reset_event(struct anc_sctp *s, const uint8_t *buf, size_t len)
{
    struct sctp_stream_reset_event ev;
    if (len < sizeof(ev))
        return;
    memcpy(&ev, buf, sizeof(ev));
    size_t n = (len - sizeof(ev)) / sizeof(uint16_t);
    if (n == 0) {
        for (uint16_t i = 0; i < ANC_SCTP_MAX_STREAMS; i++)
            on_reset_stream(s, i, ev.strreset_flags);
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t sid;
        memcpy(&sid, buf + sizeof(ev) + i * sizeof(sid), sizeof(sid));
        on_reset_stream(s, sid, ev.strreset_flags);
    }
    anc__sctp_flush_pending(s);
}
