/*
 * xalloc - allocation that cannot fail, and fatalx for internal bugs.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/xalloc.h"

static void __attribute__((noreturn))
oom(size_t n)
{
	fprintf(stderr, "smtpdbg: out of memory (%zu bytes)\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t a, size_t b)
{
	void	*p = calloc(a ? a : 1, b ? b : 1);

	if (p == NULL)
		oom(a * b);
	return p;
}

void *
xrealloc(void *o, size_t n)
{
	void	*p = realloc(o, n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	fputs("smtpdbg: internal error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *
xring_grow(void *ring, size_t sz, size_t *head, size_t n, size_t *cap, size_t want,
    size_t first, size_t max)
{
	unsigned char	*nr;
	size_t		 c = *cap ? *cap : first, i;

	if (want <= *cap)
		return ring;
	while (c < want)
		c *= 2;
	if (c > max)
		c = max;
	nr = xcalloc(c, sz);
	for (i = 0; i < n; i++)
		memcpy(nr + i * sz, (unsigned char *)ring + ((*head + i) % *cap) * sz, sz);
	free(ring);
	*head = 0;
	*cap = c;
	return nr;
}
