/* ancloud.conf: an INI file read with inih. Every key has an embedded default, so a daemon with
 * no file runs; an unknown section or key, or a bad value, is an error naming file:line and key. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ANC_CONFIG_MAX_LIST 8

struct anc_config {
    /* [server] */
    char listen[128];           /* host:port of the HTTP server */
    char token[256];            /* API bearer token; empty: generated and kept in state_dir */
    char web_dir[PATH_MAX];     /* static files of the web client */
    int max_connections;        /* HTTP connections at once; beyond: 503 */
    int max_body_kib;           /* request body limit; beyond: 413 */
    int max_connections_per_ip; /* HTTP connections from one address (IPv6 /64); beyond: 503 */
    int request_timeout_s;      /* headers + body of one request must arrive within it: 408 */
    char tls_cert[PATH_MAX];    /* PEM chain; with tls_key: HTTPS only. Both empty: plain HTTP */
    char tls_key[PATH_MAX];
    /* [paths] */
    char state_dir[PATH_MAX]; /* records, certificate, token */
    char run_dir[PATH_MAX];   /* per-instance runtime files */
    char image_dir[PATH_MAX]; /* squashfs guest images */
    /* [log] */
    int log_level; /* enum anc_log_level */
    /* [rtc] */
    int udp_port; /* the one UDP port for every WebRTC session; 0: ephemeral */
    char public_ip[ANC_CONFIG_MAX_LIST][64];
    int n_public_ip;
    char ice_servers[ANC_CONFIG_MAX_LIST][256];
    int n_ice_servers;
    char turn_secret[256]; /* coturn static-auth-secret; empty: ice_servers passed as written */
    int turn_ttl_s;        /* lifetime of the TURN credentials handed out with an answer */
    int tcp_port;          /* passive ICE-TCP candidates (RFC 6544) on this port; 0: off */
    int max_sessions;
    int max_message_kib; /* data-channel max-message-size */
    /* [stream] */
    int fps;
    int encoder_threads; /* 0: one per core */
    char preset[32];
    int bitrate_kbps;
    int min_bitrate_kbps;
    int max_bitrate_kbps;
    char bitrate_policy[12]; /* controller | lowest (media/stream.h) */
    /* [network] (docs/networking.md) */
    bool net_enabled;      /* set up the bridge at start; false: no container networking */
    char net_bridge[16];   /* IFNAMSIZ */
    char net_subnet[32];   /* a.b.c.d/prefix; the gateway is .1 */
    bool net_dhcp;         /* run dnsmasq on the bridge */
    bool net_keep_on_exit; /* leave bridge and rules in place at exit */
    bool net_isolate;      /* guests cannot reach each other... */
    char net_allow[ANC_CONFIG_MAX_LIST][32]; /* ...except these "ID ID" pairs */
    int n_net_allow;
    bool keep_running_on_exit; /* [instance]: linux guests outlive a clean daemon stop */
    int log_max_kib;           /* [instance]: an instance log's cap; rotated to <log>.1 past it */
    /* [android] (docs/android.md) */
    char android_agent_jar[PATH_MAX]; /* scrcpy-server of the version ancloudd speaks */
    int android_boot_timeout_s;       /* start to sys.boot_completed=1, else error */
    char android_binder[8];           /* auto | guest | host (container/binder_host.h) */

    /* [cluster] (docs/cluster.md): no etcd URL = one host. */
    char cluster_etcd[ANC_CONFIG_MAX_LIST][256];
    int n_cluster_etcd;
    char cluster_etcd_ca[PATH_MAX];   /* https:// etcd: trust anchors; empty = system store */
    char cluster_etcd_cert[PATH_MAX]; /* client certificate (with etcd_key), or empty */
    char cluster_etcd_key[PATH_MAX];
    char cluster_node[64];
    char cluster_advertise[256];
    char cluster_labels[256];
    int cluster_lease_s;
    int cluster_max_instances;
};

/* Fills *c with the embedded defaults. */
void anc_config_defaults(struct anc_config *c);

/* Reads an INI file over the values already in *c. On error returns -EINVAL (or -errno when the
 * file cannot be read) and writes "file:line: key: reason" into err. */
int anc_config_load(struct anc_config *c, const char *path, char *err, size_t errlen);

/* The same for an in-memory text; name stands for the file name in messages. */
int anc_config_load_string(struct anc_config *c, const char *text, const char *name, char *err,
                           size_t errlen);

/* Describes which keys differ between two configurations and whether each applies live.
 * Writes a comma-separated list of changed keys that need a restart into restart (may be empty). */
void anc_config_diff(const struct anc_config *old, const struct anc_config *new_, char *restart,
                     size_t restart_len);

/* Writes the documented default configuration (every key, with its default) to a FILE *. */
void anc_config_print_defaults(FILE *out);
