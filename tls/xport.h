/*
 * xport - the transport below the SMTP engine: plain TCP now, TLS later
 * (STARTTLS swaps the plain transport for a TLS one on the same fd).
 * No GnuTLS type ever appears in this header.
 *
 * read: >0 bytes, 0 end of stream, -1 with errno (EAGAIN: try later).
 * write: bytes written, or -1 with errno (EAGAIN: wait for LOOP_OUT).
 */
#ifndef TLS_XPORT_H
#define TLS_XPORT_H

#include <stddef.h>
#include <sys/types.h>

struct xport;

#define XPORT_WANT_READ		0x1
#define XPORT_WANT_WRITE	0x4

struct xport_ops {
	const char	*name;
	/* handshake - 0 done, 1 in progress (see want), -1 failed (see error) */
	int		(*handshake)(struct xport *);
	/* want - what the last call that returned EAGAIN waits for */
	unsigned	(*want)(struct xport *);
	/* error - words for the last failure (borrowed) */
	const char	*(*error)(struct xport *);
	ssize_t		(*read)(struct xport *, void *, size_t);
	ssize_t		(*write)(struct xport *, const void *, size_t);
	/* pending - bytes already read from the fd but not yet returned */
	size_t		(*pending)(struct xport *);
	/* shutdown - end our side of the stream (half-close) */
	int		(*shutdown)(struct xport *);
	void		(*free)(struct xport *);
};

struct xport {
	const struct xport_ops	*ops;
	int			 fd;
	void			*priv;
};

/* xport_plain - a transport over a connected socket (takes ownership) */
struct xport	*xport_plain(int fd);
/* xport_free - close the fd and free; NULL is a no-op */
void		 xport_free(struct xport *);
/* xport_detach - free the transport but keep the fd open; returns it */
int		 xport_detach(struct xport *);

static inline ssize_t
xport_read(struct xport *x, void *p, size_t n) { return x->ops->read(x, p, n); }
static inline ssize_t
xport_write(struct xport *x, const void *p, size_t n) { return x->ops->write(x, p, n); }
static inline size_t
xport_pending(struct xport *x) { return x->ops->pending(x); }
static inline int
xport_handshake(struct xport *x) { return x->ops->handshake(x); }
static inline unsigned
xport_want(struct xport *x) { return x->ops->want(x); }
static inline const char *
xport_error(struct xport *x) { return x->ops->error(x); }
static inline int
xport_is_tls(const struct xport *x) { return x->priv != NULL; }

#endif
