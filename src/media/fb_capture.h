/* Framebuffer capture from Xvfb's -fbdir file (an XWD file that Xvfb itself keeps memory-mapped
 * and draws into): the file is mapped read-only and shared, so every copy sees the live screen.
 *
 * Threads: anc_fb_open, anc_fb_refresh and anc_fb_close run on the loop thread; anc_fb_copy and
 * anc_fb_geometry may run on any thread (an encoder worker, inside a stream source's draw()).
 * A mutex makes a remap (rare: only after Xvfb restarted and re-created its file) wait for a copy
 * in progress, and the reverse; anc_fb_close must only be called when no copy can be in flight
 * (the stream using the fb is closed and its last job completed). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "media/xwd.h"

struct anc_fb;

/* Opens, maps and validates path. Returns 0 and a new fb in *out (caller closes it), -EBADMSG for
 * a file that is not a usable XWD framebuffer, or another -errno (-ENOENT before Xvfb is up). */
int anc_fb_open(const char *path, struct anc_fb **out);

/* Checks whether the file at the fb's path is still the mapped one (same inode and size) and
 * remaps it when it is not. Returns 1 after a remap, 0 when nothing changed or the file is
 * missing (the old mapping stays: a still picture until Xvfb is back), or -errno when the new file
 * is unusable (the old mapping stays too). */
int anc_fb_refresh(struct anc_fb *fb);

/* The mapped frame's size; 0 and 0 when nothing is mapped. */
void anc_fb_geometry(struct anc_fb *fb, int *width, int *height);

/* Copies the frame as libyuv "ARGB" (B,G,R,A bytes, alpha set to 0xff) into dst, dst_width x
 * dst_height pixels with dst_stride bytes per line. A frame smaller than dst leaves the rest of
 * dst black; a larger one is cropped. Returns 0, or -ENODATA when nothing is mapped (dst black). */
int anc_fb_copy(struct anc_fb *fb, uint8_t *dst, int dst_stride, int dst_width, int dst_height);

/* Unmaps and frees. Loop thread, no copy in flight. fb may be NULL. */
void anc_fb_close(struct anc_fb *fb);
