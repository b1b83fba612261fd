/* Logging to stderr with a level filter. Only the daemon and the modules that decide what an
 * error means log above debug (STYLE.md rule 4). */
#pragma once

enum anc_log_level {
    ANC_LOG_ERROR = 0,
    ANC_LOG_WARN,
    ANC_LOG_INFO,
    ANC_LOG_DEBUG,
};

void anc_log_set_level(enum anc_log_level level);
enum anc_log_level anc_log_get_level(void);
/* Parses "error" | "warn" | "info" | "debug"; returns the level or -EINVAL. */
int anc_log_level_parse(const char *s);
const char *anc_log_level_name(enum anc_log_level level);

void anc_log(enum anc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define anc_error(...) anc_log(ANC_LOG_ERROR, __VA_ARGS__)
#define anc_warn(...)  anc_log(ANC_LOG_WARN, __VA_ARGS__)
#define anc_info(...)  anc_log(ANC_LOG_INFO, __VA_ARGS__)
#define anc_debug(...) anc_log(ANC_LOG_DEBUG, __VA_ARGS__)
