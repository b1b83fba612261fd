#include "cli.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ancloudd [-c FILE] [--check-config] [--print-config]\n"
            "  -c, --config FILE   read ancloud.conf from FILE (default: embedded defaults)\n"
            "      --check-config  validate the configuration and exit (0 ok, 2 invalid)\n"
            "      --print-config  print every key with its default and exit\n"
            "      --teardown-network\n"
            "                      remove what a daemon that did not exit cleanly left of the\n"
            "                      guest network (dnsmasq, firewall rules, bridge) and exit\n"
            "  -h, --help          this help\n"
            "  -V, --version       print the version\n");
}

int anc_cli_load_config(struct anc_config *cfg, const char *path)
{
    char err[600];
    anc_config_defaults(cfg);
    if (!path)
        return 0;
    int r = anc_config_load(cfg, path, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "ancloudd: %s\n", err);
    return r;
}

/* Returns -1 to go on, else the exit status (help, version, a usage error). */
int anc_cli_parse(int argc, char **argv, struct anc_cmdline *cl)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'C'},
        {"print-config", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"teardown-network", no_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cl->config_path = optarg;
            break;
        case 'C':
            cl->check_only = true;
            break;
        case 'T':
            cl->teardown = true;
            break;
        case 'P':
            anc_config_print_defaults(stdout);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("ancloudd %s\n", ANC_VERSION);
            return 0;
        default:
            usage(stderr);
            return ANC_EXIT_CONFIG;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return ANC_EXIT_CONFIG;
    }
    return -1;
}
