/*
 * line - flags for received lines (see line.h).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__) && !defined(SMTPDBG_NO_SIMD)
#define USE_SSE2 1
#include <emmintrin.h>
#endif

#include "session/line.h"

static const char *const line_flag_names[LINE_FLAG_COUNT] = {
	"bare LF line ending (RFC 5321 requires CRLF)",
	"bare CR inside the line",
	"NUL byte",
	"control characters",
	"8-bit bytes",
	"line longer than the RFC 5321 limit",
	"no line terminator before the connection ended",
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

/*
 * plain_prefix - how many leading bytes of p[0..n) are printable ASCII
 * other than a backslash, i.e. shown in a transcript as they are.  Sixteen
 * bytes a step with SSE2 (every x86-64 has it), eight with the word tricks
 * of printable() elsewhere (SMTPDBG_NO_SIMD: tests/test_buf_portable).
 */
static size_t
plain_prefix(const unsigned char *p, size_t n)
{
	size_t		 i = 0;
#ifdef USE_SSE2
	const __m128i	 lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7f),
			 bs = _mm_set1_epi8('\\');

	for (; i + 16 <= n; i += 16) {
		__m128i	 v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i	 good = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
		unsigned bad;

		good = _mm_andnot_si128(_mm_cmpeq_epi8(v, bs), good);
		bad = (unsigned)_mm_movemask_epi8(good) ^ 0xffffu;
		if (bad)
			return i + (size_t)__builtin_ctz(bad);
	}
#else
	const uint64_t	 ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t	 x, b;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		b = x ^ (ones * '\\');
		if ((((x - ones * 0x20) & ~x) | ((x + ones) | x) | ((b - ones) & ~b)) & high)
			break;
	}
#endif
	for (; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '\\')
			break;
	return i;
}

/*
 * One pass: the first byte that is not plain must be the CR of a CRLF, or
 * the run ends there (a line with anything else in it, a bare LF or CR, an
 * unfinished line).
 */
size_t
line_plain_run(const unsigned char *p, size_t n, size_t max_line, size_t *nlines)
{
	size_t		 off = 0, k;

	*nlines = 0;
	while (off < n && p[off] != '.') {
		k = plain_prefix(p + off, n - off);
		if (off + k + 1 >= n || p[off + k] != '\r' || p[off + k + 1] != '\n' ||
		    k + 2 > max_line)
			break;
		off += k + 2;
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

/* byte_flags - anomalies among content bytes (a CR here is a bare one) */
static unsigned
byte_flags(const unsigned char *p, size_t n)
{
	unsigned	 f = 0;
	size_t		 i;

	if (printable(p, n))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '\r')
			f |= LINE_BARE_CR;
		else if (c == '\0')
			f |= LINE_NUL;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			f |= LINE_CTRL;
		else if (c >= 0x80)
			f |= LINE_8BIT;
	}
	return f;
}

unsigned
line_acc_add(struct line_acc *a, const unsigned char *p, size_t n, size_t rfc_max,
    size_t *total)
{
	unsigned	 f;
	size_t		 body;
	int		 end = n > 0 && p[n - 1] == '\n', crlf, held;

	if (a->len == 0 && end) {
		/* The common case: a whole line in one piece. */
		f = line_classify(p, n, rfc_max);
		if (total)
			*total = n;
		return f;
	}
	f = a->flags;
	if (n > 0) {
		if (a->cr && p[0] != '\n')
			f |= LINE_BARE_CR;	/* the CR that ended the last piece */
		body = end ? n - 1 : n;
		crlf = end && (body > 0 ? p[body - 1] == '\r' : a->cr);
		if (end && body > 0 && p[body - 1] == '\r')
			body--;			/* the CR of the CRLF */
		if (end && !crlf)
			f |= LINE_BARE_LF;
		held = !end && p[n - 1] == '\r';	/* judged by the next byte */
		f |= byte_flags(p, held ? body - 1 : body);
		a->cr = held;
	}
	a->len += n;
	if (rfc_max && a->len > rfc_max)
		f |= LINE_LONG;
	if (total)
		*total = a->len;
	if (!end) {
		a->flags = f;
		return f | LINE_MORE;
	}
	a->len = 0;
	a->flags = 0;
	a->cr = 0;
	return f;
}

unsigned
line_acc_end(struct line_acc *a, size_t *total)
{
	unsigned	 f = a->flags | LINE_NOEOL;

	if (a->cr)
		f |= LINE_BARE_CR;
	if (total)
		*total = a->len;
	a->len = 0;
	a->flags = 0;
	a->cr = 0;
	return f;
}
