/*
 * json - a small reader for JSON text (RFC 8259), enough to read back
 * smtpdbg's own JSON Lines: each scalar is handed out with its path
 * ("certificates.0.sha256"), strings unescaped to UTF-8, numbers and
 * literals as written.  Depth and sizes are bounded; no I/O.
 */
#ifndef SESSION_JSON_H
#define SESSION_JSON_H

#include <stddef.h>

#define JSON_DEPTH	16
#define JSON_PATH	256
#define JSON_VALUE	4096

typedef void (*json_cb)(void *arg, const char *path, const char *value, int is_string);

/* json_flatten - one JSON value (the whole text, blanks around allowed);
 * 0, or -1 when it is not JSON or goes past the bounds */
int	 json_flatten(const char *, size_t, json_cb, void *arg);

#endif
