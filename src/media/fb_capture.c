#include "media/fb_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct fb_map {
    const uint8_t *base; /* NULL: nothing mapped */
    size_t len;
    dev_t dev;
    ino_t ino;
    struct anc_xwd_info info;
};

struct anc_fb {
    char *path;
    pthread_mutex_t lock; /* guards map against a remap during a copy */
    struct fb_map map;
};

static void map_release(struct fb_map *m)
{
    if (m->base)
        munmap((void *)m->base, m->len);
    m->base = NULL;
}

static int map_file(const char *path, struct fb_map *m)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int r;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out_close;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < (off_t)ANC_XWD_HEADER_SIZE) {
        r = -EBADMSG;
        goto out_close;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        r = -errno;
        goto out_close;
    }
    m->base = p;
    m->len = (size_t)st.st_size;
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    r = anc_xwd_parse(m->base, m->len, &m->info);
    if (r < 0)
        map_release(m);
out_close:
    close(fd);
    return r;
}

int anc_fb_open(const char *path, struct anc_fb **out)
{
    struct anc_fb *fb = calloc(1, sizeof(*fb));
    if (!fb)
        return -ENOMEM;
    int r = -ENOMEM;
    fb->path = strdup(path);
    if (!fb->path)
        goto fail_free;
    r = map_file(path, &fb->map);
    if (r < 0)
        goto fail_free;
    pthread_mutex_init(&fb->lock, NULL);
    *out = fb;
    return 0;
fail_free:
    free(fb->path);
    free(fb);
    return r;
}

int anc_fb_refresh(struct anc_fb *fb)
{
    struct stat st;
    if (stat(fb->path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (fb->map.base && st.st_dev == fb->map.dev && st.st_ino == fb->map.ino &&
        (size_t)st.st_size == fb->map.len)
        return 0;
    struct fb_map m = {0};
    int r = map_file(fb->path, &m);
    if (r < 0)
        return r;
    pthread_mutex_lock(&fb->lock);
    struct fb_map old = fb->map;
    fb->map = m;
    pthread_mutex_unlock(&fb->lock);
    map_release(&old);
    return 1;
}

void anc_fb_geometry(struct anc_fb *fb, int *width, int *height)
{
    pthread_mutex_lock(&fb->lock);
    *width = fb->map.base ? (int)fb->map.info.width : 0;
    *height = fb->map.base ? (int)fb->map.info.height : 0;
    pthread_mutex_unlock(&fb->lock);
}

/* One line of pixels into B,G,R,A bytes. LSBFirst pixels already are B,G,R,X; MSBFirst ones are
 * X,R,G,B. Alpha is forced opaque either way (Xvfb leaves the pad byte undefined). */
static void copy_line(uint8_t *dst, const uint8_t *src, int n, bool lsb_first)
{
    if (lsb_first) {
        memcpy(dst, src, (size_t)n * 4u);
        for (int x = 0; x < n; x++)
            dst[4 * x + 3] = 0xff;
        return;
    }
    for (int x = 0; x < n; x++) {
        dst[4 * x + 0] = src[4 * x + 3];
        dst[4 * x + 1] = src[4 * x + 2];
        dst[4 * x + 2] = src[4 * x + 1];
        dst[4 * x + 3] = 0xff;
    }
}

/* Fills the rectangle [x0,x1) x [y0,y1) of dst with opaque black. */
static void fill_black(uint8_t *dst, int dst_stride, int x0, int x1, int y0, int y1)
{
    for (int y = y0; y < y1; y++) {
        uint8_t *line = dst + (size_t)y * (size_t)dst_stride;
        for (int x = x0; x < x1; x++)
            memcpy(line + 4 * x, "\0\0\0\xff", 4);
    }
}

int anc_fb_copy(struct anc_fb *fb, uint8_t *dst, int dst_stride, int dst_width, int dst_height)
{
    pthread_mutex_lock(&fb->lock);
    const struct fb_map *m = &fb->map;
    int w = 0, h = 0;
    if (m->base) {
        w = (int)m->info.width < dst_width ? (int)m->info.width : dst_width;
        h = (int)m->info.height < dst_height ? (int)m->info.height : dst_height;
        const uint8_t *src = m->base + m->info.pixel_offset;
        for (int y = 0; y < h; y++)
            copy_line(dst + (size_t)y * (size_t)dst_stride,
                      src + (size_t)y * (size_t)m->info.stride, w, m->info.lsb_first);
    }
    pthread_mutex_unlock(&fb->lock);
    /* Right of the copied area on copied lines, then whole lines below it. */
    fill_black(dst, dst_stride, w, dst_width, 0, h);
    fill_black(dst, dst_stride, 0, dst_width, h, dst_height);
    return w > 0 ? 0 : -ENODATA;
}

void anc_fb_close(struct anc_fb *fb)
{
    if (!fb)
        return;
    map_release(&fb->map);
    pthread_mutex_destroy(&fb->lock);
    free(fb->path);
    free(fb);
}
