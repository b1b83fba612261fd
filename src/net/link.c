/* rtnetlink socket I/O for the messages built in netlink.c. Synchronous (see link.h). */
#include "net/link.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#define RECV_SIZE 32768

struct rtnl {
    struct mnl_socket *nl;
    uint32_t portid;
    uint32_t seq;
    unsigned char buf[ANC_NL_BUFSIZE];
};

static int rtnl_open(struct rtnl *rt)
{
    rt->nl = mnl_socket_open(NETLINK_ROUTE);
    if (!rt->nl)
        return -errno;
    if (mnl_socket_bind(rt->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(rt->nl);
        rt->nl = NULL;
        return -e;
    }
    rt->portid = mnl_socket_get_portid(rt->nl);
    rt->seq = (uint32_t)time(NULL);
    return 0;
}

static void rtnl_close(struct rtnl *rt)
{
    if (rt->nl)
        mnl_socket_close(rt->nl);
    rt->nl = NULL;
}

/* Sends one request and runs cb on every answer until the ACK, the end of a dump, or (for a plain
 * get) the single reply. */
static int rtnl_talk(struct rtnl *rt, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    static __thread unsigned char rbuf[RECV_SIZE];
    bool multi = nlh->nlmsg_flags & (NLM_F_DUMP | NLM_F_ACK);
    uint32_t seq = nlh->nlmsg_seq;

    if (mnl_socket_sendto(rt->nl, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(rt->nl, rbuf, sizeof(rbuf));
        if (n < 0)
            return -errno;
        int r = mnl_cb_run(rbuf, (size_t)n, seq, rt->portid, cb, data);
        if (r < 0)
            return errno ? -errno : -EIO;
        if (r == MNL_CB_STOP || !multi)
            return 0;
    }
}

/* Opens a socket, sends one request that answers with an ACK, closes. */
static int rtnl_do(struct nlmsghdr *(*build)(struct rtnl *rt, const void *arg), const void *arg)
{
    struct rtnl rt;
    int r = rtnl_open(&rt);
    if (r < 0)
        return r;
    rt.seq++;
    r = rtnl_talk(&rt, build(&rt, arg), NULL, NULL);
    rtnl_close(&rt);
    return r;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
    return anc_net_parse_link(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int anc_net_link_get(const char *name, struct anc_net_link *out)
{
    struct rtnl rt;
    if (!name || strlen(name) >= IFNAMSIZ)
        return -EINVAL;
    int r = rtnl_open(&rt);
    if (r < 0)
        return r;
    memset(out, 0, sizeof(*out));
    errno = 0;
    r = rtnl_talk(&rt, anc_net_msg_get_link(rt.buf, ++rt.seq, name), link_cb, out);
    rtnl_close(&rt);
    if (r == 0 && out->ifindex == 0)
        r = -EBADMSG;
    return r;
}

struct name_arg {
    const char *name, *peer;
    int ifindex, value;
    bool flag;
};

static struct nlmsghdr *build_bridge(struct rtnl *rt, const void *arg)
{
    return anc_net_msg_new_bridge(rt->buf, rt->seq, ((const struct name_arg *)arg)->name);
}

int anc_net_bridge_ensure(const char *name, bool *created)
{
    struct anc_net_link l;
    struct name_arg a = {.name = name};
    *created = false;
    int r = anc_net_link_get(name, &l);
    if (r == -ENODEV) {
        r = rtnl_do(build_bridge, &a);
        if (r == 0)
            *created = true;
        if (r != -EEXIST) /* -EEXIST: someone made it meanwhile, check its kind below */
            return r;
        r = anc_net_link_get(name, &l);
    }
    if (r < 0)
        return r;
    return strcmp(l.kind, "bridge") == 0 ? 0 : -EEXIST;
}

static struct nlmsghdr *build_addr(struct rtnl *rt, const void *arg)
{
    return anc_net_msg_new_addr(rt->buf, rt->seq, arg);
}

int anc_net_addr_ensure(const char *name, uint32_t addr, int prefix)
{
    struct anc_net_link l;
    int r = anc_net_link_get(name, &l);
    if (r < 0)
        return r;
    struct anc_net_addr a = {.ifindex = l.ifindex, .addr = addr, .prefix = prefix};
    r = rtnl_do(build_addr, &a);
    return r == -EEXIST ? 0 : r;
}

struct addr_list {
    int ifindex;
    struct anc_net_addr *out;
    size_t max, n;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
    struct addr_list *l = data;
    struct anc_net_addr a;
    int r = anc_net_parse_addr(nlh, &a);
    if (r == -ENOMSG)
        return MNL_CB_OK;
    if (r < 0)
        return MNL_CB_ERROR;
    if (a.ifindex == l->ifindex && l->n < l->max)
        l->out[l->n++] = a;
    return MNL_CB_OK;
}

int anc_net_addr_list(const char *name, struct anc_net_addr *out, size_t max)
{
    struct anc_net_link lk;
    struct rtnl rt;
    int r = anc_net_link_get(name, &lk);
    if (r < 0)
        return r;
    struct addr_list l = {lk.ifindex, out, max, 0};
    if ((r = rtnl_open(&rt)) < 0)
        return r;
    errno = 0;
    r = rtnl_talk(&rt, anc_net_msg_get_addrs(rt.buf, ++rt.seq), addr_cb, &l);
    rtnl_close(&rt);
    return r < 0 ? r : (int)l.n;
}

static struct nlmsghdr *build_up(struct rtnl *rt, const void *arg)
{
    const struct name_arg *a = arg;
    return anc_net_msg_set_up(rt->buf, rt->seq, a->ifindex, a->flag);
}

static struct nlmsghdr *build_del(struct rtnl *rt, const void *arg)
{
    return anc_net_msg_del_link(rt->buf, rt->seq, ((const struct name_arg *)arg)->ifindex);
}

static struct nlmsghdr *build_master(struct rtnl *rt, const void *arg)
{
    const struct name_arg *a = arg;
    return anc_net_msg_set_master(rt->buf, rt->seq, a->ifindex, a->value);
}

static struct nlmsghdr *build_veth(struct rtnl *rt, const void *arg)
{
    const struct name_arg *a = arg;
    return anc_net_msg_new_veth(rt->buf, rt->seq, a->name, a->peer);
}

static struct nlmsghdr *build_netns(struct rtnl *rt, const void *arg)
{
    const struct name_arg *a = arg;
    /* flag: value is a pid; otherwise it is a namespace fd and no pid may be sent. */
    return anc_net_msg_set_netns(rt->buf, rt->seq, a->ifindex, a->flag ? a->value : 0,
                                 a->flag ? -1 : a->value);
}

/* Resolves the name to an ifindex, then runs one request. */
static int on_link(const char *name, struct name_arg *a,
                   struct nlmsghdr *(*build)(struct rtnl *rt, const void *arg))
{
    struct anc_net_link l;
    int r = anc_net_link_get(name, &l);
    if (r < 0)
        return r;
    a->ifindex = l.ifindex;
    return rtnl_do(build, a);
}

int anc_net_link_set_up(const char *name, bool up)
{
    struct name_arg a = {.flag = up};
    return on_link(name, &a, build_up);
}

int anc_net_link_delete(const char *name)
{
    struct name_arg a = {0};
    return on_link(name, &a, build_del);
}

int anc_net_veth_create(const char *name, const char *peer)
{
    if (!name || !peer || strlen(name) >= IFNAMSIZ || strlen(peer) >= IFNAMSIZ)
        return -EINVAL;
    struct name_arg a = {.name = name, .peer = peer};
    return rtnl_do(build_veth, &a);
}

int anc_net_link_move_netns(const char *name, int pid, int netns_fd)
{
    if (pid <= 0 && netns_fd < 0)
        return -EINVAL;
    struct name_arg a = {.value = pid > 0 ? pid : netns_fd, .flag = pid > 0};
    return on_link(name, &a, build_netns);
}

int anc_net_link_attach(const char *name, const char *bridge)
{
    struct anc_net_link br;
    int r = anc_net_link_get(bridge, &br);
    if (r < 0)
        return r;
    struct name_arg a = {.value = br.ifindex};
    r = on_link(name, &a, build_master);
    return r < 0 ? r : anc_net_link_set_up(name, true);
}

static struct nlmsghdr *build_isolated(struct rtnl *rt, const void *arg)
{
    const struct name_arg *a = arg;
    return anc_net_msg_set_port_isolated(rt->buf, rt->seq, a->ifindex, a->flag);
}

int anc_net_port_set_isolated(const char *name, bool on)
{
    struct name_arg a = {.flag = on};
    return on_link(name, &a, build_isolated);
}

static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int r = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return r;
}

int anc_net_sysctl_set(const char *dir, const char *name, const char *key, int value)
{
    char path[160], text[16];
    if (!name || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(key, '/') ||
        strlen(key) > 64 || (strcmp(dir, "conf") != 0 && strcmp(dir, "neigh") != 0))
        return -EINVAL;
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s/%s/%s", dir, name, key);
    snprintf(text, sizeof(text), "%d\n", value);
    return write_proc(path, text);
}

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

int anc_net_ip_forward_enable(void)
{
    int fd = open(IP_FORWARD, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, "1\n", 2);
    int r = n == 2 ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return r;
}

int anc_net_ip_forward_get(void)
{
    char c = 0;
    int fd = open(IP_FORWARD, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, &c, 1);
    int r = n == 1 ? c == '1' : n < 0 ? -errno : -EIO;
    close(fd);
    return r;
}
