#include "base/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config_keys.h"
#include "base/log.h"

/* The key table lives in config_keys.c. */
#define keys   anc_config_keys
#define N_KEYS anc_config_n_keys

static bool is_list(const struct key *k)
{
    return k->type == T_IP_LIST || k->type == T_STR_LIST || k->type == T_PAIR_LIST ||
           k->type == T_URL_LIST;
}

static const char *const presets[] = {"ultrafast", "superfast", "veryfast",
                                      "faster",    "fast",      "medium"};

static const struct key *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static bool known_section(const char *section)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0)
            return true;
    return false;
}

static int parse_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0')
        return -EINVAL;
    if (n < lo || n > hi)
        return -ERANGE;
    *out = n;
    return 0;
}

/* a.b.c.d/prefix with a prefix from 8 to 30. */
static int check_cidr(const char *v)
{
    char host[32];
    const char *slash = strchr(v, '/');
    unsigned char buf[4];
    long prefix;
    if (!slash || (size_t)(slash - v) >= sizeof(host))
        return -EINVAL;
    snprintf(host, sizeof(host), "%.*s", (int)(slash - v), v);
    if (inet_pton(AF_INET, host, buf) != 1)
        return -EINVAL;
    return parse_int(slash + 1, 8, 30, &prefix);
}

/* host:port, [v6]:port; the host must be a numeric address. */
static int check_hostport(const char *v)
{
    char host[128];
    const char *colon;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close || close[1] != ':')
            return -EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)(close - v - 1), v + 1);
        colon = close + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return -EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)(colon - v), v);
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
        return -EINVAL;
    long port;
    return parse_int(colon + 1, 0, 65535, &port);
}

static const char *const binder_routes[] = {"auto", "guest", "host", NULL};

static bool is_preset(const char *v)
{
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
        if (strcmp(v, presets[i]) == 0)
            return true;
    return false;
}

static bool is_binder_route(const char *v)
{
    for (size_t i = 0; binder_routes[i]; i++)
        if (strcmp(v, binder_routes[i]) == 0)
            return true;
    return false;
}

/* Why a value of a text type (string, preset, subnet, address) is refused; NULL: it is fine. */
static const char *check_text(const struct key *k, const char *v)
{
    if (strlen(v) >= k->size)
        return k->type == T_CIDR
                   ? "expected an IPv4 subnet a.b.c.d/prefix with a prefix from 8 to 30"
               : k->type == T_HOSTPORT
                   ? "expected numeric-address:port, e.g. 127.0.0.1:8080 or [::1]:8080"
                   : "value too long";
    if (k->type == T_PRESET && !is_preset(v))
        return "not an x264 preset (ultrafast superfast veryfast faster fast medium)";
    if (k->type == T_BINDER && !is_binder_route(v))
        return "expected auto, guest or host";
    if (k->type == T_BITRATE_POLICY && strcmp(v, "controller") != 0 && strcmp(v, "lowest") != 0)
        return "expected controller or lowest";
    if (k->type == T_CIDR && check_cidr(v) < 0)
        return "expected an IPv4 subnet a.b.c.d/prefix with a prefix from 8 to 30";
    if (k->type == T_HOSTPORT && check_hostport(v) < 0)
        return "expected numeric-address:port, e.g. 127.0.0.1:8080 or [::1]:8080";
    return NULL;
}

/* "ID ID": two different 12-hex-digit instance ids and one space. */
static bool pair_ok(const char *v)
{
    static const char hex[] = "0123456789abcdef";
    return strlen(v) == 25 && strspn(v, hex) == 12 && v[12] == ' ' && strspn(v + 13, hex) == 12 &&
           strncmp(v, v + 13, 12) != 0;
}

/* Appends one value to a list key (ip list, stun/turn URLs). */
static int add_to_list(struct anc_config *c, const struct key *k, const char *v, const char **why)
{
    int *count = (int *)((char *)c + k->count_off);
    unsigned char buf[16];
    if (*count >= ANC_CONFIG_MAX_LIST) {
        *why = "too many values (at most 8)";
        return -E2BIG;
    }
    if (strlen(v) == 0 || strlen(v) >= k->size) {
        *why = "empty or too long";
        return -EINVAL;
    }
    if (k->type == T_IP_LIST && inet_pton(AF_INET, v, buf) != 1 &&
        inet_pton(AF_INET6, v, buf) != 1) {
        *why = "not a numeric IPv4 or IPv6 address";
        return -EINVAL;
    }
    if (k->type == T_PAIR_LIST && !pair_ok(v)) {
        *why = "expected two different instance ids (12 hex digits) separated by a space";
        return -EINVAL;
    }
    if (k->type == T_URL_LIST && !((strncmp(v, "http://", 7) == 0 && strlen(v) > 7) ||
                                   (strncmp(v, "https://", 8) == 0 && strlen(v) > 8))) {
        *why = "expected an http://host:port or https://host:port URL";
        return -EINVAL;
    }
    if (k->type == T_STR_LIST && strncmp(v, "stun:", 5) != 0 && strncmp(v, "turn:", 5) != 0 &&
        strncmp(v, "turns:", 6) != 0) {
        *why = "expected a stun:, turn: or turns: URL";
        return -EINVAL;
    }
    strcpy((char *)c + k->offset + (size_t)*count * k->size, v);
    (*count)++;
    return 0;
}

/* "a,b, c": each part trimmed and added. */
static int add_url_list(struct anc_config *c, const struct key *k, const char *v, const char **why)
{
    char part[256];
    while (*v) {
        v += strspn(v, " \t,");
        size_t n = strcspn(v, ",");
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n == 0)
            break;
        if (n >= sizeof(part)) {
            *why = "empty or too long";
            return -EINVAL;
        }
        memcpy(part, v, n);
        part[n] = '\0';
        int r = add_to_list(c, k, part, why);
        if (r < 0)
            return r;
        v += n;
    }
    return 0;
}

static int set_value(struct anc_config *c, const struct key *k, const char *v, const char **why)
{
    char *field = (char *)c + k->offset;
    long n;
    int r;

    switch (k->type) {
    case T_STR:
    case T_PRESET:
    case T_BINDER:
    case T_BITRATE_POLICY:
    case T_CIDR:
    case T_HOSTPORT:
        *why = check_text(k, v);
        if (*why)
            return -EINVAL;
        strcpy(field, v);
        return 0;
    case T_INT:
        r = parse_int(v, k->min, k->max, &n);
        if (r < 0) {
            *why = r == -ERANGE ? "out of range" : "not an integer";
            return r;
        }
        *(int *)field = (int)n;
        return 0;
    case T_BOOL:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
            *why = "expected true or false";
            return -EINVAL;
        }
        *(bool *)field = strcmp(v, "true") == 0;
        return 0;
    case T_LOGLEVEL:
        r = anc_log_level_parse(v);
        if (r < 0) {
            *why = "expected error, warn, info or debug";
            return r;
        }
        *(int *)field = r;
        return 0;
    case T_IP_LIST:
    case T_STR_LIST:
    case T_PAIR_LIST:
        return add_to_list(c, k, v, why);
    case T_URL_LIST:
        return add_url_list(c, k, v, why);
    }
    *why = "internal: unknown key type";
    return -EINVAL;
}

void anc_config_defaults(struct anc_config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *why;
        if (!is_list(&keys[i]))
            set_value(c, &keys[i], keys[i].def, &why);
    }
}

/* inih calls our reader once per line, so the handler knows the line it is called for. */
struct parse_state {
    struct anc_config *c;
    const char *name;
    const char *text; /* string input, or NULL for a FILE */
    FILE *file;
    int line;
    int err_line;
    char *err;
    size_t errlen;
    /* Lists named in this file replace the defaults (and earlier values) on the first use. */
    bool list_seen[ANC_CONFIG_MAX_KEYS];
};

static char *reader(char *str, int num, void *stream)
{
    struct parse_state *ps = stream;
    ps->line++;
    if (ps->file)
        return fgets(str, num, ps->file);
    if (!*ps->text)
        return NULL;
    const char *nl = strchr(ps->text, '\n');
    size_t n = nl ? (size_t)(nl - ps->text + 1) : strlen(ps->text);
    if (n > (size_t)num - 1) {
        /* inih treats a line longer than its buffer as an error on that line. */
        n = (size_t)num - 1;
    }
    memcpy(str, ps->text, n);
    str[n] = '\0';
    ps->text += n;
    return str;
}

static void set_error(struct parse_state *ps, const char *fmt, const char *a, const char *b)
{
    if (ps->err_line)
        return;
    ps->err_line = ps->line;
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, a, b);
    snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->name, ps->line, msg);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *ps = user;
    if (!known_section(section)) {
        set_error(ps, "unknown section [%s]%s", section, "");
        return 0;
    }
    const struct key *k = find_key(section, name);
    if (!k) {
        set_error(ps, "unknown key \"%s\" in [%s]", name, section);
        return 0;
    }
    size_t idx = (size_t)(k - keys);
    if (is_list(k) && !ps->list_seen[idx]) {
        ps->list_seen[idx] = true;
        *(int *)((char *)ps->c + k->count_off) = 0;
    }
    const char *why = "";
    if (set_value(ps->c, k, value, &why) < 0) {
        char full[96];
        snprintf(full, sizeof(full), "%s.%s", section, name);
        set_error(ps, "%s: %s", full, why);
        return 0;
    }
    return 1;
}

/* inih calls no handler for a section without keys, so section headers are checked here. */
static void check_section_line(struct parse_state *ps, const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line != '[')
        return;
    const char *end = strchr(line, ']');
    if (!end)
        return; /* inih reports it as a syntax error */
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(end - line - 1), line + 1);
    if (!known_section(name))
        set_error(ps, "unknown section [%s]%s", name, "");
}

static char *checking_reader(char *str, int num, void *stream)
{
    char *r = reader(str, num, stream);
    if (r)
        check_section_line(stream, r);
    return r;
}

/* One scheme for every etcd URL (an https cluster with an http member would let whoever can
 * block the others pick plain text), and the TLS keys only where they are used. */
static int check_etcd_tls(struct parse_state *ps)
{
    const struct anc_config *c = ps->c;
    int https = 0;
    for (int i = 0; i < c->n_cluster_etcd; i++)
        https += strncmp(c->cluster_etcd[i], "https://", 8) == 0;
    const char *why = NULL;
    if (https != 0 && https != c->n_cluster_etcd)
        why = "cluster.etcd: every URL http://, or every one https://";
    else if ((c->cluster_etcd_cert[0] == '\0') != (c->cluster_etcd_key[0] == '\0'))
        why = "cluster.etcd_cert and cluster.etcd_key go together";
    else if (https == 0 && (c->cluster_etcd_ca[0] || c->cluster_etcd_cert[0]))
        why = "cluster.etcd_ca, etcd_cert and etcd_key apply to https:// etcd URLs only";
    if (!why)
        return 0;
    snprintf(ps->err, ps->errlen, "%s: %s", ps->name, why);
    return -EINVAL;
}

static int finish(struct parse_state *ps, int ret)
{
    if (ret > 0 && (!ps->err_line || ret < ps->err_line)) {
        snprintf(ps->err, ps->errlen, "%s:%d: syntax error: expected [section] or key = value",
                 ps->name, ret);
        return -EINVAL;
    }
    if (ret < 0) {
        snprintf(ps->err, ps->errlen, "%s: out of memory while parsing", ps->name);
        return -ENOMEM;
    }
    if (ps->err_line)
        return -EINVAL;
    if ((ps->c->tls_cert[0] == '\0') != (ps->c->tls_key[0] == '\0')) {
        snprintf(ps->err, ps->errlen, "%s: server.tls_cert and server.tls_key go together%s",
                 ps->name, " (both set = HTTPS, both empty = plain HTTP)");
        return -EINVAL;
    }
    if (check_etcd_tls(ps) < 0)
        return -EINVAL;
    if (ps->c->min_bitrate_kbps > ps->c->max_bitrate_kbps) {
        snprintf(ps->err, ps->errlen,
                 "%s: stream.min_bitrate_kbps (%d) exceeds max_bitrate_kbps (%d)", ps->name,
                 ps->c->min_bitrate_kbps, ps->c->max_bitrate_kbps);
        return -EINVAL;
    }
    return 0;
}

int anc_config_load_string(struct anc_config *c, const char *text, const char *name, char *err,
                           size_t errlen)
{
    struct parse_state ps = {.c = c, .name = name, .text = text, .err = err, .errlen = errlen};
    int ret = ini_parse_stream(checking_reader, &ps, handler, &ps);
    return finish(&ps, ret);
}

int anc_config_load(struct anc_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int r = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-r));
        return r;
    }
    struct parse_state ps = {.c = c, .name = path, .file = f, .err = err, .errlen = errlen};
    int ret = ini_parse_stream(checking_reader, &ps, handler, &ps);
    fclose(f);
    return finish(&ps, ret);
}

static bool field_equal(const struct anc_config *a, const struct anc_config *b, const struct key *k)
{
    size_t len;
    switch (k->type) {
    case T_INT:
    case T_LOGLEVEL:
        len = sizeof(int);
        break;
    case T_BOOL:
        len = sizeof(bool);
        break;
    case T_IP_LIST:
    case T_STR_LIST:
    case T_PAIR_LIST:
    case T_URL_LIST:
        if (*(const int *)((const char *)a + k->count_off) !=
            *(const int *)((const char *)b + k->count_off))
            return false;
        len = k->size * ANC_CONFIG_MAX_LIST;
        break;
    default:
        len = k->size;
        break;
    }
    return memcmp((const char *)a + k->offset, (const char *)b + k->offset, len) == 0;
}

void anc_config_diff(const struct anc_config *old, const struct anc_config *new_, char *restart,
                     size_t restart_len)
{
    size_t used = 0;
    restart[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].live || field_equal(old, new_, &keys[i]))
            continue;
        int n = snprintf(restart + used, restart_len - used, "%s%s.%s", used ? ", " : "",
                         keys[i].section, keys[i].name);
        if (n < 0 || (size_t)n >= restart_len - used)
            break;
        used += (size_t)n;
    }
}

void anc_config_print_defaults(FILE *out)
{
    const char *section = "";
    fprintf(out, "# ancloud.conf: every key with its embedded default.\n"
                 "# Keys marked (live) are applied on SIGHUP; the others need a restart.\n");
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct key *k = &keys[i];
        if (strcmp(section, k->section) != 0) {
            section = k->section;
            fprintf(out, "\n[%s]\n", section);
        }
        fprintf(out, "; %s%s\n", k->doc, k->live ? " (live)" : "");
        if (is_list(k))
            fprintf(out, ";%s =\n", k->name);
        else
            fprintf(out, "%s = %s\n", k->name, k->def);
    }
}
