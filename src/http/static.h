/* Static files of the web client, served from web_dir for GET and HEAD.
 *
 * Nothing outside web_dir is reachable: the URL path is decoded one segment at a time and any
 * segment that decodes to "." or "..", starts with a dot, or contains '/', '\' or NUL is refused
 * (404), and the file is opened with openat2(RESOLVE_BENEATH) relative to web_dir, so symlinks
 * that lead outside fail too (a realpath prefix check stands in on kernels without openat2).
 * Files are read synchronously on the loop thread: the web client is a handful of small files;
 * files over ANC_HTTP_STATIC_MAX_BYTES are refused. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "http/request.h"
#include "http/response.h"

#define ANC_HTTP_STATIC_MAX_BYTES (32u * 1024 * 1024)

/* Turns a URL path ("/js/app.js", still percent-encoded) into a path relative to web_dir
 * ("js/app.js"); "/" and paths ending in '/' get "index.html". Empty segments ("//") are skipped.
 * Returns 0, or -ENOENT for anything refused (above), -ENAMETOOLONG when it does not fit. */
int anc_http_static_normalize(const char *url_path, char *out, size_t cap);

/* The Content-Type for a file name, by extension (case-insensitive);
 * "application/octet-stream" when unknown. */
const char *anc_http_static_mime(const char *name);

/* A strong entity tag from inode, size and modification time: "\"ino-size-mtime\"". */
void anc_http_static_etag(const struct stat *st, char *out, size_t cap);

/* Whether an If-None-Match value ("*", or a list of tags, weak ones included) matches etag. */
bool anc_http_etag_match(const char *if_none_match, const char *etag);

/* Answers req (GET or HEAD) from web_dir into res: 200 with the file, 304 when If-None-Match
 * matches, 301 to "path/" for a directory, 404 for anything else. Returns 0 or -ENOMEM. */
int anc_http_static_serve(const char *web_dir, const struct anc_http_request *req,
                          struct anc_http_response *res);
