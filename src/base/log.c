#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum anc_log_level current = ANC_LOG_INFO;
static const char *const names[] = {"error", "warn", "info", "debug"};

void anc_log_set_level(enum anc_log_level level)
{
    current = level;
}

enum anc_log_level anc_log_get_level(void)
{
    return current;
}

int anc_log_level_parse(const char *s)
{
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -EINVAL;
}

const char *anc_log_level_name(enum anc_log_level level)
{
    return (unsigned)level < sizeof(names) / sizeof(names[0]) ? names[level] : "?";
}

void anc_log(enum anc_log_level level, const char *fmt, ...)
{
    if (level > current)
        return;
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000, names[level], line);
}
