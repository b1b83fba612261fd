/* Parses arbitrary bytes as an offer, for our own stream and for pass-through ones of several
 * H.264 profiles; when that succeeds, the answer must build, fit in ANC_SDP_ANSWER_MAX and be
 * exactly as long as reported. */
#include "rtc/sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct anc_sdp_candidate candidates[] = {
    {"192.0.2.1", 5004},
    {"2001:db8::1", 5004},
};

static const struct anc_sdp_answer_params params = {
    .ice_ufrag = "fuzz",
    .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
    .fingerprint_sha256 = "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:"
                          "10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F",
    .candidates = candidates,
    .n_candidates = 2,
    .video_ssrc = 1,
    .cname = "fuzz",
    .msid_stream = "s",
    .msid_track = "t",
    .session_id = 1,
    .session_version = 1,
};

static struct anc_sdp_offer offer;
static char answer[ANC_SDP_ANSWER_MAX];

/* Our encoder's stream (0) and pass-through ones of the common profiles. */
static const uint32_t profiles[] = {0, 0x42e01f, 0x420028, 0x4d0028, 0x640029, 0x640c29};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        char err[128];
        if (anc_sdp_parse_for_stream((const char *)data, size, profiles[i], &offer, err,
                                     sizeof(err)) < 0) {
            if (!memchr(err, '\0', sizeof(err)))
                abort();
            continue;
        }
        int n = anc_sdp_build_answer(&offer, &params, answer, sizeof(answer));
        if (n <= 0 || strlen(answer) != (size_t)n)
            abort();
    }
    return 0;
}
