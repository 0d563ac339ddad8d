/*
 * esc - escaping for transcripts and JSON, and C-escape parsing for /raw.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "session/esc.h"

static int	 json_str(struct buf *, const void *, size_t, int);

size_t
esc_utf8_len(const unsigned char *p, size_t n)
{
	size_t	 len, i;
	unsigned cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) { len = 2; cp = p[0] & 0x1f; }
	else if (p[0] >= 0xe0 && p[0] <= 0xef) { len = 3; cp = p[0] & 0x0f; }
	else if (p[0] >= 0xf0 && p[0] <= 0xf4) { len = 4; cp = p[0] & 0x07; }
	else return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp < 0xa0)	/* C1 controls */
		return 0;
	return len;
}

/*
 * plain_run - how many leading bytes need no escape (0x20..0x7e, not a
 * backslash), eight at a time: a byte below 0x20, above 0x7e or equal to
 * '\\' sets its high bit in one of the three words below.
 */
static size_t
plain_run(const unsigned char *p, size_t n)
{
	const uint64_t	 ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t	 x, b;
	size_t		 i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		b = x ^ (ones * '\\');
		if ((((x - ones * 0x20) & ~x) | ((x + ones) | x) | ((b - ones) & ~b)) & high)
			break;
	}
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
		i++;
	return i;
}

/* utf8_cp - the code point of a valid sequence of len bytes */
static unsigned
utf8_cp(const unsigned char *p, size_t len)
{
	unsigned cp = p[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	size_t	 i;

	for (i = 1; i < len; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/*
 * esc_hidden - code points a terminal shows as nothing, as a plain space,
 * or that reorder what follows (Trojan Source, CVE-2021-42574): no-break
 * and other special spaces, zero-width characters and joiners, bidi
 * marks, embeddings, overrides and isolates, the byte order mark, soft
 * hyphens, fillers, variation selectors and tag characters.
 */
int
esc_hidden(unsigned cp)
{
	static const struct { unsigned lo, hi; } r[] = {
		{ 0x00a0, 0x00a0 }, { 0x00ad, 0x00ad }, { 0x034f, 0x034f },
		{ 0x061c, 0x061c }, { 0x115f, 0x1160 }, { 0x17b4, 0x17b5 },
		{ 0x180b, 0x180f }, { 0x2000, 0x200f }, { 0x2028, 0x202f },
		{ 0x205f, 0x206f }, { 0x3000, 0x3000 }, { 0x3164, 0x3164 },
		{ 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 },
		{ 0xfff9, 0xfffb }, { 0x1d173, 0x1d17a }, { 0xe0000, 0xe007f },
		{ 0xe0100, 0xe01ef },
	};
	size_t	 i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return 1;
	return 0;
}

int
esc_text(struct buf *out, const void *vp, size_t n, int utf8)
{
	const unsigned char	*p = vp;
	size_t			 i, run, u;
	char			 tmp[16];

	for (i = 0; i < n;) {
		run = plain_run(p + i, n - i);
		if (run) {
			if (buf_append(out, p + i, run) == -1)
				return -1;
			i += run;
			continue;
		}
		if (utf8 && p[i] >= 0x80 && (u = esc_utf8_len(p + i, n - i))) {
			unsigned cp = utf8_cp(p + i, u);
			if (esc_hidden(cp)) {
				/* invisible or reordering: named, never shown raw */
				snprintf(tmp, sizeof(tmp), "\\u{%X}", cp);
				if (buf_append(out, tmp, strlen(tmp)) == -1)
					return -1;
			} else if (buf_append(out, p + i, u) == -1)
				return -1;
			i += u;
			continue;
		}
		switch (p[i]) {
		case '\\': memcpy(tmp, "\\\\", 3); break;
		case '\r': memcpy(tmp, "\\r", 3); break;
		case '\n': memcpy(tmp, "\\n", 3); break;
		case '\t': memcpy(tmp, "\\t", 3); break;
		default: snprintf(tmp, sizeof(tmp), "\\x%02X", p[i]); break;
		}
		if (buf_append(out, tmp, strlen(tmp)) == -1)
			return -1;
		i++;
	}
	return 0;
}

int
esc_json(struct buf *out, const void *vp, size_t n)
{
	return json_str(out, vp, n, 0);
}

int
esc_json_utf8(struct buf *out, const void *vp, size_t n)
{
	return json_str(out, vp, n, 1);
}

static int
json_str(struct buf *out, const void *vp, size_t n, int utf8)
{
	const unsigned char	*p = vp;
	size_t			 i, run, u;
	char			 tmp[8];

	for (i = 0; i < n;) {
		if (utf8 && p[i] >= 0x80 && (u = esc_utf8_len(p + i, n - i)) >= 2) {
			if (buf_append(out, p + i, u) == -1)
				return -1;
			i += u;
			continue;
		}
		for (run = 0; i + run < n && p[i + run] >= 0x20 &&
		    p[i + run] < 0x7f && p[i + run] != '\\' && p[i + run] != '"'; run++)
			;
		if (run) {
			if (buf_append(out, p + i, run) == -1)
				return -1;
			i += run;
			continue;
		}
		switch (p[i]) {
		case '\\': memcpy(tmp, "\\\\", 3); break;
		case '"': memcpy(tmp, "\\\"", 3); break;
		case '\r': memcpy(tmp, "\\r", 3); break;
		case '\n': memcpy(tmp, "\\n", 3); break;
		case '\t': memcpy(tmp, "\\t", 3); break;
		default: snprintf(tmp, sizeof(tmp), "\\u%04x", p[i]); break;
		}
		if (buf_append(out, tmp, strlen(tmp)) == -1)
			return -1;
		i++;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int
esc_unescape(struct buf *out, const char *s, char *err, size_t errlen)
{
	unsigned char	 c;
	int		 h, l;

	for (; *s; s++) {
		if (*s != '\\') {
			c = (unsigned char)*s;
			goto put;
		}
		switch (*++s) {
		case 'r': c = '\r'; break;
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case '0': c = '\0'; break;
		case '\\': c = '\\'; break;
		case 'x':
			if ((h = hexval(s[1])) < 0 || (l = hexval(s[2])) < 0) {
				snprintf(err, errlen, "\\x needs two hex digits");
				return -1;
			}
			c = (unsigned char)(h << 4 | l);
			s += 2;
			break;
		case '\0':
			snprintf(err, errlen, "trailing backslash");
			return -1;
		default:
			snprintf(err, errlen, "unknown escape \\%c (use \\r \\n \\t \\0 \\\\ \\xNN)", *s);
			return -1;
		}
put:
		if (buf_append(out, &c, 1) == -1) {
			snprintf(err, errlen, "too long");
			return -1;
		}
	}
	return 0;
}
