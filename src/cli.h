/* ancloudd's command line and configuration file loading. */
#pragma once

#include <stdbool.h>

#include "base/config.h"

#define ANC_EXIT_CONFIG 2 /* a usage or configuration error */

/* What the command line asks for. */
struct anc_cmdline {
    const char *config_path;
    bool check_only, teardown;
};

/* Returns -1 to go on, else the exit status (help, version, a usage error). */
int anc_cli_parse(int argc, char **argv, struct anc_cmdline *cl);
/* The embedded defaults, then the file at path (NULL: none); an error is printed. 0 or -errno. */
int anc_cli_load_config(struct anc_config *cfg, const char *path);
