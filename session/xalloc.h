/*
 * xalloc - allocators that never return NULL: out of memory ends the
 * program (error tier b in STYLE.md).  fatalx() is the bug tier.
 */
#ifndef SESSION_XALLOC_H
#define SESSION_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
void	 fatalx(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

#endif
