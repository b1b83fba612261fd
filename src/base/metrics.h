/* A small metrics registry rendered in the Prometheus text exposition format (version 0.0.4).
 *
 * Modules register counters and gauges once, keep the returned pointer, and update it on the
 * loop thread; /metrics renders the whole registry. A metric family is a name with one HELP and
 * TYPE line; each distinct label set is one series of that family. The registry owns every
 * metric; pointers stay valid until anc_metrics_free(). Not thread-safe: loop thread only
 * (threads post their figures back to the loop first, STYLE.md rule 7). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct anc_metrics;
struct anc_metric;

enum anc_metric_type {
    ANC_METRIC_COUNTER,
    ANC_METRIC_GAUGE,
    ANC_METRIC_HISTOGRAM, /* anc_metrics_histogram */
};

struct anc_metrics *anc_metrics_new(void);
/* Frees the registry and every metric in it; accepts NULL. */
void anc_metrics_free(struct anc_metrics *m);

/* Finds or creates the series name{labels}. labels is the inside of the braces, already escaped,
 * e.g. "code=\"200\"", or NULL/"" for none. help is used when the family is new. Returns NULL when
 * out of memory, when name is not a valid metric name, or when the family exists with another
 * type. */
struct anc_metric *anc_metrics_get(struct anc_metrics *m, enum anc_metric_type type,
                                   const char *name, const char *labels, const char *help);

static inline struct anc_metric *anc_metrics_counter(struct anc_metrics *m, const char *name,
                                                     const char *labels, const char *help)
{
    return anc_metrics_get(m, ANC_METRIC_COUNTER, name, labels, help);
}

static inline struct anc_metric *anc_metrics_gauge(struct anc_metrics *m, const char *name,
                                                   const char *labels, const char *help)
{
    return anc_metrics_get(m, ANC_METRIC_GAUGE, name, labels, help);
}

/* Finds or creates the histogram series name{labels} with the upper bounds bounds[0..n) (strictly
 * increasing, at most ANC_METRIC_BUCKETS_MAX; +Inf is implied). Rendered as name_bucket{labels,
 * le="..."} (cumulative), name_sum and name_count. The family's bounds are those of its first
 * series; NULL on a mismatch like anc_metrics_get. */
#define ANC_METRIC_BUCKETS_MAX 16
struct anc_metric *anc_metrics_histogram(struct anc_metrics *m, const char *name,
                                         const char *labels, const char *help, const double *bounds,
                                         size_t n);
/* Adds one sample to a histogram series (NULL or another type: ignored). */
void anc_metric_observe(struct anc_metric *mt, double v);
/* The samples observed so far (0 for NULL or a series that is not a histogram). */
uint64_t anc_metric_count(const struct anc_metric *mt);

/* Removes one series (its pointer is invalid afterwards) so that per-session or per-instance
 * label sets do not outlive what they describe. A family left without series is not rendered.
 * mt may be NULL. */
void anc_metrics_remove(struct anc_metrics *m, struct anc_metric *mt);

/* A collector refreshes gauges and counters from a module's own statistics just before every
 * render (anc_metrics_collect), instead of on every event. Registered at most
 * ANC_METRIC_COLLECTORS_MAX; returns 0 or -ENOSPC. anc_metrics_remove_collector: the same
 * (fn, arg), before arg goes away. */
#define ANC_METRIC_COLLECTORS_MAX 8
int anc_metrics_add_collector(struct anc_metrics *m, void (*fn)(void *arg), void *arg);
void anc_metrics_remove_collector(struct anc_metrics *m, void (*fn)(void *arg), void *arg);
void anc_metrics_collect(struct anc_metrics *m);

/* Updates; every one accepts NULL (a metric that could not be registered is simply not kept). */
void anc_metric_add(struct anc_metric *mt, double v);
void anc_metric_set(struct anc_metric *mt, double v);
static inline void anc_metric_inc(struct anc_metric *mt)
{
    anc_metric_add(mt, 1);
}
static inline void anc_metric_dec(struct anc_metric *mt)
{
    anc_metric_add(mt, -1);
}
double anc_metric_value(const struct anc_metric *mt);

/* Renders every family in registration order into a new NUL-terminated buffer (*out, caller
 * frees) of *len bytes. Returns 0 or -ENOMEM. */
int anc_metrics_render(const struct anc_metrics *m, char **out, size_t *len);
