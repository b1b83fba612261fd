/* The single table of configuration keys (config_keys.c), private to config.c: parsing,
 * defaults, documentation and reload all come from it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ANC_CONFIG_MAX_KEYS 128 /* config.c keeps one flag per key on its stack */

enum key_type {
    T_STR,
    T_INT,
    T_BOOL,
    T_CIDR,
    T_LOGLEVEL,
    T_HOSTPORT,
    T_IP_LIST,
    T_PAIR_LIST, /* "ID ID": two different instance ids */
    T_STR_LIST,
    T_PRESET,
    T_BINDER,
    T_BITRATE_POLICY,
    T_URL_LIST, /* http[s]://host:port, repeatable or comma-separated */
};

struct key {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;    /* into struct anc_config */
    size_t size;      /* of a string field (or of one list item) */
    size_t count_off; /* list fields: offset of the item count */
    long min, max;    /* T_INT bounds */
    const char *def;  /* default, as written in the file */
    bool live;        /* applied by SIGHUP without a restart */
    const char *doc;
};

extern const struct key anc_config_keys[];
extern const size_t anc_config_n_keys;
