/*
 * buf - bounded byte buffer.  See buf.h for the contract.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/buf.h"
#include "session/xalloc.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

size_t
buf_space(const struct buf *b)
{
	return b->len >= b->max ? 0 : b->max - b->len;
}

/* buf_reserve - make room for n more bytes at the end */
static void
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need, ncap;

	if (b->off + b->len + n <= b->cap)
		return;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
		if (b->len + n <= b->cap)
			return;
	}
	need = b->len + n;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > buf_space(b))
		return -1;
	if (n == 0)
		return 0;
	buf_reserve(b, n);
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
	return 0;
}

unsigned char *
buf_extend(struct buf *b, size_t n)
{
	unsigned char	*p;

	if (n == 0 || n > buf_space(b))
		return NULL;
	buf_reserve(b, n);
	p = b->data + b->off + b->len;
	b->len += n;
	return p;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	char	 tmp[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	return buf_append(b, tmp, (size_t)n);
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putu(struct buf *b, unsigned long long v)
{
	char	 d[24];
	size_t	 n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return buf_append(b, d + n, sizeof(d) - n);
}

void
buf_clear(struct buf *b)
{
	b->off = b->len = 0;
}

void
buf_drain(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = b->len = 0;
		/* Give large buffers back when idle: 10,000 idle sessions. */
		if (b->cap > 4096) {
			free(b->data);
			b->data = NULL;
			b->cap = 0;
		}
		return;
	}
	b->off += n;
	b->len -= n;
}

char *
buf_strdup(const struct buf *b)
{
	char	*s = xmalloc(b->len + 1);

	memcpy(s, buf_ptr(b), b->len);
	s[b->len] = '\0';
	return s;
}

size_t
buf_findline(const struct buf *b)
{
	const unsigned char	*p;

	if (b->len == 0)
		return 0;
	p = memchr(b->data + b->off, '\n', b->len);
	return p ? (size_t)(p - (b->data + b->off)) + 1 : 0;
}
