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
/* xring_grow - room for want elements (of size sz) in a ring of n from
 * *head in *cap: the room doubles (from first) up to max, the elements
 * move in order to the start (*head becomes 0); the ring, maybe new */
void	*xring_grow(void *ring, size_t sz, size_t *head, size_t n, size_t *cap, size_t want,
	    size_t first, size_t max);
void	 fatalx(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

#endif
