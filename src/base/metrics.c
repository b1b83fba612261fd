#include "base/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct anc_metric {
    struct anc_metric *next; /* next series of the same family */
    struct family *family;
    char *labels;      /* "" for none */
    double value;      /* counters and gauges; a histogram's sum */
    uint64_t *buckets; /* histograms: n_bounds + 1 counts (the last: above every bound) */
    uint64_t count;
};

struct family {
    struct family *next;
    char *name;
    char *help;
    enum anc_metric_type type;
    struct anc_metric *series;
    double bounds[ANC_METRIC_BUCKETS_MAX];
    size_t n_bounds;
};

struct collector {
    void (*fn)(void *arg);
    void *arg;
};

struct anc_metrics {
    struct family *families, **tail;
    struct collector collectors[ANC_METRIC_COLLECTORS_MAX];
};

struct anc_metrics *anc_metrics_new(void)
{
    struct anc_metrics *m = calloc(1, sizeof(*m));
    if (m)
        m->tail = &m->families;
    return m;
}

static void series_free(struct anc_metric *s)
{
    free(s->labels);
    free(s->buckets);
    free(s);
}

static void family_free(struct family *f)
{
    struct anc_metric *s = f->series;
    while (s) {
        struct anc_metric *next = s->next;
        series_free(s);
        s = next;
    }
    free(f->name);
    free(f->help);
    free(f);
}

void anc_metrics_free(struct anc_metrics *m)
{
    if (!m)
        return;
    struct family *f = m->families;
    while (f) {
        struct family *next = f->next;
        family_free(f);
        f = next;
    }
    free(m);
}

static bool valid_name(const char *name)
{
    if (!name || !name[0] || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':'))
            return false;
    }
    return true;
}

static struct family *family_get(struct anc_metrics *m, enum anc_metric_type type, const char *name,
                                 const char *help)
{
    for (struct family *f = m->families; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f->type == type ? f : NULL;
    struct family *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->type = type;
    if (!f->name || !f->help) {
        family_free(f);
        return NULL;
    }
    *m->tail = f;
    m->tail = &f->next;
    return f;
}

static struct anc_metric *series_get(struct family *f, const char *labels)
{
    struct anc_metric **pp = &f->series;
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->labels, labels) == 0)
            return *pp;
    struct anc_metric *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->family = f;
    s->labels = strdup(labels);
    if (f->type == ANC_METRIC_HISTOGRAM)
        s->buckets = calloc(f->n_bounds + 1, sizeof(*s->buckets));
    if (!s->labels || (f->type == ANC_METRIC_HISTOGRAM && !s->buckets)) {
        series_free(s);
        return NULL;
    }
    *pp = s;
    return s;
}

struct anc_metric *anc_metrics_get(struct anc_metrics *m, enum anc_metric_type type,
                                   const char *name, const char *labels, const char *help)
{
    if (!m || !valid_name(name) || type == ANC_METRIC_HISTOGRAM)
        return NULL;
    struct family *f = family_get(m, type, name, help);
    return f ? series_get(f, labels ? labels : "") : NULL;
}

static bool valid_bounds(const double *bounds, size_t n)
{
    if (n > ANC_METRIC_BUCKETS_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            return false;
    return true;
}

struct anc_metric *anc_metrics_histogram(struct anc_metrics *m, const char *name,
                                         const char *labels, const char *help, const double *bounds,
                                         size_t n)
{
    if (!m || !valid_name(name) || !valid_bounds(bounds, n))
        return NULL;
    struct family *f = family_get(m, ANC_METRIC_HISTOGRAM, name, help);
    if (!f)
        return NULL;
    if (!f->series && !f->n_bounds) {
        memcpy(f->bounds, bounds, n * sizeof(*bounds));
        f->n_bounds = n;
    } else if (f->n_bounds != n || memcmp(f->bounds, bounds, n * sizeof(*bounds)) != 0) {
        return NULL;
    }
    return series_get(f, labels ? labels : "");
}

void anc_metric_observe(struct anc_metric *mt, double v)
{
    if (!mt || !mt->buckets || isnan(v))
        return;
    const struct family *f = mt->family;
    size_t i = 0;
    while (i < f->n_bounds && v > f->bounds[i])
        i++;
    mt->buckets[i]++;
    mt->count++;
    mt->value += v;
}

uint64_t anc_metric_count(const struct anc_metric *mt)
{
    return mt ? mt->count : 0;
}

void anc_metrics_remove(struct anc_metrics *m, struct anc_metric *mt)
{
    if (!m || !mt)
        return;
    for (struct anc_metric **pp = &mt->family->series; *pp; pp = &(*pp)->next) {
        if (*pp == mt) {
            *pp = mt->next;
            series_free(mt);
            return;
        }
    }
}

int anc_metrics_add_collector(struct anc_metrics *m, void (*fn)(void *arg), void *arg)
{
    for (size_t i = 0; m && i < ANC_METRIC_COLLECTORS_MAX; i++) {
        if (!m->collectors[i].fn) {
            m->collectors[i] = (struct collector){fn, arg};
            return 0;
        }
    }
    return -ENOSPC;
}

void anc_metrics_remove_collector(struct anc_metrics *m, void (*fn)(void *arg), void *arg)
{
    for (size_t i = 0; m && i < ANC_METRIC_COLLECTORS_MAX; i++)
        if (m->collectors[i].fn == fn && m->collectors[i].arg == arg)
            m->collectors[i] = (struct collector){0};
}

void anc_metrics_collect(struct anc_metrics *m)
{
    for (size_t i = 0; m && i < ANC_METRIC_COLLECTORS_MAX; i++)
        if (m->collectors[i].fn)
            m->collectors[i].fn(m->collectors[i].arg);
}

void anc_metric_add(struct anc_metric *mt, double v)
{
    if (mt && !mt->buckets)
        mt->value += v;
}

void anc_metric_set(struct anc_metric *mt, double v)
{
    if (mt && !mt->buckets)
        mt->value = v;
}

double anc_metric_value(const struct anc_metric *mt)
{
    return mt ? mt->value : 0;
}

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    for (;;) {
        if (b->oom)
            return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

static void render_value(struct sbuf *b, double v)
{
    if (isnan(v))
        sb_printf(b, "NaN\n");
    else if (isinf(v))
        sb_printf(b, "%s\n", v > 0 ? "+Inf" : "-Inf");
    else if (v == (double)(long long)v && fabs(v) < 9e15)
        sb_printf(b, "%lld\n", (long long)v);
    else
        sb_printf(b, "%.17g\n", v);
}

static const char *type_name(enum anc_metric_type t)
{
    return t == ANC_METRIC_COUNTER ? "counter" : t == ANC_METRIC_GAUGE ? "gauge" : "histogram";
}

/* name_bucket{labels,le="..."} cumulative counts, then name_sum and name_count. */
static void render_histogram(struct sbuf *b, const struct family *f, const struct anc_metric *s)
{
    const char *comma = s->labels[0] ? "," : "";
    uint64_t cum = 0;
    for (size_t i = 0; i <= f->n_bounds; i++) {
        cum += s->buckets[i];
        if (i < f->n_bounds)
            sb_printf(b, "%s_bucket{%s%sle=\"%g\"} ", f->name, s->labels, comma, f->bounds[i]);
        else
            sb_printf(b, "%s_bucket{%s%sle=\"+Inf\"} ", f->name, s->labels, comma);
        render_value(b, (double)cum);
    }
    const char *open = s->labels[0] ? "{" : "", *close = s->labels[0] ? "}" : "";
    sb_printf(b, "%s_sum%s%s%s ", f->name, open, s->labels, close);
    render_value(b, s->value);
    sb_printf(b, "%s_count%s%s%s ", f->name, open, s->labels, close);
    render_value(b, (double)s->count);
}

int anc_metrics_render(const struct anc_metrics *m, char **out, size_t *len)
{
    struct sbuf b = {.cap = 1024};
    b.p = malloc(b.cap);
    if (!b.p)
        return -ENOMEM;
    b.p[0] = '\0';
    for (const struct family *f = m ? m->families : NULL; f; f = f->next) {
        if (!f->series)
            continue;
        if (f->help[0]) {
            sb_printf(&b, "# HELP %s ", f->name);
            for (const char *h = f->help; *h; h++) {
                if (*h == '\\')
                    sb_printf(&b, "\\\\");
                else if (*h == '\n')
                    sb_printf(&b, "\\n");
                else
                    sb_printf(&b, "%c", *h);
            }
            sb_printf(&b, "\n");
        }
        sb_printf(&b, "# TYPE %s %s\n", f->name, type_name(f->type));
        for (const struct anc_metric *s = f->series; s; s = s->next) {
            if (f->type == ANC_METRIC_HISTOGRAM)
                render_histogram(&b, f, s);
            else if (s->labels[0])
                sb_printf(&b, "%s{%s} ", f->name, s->labels);
            else
                sb_printf(&b, "%s ", f->name);
            if (f->type != ANC_METRIC_HISTOGRAM)
                render_value(&b, s->value);
        }
    }
    if (b.oom) {
        free(b.p);
        return -ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}
