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
    char *labels;            /* "" for none */
    double value;
};

struct family {
    struct family *next;
    char *name;
    char *help;
    enum anc_metric_type type;
    struct anc_metric *series, **series_tail;
};

struct anc_metrics {
    struct family *families, **tail;
};

struct anc_metrics *anc_metrics_new(void)
{
    struct anc_metrics *m = calloc(1, sizeof(*m));
    if (m)
        m->tail = &m->families;
    return m;
}

static void family_free(struct family *f)
{
    struct anc_metric *s = f->series;
    while (s) {
        struct anc_metric *next = s->next;
        free(s->labels);
        free(s);
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
    f->series_tail = &f->series;
    if (!f->name || !f->help) {
        family_free(f);
        return NULL;
    }
    *m->tail = f;
    m->tail = &f->next;
    return f;
}

struct anc_metric *anc_metrics_get(struct anc_metrics *m, enum anc_metric_type type,
                                   const char *name, const char *labels, const char *help)
{
    if (!m || !valid_name(name))
        return NULL;
    if (!labels)
        labels = "";
    struct family *f = family_get(m, type, name, help);
    if (!f)
        return NULL;
    for (struct anc_metric *s = f->series; s; s = s->next)
        if (strcmp(s->labels, labels) == 0)
            return s;
    struct anc_metric *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->labels = strdup(labels);
    if (!s->labels) {
        free(s);
        return NULL;
    }
    *f->series_tail = s;
    f->series_tail = &s->next;
    return s;
}

void anc_metric_add(struct anc_metric *mt, double v)
{
    if (mt)
        mt->value += v;
}

void anc_metric_set(struct anc_metric *mt, double v)
{
    if (mt)
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

int anc_metrics_render(const struct anc_metrics *m, char **out, size_t *len)
{
    struct sbuf b = {.cap = 1024};
    b.p = malloc(b.cap);
    if (!b.p)
        return -ENOMEM;
    b.p[0] = '\0';
    for (const struct family *f = m ? m->families : NULL; f; f = f->next) {
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
        sb_printf(&b, "# TYPE %s %s\n", f->name,
                  f->type == ANC_METRIC_COUNTER ? "counter" : "gauge");
        for (const struct anc_metric *s = f->series; s; s = s->next) {
            if (s->labels[0])
                sb_printf(&b, "%s{%s} ", f->name, s->labels);
            else
                sb_printf(&b, "%s ", f->name);
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
