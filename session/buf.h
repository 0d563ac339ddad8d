/*
 * buf - bounded byte buffer with line extraction.
 *
 * A buf grows on demand up to the maximum fixed at buf_init() and never
 * beyond it: buf_append() refuses (returns -1) rather than reallocating
 * without bound.  Empty buffers give their memory back, so an idle session
 * costs almost nothing.  Out of memory is fatal (xalloc tier).
 */
#ifndef SESSION_BUF_H
#define SESSION_BUF_H

#include <stddef.h>

struct buf {
	unsigned char	*data;	/* owned; NULL while empty and released */
	size_t		 off;	/* start of unread bytes */
	size_t		 len;	/* unread bytes from off */
	size_t		 cap;	/* allocated size */
	size_t		 max;	/* hard limit on len */
};

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);
/* buf_append - copy n bytes in; 0 on success, -1 when max would be passed */
int	 buf_append(struct buf *, const void *, size_t);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* buf_extend - n more bytes at the end, for the caller to fill; NULL (and
 * nothing changed) when n is 0 or max would be passed */
unsigned char *buf_extend(struct buf *, size_t n);
/* buf_puts - a string; buf_putu - an unsigned number in decimal (both
 * without printf, for the paths every message takes) */
int	 buf_puts(struct buf *, const char *);
int	 buf_putu(struct buf *, unsigned long long);
/* buf_space - how many more bytes fit before max */
size_t	 buf_space(const struct buf *);
/* buf_clear - forget all unread bytes, keep the memory (for buffers that
 * are reused at once; buf_drain gives large ones back) */
void	 buf_clear(struct buf *);
/* buf_drain - forget the first n unread bytes */
void	 buf_drain(struct buf *, size_t);
static inline const unsigned char *
buf_ptr(const struct buf *b) { return b->data ? b->data + b->off : (const unsigned char *)""; }
/* buf_findline - length of the first line including its LF, or 0 if none */
size_t	 buf_findline(const struct buf *);
/* buf_strdup - the unread bytes as a NUL-terminated string; allocated */
char	*buf_strdup(const struct buf *);

#endif
