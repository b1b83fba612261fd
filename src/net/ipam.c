/* Address allocation (pure) and its JSON persistence. */
#include "net/ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/fsutil.h"

int anc_ipam_init(struct anc_ipam *ip, uint32_t net, int prefix)
{
    memset(ip, 0, sizeof(*ip));
    if (prefix < 8 || prefix > 30)
        return -EINVAL;
    uint32_t size = 1u << (32 - prefix);
    uint32_t base = ntohl(net) & ~(size - 1);
    ip->net = htonl(base);
    ip->prefix = prefix;
    ip->gateway = htonl(base + 1);
    uint32_t last = base + size - 2;         /* the last host, before broadcast */
    uint32_t dhcp = base + (size / 32) * 25; /* a /24: .200 */
    if (size >= 16 && dhcp > base + 2) {
        ip->dhcp_first = htonl(dhcp);
        ip->dhcp_last = htonl(last);
        last = dhcp - 1;
    }
    ip->static_first = htonl(base + 2);
    ip->static_last = htonl(last);
    return 0;
}

void anc_ipam_destroy(struct anc_ipam *ip)
{
    if (!ip)
        return;
    free(ip->leases);
    ip->leases = NULL;
    ip->n = ip->cap = 0;
}

static struct anc_ipam_lease *find_id(const struct anc_ipam *ip, const char *id)
{
    for (size_t i = 0; i < ip->n; i++)
        if (strcmp(ip->leases[i].id, id) == 0)
            return &ip->leases[i];
    return NULL;
}

static bool addr_taken(const struct anc_ipam *ip, uint32_t addr)
{
    for (size_t i = 0; i < ip->n; i++)
        if (ip->leases[i].addr == addr)
            return true;
    return false;
}

static bool in_static(const struct anc_ipam *ip, uint32_t addr)
{
    return ntohl(addr) >= ntohl(ip->static_first) && ntohl(addr) <= ntohl(ip->static_last);
}

static int add_lease(struct anc_ipam *ip, const char *id, uint32_t addr)
{
    if (ip->n == ip->cap) {
        size_t cap = ip->cap ? ip->cap * 2 : 16;
        struct anc_ipam_lease *l = realloc(ip->leases, cap * sizeof(*l));
        if (!l)
            return -ENOMEM;
        ip->leases = l;
        ip->cap = cap;
    }
    snprintf(ip->leases[ip->n].id, sizeof(ip->leases[ip->n].id), "%s", id);
    ip->leases[ip->n++].addr = addr;
    return 0;
}

static bool id_valid(const char *id)
{
    return id && *id && strlen(id) < ANC_IPAM_ID_MAX;
}

int anc_ipam_lookup(const struct anc_ipam *ip, const char *id, uint32_t *addr)
{
    const struct anc_ipam_lease *l = id_valid(id) ? find_id(ip, id) : NULL;
    if (!l)
        return -ENOENT;
    *addr = l->addr;
    return 0;
}

int anc_ipam_alloc(struct anc_ipam *ip, const char *id, uint32_t *addr)
{
    if (!id_valid(id))
        return -EINVAL;
    if (anc_ipam_lookup(ip, id, addr) == 0)
        return 0;
    for (uint32_t a = ntohl(ip->static_first); a <= ntohl(ip->static_last); a++) {
        if (addr_taken(ip, htonl(a)))
            continue;
        int r = add_lease(ip, id, htonl(a));
        if (r < 0)
            return r;
        if (ip->path[0] && (r = anc_ipam_save(ip)) < 0) {
            ip->n--;
            return r;
        }
        *addr = htonl(a);
        return 0;
    }
    return -ENOSPC;
}

int anc_ipam_release(struct anc_ipam *ip, const char *id)
{
    struct anc_ipam_lease *l = id_valid(id) ? find_id(ip, id) : NULL;
    if (!l)
        return -ENOENT;
    struct anc_ipam_lease saved = *l;
    size_t at = (size_t)(l - ip->leases);
    memmove(l, l + 1, (ip->n - at - 1) * sizeof(*l));
    ip->n--;
    int r = ip->path[0] ? anc_ipam_save(ip) : 0;
    if (r < 0) { /* put it back where it was */
        memmove(&ip->leases[at + 1], &ip->leases[at], (ip->n - at) * sizeof(*l));
        ip->leases[at] = saved;
        ip->n++;
    }
    return r;
}

static void format_addr(uint32_t a, char *buf)
{
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

int anc_ipam_to_json(const struct anc_ipam *ip, char **out)
{
    char a[INET_ADDRSTRLEN], subnet[INET_ADDRSTRLEN + 4];
    int r = -ENOMEM;
    json_t *root = json_object(), *leases = json_object();
    if (!root || !leases)
        goto out;
    format_addr(ip->net, a);
    snprintf(subnet, sizeof(subnet), "%s/%d", a, ip->prefix);
    if (json_object_set_new(root, "subnet", json_string(subnet)) < 0)
        goto out;
    for (size_t i = 0; i < ip->n; i++) {
        format_addr(ip->leases[i].addr, a);
        if (json_object_set_new(leases, ip->leases[i].id, json_string(a)) < 0)
            goto out;
    }
    if (json_object_set(root, "leases", leases) < 0)
        goto out;
    *out = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    r = *out ? 0 : -ENOMEM;
out:
    json_decref(leases);
    json_decref(root);
    return r;
}

int anc_ipam_from_json(struct anc_ipam *ip, const char *text)
{
    json_t *root = json_loads(text, 0, NULL);
    json_t *leases = root ? json_object_get(root, "leases") : NULL;
    const char *id;
    json_t *v;
    int r = 0;

    if (!json_is_object(leases)) {
        json_decref(root);
        return -EBADMSG;
    }
    json_object_foreach(leases, id, v)
    {
        struct in_addr a;
        if (!json_is_string(v) || inet_pton(AF_INET, json_string_value(v), &a) != 1)
            continue;
        if (!id_valid(id) || !in_static(ip, a.s_addr) || find_id(ip, id) ||
            addr_taken(ip, a.s_addr))
            continue;
        if ((r = add_lease(ip, id, a.s_addr)) < 0)
            break;
    }
    json_decref(root);
    return r;
}

int anc_ipam_open(struct anc_ipam *ip, const char *path)
{
    char *text = NULL;
    size_t len;
    if (snprintf(ip->path, sizeof(ip->path), "%s", path) >= (int)sizeof(ip->path))
        return -ENAMETOOLONG;
    int r = anc_read_file(path, 1 << 20, &text, &len);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    r = anc_ipam_from_json(ip, text);
    free(text);
    return r;
}

int anc_ipam_save(const struct anc_ipam *ip)
{
    char *text = NULL;
    if (!ip->path[0])
        return -EINVAL;
    int r = anc_ipam_to_json(ip, &text);
    if (r < 0)
        return r;
    r = anc_write_file_atomic(ip->path, text, strlen(text), 0644);
    free(text);
    return r;
}
