#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Appends one decoded segment to out, refusing anything that could name another directory. */
static int put_segment(const char *raw, size_t len, char *out, size_t cap, size_t *o)
{
    char seg[NAME_MAX + 1];
    if (len > NAME_MAX)
        return -ENAMETOOLONG;
    ssize_t n = anc_http_percent_decode(raw, len, seg, false);
    if (n < 0 || strlen(seg) != (size_t)n || strpbrk(seg, "/\\") || seg[0] == '.')
        return -ENOENT;
    if (*o + (*o ? 1 : 0) + (size_t)n + 1 > cap)
        return -ENAMETOOLONG;
    if (*o)
        out[(*o)++] = '/';
    memcpy(out + *o, seg, (size_t)n + 1);
    *o += (size_t)n;
    return 0;
}

int anc_http_static_normalize(const char *url_path, char *out, size_t cap)
{
    if (!url_path || url_path[0] != '/' || cap == 0)
        return -ENOENT;
    size_t o = 0;
    out[0] = '\0';
    const char *s = url_path + 1;
    bool dir = true;
    while (*s) {
        size_t len = strcspn(s, "/");
        if (len > 0) {
            int r = put_segment(s, len, out, cap, &o);
            if (r < 0)
                return r;
        }
        dir = s[len] == '/';
        s += len + (s[len] == '/');
    }
    if (dir || o == 0) {
        const char *index = o ? "/index.html" : "index.html";
        if (o + strlen(index) + 1 > cap)
            return -ENAMETOOLONG;
        strcpy(out + o, index);
    }
    return 0;
}

static const struct {
    const char *ext;
    const char *type;
} mimes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},
    {"txt", "text/plain; charset=utf-8"},
    {"woff2", "font/woff2"},
};

const char *anc_http_static_mime(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
            if (strcasecmp(dot + 1, mimes[i].ext) == 0)
                return mimes[i].type;
    return "application/octet-stream";
}

void anc_http_static_etag(const struct stat *st, char *out, size_t cap)
{
    snprintf(out, cap, "\"%llx-%llx-%llx\"", (unsigned long long)st->st_ino,
             (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec * 1000000000ull +
                 (unsigned long long)st->st_mtim.tv_nsec);
}

bool anc_http_etag_match(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *s = inm;
    while (*s) {
        s += strspn(s, " \t,");
        if (!*s)
            break;
        size_t len = strcspn(s, ",");
        size_t tlen = len;
        while (tlen > 0 && (s[tlen - 1] == ' ' || s[tlen - 1] == '\t'))
            tlen--;
        const char *t = s;
        if (tlen == 1 && t[0] == '*')
            return true;
        if (tlen > 2 && t[0] == 'W' && t[1] == '/') {
            t += 2;
            tlen -= 2;
        }
        if (tlen == elen && memcmp(t, etag, elen) == 0)
            return true;
        s += len;
    }
    return false;
}

/* Opens rel below root without leaving it; symlinks inside that stay inside are fine. */
static int open_beneath(const char *root, const char *rel)
{
    int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
    int err = fd < 0 ? errno : 0;
    close(dfd);
    if (fd >= 0 || (err != ENOSYS && err != EPERM))
        return fd >= 0 ? fd : -err;

    /* No openat2 (old kernel, seccomp): resolve and compare real paths instead. */
    char full[PATH_MAX], real_root[PATH_MAX], real[PATH_MAX];
    if (snprintf(full, sizeof(full), "%s/%s", root, rel) >= (int)sizeof(full))
        return -ENAMETOOLONG;
    if (!realpath(root, real_root) || !realpath(full, real))
        return -errno;
    size_t rl = strlen(real_root);
    if (strncmp(real, real_root, rl) != 0 || (real[rl] != '/' && strcmp(real_root, "/") != 0))
        return -EXDEV;
    fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    return fd >= 0 ? fd : -errno;
}

static int read_all(int fd, size_t size, uint8_t **out)
{
    uint8_t *buf = malloc(size + 1);
    if (!buf)
        return -ENOMEM;
    buf[size] = '\0'; /* bodies are NUL-terminated, like anc_http_response_set's */
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got > 65536 ? 65536 : size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return n < 0 ? -errno : -EIO;
        }
        got += (size_t)n;
    }
    *out = buf;
    return 0;
}

static int redirect_dir(const struct anc_http_request *req, struct anc_http_response *res)
{
    size_t len = strlen(req->path) + strlen(req->query_string) + 3;
    char *loc = malloc(len);
    if (!loc)
        return -ENOMEM;
    snprintf(loc, len, "%s/%s%s", req->path, req->query_string[0] ? "?" : "", req->query_string);
    int r = anc_http_response_header(res, "Location", loc);
    free(loc);
    return r < 0 ? r : anc_http_response_error(res, 301, "moved", "directory; see Location");
}

static int serve_fd(int fd, const struct stat *st, const char *rel,
                    const struct anc_http_request *req, struct anc_http_response *res)
{
    char etag[80];
    anc_http_static_etag(st, etag, sizeof(etag));
    int r = anc_http_response_header(res, "ETag", etag);
    if (r == 0)
        r = anc_http_response_header(res, "Cache-Control", "no-cache");
    if (r == 0)
        r = anc_http_response_header(res, "X-Content-Type-Options", "nosniff");
    if (r < 0)
        return r;
    const char *inm = anc_http_request_header(req, "If-None-Match");
    if (inm && anc_http_etag_match(inm, etag)) {
        res->content_length = (int64_t)st->st_size;
        return anc_http_response_set(res, 304, NULL, NULL, 0);
    }
    if (req->head) {
        res->content_length = (int64_t)st->st_size;
        return anc_http_response_set(res, 200, anc_http_static_mime(rel), NULL, 0);
    }
    uint8_t *body = NULL;
    r = read_all(fd, (size_t)st->st_size, &body);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return anc_http_response_error(res, 500, NULL, "cannot read the file");
    return anc_http_response_take(res, 200, anc_http_static_mime(rel), body, (size_t)st->st_size);
}

int anc_http_static_serve(const char *web_dir, const struct anc_http_request *req,
                          struct anc_http_response *res)
{
    char rel[PATH_MAX];
    struct stat st;
    int r = anc_http_static_normalize(req->path, rel, sizeof(rel));
    if (r < 0)
        return anc_http_response_error(res, 404, NULL, NULL);
    int fd = open_beneath(web_dir, rel);
    if (fd < 0)
        return anc_http_response_error(res, 404, NULL, NULL);
    if (fstat(fd, &st) < 0) {
        r = anc_http_response_error(res, 404, NULL, NULL);
    } else if (S_ISDIR(st.st_mode)) {
        r = redirect_dir(req, res);
    } else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > ANC_HTTP_STATIC_MAX_BYTES) {
        r = anc_http_response_error(res, 404, NULL, NULL);
    } else {
        r = serve_fd(fd, &st, rel, req, res);
    }
    close(fd);
    return r;
}
