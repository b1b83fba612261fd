/* scrcpy-server 3.3.3: the video stream, parsed (client side) and written (server side). */
#include "agent/proto.h"

#include <errno.h>
#include <string.h>

void anc_agent_stream_init(struct anc_agent_stream *s, unsigned flags, size_t max_packet)
{
    anc__agent_framer_init(&s->fr);
    if (flags & ANC_AGENT_STREAM_DUMMY_BYTE)
        s->state = ANC__AGENT_ST_DUMMY;
    else if (flags & ANC_AGENT_STREAM_DEVICE_META)
        s->state = ANC__AGENT_ST_DEVICE;
    else
        s->state = ANC__AGENT_ST_CODEC;
    s->max_packet = max_packet ? max_packet : ANC_AGENT_PACKET_MAX_DEFAULT;
    s->skip_device = !(flags & ANC_AGENT_STREAM_DEVICE_META);
}

void anc_agent_stream_destroy(struct anc_agent_stream *s)
{
    if (s)
        anc__agent_framer_destroy(&s->fr);
}

static ssize_t packet_len(const struct anc_agent_stream *s, const uint8_t *p, size_t n)
{
    if (n < ANC_AGENT_FRAME_HEADER_SIZE)
        return 0;
    uint64_t pts = anc__agent_rd64(p);
    uint32_t size = anc_rd32(p + 8);
    bool config = pts & ANC_AGENT_FLAG_CONFIG, key = pts & ANC_AGENT_FLAG_KEYFRAME;
    if (config && (key || (pts & ANC_AGENT_PTS_MASK)))
        return -EBADMSG;
    if (size > s->max_packet)
        return -EMSGSIZE;
    return (ssize_t)(ANC_AGENT_FRAME_HEADER_SIZE + (size_t)size);
}

static ssize_t stream_len(const void *ctx, const uint8_t *p, size_t n)
{
    const struct anc_agent_stream *s = ctx;

    switch (s->state) {
    case ANC__AGENT_ST_DUMMY:
        if (n < 1)
            return 0;
        return p[0] == ANC_AGENT_DUMMY_BYTE ? 1 : -EBADMSG;
    case ANC__AGENT_ST_DEVICE:
        return ANC_AGENT_DEVICE_NAME_SIZE;
    case ANC__AGENT_ST_CODEC:
        if (n < 4)
            return 0;
        if (anc_rd32(p) == ANC_AGENT_CODEC_DISABLED || anc_rd32(p) == ANC_AGENT_CODEC_ERROR)
            return 4;
        return ANC_AGENT_CODEC_META_SIZE;
    case ANC__AGENT_ST_PACKET:
        return packet_len(s, p, n);
    case ANC__AGENT_ST_END:
    default:
        return n > 0 ? -EBADMSG : 0;
    }
}

static int codec_event(struct anc_agent_stream *s, const uint8_t *m, size_t n,
                       struct anc_agent_stream_event *ev)
{
    ev->type = ANC_AGENT_EV_CODEC;
    ev->codec.codec_id = anc_rd32(m);
    ev->codec.width = ev->codec.height = 0;
    if (n == 4) {
        s->state = ANC__AGENT_ST_END;
        return 0;
    }
    ev->codec.width = anc_rd32(m + 4);
    ev->codec.height = anc_rd32(m + 8);
    if (ev->codec.width == 0 || ev->codec.width > 65535 || ev->codec.height == 0 ||
        ev->codec.height > 65535)
        return -EBADMSG;
    s->state = ANC__AGENT_ST_PACKET;
    return 0;
}

static int to_event(struct anc_agent_stream *s, const uint8_t *m, size_t n,
                    struct anc_agent_stream_event *ev)
{
    switch (s->state) {
    case ANC__AGENT_ST_DUMMY:
        ev->type = ANC_AGENT_EV_DUMMY;
        s->state = s->skip_device ? ANC__AGENT_ST_CODEC : ANC__AGENT_ST_DEVICE;
        return 0;
    case ANC__AGENT_ST_DEVICE:
        ev->type = ANC_AGENT_EV_DEVICE;
        memcpy(ev->device.name, m, ANC_AGENT_DEVICE_NAME_SIZE);
        ev->device.name[ANC_AGENT_DEVICE_NAME_SIZE] = '\0';
        s->state = ANC__AGENT_ST_CODEC;
        return 0;
    case ANC__AGENT_ST_CODEC:
        return codec_event(s, m, n, ev);
    case ANC__AGENT_ST_PACKET: {
        uint64_t pts = anc__agent_rd64(m);
        ev->type = ANC_AGENT_EV_PACKET;
        ev->packet.config = pts & ANC_AGENT_FLAG_CONFIG;
        ev->packet.keyframe = pts & ANC_AGENT_FLAG_KEYFRAME;
        ev->packet.pts = pts & ANC_AGENT_PTS_MASK;
        ev->packet.data = m + ANC_AGENT_FRAME_HEADER_SIZE;
        ev->packet.len = n - ANC_AGENT_FRAME_HEADER_SIZE;
        return 0;
    }
    default:
        return -EBADMSG;
    }
}

ssize_t anc_agent_stream_feed(struct anc_agent_stream *s, const uint8_t *buf, size_t len,
                              struct anc_agent_stream_event *ev)
{
    const uint8_t *m;
    size_t n;

    ev->type = ANC_AGENT_EV_NONE;
    ssize_t used = anc__agent_framer_feed(&s->fr, buf, len, stream_len, s, &m, &n);
    if (used < 0 || !m)
        return used;
    int r = to_event(s, m, n, ev);
    if (r < 0) {
        ev->type = ANC_AGENT_EV_NONE;
        s->fr.error = r;
        return r;
    }
    return used;
}

void anc_agent_write_device_meta(uint8_t out[ANC_AGENT_DEVICE_NAME_SIZE], const char *name)
{
    size_t len = name ? strlen(name) : 0;
    size_t cut = anc_agent_utf8_chunk((const uint8_t *)name, len, ANC_AGENT_DEVICE_NAME_SIZE - 1);

    memset(out, 0, ANC_AGENT_DEVICE_NAME_SIZE);
    if (cut)
        memcpy(out, name, cut);
}

void anc_agent_write_codec_meta(uint8_t out[ANC_AGENT_CODEC_META_SIZE], uint32_t codec_id,
                                uint32_t width, uint32_t height)
{
    anc_wr32(out, codec_id);
    anc_wr32(out + 4, width);
    anc_wr32(out + 8, height);
}

void anc_agent_write_disable(uint8_t out[4], bool error)
{
    anc_wr32(out, error ? ANC_AGENT_CODEC_ERROR : ANC_AGENT_CODEC_DISABLED);
}

int anc_agent_write_frame_header(uint8_t out[ANC_AGENT_FRAME_HEADER_SIZE], uint64_t pts,
                                 bool config, bool keyframe, size_t size)
{
    if ((pts & ~ANC_AGENT_PTS_MASK) || size > UINT32_MAX)
        return -EINVAL;
    /* As the server does: a config packet is "non-media data" and carries only its flag. */
    uint64_t v = config ? ANC_AGENT_FLAG_CONFIG : pts | (keyframe ? ANC_AGENT_FLAG_KEYFRAME : 0);
    anc__agent_wr64(out, v);
    anc_wr32(out + 8, (uint32_t)size);
    return 0;
}
