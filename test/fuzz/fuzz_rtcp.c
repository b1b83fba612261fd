/* Fuzzes the compound RTCP parser and, on the same bytes, the H.264 depacketizer: the input is
 * split into packets at each 0xff 0xfe 0xfd marker so that sequences (FU-A runs, STAP-A) occur. */
#include <stdint.h>
#include <string.h>

#include "rtc/h264_pack.h"
#include "rtc/rtcp.h"

static int count_item(void *opaque, const struct anc_rtcp_item *item)
{
    size_t *n = opaque;
    (*n)++;
    if (item->type == ANC_RTCP_ITEM_NACK && item->u.nack.n_seqs > 17)
        __builtin_trap();
    if (item->type == ANC_RTCP_ITEM_REPORT_BLOCK) {
        /* A round trip from any report is unknown (-1) or within a minute. */
        int64_t rtt = anc_rtcp_rtt_us(&item->u.rb, (uint64_t)item->u.rb.jitter << 16);
        if (rtt < -1 || rtt > 60000000)
            __builtin_trap();
    }
    return 0;
}

static void feed_depacketizer(const uint8_t *data, size_t size)
{
    static const uint8_t sep[3] = {0xff, 0xfe, 0xfd};
    struct anc_h264_depacketizer d;
    anc_h264_depacketizer_init(&d, 1 << 16);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        bool at_sep = i + 3 <= size && memcmp(data + i, sep, 3) == 0;
        if (!at_sep && i != size)
            continue;
        const uint8_t *au;
        size_t au_len;
        int r = anc_h264_depacketize(&d, data + start, i - start, &au, &au_len);
        if (r == 1) {
            /* Everything reassembled must split back into NAL units. */
            size_t pos = 0, n;
            const uint8_t *nal;
            while (anc_h264_next_nal(au, au_len, &pos, &nal, &n))
                ;
        }
        start = i + 3;
        i += 2;
    }
    anc_h264_depacketizer_destroy(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    anc_rtcp_parse(data, size, count_item, &n);
    anc_rtp_is_rtcp(data, size);
    struct anc_rtp_header h;
    anc_rtp_header_parse(data, size, &h);
    feed_depacketizer(data, size);
    return 0;
}
