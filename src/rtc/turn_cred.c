#include "rtc/turn_cred.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int anc_turn_credential(const char *secret, const char *username, char *out, size_t cap)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (cap < 29)
        return -EMSGSIZE;
    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)username,
              strlen(username), mac, &mac_len) ||
        mac_len != 20)
        return -EIO;
    EVP_EncodeBlock((unsigned char *)out, mac, 20); /* 28 characters and a NUL */
    return 0;
}

/* Characters a quoted header parameter or a <URI> may hold without escaping. */
static bool header_safe(const char *s, bool url)
{
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == '\\' ||
            (url && (*s == '>' || *s == '<')))
            return false;
    return true;
}

static bool is_turn(const char *url)
{
    return strncasecmp(url, "turn:", 5) == 0 || strncasecmp(url, "turns:", 6) == 0;
}

int anc_turn_link(const char *url, const char *secret, uint64_t expiry_unix, const char *name,
                  char *out, size_t cap)
{
    if (!header_safe(url, true) || !header_safe(name, false) || strlen(name) > 96)
        return -EINVAL;
    int n;
    if (!secret || !secret[0] || !is_turn(url)) {
        n = snprintf(out, cap, "<%s>; rel=\"ice-server\"", url);
    } else {
        char user[128], cred[32];
        snprintf(user, sizeof(user), "%llu:%s", (unsigned long long)expiry_unix, name);
        int r = anc_turn_credential(secret, user, cred, sizeof(cred));
        if (r < 0)
            return r;
        n = snprintf(out, cap,
                     "<%s>; rel=\"ice-server\"; username=\"%s\"; credential=\"%s\"; "
                     "credential-type=\"password\"",
                     url, user, cred);
    }
    return n < 0 || (size_t)n >= cap ? -EMSGSIZE : 0;
}
