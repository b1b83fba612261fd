/* The metrics registry: histograms in the Prometheus text format, series removal (per-session
 * label sets must not outlive their session) and collectors run before a render. */
#include <errno.h>

#include "base/metrics.h"
#include "test.h"

static char *render(struct anc_metrics *m)
{
    char *text;
    size_t len;
    CHECK_EQ(anc_metrics_render(m, &text, &len), 0);
    CHECK_EQ(strlen(text), len);
    return text;
}

TEST(histogram_renders_cumulative_buckets)
{
    static const double b[] = {0.01, 0.05, 0.1};
    struct anc_metrics *m = anc_metrics_new();
    struct anc_metric *h = anc_metrics_histogram(m, "ancloud_input_to_present_seconds",
                                                 "instance=\"i1\"", "tap to screen", b, 3);
    CHECK(h);
    anc_metric_observe(h, 0.004);
    anc_metric_observe(h, 0.01); /* le is inclusive */
    anc_metric_observe(h, 0.07);
    anc_metric_observe(h, 2.5);
    CHECK_EQ(anc_metric_count(h), 4);
    char *text = render(m);
    CHECK_STREQ(text, "# HELP ancloud_input_to_present_seconds tap to screen\n"
                      "# TYPE ancloud_input_to_present_seconds histogram\n"
                      "ancloud_input_to_present_seconds_bucket{instance=\"i1\",le=\"0.01\"} 2\n"
                      "ancloud_input_to_present_seconds_bucket{instance=\"i1\",le=\"0.05\"} 2\n"
                      "ancloud_input_to_present_seconds_bucket{instance=\"i1\",le=\"0.1\"} 3\n"
                      "ancloud_input_to_present_seconds_bucket{instance=\"i1\",le=\"+Inf\"} 4\n"
                      "ancloud_input_to_present_seconds_sum{instance=\"i1\"} 2.5840000000000001\n"
                      "ancloud_input_to_present_seconds_count{instance=\"i1\"} 4\n");
    free(text);
    anc_metrics_free(m);
}

TEST(histogram_without_labels_and_mismatches)
{
    static const double b[] = {1}, other[] = {2}, bad[] = {2, 1};
    struct anc_metrics *m = anc_metrics_new();
    struct anc_metric *h = anc_metrics_histogram(m, "h", NULL, "", b, 1);
    CHECK(h);
    CHECK(anc_metrics_histogram(m, "h", NULL, "", b, 1) == h);
    CHECK(!anc_metrics_histogram(m, "h", "x=\"1\"", "", other, 1));  /* another family's bounds */
    CHECK(!anc_metrics_histogram(m, "g", NULL, "", bad, 2));         /* not increasing */
    CHECK(!anc_metrics_gauge(m, "h", NULL, ""));                     /* another type */
    CHECK(!anc_metrics_get(m, ANC_METRIC_HISTOGRAM, "k", NULL, "")); /* needs bounds */
    anc_metric_set(h, 5);                                            /* not a gauge: ignored */
    anc_metric_observe(h, 3);
    anc_metric_observe(NULL, 3);
    char *text = render(m);
    CHECK_STREQ(text, "# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\n"
                      "h_sum 3\nh_count 1\n");
    free(text);
    anc_metrics_free(m);
}

TEST(removed_series_are_gone)
{
    static const double b[] = {0.1};
    struct anc_metrics *m = anc_metrics_new();
    struct anc_metric *a = anc_metrics_counter(m, "c", "session=\"a\"", "");
    struct anc_metric *s = anc_metrics_counter(m, "c", "session=\"b\"", "");
    struct anc_metric *h = anc_metrics_histogram(m, "h", "session=\"b\"", "", b, 1);
    anc_metric_add(a, 1);
    anc_metric_add(s, 2);
    anc_metric_observe(h, 0.05);
    anc_metrics_remove(m, s);
    anc_metrics_remove(m, h);
    anc_metrics_remove(m, NULL);
    char *text = render(m);
    CHECK_STREQ(text, "# TYPE c counter\nc{session=\"a\"} 1\n"); /* h has no series left */
    free(text);
    /* A new series of the same labels starts from zero. */
    anc_metric_inc(anc_metrics_counter(m, "c", "session=\"b\"", ""));
    anc_metrics_remove(m, a);
    text = render(m);
    CHECK_STREQ(text, "# TYPE c counter\nc{session=\"b\"} 1\n");
    free(text);
    anc_metrics_free(m);
}

static void collect(void *arg)
{
    struct anc_metric *g = arg;
    anc_metric_add(g, 1);
}

TEST(collectors_run_before_render)
{
    struct anc_metrics *m = anc_metrics_new();
    struct anc_metric *g = anc_metrics_gauge(m, "g", NULL, "");
    CHECK_EQ(anc_metrics_add_collector(m, collect, g), 0);
    anc_metrics_collect(m);
    anc_metrics_collect(m);
    CHECK(anc_metric_value(g) == 2);
    anc_metrics_remove_collector(m, collect, g);
    anc_metrics_collect(m);
    CHECK(anc_metric_value(g) == 2);
    for (int i = 0; i < ANC_METRIC_COLLECTORS_MAX; i++)
        CHECK_EQ(anc_metrics_add_collector(m, collect, g), 0);
    CHECK_EQ(anc_metrics_add_collector(m, collect, g), -ENOSPC);
    anc_metrics_free(m);
}
