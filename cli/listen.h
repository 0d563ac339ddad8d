/*
 * listen - what every server front end (the sink, the proxy) needs to
 * take connections: a listening socket from "[ADDR:]PORT" or a Unix
 * path, the certificate it offers, room for its descriptors.
 */
#ifndef CLI_LISTEN_H
#define CLI_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

#include "cli/loop.h"
#include "cli/sink.h"

struct tls_ctx;

/* listen_spec - "PORT" alone means loopback (other addresses must be
 * asked for), "ADDR:PORT", "unix:/path" or "/path": a listening,
 * non-blocking socket; bound gets "addr:port" or "unix:/path" */
int	 listen_spec(const char *what, const char *defport, char *bound, size_t blen,
	    char *err, size_t errlen);

/* The certificates a server leg offers. */
struct listen_ctx {
	struct tls_ctx	*ctx;		/* the one served */
	struct tls_ctx	*expired;	/* for rules: an expired one (or NULL) */
	struct tls_ctx	*wrongname;	/* for rules: one for another name (or NULL) */
};

/* listen_ctx - the PEM files cert and key, or a certificate made now for
 * hostname, localhost, the loopback addresses and the listening address;
 * the rule certificates too when want_faults; info gets a line about it
 * with a ready-to-paste DANE-EE pin */
int	 listen_ctx(struct listen_ctx *, const char *cert, const char *key, const char *hostname,
	    const char *listen, int want_expired, int want_wrongname, char *info, size_t ilen,
	    char *err, size_t errlen);
void	 listen_ctx_free(struct listen_ctx *);
/* listen_tlsa_pin - "3 0 1 <sha-256>" of the certificate (RFC 7671) */
int	 listen_tlsa_pin(const struct tls_ctx *, char *, size_t);
/* listen_peer_ip - "a.b.c.d:port" or "[v6]:port" without the port */
void	 listen_peer_ip(const char *peer, char *ip, size_t);
/* listen_fd_limit - room for max_conn sessions of fds_each descriptors:
 * raise the soft RLIMIT_NOFILE up to the hard one, or return the sessions
 * that fit (and say so in info) */
int	 listen_fd_limit(int max_conn, int fds_each, char *info, size_t ilen);

/* A listening socket on the loop: each connection is given to cb
 * (non-blocking, close-on-exec), or, when *active has reached *max, told
 * "421 4.7.0" and closed (counted in *rejects). */
struct listener {
	int		 fd;		/* -1: not listening */
	const int	*max;
	const unsigned long *active;
	unsigned long	*rejects;
	void		(*cb)(int fd, const struct sockaddr *, void *arg);
	void		*arg;
};
/* listen_on - listen on what (see listen_spec) and watch it */
int	 listen_on(struct listener *, const char *what, const char *defport, char *bound,
	    size_t blen, char *err, size_t errlen);
/* listen_close - stop listening on each of n listeners */
void	 listen_close(struct listener *, size_t n);
/* listen_drain - done() once *active is 0 and no message is left to
 * store, or after grace seconds, whichever comes first */
void	 listen_drain(int grace, const unsigned long *active, void (*done)(void));
/* listen_drain_stop - forget a drain in progress */
void	 listen_drain_stop(void);

/*
 * A client that is slow although bytes keep coming (RFC 5321 4.5.3.2),
 * which the idle timeout cannot see: a command line begun must end within
 * --command-timeout, message data within --data-timeout (sink and proxy).
 */
struct slow_watch {
	struct loop_timer *t;
	int		 data;		/* t times the data, not a command line */
};

/* listen_slow - after input: start, keep or stop the timer; cb fires (and
 * must clear w->t) when the line or the data is late */
void	 listen_slow(struct slow_watch *w, int data, int partial, const struct sink_cfg *,
	    loop_timer_cb cb, void *arg);
/* listen_slow_why - what was late, in words ("the command line did not
 * arrive within 300 s") */
void	 listen_slow_why(const struct slow_watch *, const struct sink_cfg *, char *, size_t);
void	 listen_slow_stop(struct slow_watch *);

#endif
