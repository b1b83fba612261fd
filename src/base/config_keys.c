#include "base/config_keys.h"

#include <stddef.h>

#include "base/config.h"

#ifndef ANC_DEFAULT_WEB_DIR
#define ANC_DEFAULT_WEB_DIR "/usr/share/ancloud/web"
#endif

#define STR(sec, key, field, def, live, doc)                                                       \
    {                                                                                              \
        sec, key, T_STR, offsetof(struct anc_config, field),                                       \
            sizeof(((struct anc_config *)0)->field), 0, 0, 0, def, live, doc                       \
    }
#define INT(sec, key, field, lo, hi, def, live, doc)                                               \
    {                                                                                              \
        sec, key, T_INT, offsetof(struct anc_config, field), 0, 0, lo, hi, def, live, doc          \
    }
#define LIST(sec, key, type, field, count, doc)                                                    \
    {                                                                                              \
        sec, key, type, offsetof(struct anc_config, field),                                        \
            sizeof(((struct anc_config *)0)->field[0]), offsetof(struct anc_config, count), 0, 0,  \
            "", false, doc                                                                         \
    }

#define BOOL(sec, key, field, def, doc)                                                            \
    {                                                                                              \
        sec, key, T_BOOL, offsetof(struct anc_config, field), 0, 0, 0, 0, def, false, doc          \
    }

const struct key anc_config_keys[] = {
    {"server", "listen", T_HOSTPORT, offsetof(struct anc_config, listen),
     sizeof(((struct anc_config *)0)->listen), 0, 0, 0, "127.0.0.1:8080", false,
     "address:port the HTTP server listens on (IPv6 as [::1]:8080; port 0 = ephemeral)"},
    STR("server", "token", token, "", false,
        "API bearer token; empty = generate one, keep it 0600 in state_dir/token, print it once "
        "(when generated); a file that sets it should be mode 0600"),
    STR("server", "web_dir", web_dir, ANC_DEFAULT_WEB_DIR, false, "static files of the web client"),
    INT("server", "max_connections", max_connections, 1, 100000, "1024", true,
        "HTTP connections at once; one more is answered 503 and closed"),
    INT("server", "max_body_kib", max_body_kib, 1, 1048576, "1024", true,
        "largest request body in KiB; larger is answered 413"),
    INT("server", "max_connections_per_ip", max_connections_per_ip, 1, 100000, "32", true,
        "HTTP connections at once from one client address (IPv6: one /64); one more is answered "
        "503 and closed"),
    INT("server", "request_timeout_s", request_timeout_s, 1, 3600, "30", true,
        "a request's headers and body must arrive within this many seconds, else 408 and close"),
    STR("server", "tls_cert", tls_cert, "", false,
        "PEM certificate chain: with tls_key the listener speaks HTTPS only (TLS 1.2+); both empty "
        "= plain HTTP; SIGHUP re-reads both files"),
    STR("server", "tls_key", tls_key, "", false, "PEM private key of tls_cert"),
    STR("paths", "state_dir", state_dir, "/var/lib/ancloud", false,
        "instance records, certificate, token"),
    STR("paths", "run_dir", run_dir, "/run/ancloud", false,
        "runtime files: framebuffers, X sockets, mountpoints"),
    STR("paths", "image_dir", image_dir, "/var/lib/ancloud/images", false,
        "squashfs guest images (<name>.img)"),
    {"log", "level", T_LOGLEVEL, offsetof(struct anc_config, log_level), 0, 0, 0, 0, "info", true,
     "error | warn | info | debug"},
    INT("rtc", "udp_port", udp_port, 0, 65535, "8443", false,
        "the one UDP port that serves every WebRTC session (0 = ephemeral)"),
    LIST("rtc", "public_ip", T_IP_LIST, public_ip, n_public_ip,
         "address advertised as an ICE candidate; repeat the key for several; "
         "none = the listen address, or every local address when listening on 0.0.0.0"),
    LIST("rtc", "ice_servers", T_STR_LIST, ice_servers, n_ice_servers,
         "STUN/TURN URL handed to clients (WHEP Link header); repeatable"),
    STR("rtc", "turn_secret", turn_secret, "", true,
        "shared secret of a TURN server run with use-auth-secret (coturn static-auth-secret): "
        "each WHEP answer carries a username and credential valid turn_ttl_s seconds for every "
        "turn:/turns: URL of ice_servers; empty = URLs are handed out without credentials"),
    INT("rtc", "turn_ttl_s", turn_ttl_s, 60, 2592000, "86400", true,
        "lifetime in seconds of the TURN credentials made with turn_secret"),
    INT("rtc", "tcp_port", tcp_port, 0, 65535, "0", false,
        "TCP port for ICE-TCP (RFC 6544 passive candidates next to the UDP ones) for viewers "
        "whose network blocks UDP; 0 = off"),
    INT("rtc", "max_sessions", max_sessions, 1, 10000, "64", true,
        "viewer sessions at once; one more is answered 503"),
    INT("rtc", "max_message_kib", max_message_kib, 1, 1024, "256", false,
        "data-channel max-message-size in KiB"),
    INT("stream", "fps", fps, 1, 120, "30", false, "capture rate when an instance sets none"),
    INT("stream", "encoder_threads", encoder_threads, 0, 256, "0", false,
        "encoder pool threads; 0 = one per core"),
    {"stream", "preset", T_PRESET, offsetof(struct anc_config, preset),
     sizeof(((struct anc_config *)0)->preset), 0, 0, 0, "ultrafast", false,
     "x264 preset: ultrafast superfast veryfast faster fast medium"},
    INT("stream", "bitrate_kbps", bitrate_kbps, 100, 100000, "4000", false,
        "start bitrate of a stream when an instance sets none"),
    INT("stream", "min_bitrate_kbps", min_bitrate_kbps, 50, 100000, "300", false,
        "lowest bitrate receiver estimates (REMB) may push a stream to"),
    INT("stream", "max_bitrate_kbps", max_bitrate_kbps, 100, 200000, "8000", false,
        "highest bitrate receiver estimates (REMB) may raise a stream to"),
    {"stream", "bitrate_policy", T_BITRATE_POLICY, offsetof(struct anc_config, bitrate_policy),
     sizeof(((struct anc_config *)0)->bitrate_policy), 0, 0, 0, "controller", false,
     "whose REMB sets a stream's bitrate: controller = the viewer holding control (spectators "
     "follow), lowest = the slowest viewer"},
    BOOL("network", "enabled", net_enabled, "true",
         "set up the guest bridge at start (containers need it; false = no container networking)"),
    STR("network", "bridge", net_bridge, "ancloud", false,
        "the host bridge guests attach to (created, or adopted when it exists)"),
    {"network", "subnet", T_CIDR, offsetof(struct anc_config, net_subnet),
     sizeof(((struct anc_config *)0)->net_subnet), 0, 0, 0, "192.168.240.0/24", false,
     "IPv4 subnet of the guests; the bridge takes .1, guests the rest"},
    BOOL("network", "dhcp", net_dhcp, "true", "run dnsmasq (DHCP + DNS) on the bridge"),
    BOOL("network", "keep_on_exit", net_keep_on_exit, "false",
         "leave the bridge and firewall rules in place when the daemon exits"),
    BOOL("network", "isolate", net_isolate, "true",
         "guests cannot reach each other (isolated bridge ports) except pairs named by allow; "
         "false = guests on the bridge see each other"),
    LIST("network", "allow", T_PAIR_LIST, net_allow, n_net_allow,
         "with isolate: two instance ids (ID ID) that may reach each other, both ways; "
         "repeatable"),
    BOOL("instance", "keep_running_on_exit", keep_running_on_exit, "false",
         "on SIGTERM/SIGINT leave linux guests (containers, their displays) and the guest network "
         "running; the next start takes them over (daemon upgrades without restarting guests)"),
    INT("instance", "log_max_kib", log_max_kib, 16, 1048576, "1024", false,
        "cap of an instance log in KiB (guest output included): past it the log is rotated to "
        "<log>.1, the previous .1 dropped; guest output beyond this much a second is dropped"),
    STR("android", "agent_jar", android_agent_jar, "/usr/share/scrcpy/scrcpy-server", false,
        "scrcpy-server jar started in each Android guest; must be version 3.3.3 (checked at start "
        "and when an android instance is created)"),
    INT("android", "boot_timeout_s", android_boot_timeout_s, 10, 3600, "180", false,
        "seconds from the container's start to sys.boot_completed=1; past it the instance is in "
        "error with the last lines of logcat"),
    {"android", "binder", T_BINDER, offsetof(struct anc_config, android_binder),
     sizeof(((struct anc_config *)0)->android_binder), 0, 0, 0, "auto", false,
     "binder devices of an instance: guest = its init mounts binderfs (redroid), host = ancloudd "
     "allocates them, auto = guest, or named devices without binderfs"},
    LIST("cluster", "etcd", T_URL_LIST, cluster_etcd, n_cluster_etcd,
         "client URL of an etcd member (http://host:2379, or https:// for TLS: all the same "
         "scheme); repeatable or comma-separated; none = no cluster: one host, records in "
         "state_dir (docs/cluster.md)"),
    STR("cluster", "etcd_ca", cluster_etcd_ca, "", false,
        "https:// etcd: PEM file of the CA(s) that signed the members' server certificates, which "
        "must name the host of each URL (its IP address or DNS name); empty = the system store "
        "(/etc/ssl/certs)"),
    STR("cluster", "etcd_cert", cluster_etcd_cert, "", false,
        "https:// etcd: PEM client certificate (chain) this node presents, for etcd "
        "--client-cert-auth; with etcd_key, or both empty"),
    STR("cluster", "etcd_key", cluster_etcd_key, "", false, "PEM private key of etcd_cert"),
    STR("cluster", "node", cluster_node, "", false,
        "this node's name in the cluster (letters, digits, '-', '_', '.'); empty = the host name"),
    STR("cluster", "advertise", cluster_advertise, "", false,
        "this node's API URL as other nodes and browsers reach it (http://10.0.0.5:8080); empty = "
        "http:// + [server] listen, which must then not be a wildcard address"),
    STR("cluster", "labels", cluster_labels, "", false,
        "comma-separated labels placement matches against what a kind needs (android needs "
        "binder); binder is added by itself on a host whose kernel has it"),
    INT("cluster", "lease_s", cluster_lease_s, 2, 300, "10", false,
        "TTL of this node's etcd lease: a node silent this long is lost and its instances are "
        "placed again on the others"),
    INT("cluster", "max_instances", cluster_max_instances, 1, 100000, "64", false,
        "instances placement puts on this node at most"),
};

const size_t anc_config_n_keys = sizeof(anc_config_keys) / sizeof(anc_config_keys[0]);
_Static_assert(sizeof(anc_config_keys) / sizeof(anc_config_keys[0]) <= ANC_CONFIG_MAX_KEYS,
               "ANC_CONFIG_MAX_KEYS is too small");
