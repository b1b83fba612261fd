/* Static IPv4 addresses for instances, out of the bridge subnet, persisted in
 * <state_dir>/ipam.json. The subnet is split: network, gateway (.1), a static part for
 * instances, a DHCP part at the top for dnsmasq (for a /24: static .2–.199, DHCP .200–.254),
 * and the broadcast address. The same id always gets the same address while it holds one; a
 * released address is reused (the lowest free one is handed out first). */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define ANC_IPAM_ID_MAX 64

struct anc_ipam_lease {
    char id[ANC_IPAM_ID_MAX];
    uint32_t addr; /* network byte order */
};

struct anc_ipam {
    uint32_t net; /* network byte order, like every address here */
    int prefix;
    uint32_t gateway;
    uint32_t static_first, static_last;
    uint32_t dhcp_first, dhcp_last; /* both 0: the subnet is too small for a DHCP range */
    struct anc_ipam_lease *leases;
    size_t n, cap;
    char path[PATH_MAX]; /* empty: not persisted */
};

/* Pure setup from a subnet (see anc_fw_parse_subnet for the text form). -EINVAL for a prefix
 * outside 8..30. */
int anc_ipam_init(struct anc_ipam *ip, uint32_t net, int prefix);
void anc_ipam_destroy(struct anc_ipam *ip); /* accepts NULL and a zeroed struct */

/* The address of id: the one it has, else the lowest free static address (-ENOSPC when none).
 * Persists when a path is set; on a write error the allocation is undone. */
int anc_ipam_alloc(struct anc_ipam *ip, const char *id, uint32_t *addr);
/* Frees id's address; -ENOENT when it has none. Persists when a path is set. */
int anc_ipam_release(struct anc_ipam *ip, const char *id);
/* id's address, or -ENOENT. */
int anc_ipam_lookup(const struct anc_ipam *ip, const char *id, uint32_t *addr);

/* JSON form {"subnet": "a.b.c.d/n", "leases": {"id": "a.b.c.d", ...}}: caller frees *out. */
int anc_ipam_to_json(const struct anc_ipam *ip, char **out);
/* Adds the leases of a JSON text; leases outside this subnet's static part (the subnet changed)
 * or duplicated are dropped. -EBADMSG for text that is not such a document. */
int anc_ipam_from_json(struct anc_ipam *ip, const char *text);

/* Sets the file, then reads it when it exists (a missing file is an empty table). */
int anc_ipam_open(struct anc_ipam *ip, const char *path);
/* Writes the file atomically (anc_write_file_atomic). */
int anc_ipam_save(const struct anc_ipam *ip);
