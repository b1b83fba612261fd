#include "rtc/srtp.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

_Static_assert(ANC_SRTP_MAX_TRAILER >= SRTP_MAX_TRAILER_LEN + 4, "trailer room");

#define RX_WINDOW       1024
#define TX_WINDOW       4096
#define SRTCP_INDEX_LEN 4

struct anc_srtp {
    srtp_t tx; /* ssrc_any_outbound, our write key */
    srtp_t rx; /* ssrc_any_inbound, the peer's write key */
    size_t tag_len;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_init_fail;

static void init_library(void)
{
    init_status = srtp_init();
}

int anc_srtp_global_init(void)
{
    pthread_once(&init_once, init_library);
    return init_status == srtp_err_status_ok ? 0 : -EIO;
}

int anc_srtp_profile_lengths(enum anc_srtp_profile profile, size_t *key_len, size_t *salt_len)
{
    switch (profile) {
    case ANC_SRTP_AES128_CM_SHA1_80:
        *key_len = 16;
        *salt_len = 14;
        return 0;
    case ANC_SRTP_AEAD_AES_128_GCM:
        *key_len = 16;
        *salt_len = 12;
        return 0;
    }
    return -ENOTSUP;
}

static int map_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_mki:
        return -EBADMSG;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_pkt_idx_old:
        return -EALREADY;
    case srtp_err_status_no_ctx:
        return -ENOENT;
    case srtp_err_status_alloc_fail:
        return -ENOMEM;
    case srtp_err_status_key_expired:
        return -EKEYEXPIRED;
    case srtp_err_status_bad_param:
        return -EINVAL;
    default:
        return -EIO;
    }
}

/* Fills the crypto part of a policy for a profile; the key pointer stays borrowed. */
static int fill_policy(srtp_policy_t *p, const struct anc_srtp_keys *k, const uint8_t *master,
                       srtp_ssrc_type_t type, unsigned long window, int repeat_tx)
{
    memset(p, 0, sizeof(*p));
    if (k->profile == ANC_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    } else if (k->profile == ANC_SRTP_AES128_CM_SHA1_80) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else {
        return -ENOTSUP;
    }
    p->ssrc.type = type;
    p->key = (unsigned char *)master;
    p->window_size = window;
    p->allow_repeat_tx = repeat_tx;
    return 0;
}

static int create_session(srtp_t *out, const struct anc_srtp_keys *k, const uint8_t *master,
                          srtp_ssrc_type_t type, unsigned long window, int repeat_tx)
{
    srtp_policy_t policy;
    int r = fill_policy(&policy, k, master, type, window, repeat_tx);
    if (r < 0)
        return r;
    return map_status(srtp_create(out, &policy));
}

int anc_srtp_new(const struct anc_srtp_keys *keys, bool is_dtls_server, struct anc_srtp **out)
{
    size_t key_len, salt_len;
    int r = anc_srtp_profile_lengths(keys->profile, &key_len, &salt_len);
    if (r < 0)
        return r;
    if (keys->key_len != key_len || keys->salt_len != salt_len)
        return -EINVAL;
    r = anc_srtp_global_init();
    if (r < 0)
        return r;
    struct anc_srtp *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    const uint8_t *ours = is_dtls_server ? keys->server_master : keys->client_master;
    const uint8_t *theirs = is_dtls_server ? keys->client_master : keys->server_master;
    /* The GCM and CM masters differ in salt length; libsrtp reads key_len + salt_len bytes. */
    r = create_session(&s->tx, keys, ours, ssrc_any_outbound, TX_WINDOW, 1);
    if (r < 0)
        goto fail;
    r = create_session(&s->rx, keys, theirs, ssrc_any_inbound, RX_WINDOW, 0);
    if (r < 0)
        goto fail;
    s->tag_len = keys->profile == ANC_SRTP_AEAD_AES_128_GCM ? 16 : 10;
    *out = s;
    return 0;

fail:
    anc_srtp_free(s);
    return r;
}

void anc_srtp_free(struct anc_srtp *s)
{
    if (!s)
        return;
    if (s->tx)
        srtp_dealloc(s->tx);
    if (s->rx)
        srtp_dealloc(s->rx);
    free(s);
}

size_t anc_srtp_rtp_overhead(const struct anc_srtp *s)
{
    return s->tag_len;
}

size_t anc_srtp_rtcp_overhead(const struct anc_srtp *s)
{
    return s->tag_len + SRTCP_INDEX_LEN;
}

/* Shared bounds checks: libsrtp takes int lengths and assumes trailer room after the packet. */
static int check_len(size_t len, size_t cap, bool protect)
{
    if (len > INT_MAX - ANC_SRTP_MAX_TRAILER)
        return -EMSGSIZE;
    if (protect && cap < len + ANC_SRTP_MAX_TRAILER)
        return -EMSGSIZE;
    return 0;
}

int anc_srtp_protect_rtp(struct anc_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    int r = check_len(*len, cap, true);
    if (r < 0)
        return r;
    int n = (int)*len;
    r = map_status(srtp_protect(s->tx, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r;
}

int anc_srtp_protect_rtcp(struct anc_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    int r = check_len(*len, cap, true);
    if (r < 0)
        return r;
    int n = (int)*len;
    r = map_status(srtp_protect_rtcp(s->tx, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r;
}

int anc_srtp_unprotect_rtp(struct anc_srtp *s, uint8_t *buf, size_t *len)
{
    int r = check_len(*len, 0, false);
    if (r < 0)
        return r;
    int n = (int)*len;
    r = map_status(srtp_unprotect(s->rx, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r == -EINVAL ? -EBADMSG : r; /* libsrtp reports a short header as bad_param */
}

int anc_srtp_unprotect_rtcp(struct anc_srtp *s, uint8_t *buf, size_t *len)
{
    int r = check_len(*len, 0, false);
    if (r < 0)
        return r;
    int n = (int)*len;
    r = map_status(srtp_unprotect_rtcp(s->rx, buf, &n));
    if (r == 0)
        *len = (size_t)n;
    return r == -EINVAL ? -EBADMSG : r; /* libsrtp reports a short header as bad_param */
}
