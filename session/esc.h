/*
 * esc - make peer bytes safe and visible for a terminal or a JSON string.
 *
 * esc_text: printable ASCII as is, backslash as "\\", CR "\r", LF "\n",
 * TAB "\t", every other byte (C0, DEL, 8-bit) as "\xNN"; valid UTF-8 is
 * kept when utf8 is set (never C1 controls), except code points that are
 * invisible or reorder the text (esc_hidden), shown as "\u{200B}".
 * Nothing a peer sends can reach the terminal as an escape sequence or
 * hide behind one.
 * esc_json: a JSON string body; bytes >= 0x80 become \u00NN (Latin-1
 * mapping, so the exact bytes can be recovered).
 */
#ifndef SESSION_ESC_H
#define SESSION_ESC_H

#include <stddef.h>

#include "session/buf.h"

int	 esc_text(struct buf *, const void *, size_t, int utf8);
int	 esc_json(struct buf *, const void *, size_t);
/* esc_json_utf8 - the same, but valid UTF-8 stays UTF-8 (names, addresses,
 * subjects: text, not wire bytes) */
int	 esc_json_utf8(struct buf *, const void *, size_t);
/* esc_unescape - C escapes \r \n \t \0 \\ \xNN into bytes; -1 on a bad escape */
int	 esc_unescape(struct buf *, const char *, char *err, size_t errlen);
/* esc_hidden - the code point is invisible, a special space, or a bidi
 * control (shown by name in transcripts) */
int	 esc_hidden(unsigned cp);
/* esc_utf8_len - length of a valid UTF-8 sequence at p (>=2), or 0 */
size_t	 esc_utf8_len(const unsigned char *, size_t);

#endif
