/* A transport address (IPv4 or IPv6 + port), passed by value through the sans-IO protocol code. */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct anc_addr {
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } u;
};

static inline socklen_t anc_addr_len(const struct anc_addr *a)
{
    return a->u.sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static inline bool anc_addr_equal(const struct anc_addr *a, const struct anc_addr *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family)
        return false;
    if (a->u.sa.sa_family == AF_INET)
        return a->u.in4.sin_port == b->u.in4.sin_port &&
               a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
    if (a->u.sa.sa_family == AF_INET6)
        return a->u.in6.sin6_port == b->u.in6.sin6_port &&
               memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
    return false;
}

/* Fills *a from a numeric IPv4/IPv6 string and a port; returns 0 or -EINVAL. */
static inline int anc_addr_from_string(struct anc_addr *a, const char *ip, unsigned port)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, ip, &a->u.in4.sin_addr) == 1) {
        a->u.in4.sin_family = AF_INET;
        a->u.in4.sin_port = htons((unsigned short)port);
        return 0;
    }
    if (inet_pton(AF_INET6, ip, &a->u.in6.sin6_addr) == 1) {
        a->u.in6.sin6_family = AF_INET6;
        a->u.in6.sin6_port = htons((unsigned short)port);
        return 0;
    }
    return -22; /* -EINVAL */
}

/* "1.2.3.4:5" or "[::1]:5"; always NUL-terminates. */
static inline void anc_addr_format(const struct anc_addr *a, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->u.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a->u.in4.sin_addr, ip, sizeof(ip));
        snprintf(buf, len, "%s:%u", ip, ntohs(a->u.in4.sin_port));
    } else if (a->u.sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->u.in6.sin6_addr, ip, sizeof(ip));
        snprintf(buf, len, "[%s]:%u", ip, ntohs(a->u.in6.sin6_port));
    } else {
        snprintf(buf, len, "?");
    }
}
