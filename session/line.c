/*
 * line - flags for received lines (see line.h).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "session/line.h"

static const char *const line_flag_names[LINE_FLAG_COUNT] = {
	"bare LF line ending (RFC 5321 requires CRLF)",
	"bare CR inside the line",
	"NUL byte",
	"control characters",
	"8-bit bytes",
	"line longer than the RFC 5321 limit",
	"no line terminator before the connection ended",
	"line longer than the buffer; the rest was dropped",
};
_Static_assert(sizeof(line_flag_names) / sizeof(line_flag_names[0]) == LINE_FLAG_COUNT,
    "line_flag_names");

size_t
line_body_len(const unsigned char *p, size_t n)
{
	if (n && p[n - 1] == '\n') {
		n--;
		if (n && p[n - 1] == '\r')
			n--;
	}
	return n;
}

/*
 * printable - every byte is 0x20..0x7e.  Most lines are, so test eight
 * bytes at a time: a byte below 0x20 or above 0x7e sets its high bit in
 * one of the two words below (the classic "has less / has more" tricks).
 */
static int
printable(const unsigned char *p, size_t n)
{
	const uint64_t	 ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t	 x;
	size_t		 i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		if ((((x - ones * 0x20) & ~x) | ((x + ones * (127 - 0x7e)) | x)) & high)
			return 0;
	}
	for (; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

size_t
line_plain_run(const unsigned char *p, size_t n, size_t max_line, size_t *nlines)
{
	const uint64_t	 ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	const unsigned char *lf;
	size_t		 off = 0, len, body, i;
	uint64_t	 x, b;

	*nlines = 0;
	while (off < n && (lf = memchr(p + off, '\n', n - off)) != NULL) {
		len = (size_t)(lf - (p + off)) + 1;
		if (len < 2 || len > max_line || p[off] == '.' || lf[-1] != '\r')
			break;
		body = len - 2;
		/* printable ASCII, no backslash: shown as it is */
		for (i = 0; i + 8 <= body; i += 8) {
			memcpy(&x, p + off + i, 8);
			b = x ^ (ones * '\\');
			if ((((x - ones * 0x20) & ~x) | ((x + ones) | x) | ((b - ones) & ~b)) & high)
				break;
		}
		if (i + 8 <= body)
			break;
		for (; i < body; i++)
			if (p[off + i] < 0x20 || p[off + i] > 0x7e || p[off + i] == '\\')
				break;
		if (i < body)
			break;
		off += len;
		(*nlines)++;
	}
	return off;
}

unsigned
line_classify(const unsigned char *p, size_t n, size_t rfc_max)
{
	unsigned	 f = 0;
	size_t		 i, body;

	if (n && p[n - 1] == '\n') {
		if (n < 2 || p[n - 2] != '\r')
			f |= LINE_BARE_LF;
	} else
		f |= LINE_NOEOL;
	body = line_body_len(p, n);
	if (printable(p, body))
		body = 0;	/* nothing more to find */
	for (i = 0; i < body; i++) {
		unsigned char c = p[i];
		if (c == '\r')
			f |= LINE_BARE_CR;
		else if (c == '\0')
			f |= LINE_NUL;
		else if (c < 0x20 && c != '\t')
			f |= LINE_CTRL;
		else if (c == 0x7f)
			f |= LINE_CTRL;
		else if (c >= 0x80)
			f |= LINE_8BIT;
	}
	if (rfc_max && n > rfc_max)
		f |= LINE_LONG;
	return f;
}

const char *
line_flag_desc(unsigned bit)
{
	unsigned	 i;

	for (i = 0; i < LINE_FLAG_COUNT; i++)
		if (bit == (1u << i))
			return line_flag_names[i];
	return "?";
}
