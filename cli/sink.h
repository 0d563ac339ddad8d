/*
 * sink - the server side on the event loop: accepts connections, runs one
 * server engine per connection, prints each session's transcript live
 * with a session id and one summary line per message.
 */
#ifndef CLI_SINK_H
#define CLI_SINK_H

#include <stddef.h>
#include <stdio.h>

#include "cli/store.h"
#include "session/rules.h"
#include "session/smtp_server.h"

struct sink_cfg {
	struct smtp_server_cfg scfg;
	char		 listen[300];	/* [ADDR:]PORT */
	int		 idle_timeout;	/* seconds (300) */
	int		 command_timeout; /* to finish a command line, seconds (300) */
	int		 data_timeout;	/* from 354 or the first BDAT to the end (600) */
	int		 max_conn;	/* concurrent sessions (1000) */
	int		 data_lines;	/* data lines shown per message; -1 all */
	int		 text;		/* print transcripts */
	int		 summaries;	/* print message summaries */
	FILE		*json;
	const char	*cert, *key;	/* PEM files; NULL: generate at start-up */
	const char	*tls_min, *tls_max;	/* --tls-min, --tls-max */
	const char	*tls_listen;	/* [ADDR:]PORT for implicit TLS, or NULL */
	const char	*ocsp;		/* DER OCSP response to staple, or NULL */
	struct store_cfg store;		/* --maildir, --mbox, --eml-dir */
	int		 no_starttls;	/* --no-ext STARTTLS */
	unsigned long	 exit_after;	/* stop after this many accepted messages */
	void		(*on_enough)(void);	/* called once exit_after is reached */
	const char	*expect_rcpt[32];	/* --expect-rcpt addresses */
	size_t		 nexpect_rcpt;
	struct rules	*rules;		/* --reply, --rules, --greylist, --rate-limit */
	int		 manual;	/* the operator answers every command */
	int		 show_secrets;	/* AUTH lines as sent, not masked */
	struct sink_user {
		char	*user, *secret;
	}		*users;		/* --auth-users; none: any credentials */
	size_t		 nusers;
};

struct sink_stats {
	unsigned long	 sessions, messages, active, errors;
	unsigned long	 accepted;	/* answered 250 */
	unsigned long long bytes;
	int		 rcpt_seen[32];	/* per --expect-rcpt: accepted for it */
	unsigned long	 faults;	/* replies changed by rules */
	unsigned long	 rejects;	/* replies with a 4xx or 5xx code */
	unsigned long	 auth_ok, auth_failed;
	unsigned long	 lint_sessions, lint_findings;
};

/* sink_start - listen; bound gets "addr:port"; info (if not NULL) gets
 * a line about the TLS certificate */
int	 sink_start(struct sink_cfg *, char *bound, size_t, char *info, size_t,
	    char *err, size_t);
void	 sink_stats(struct sink_stats *);
/* sink_count_accepted - a message got its 250: count it, tick off the
 * --expect-rcpt addresses among rcpt, call on_enough at --exit-after */
void	 sink_count_accepted(const struct sink_cfg *, struct sink_stats *,
	    const char *const *rcpt, size_t n);
/* sink_user_secret - --auth-users: 1 and the user's secret in pw, 0 for an
 * unknown user; 2 (any credentials) without a users file (sasl_lookup) */
int	 sink_user_secret(const struct sink_cfg *, const char *user, char *pw, size_t);
/* sink_tlsa_pin - "3 0 1 <sha-256>", the DANE-EE record of the sink's
 * certificate (RFC 7671), as --tlsa takes it; -1 without TLS */
int	 sink_tlsa_pin(char *, size_t);
/* sink_stop - close the listener and every session */
void	 sink_stop(void);
/* sink_drain - stop accepting; idle sessions get 421 (soft: they too may
 * go on to their QUIT); transactions in flight may finish within grace
 * seconds; then done() */
void	 sink_drain(int grace, void (*done)(void), int soft);

#endif
