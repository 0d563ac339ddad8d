/*
 * net - host:port parsing, non-blocking connect in address order with a
 * timeout, and listening sockets.
 */
#ifndef CLI_NET_H
#define CLI_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct net_target {
	char	 host[256];
	char	 port[16];
	char	 path[108];	/* unix:/path: a Unix-domain socket (host, port empty) */
};

/* net_parse - "host", "host:port", "[v6]", "[v6]:port", "v6" (no port),
 * "unix:/path" */
int	 net_parse(const char *, const char *defport, struct net_target *, char *err, size_t);
/* net_addr_str - "[addr]:port" or "addr:port" of a sockaddr */
void	 net_addr_str(const struct sockaddr *, char *, size_t);
/* net_listen - bound, listening, non-blocking socket or -1 with err */
int	 net_listen(const struct net_target *, char *err, size_t, char *bound, size_t);
/* net_listen_unix - a listening Unix-domain socket (a stale one is replaced) */
int	 net_listen_unix(const char *path, char *err, size_t);
int	 net_nonblock(int);
/* net_fqdn - this host's fully qualified name when it has one (the
 * resolver's canonical name), else its host name, else "localhost" */
void	 net_fqdn(char *, size_t);
/* net_is_ip - an IPv4 or IPv6 literal */
int	 net_is_ip(const char *);

struct net_connect;
typedef void (*net_connect_cb)(int fd, const char *peer, const char *err, void *arg);
/* net_connect - resolve and try each address in turn; cb gets a connected
 * fd or -1 and a message.  Returns NULL when resolution fails at once. */
struct net_connect *net_connect(const struct net_target *, uint64_t timeout_ms, net_connect_cb,
	    void *arg, char *err, size_t errlen);
void	 net_connect_cancel(struct net_connect *);

#endif
