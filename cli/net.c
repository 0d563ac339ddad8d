/*
 * net - sockets.  Connection attempts run in the loop: each address gets
 * a non-blocking connect and the connect timeout, then the next is tried.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/loop.h"
#include "cli/net.h"
#include "session/xalloc.h"

struct net_connect {
	struct addrinfo		*res, *cur;
	int			 fd;
	uint64_t		 timeout_ms;
	struct loop_timer	*timer;
	net_connect_cb		 cb;
	void			*arg;
	char			 errs[512];
	int			 own_res;	/* res made here (unix:), not by getaddrinfo */
};

int
net_parse(const char *s, const char *defport, struct net_target *t, char *err, size_t errlen)
{
	const char	*c, *e;
	size_t		 hl;

	memset(t, 0, sizeof(*t));
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] == '\0' || strlen(s + 5) >= sizeof(t->path)) {
			snprintf(err, errlen, "unix:PATH needs a path of 1 to %zu bytes",
			    sizeof(t->path) - 1);
			return -1;
		}
		snprintf(t->path, sizeof(t->path), "%s", s + 5);
		return 0;
	}
	if (strncmp(s, "smtp://", 7) == 0)
		s += 7;
	if (*s == '[') {
		e = strchr(s, ']');
		if (e == NULL) {
			snprintf(err, errlen, "missing ] in %s", s);
			return -1;
		}
		hl = (size_t)(e - s - 1);
		if (hl >= sizeof(t->host))
			goto toolong;
		memcpy(t->host, s + 1, hl);
		c = e[1] == ':' ? e + 2 : NULL;
		if (e[1] && e[1] != ':') {
			snprintf(err, errlen, "unexpected text after ] in %s", s);
			return -1;
		}
	} else {
		c = strchr(s, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL;	/* a bare IPv6 address */
		hl = c ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof(t->host))
			goto toolong;
		memcpy(t->host, s, hl);
		if (c)
			c++;
	}
	if (t->host[0] == '\0') {
		snprintf(err, errlen, "no host in \"%s\"", s);
		return -1;
	}
	if (c && *c) {
		char *end;
		long p = strtol(c, &end, 10);
		if (*end || p < 0 || p > 65535) {
			snprintf(err, errlen, "bad port \"%s\"", c);
			return -1;
		}
		snprintf(t->port, sizeof(t->port), "%ld", p);
	} else
		snprintf(t->port, sizeof(t->port), "%s", defport);
	return 0;
toolong:
	snprintf(err, errlen, "host name too long");
	return -1;
}

void
net_addr_str(const struct sockaddr *sa, char *out, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, len, "%s:%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_UNIX && ((const struct sockaddr_un *)(const void *)sa)->
	    sun_path[0])
		snprintf(out, len, "unix:%s", ((const struct sockaddr_un *)(const void *)sa)->sun_path);
	else
		snprintf(out, len, "(unix)");
}

void
net_fqdn(char *out, size_t len)
{
	char		 host[256];
	struct addrinfo	 hints, *res = NULL;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0' || strchr(host, ' '))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, len, "%s", host);
	if (strchr(host, '.'))
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &res) == 0 && res && res->ai_canonname &&
	    strchr(res->ai_canonname, '.') && !strchr(res->ai_canonname, ' '))
		snprintf(out, len, "%s", res->ai_canonname);
	if (res)
		freeaddrinfo(res);
}

int
net_is_ip(const char *s)
{
	unsigned char	 b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

int
net_nonblock(int fd)
{
	int	 fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The kernel caps the backlog at net.core.somaxconn: ask for the most. */
#define NET_BACKLOG	65535

int
net_listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat	 st;
	int		 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	/* A socket left by an earlier run goes; any other file stays. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(fd, NET_BACKLOG) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
net_listen(const struct net_target *t, char *err, size_t errlen, char *bound, size_t blen)
{
	struct addrinfo	 hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t	 sl = sizeof(ss);
	int		 fd = -1, on = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", t->host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		/* Replies go out at once, never held back by Nagle; accepted
		 * sockets inherit this on Linux, which saves a call per client. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, NET_BACKLOG) == 0)
			break;
		snprintf(err, errlen, "%s port %s: %s", t->host, t->port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd != -1 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		net_addr_str((struct sockaddr *)&ss, bound, blen);
	return fd;
}

static void	 try_next(struct net_connect *);

static void
attempt_done(struct net_connect *nc, int ok, const char *why)
{
	char	 peer[128];
	int	 fd = nc->fd, on = 1;

	loop_del_timer(nc->timer);
	nc->timer = NULL;
	loop_del_fd(fd);
	net_addr_str(nc->cur->ai_addr, peer, sizeof(peer));
	if (ok) {
		if (nc->cur->ai_family != AF_UNIX)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		nc->fd = -1;
		nc->cb(fd, peer, NULL, nc->arg);
		net_connect_cancel(nc);
		return;
	}
	close(fd);
	nc->fd = -1;
	{
		size_t l = strlen(nc->errs);
		snprintf(nc->errs + l, sizeof(nc->errs) - l, "%s%s: %s", l ? "; " : "", peer, why);
	}
	nc->cur = nc->cur->ai_next;
	try_next(nc);
}

static void
on_writable(int fd, unsigned ev, void *arg)
{
	struct net_connect *nc = arg;
	int		 e = 0;
	socklen_t	 el = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
		e = errno;
	attempt_done(nc, e == 0, strerror(e));
}

static void
on_timeout(void *arg)
{
	struct net_connect *nc = arg;

	nc->timer = NULL;
	{
		/* attempt_done deletes the timer; it already fired. */
		char peer[128];
		net_addr_str(nc->cur->ai_addr, peer, sizeof(peer));
		loop_del_fd(nc->fd);
		close(nc->fd);
		nc->fd = -1;
		size_t l = strlen(nc->errs);
		snprintf(nc->errs + l, sizeof(nc->errs) - l, "%s%s: connect timed out after %.3g s",
		    l ? "; " : "", peer, (double)nc->timeout_ms / 1000.0);
		nc->cur = nc->cur->ai_next;
		try_next(nc);
	}
}

static void
try_next(struct net_connect *nc)
{
	for (; nc->cur; nc->cur = nc->cur->ai_next) {
		nc->fd = socket(nc->cur->ai_family, nc->cur->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (nc->fd == -1)
			continue;
		if (connect(nc->fd, nc->cur->ai_addr, nc->cur->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			loop_add_fd(nc->fd, LOOP_OUT, on_writable, nc);
			nc->timer = loop_add_timer(nc->timeout_ms, on_timeout, nc);
			return;
		}
		char peer[128];
		net_addr_str(nc->cur->ai_addr, peer, sizeof(peer));
		size_t l = strlen(nc->errs);
		snprintf(nc->errs + l, sizeof(nc->errs) - l, "%s%s: %s", l ? "; " : "", peer,
		    strerror(errno));
		close(nc->fd);
		nc->fd = -1;
	}
	nc->cb(-1, NULL, nc->errs[0] ? nc->errs : "no address to try", nc->arg);
	net_connect_cancel(nc);
}

static void
start_attempts(void *arg)
{
	struct net_connect *nc = arg;

	nc->timer = NULL;
	try_next(nc);
}

struct net_connect *
net_connect(const struct net_target *t, uint64_t timeout_ms, net_connect_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	struct net_connect *nc;
	int		 r;

	if (t->path[0]) {
		struct sockaddr_un *su = xcalloc(1, sizeof(*su));
		res = xcalloc(1, sizeof(*res));
		su->sun_family = AF_UNIX;
		snprintf(su->sun_path, sizeof(su->sun_path), "%s", t->path);
		res->ai_family = AF_UNIX;
		res->ai_socktype = SOCK_STREAM;
		res->ai_addr = (struct sockaddr *)su;
		res->ai_addrlen = sizeof(*su);
		goto resolved;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	/* Blocking resolution: client side only, never in the sink. */
	if ((r = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		hints.ai_flags = 0;
		if ((r = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
			snprintf(err, errlen, "cannot resolve %s: %s", t->host, gai_strerror(r));
			return NULL;
		}
	}
resolved:
	nc = xcalloc(1, sizeof(*nc));
	nc->own_res = t->path[0] != '\0';
	nc->res = nc->cur = res;
	nc->fd = -1;
	nc->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	nc->cb = cb;
	nc->arg = arg;
	/* Never call back before the caller has the handle. */
	nc->timer = loop_add_timer(0, start_attempts, nc);
	return nc;
}

void
net_connect_cancel(struct net_connect *nc)
{
	if (nc == NULL)
		return;
	loop_del_timer(nc->timer);
	if (nc->fd != -1) {
		loop_del_fd(nc->fd);
		close(nc->fd);
	}
	if (nc->own_res) {
		free(nc->res->ai_addr);
		free(nc->res);
	} else
		freeaddrinfo(nc->res);
	free(nc);
}
