/*
 * xport - plain TCP transport.  MSG_NOSIGNAL: a peer that vanished is an
 * error return, never a SIGPIPE.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls/xport.h"

static ssize_t
plain_read(struct xport *x, void *p, size_t n)
{
	ssize_t	 r;

	do
		r = recv(x->fd, p, n, 0);
	while (r == -1 && errno == EINTR);
	return r;
}

static ssize_t
plain_write(struct xport *x, const void *p, size_t n)
{
	ssize_t	 r;

	do
		r = send(x->fd, p, n, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	return r;
}

static int
plain_handshake(struct xport *x)
{
	return 0;
}

static unsigned
plain_want(struct xport *x)
{
	return XPORT_WANT_READ;
}

static const char *
plain_error(struct xport *x)
{
	return "";
}

static size_t
plain_pending(struct xport *x)
{
	return 0;
}

static int
plain_shutdown(struct xport *x)
{
	return shutdown(x->fd, SHUT_WR);
}

static void
plain_free(struct xport *x)
{
	close(x->fd);
	free(x);
}

static const struct xport_ops plain_ops = {
	"tcp", plain_handshake, plain_want, plain_error, plain_read, plain_write,
	plain_pending, plain_shutdown, plain_free,
};

struct xport *
xport_plain(int fd)
{
	struct xport *x = malloc(sizeof(*x));

	if (x == NULL)
		return NULL;
	x->ops = &plain_ops;
	x->fd = fd;
	x->priv = NULL;
	return x;
}

void
xport_free(struct xport *x)
{
	if (x)
		x->ops->free(x);
}

int
xport_detach(struct xport *x)
{
	int	 fd = x->fd;

	if (x->ops != &plain_ops)
		return -1;	/* only a plain transport can hand its fd on */
	free(x);
	return fd;
}
