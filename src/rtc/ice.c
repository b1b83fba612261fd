/* ICE-lite responder: a session table keyed by local ufrag, answering authenticated Binding
 * requests and tracking which remote addresses each session has validated. Consent (RFC 7675) is
 * kept per remote address: once a pair is selected only checks from that very address keep the
 * session alive, so checks from elsewhere cannot keep media flowing to a stale or spoofed one. */
#include "rtc/ice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "rtc/stun.h"

#define PENDING_SELECTED (1u << 0)
#define PENDING_CHANGED  (1u << 1)
#define PENDING_EXPIRED  (1u << 2)

static const char ice_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct cred {
    char s[ANC_ICE_CRED_MAX + 1];
    size_t len;
};

struct validated {
    struct anc_addr addr;
    uint64_t last_us; /* last valid check from it */
    bool used;
};

struct session {
    struct cred local_ufrag, local_pwd, remote_ufrag, remote_pwd;
    void *user;
    uint64_t consent_us; /* before selection: last valid check from anywhere, or creation */
    bool expired;
    bool selected;
    struct anc_addr sel;
    uint64_t sel_us; /* last valid check from sel itself: the selected pair's consent */
    struct validated addrs[ANC_ICE_MAX_ADDRS];
    unsigned pending; /* PENDING_* events not yet polled */
};

struct anc_ice_agent {
    struct session **sessions;
    size_t n, cap;
};

struct anc_ice_agent *anc_ice_agent_new(size_t max_sessions)
{
    struct anc_ice_agent *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->sessions = calloc(max_sessions ? max_sessions : 1, sizeof(*a->sessions));
    if (!a->sessions) {
        free(a);
        return NULL;
    }
    a->cap = max_sessions;
    return a;
}

void anc_ice_agent_free(struct anc_ice_agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->sessions[i]);
    free(a->sessions);
    free(a);
}

int anc_ice_random_string(char *out, size_t n)
{
    unsigned char rnd[64];
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done < sizeof(rnd) ? n - done : sizeof(rnd);
        if (RAND_bytes(rnd, (int)chunk) != 1)
            return -EIO;
        /* 64 ice-chars: the low six bits pick one without bias. */
        for (size_t i = 0; i < chunk; i++)
            out[done + i] = ice_chars[rnd[i] & 63];
        done += chunk;
    }
    out[n] = '\0';
    return 0;
}

static bool is_ice_string(const char *s, size_t min_len)
{
    size_t len = strnlen(s, ANC_ICE_CRED_MAX + 1);
    if (len < min_len || len > ANC_ICE_CRED_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!memchr(ice_chars, s[i], sizeof(ice_chars) - 1))
            return false;
    return true;
}

static void set_cred(struct cred *c, const char *s)
{
    c->len = s ? strnlen(s, ANC_ICE_CRED_MAX) : 0;
    memcpy(c->s, s ? s : "", c->len);
    c->s[c->len] = '\0';
}

static bool cred_equal(const struct cred *c, const void *p, size_t len)
{
    return c->len == len && memcmp(c->s, p, len) == 0;
}

static struct session *find_ufrag(const struct anc_ice_agent *a, const void *ufrag, size_t len,
                                  size_t *index)
{
    for (size_t i = 0; i < a->n; i++) {
        if (cred_equal(&a->sessions[i]->local_ufrag, ufrag, len)) {
            if (index)
                *index = i;
            return a->sessions[i];
        }
    }
    return NULL;
}

int anc_ice_session_add(struct anc_ice_agent *a, uint64_t now_us, const char *local_ufrag,
                        const char *local_pwd, const char *remote_ufrag, const char *remote_pwd,
                        void *user)
{
    /* RFC 8839 §5.4: ufrag 4..256 ice-chars, password 22..256. */
    if (!user || !local_ufrag || !local_pwd || !remote_ufrag || !is_ice_string(local_ufrag, 4) ||
        !is_ice_string(remote_ufrag, 4) || !is_ice_string(local_pwd, 22) ||
        (remote_pwd && strnlen(remote_pwd, ANC_ICE_CRED_MAX + 1) > ANC_ICE_CRED_MAX))
        return -EINVAL;
    if (find_ufrag(a, local_ufrag, strlen(local_ufrag), NULL))
        return -EEXIST;
    if (a->n == a->cap)
        return -ENOSPC;
    struct session *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    set_cred(&s->local_ufrag, local_ufrag);
    set_cred(&s->local_pwd, local_pwd);
    set_cred(&s->remote_ufrag, remote_ufrag);
    set_cred(&s->remote_pwd, remote_pwd);
    s->user = user;
    s->consent_us = now_us;
    a->sessions[a->n++] = s;
    return 0;
}

int anc_ice_session_remove(struct anc_ice_agent *a, const char *local_ufrag)
{
    size_t i;
    struct session *s = find_ufrag(a, local_ufrag, strlen(local_ufrag), &i);
    if (!s)
        return -ENOENT;
    free(s);
    a->sessions[i] = a->sessions[--a->n];
    a->sessions[a->n] = NULL;
    return 0;
}

/* The live session named by USERNAME "ourUfrag:theirUfrag", or NULL. */
static struct session *session_for_username(const struct anc_ice_agent *a,
                                            const struct anc_stun_msg *m)
{
    struct anc_stun_attr u;
    if (!anc_stun_find(m, ANC_STUN_ATTR_USERNAME, &u))
        return NULL;
    const uint8_t *colon = memchr(u.value, ':', u.len);
    if (!colon)
        return NULL;
    size_t local_len = (size_t)(colon - u.value);
    struct session *s = find_ufrag(a, u.value, local_len, NULL);
    if (!s || s->expired || !cred_equal(&s->remote_ufrag, colon + 1, u.len - local_len - 1))
        return NULL;
    return s;
}

/* Takes an address away from every other session: one remote transport address belongs to one
 * session, the one that most recently proved it owns it. */
static void forget_elsewhere(struct anc_ice_agent *a, const struct session *keep,
                             const struct anc_addr *addr)
{
    for (size_t i = 0; i < a->n; i++) {
        struct session *s = a->sessions[i];
        if (s == keep)
            continue;
        for (size_t j = 0; j < ANC_ICE_MAX_ADDRS; j++)
            if (s->addrs[j].used && anc_addr_equal(&s->addrs[j].addr, addr))
                s->addrs[j].used = false;
    }
}

/* Records addr as validated, evicting the least recently checked address other than the selected
 * one when the set is full. */
static void remember(struct session *s, const struct anc_addr *addr, uint64_t now_us)
{
    struct validated *slot = NULL;
    for (size_t j = 0; j < ANC_ICE_MAX_ADDRS && !slot; j++)
        if (s->addrs[j].used && anc_addr_equal(&s->addrs[j].addr, addr))
            slot = &s->addrs[j];
    for (size_t j = 0; j < ANC_ICE_MAX_ADDRS && !slot; j++)
        if (!s->addrs[j].used)
            slot = &s->addrs[j];
    struct validated *lru = NULL;
    for (size_t j = 0; j < ANC_ICE_MAX_ADDRS && !slot; j++) {
        struct validated *v = &s->addrs[j];
        bool is_sel = s->selected && anc_addr_equal(&v->addr, &s->sel);
        if (!is_sel && (!lru || v->last_us < lru->last_us))
            lru = v;
    }
    if (!slot)
        slot = lru;
    slot->addr = *addr;
    slot->last_us = now_us;
    slot->used = true;
}

static void accept_check(struct anc_ice_agent *a, struct session *s, uint64_t now_us,
                         const struct anc_addr *from, bool use_candidate)
{
    s->consent_us = now_us;
    forget_elsewhere(a, s, from);
    if (use_candidate && !s->selected) {
        s->selected = true;
        s->sel = *from;
        s->pending |= PENDING_SELECTED;
    } else if (use_candidate && !anc_addr_equal(&s->sel, from)) {
        s->sel = *from;
        /* A SELECTED not yet polled reports the latest address itself. */
        if (!(s->pending & PENDING_SELECTED))
            s->pending |= PENDING_CHANGED;
    }
    /* Only a check from the selected address itself renews the selected pair's consent. */
    if (s->selected && anc_addr_equal(&s->sel, from))
        s->sel_us = now_us;
    remember(s, from, now_us);
}

/* Answers a check that authenticated: a 487 when the peer also claims the controlled role (a lite
 * agent is always controlled, RFC 8445 §6.1.1), else a success response that validates `from`. */
static int answer_check(struct anc_ice_agent *a, struct session *s, uint64_t now_us,
                        const struct anc_addr *from, const struct anc_stun_msg *m,
                        struct anc_ice_result *res)
{
    const uint8_t *key = (const uint8_t *)s->local_pwd.s;
    int n;
    if (anc_stun_has(m, ANC_STUN_ATTR_ICE_CONTROLLED) &&
        !anc_stun_has(m, ANC_STUN_ATTR_ICE_CONTROLLING)) {
        n = anc_stun_build_binding_error(res->buf, sizeof(res->buf), m->txid, 487, "Role Conflict",
                                         key, s->local_pwd.len);
        if (n < 0)
            return n;
        res->len = (size_t)n;
        return 0;
    }
    n = anc_stun_build_binding_success(res->buf, sizeof(res->buf), m->txid, from, key,
                                       s->local_pwd.len);
    if (n < 0)
        return n;
    accept_check(a, s, now_us, from, anc_stun_has(m, ANC_STUN_ATTR_USE_CANDIDATE));
    res->user = s->user;
    res->len = (size_t)n;
    return 0;
}

int anc_ice_handle_packet(struct anc_ice_agent *a, uint64_t now_us, const struct anc_addr *from,
                          const uint8_t *buf, size_t len, struct anc_ice_result *res)
{
    struct anc_stun_msg m;
    res->user = NULL;
    res->len = 0;
    if (!anc_stun_is_stun(buf, len))
        return -EBADMSG;
    int r = anc_stun_parse(&m, buf, len);
    if (r < 0)
        return r;
    /* Indications and responses need nothing from a lite agent; nor do other methods. */
    if (m.method != ANC_STUN_METHOD_BINDING || m.cls != ANC_STUN_REQUEST)
        return 0;
    struct session *s = session_for_username(a, &m);
    if (!s)
        return -ENOENT;
    if (!anc_stun_verify_integrity(&m, (const uint8_t *)s->local_pwd.s, s->local_pwd.len) ||
        (m.fp_offset && !anc_stun_verify_fingerprint(&m)))
        return -EACCES;
    return answer_check(a, s, now_us, from, &m, res);
}

void *anc_ice_session_for_addr(const struct anc_ice_agent *a, const struct anc_addr *from)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct session *s = a->sessions[i];
        if (s->expired)
            continue;
        for (size_t j = 0; j < ANC_ICE_MAX_ADDRS; j++)
            if (s->addrs[j].used && anc_addr_equal(&s->addrs[j].addr, from))
                return s->user;
    }
    return NULL;
}

/* When the session loses consent: 30 s after the last check from its selected address, or,
 * before any nomination, after the last check from anywhere (or its creation). A lite agent has
 * one selected pair; with its consent gone the session has nothing it may send on (RFC 7675
 * §5.1), and it ends: a switch to another address needs a nomination before then. */
static uint64_t consent_deadline(const struct session *s)
{
    return (s->selected ? s->sel_us : s->consent_us) + ANC_ICE_CONSENT_US;
}

/* Forgets validated addresses (other than the selected one) that sent no check for 30 s. */
static void forget_stale(struct session *s, uint64_t now_us)
{
    for (size_t j = 0; j < ANC_ICE_MAX_ADDRS; j++) {
        struct validated *v = &s->addrs[j];
        if (v->used && now_us >= v->last_us + ANC_ICE_CONSENT_US &&
            !(s->selected && anc_addr_equal(&v->addr, &s->sel)))
            v->used = false;
    }
}

void anc_ice_handle_timeout(struct anc_ice_agent *a, uint64_t now_us)
{
    for (size_t i = 0; i < a->n; i++) {
        struct session *s = a->sessions[i];
        if (s->expired)
            continue;
        forget_stale(s, now_us);
        if (now_us >= consent_deadline(s)) {
            s->expired = true;
            s->pending |= PENDING_EXPIRED;
        }
    }
}

uint64_t anc_ice_next_timeout(const struct anc_ice_agent *a)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < a->n; i++) {
        const struct session *s = a->sessions[i];
        if (!s->expired && consent_deadline(s) < next)
            next = consent_deadline(s);
    }
    return next;
}

bool anc_ice_poll_event(struct anc_ice_agent *a, struct anc_ice_event *ev)
{
    for (size_t i = 0; i < a->n; i++) {
        struct session *s = a->sessions[i];
        if (!s->pending)
            continue;
        unsigned bit = s->pending & -s->pending; /* lowest first: the order of the enum */
        s->pending &= ~bit;
        memset(ev, 0, sizeof(*ev));
        ev->type = bit == PENDING_SELECTED  ? ANC_ICE_EVENT_SELECTED
                   : bit == PENDING_CHANGED ? ANC_ICE_EVENT_ADDR_CHANGED
                                            : ANC_ICE_EVENT_EXPIRED;
        ev->user = s->user;
        ev->addr = s->sel;
        return true;
    }
    return false;
}
