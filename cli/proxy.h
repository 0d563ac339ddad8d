/*
 * proxy - "smtpdbg proxy": each client session relayed to an upstream
 * server through the relay engine (session/smtp_proxy), both legs in one
 * transcript, TLS terminated on each leg, the sink's rules applied to the
 * upstream's replies, a copy of each message the upstream accepted.
 */
#ifndef CLI_PROXY_H
#define CLI_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "cli/auth.h"
#include "cli/sink.h"
#include "session/smtp_proxy.h"
#include "tls/tls.h"

struct proxy_opts {
	struct sink_cfg	*sc;		/* the client leg: listening, limits, TLS,
					 * storage, rules, output, expectations */
	char		 upstream[300];	/* HOST[:PORT], smtps://HOST[:PORT], unix:/path */
	enum proxy_up_tls up_tls;
	int		 up_tls_set;	/* --upstream-tls given */
	struct tls_client_cfg tcfg;	/* --ca-file, --tls-priority, client cert */
	int		 no_verify;
	const char	*sni;		/* --sni; NULL: the upstream's host name */
	int		 no_sni;
	const char	*helo;		/* the proxy's own EHLO (--upstream-tls starttls) */
	uint64_t	 timeout_ms;	/* an upstream reply (0: 300 s) */
	uint64_t	 connect_timeout_ms;
	const char	*strip[32];	/* --no-ext */
	size_t		 nstrip;
	struct proxy_crule crules[32];	/* --client-rule */
	size_t		 ncrules;
	struct auth_cfg	 auth;		/* --auth-user: the proxy's AUTH upstream */
	int		 auth_plaintext_ok;
};

/* proxy_start - listen; bound gets "addr:port", info the certificate */
int	 proxy_start(struct proxy_opts *, char *bound, size_t, char *info, size_t,
	    char *err, size_t);
/* proxy_stats - counted like the sink's: accepted is messages the
 * upstream answered 250 */
void	 proxy_stats(struct sink_stats *);
/* proxy_drain - accept nothing more; sessions end (soft: they may go on to
 * their QUIT) within grace seconds; then done() */
void	 proxy_drain(int grace, void (*done)(void), int soft);
void	 proxy_stop(void);

#endif
