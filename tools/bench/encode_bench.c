/* Per-frame cost of the video path on the test card: libyuv ARGB→I420 + x264 (ultrafast,
 * zerolatency, one thread) at portrait 720x1280 and 1080x1920. Prints median and p95 in ms for a
 * memcpy of the frame, the conversion alone and convert+encode, and the ratios between them, so
 * that runs on different machines compare by ratio. Usage: bench-encode [frames] */
#include <libyuv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/encoder.h"
#include "media/pattern.h"

#define WARMUP 10

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place; returns the median and sets *p95. */
static double stats(double *v, int n, double *p95)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    int i95 = (n * 95 + 99) / 100 - 1;
    *p95 = v[i95 < 0 ? 0 : i95];
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct samples {
    double *copy, *convert, *encode;
    size_t bytes;
};

static int run_frames(struct anc_encoder *enc, int w, int h, int frames, struct samples *s)
{
    size_t stride = 4 * (size_t)w, size = stride * (size_t)h;
    uint8_t *argb = malloc(size), *copy = malloc(size);
    uint8_t *i420 = malloc((size_t)w * (size_t)h * 3 / 2);
    struct anc_encoder_output out = {0};
    int r = -1;
    if (!argb || !copy || !i420)
        goto done;
    uint8_t *u = i420 + (size_t)w * h, *v = u + (size_t)w * h / 4;
    for (int f = 0; f < WARMUP + frames; f++) {
        anc_pattern_draw(argb, w, h, (int)stride, (uint64_t)f, (uint64_t)f * 1000 / 30);
        double t0 = now_ms();
        memcpy(copy, argb, size);
        double t1 = now_ms();
        ARGBToI420(argb, (int)stride, i420, w, u, w / 2, v, w / 2, w, h);
        double t2 = now_ms();
        if (anc_encoder_encode_argb(enc, argb, (int)stride, f, false, &out) < 0)
            goto done;
        double t3 = now_ms();
        if (f < WARMUP)
            continue;
        s->copy[f - WARMUP] = t1 - t0;
        s->convert[f - WARMUP] = t2 - t1;
        s->encode[f - WARMUP] = t3 - t2;
        s->bytes += out.len;
    }
    r = 0;
done:
    anc_encoder_output_destroy(&out);
    free(argb);
    free(copy);
    free(i420);
    return r;
}

static int bench(int w, int h, int kbps, int frames)
{
    struct anc_encoder_params p = {.width = w, .height = h, .fps = 30, .bitrate_kbps = kbps};
    struct anc_encoder *enc;
    struct samples s = {.copy = calloc((size_t)frames, sizeof(double)),
                        .convert = calloc((size_t)frames, sizeof(double)),
                        .encode = calloc((size_t)frames, sizeof(double))};
    int r = -1;
    if (!s.copy || !s.convert || !s.encode || anc_encoder_new(&p, &enc) < 0)
        goto done;
    r = run_frames(enc, w, h, frames, &s);
    anc_encoder_free(enc);
    if (r < 0)
        goto done;
    double p95_copy, p95_conv, p95_enc;
    double m_copy = stats(s.copy, frames, &p95_copy);
    double m_conv = stats(s.convert, frames, &p95_conv);
    double m_enc = stats(s.encode, frames, &p95_enc);
    printf("%4dx%-4d @30 %5d kbps, %d frames (level %d), %.1f kB/frame\n", w, h, kbps, frames,
           anc_encoder_pick_level(w, h, 30, 0), (double)s.bytes / frames / 1000);
    printf("  memcpy frame        median %7.3f ms  p95 %7.3f ms\n", m_copy, p95_copy);
    printf("  ARGB->I420          median %7.3f ms  p95 %7.3f ms\n", m_conv, p95_conv);
    printf("  convert+encode      median %7.3f ms  p95 %7.3f ms\n", m_enc, p95_enc);
    printf("  ratio convert+encode / convert %.1fx, / memcpy %.1fx; frame budget used %.0f%%\n",
           m_enc / m_conv, m_enc / m_copy, m_enc / (1000.0 / 30) * 100);
done:
    free(s.copy);
    free(s.convert);
    free(s.encode);
    return r;
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 60;
    if (frames <= 0) {
        fprintf(stderr, "usage: %s [frames]\n", argv[0]);
        return 2;
    }
    if (bench(720, 1280, 3000, frames) < 0 || bench(1080, 1920, 6000, frames) < 0) {
        fprintf(stderr, "bench-encode: encoder failed\n");
        return 1;
    }
    return 0;
}
