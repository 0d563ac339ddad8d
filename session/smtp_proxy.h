/*
 * smtp_proxy - a relay between an SMTP client and an upstream server,
 * without I/O.
 *
 * The driver feeds what each side sent (smtp_proxy_client_feed, never more
 * than smtp_proxy_client_space(); smtp_proxy_upstream_feed), writes
 * out what smtp_proxy_output() holds for each leg, and does the TLS
 * handshakes the engine asks for.  Commands and replies go on byte for
 * byte; the engine changes a reply only where the configuration or a
 * decision (on_decide: the sink's rules) says so, and then reports both
 * the original and what it sent instead.  What one read brought from the
 * client leaves in one write (a pipelined group stays a group); a
 * command that must end a group (EHLO, DATA, STARTTLS, AUTH, QUIT) is
 * answered before the client's next bytes are looked at.
 *
 * Replies are matched to the commands they answer, so the engine knows
 * when message data starts and ends, when a SASL exchange is under way,
 * when each leg starts TLS and when a message was accepted upstream
 * (on_message: a copy may be kept then, never before).
 *
 * Pointers passed to events are borrowed and live for the call only.
 */
#ifndef SESSION_SMTP_PROXY_H
#define SESSION_SMTP_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "session/buf.h"
#include "session/sasl.h"
#include "session/smtp_server.h"

enum proxy_leg { PROXY_CLIENT, PROXY_UPSTREAM };

/* How the upstream leg is encrypted (--upstream-tls). */
enum proxy_up_tls {
	PROXY_UP_MIRROR,	/* STARTTLS upstream when the client says it */
	PROXY_UP_STARTTLS,	/* STARTTLS upstream first, whatever the client does */
	PROXY_UP_TLS,		/* implicit TLS: the driver starts encrypted */
	PROXY_UP_NONE,		/* never */
	PROXY_UP_COUNT
};

/* Where a reported line went (the transcript's route). */
enum proxy_route {
	PROXY_RELAYED,		/* received and sent on unchanged */
	PROXY_TAKEN,		/* received and kept: answered or replaced by the proxy */
	PROXY_OWN,		/* the proxy's own line (its command, or a reply it gives) */
};

/*
 * A client rule (--client-rule): a command changed before it goes
 * upstream.  "VERB[#N][:PATTERN]=rewrite LINE" sends LINE instead;
 * "VERB[#N][:PATTERN]=drop [CODE [TEXT]]" sends nothing and answers
 * CODE TEXT (default 250) itself.  PATTERN (fnmatch, any case) is matched
 * against the address of MAIL and RCPT, else the argument; #N fires the
 * Nth matching command only (counted across sessions).
 */
struct proxy_crule {
	int		 verb;		/* enum smtp_verb */
	unsigned long	 nth;		/* 0: every time */
	char		*pattern;	/* NULL: any */
	int		 drop;		/* else rewrite */
	int		 code;		/* drop: the reply */
	char		 enh[16];
	char		*text;		/* drop: the reply's text; rewrite: the line */
	unsigned long	 seen;
	char		*spec;		/* as given, for the transcript */
};

/* proxy_crule_parse - one rule into r; -1 with words in err */
int	 proxy_crule_parse(const char *spec, struct proxy_crule *r, char *err, size_t);
void	 proxy_crule_free(struct proxy_crule *);

struct proxy_cfg {
	enum proxy_up_tls up_tls;
	int		 client_tls;	/* the client leg can start TLS (a certificate) */
	int		 client_implicit; /* the client leg is encrypted from the start */
	const char	*helo;		/* the proxy's own EHLO (--upstream-tls starttls) */
	const char *const *strip;	/* EHLO keywords the client does not see */
	size_t		 nstrip;
	size_t		 max_line;	/* client command line, bytes (2048) */
	size_t		 in_max;	/* client bytes held (65536) */
	size_t		 max_rcpt;	/* recipients kept for a copy (1000) */
	struct proxy_crule *crules;	/* --client-rule, shared by all sessions */
	size_t		 ncrules;
	/* --auth-user: the proxy authenticates upstream itself, before the
	 * client's first MAIL, and answers the client's AUTH itself */
	const char	*up_user, *up_secret, *up_authzid, *up_mech;
	int		 up_plaintext_ok; /* PLAIN/LOGIN upstream without TLS */
	unsigned	 auth_mechs;	/* offered to the client (1 << sasl_mech) */
	int		 auth_any_time;	/* offered before the client's TLS too */
	const struct sasl_crypto *crypto;
	const char	*hostname;	/* for CRAM-MD5's challenge */
};

struct proxy_message {
	const char	*from;
	const char *const *rcpt;	/* accepted upstream */
	size_t		 nrcpt;
	uint64_t	 size;		/* content bytes after unstuffing */
	int		 code;		/* the upstream's reply to the end of data */
	unsigned	 seq;		/* messages in this session, from 1 */
};

struct proxy_events {
	/* a line (or a piece: LINE_MORE) from the client; in_data: message data */
	void	(*on_client_line)(void *arg, const unsigned char *, size_t, unsigned flags,
		    int in_data, enum proxy_route);
	/* a line of an upstream reply, reported once the reply is whole;
	 * latency_us on its last line: from the command leaving to the reply,
	 * proxy_us: how long the proxy held the command first (-1: none) */
	void	(*on_upstream_line)(void *arg, const unsigned char *, size_t, unsigned flags,
		    int code, enum proxy_route, int64_t latency_us, int64_t proxy_us);
	/* a line the proxy itself sends on a leg (PROXY_OWN); LINE_SECRET in
	 * flags: it carries a credential */
	void	(*on_own_line)(void *arg, enum proxy_leg, const unsigned char *, size_t,
		    unsigned flags);
	/* words for the transcript: '*' information, '!' anomaly */
	void	(*on_note)(void *arg, char kind, const char *);
	/* start TLS on the leg: the client's once its output is written */
	void	(*on_tls)(void *arg, enum proxy_leg);
	/* message data reached the upstream: content after unstuffing */
	void	(*on_data)(void *arg, const unsigned char *, size_t);
	/* message data starts (for a copy) */
	void	(*on_data_start)(void *arg, const char *from);
	/* the upstream answered the end of data: code 250 keeps the copy */
	void	(*on_message)(void *arg, const struct proxy_message *);
	/* a reply is about to go to the client: change it (rules), or
	 * SMTP_F_WAIT and smtp_proxy_decide() later (delay) */
	void	(*on_decide)(void *arg, struct smtp_decision *);
	/* a leg should close once its output is written */
	void	(*on_close)(void *arg, enum proxy_leg);
	/* the client's AUTH, answered by the proxy: the user's secret (see
	 * sasl_lookup) */
	int	(*on_auth_lookup)(void *arg, const char *user, char *pw, size_t);
};

struct smtp_proxy;

/* smtp_proxy_new - a client connected at now; the greeting is awaited */
struct smtp_proxy *smtp_proxy_new(const struct proxy_cfg *, const struct proxy_events *,
	    void *arg, uint64_t now);
/* smtp_proxy_upstream_up - the upstream connection is made (the greeting's
 * latency counts from here, the time before is the proxy's) */
void	 smtp_proxy_upstream_up(struct smtp_proxy *, uint64_t now);
void	 smtp_proxy_free(struct smtp_proxy *);
/* smtp_proxy_output - bytes to write on a leg */
struct buf *smtp_proxy_output(struct smtp_proxy *, enum proxy_leg);
size_t	 smtp_proxy_client_space(const struct smtp_proxy *);
/* the feeds: now is the driver's clock (microseconds), for latencies */
void	 smtp_proxy_client_feed(struct smtp_proxy *, const void *, size_t, uint64_t now);
/* smtp_proxy_upstream_feed - returns the bytes taken; fewer than n only
 * when a decision is pending (feed the rest after smtp_proxy_decide) */
size_t	 smtp_proxy_upstream_feed(struct smtp_proxy *, const void *, size_t, uint64_t now);
/* smtp_proxy_eof - a leg sent all it will (half-close or end) */
void	 smtp_proxy_eof(struct smtp_proxy *, enum proxy_leg, uint64_t now);
/* smtp_proxy_tls_up - a handshake the engine asked for succeeded;
 * smtp_proxy_tls_failed - it failed (words in why) */
void	 smtp_proxy_tls_up(struct smtp_proxy *, enum proxy_leg, uint64_t now);
void	 smtp_proxy_tls_failed(struct smtp_proxy *, enum proxy_leg, const char *why,
	    uint64_t now);
/* smtp_proxy_upstream_failed - no upstream session (connect, implicit
 * TLS, timeout): the client gets 421 with why */
void	 smtp_proxy_upstream_failed(struct smtp_proxy *, const char *enh, const char *why,
	    uint64_t now);
/* smtp_proxy_end - the proxy ends the session (idle client, stopping):
 * 421 with why to the client, QUIT upstream */
void	 smtp_proxy_end(struct smtp_proxy *, const char *enh, const char *why, uint64_t now);
/* smtp_proxy_decide - the driver's answer after SMTP_F_WAIT */
void	 smtp_proxy_decide(struct smtp_proxy *, const struct smtp_decision *, uint64_t now);
/* smtp_proxy_waiting - a decision is pending */
int	 smtp_proxy_waiting(const struct smtp_proxy *);
/* smtp_proxy_busy - a reply is awaited from upstream */
int	 smtp_proxy_busy(const struct smtp_proxy *);
/* smtp_proxy_in_data - the client is sending message data */
int	 smtp_proxy_in_data(const struct smtp_proxy *);
/* smtp_proxy_client_partial - a command line has begun and not ended */
int	 smtp_proxy_client_partial(const struct smtp_proxy *);
/* smtp_proxy_tls - whether the leg is encrypted */
int	 smtp_proxy_tls(const struct smtp_proxy *, enum proxy_leg);
const char *proxy_up_tls_name(enum proxy_up_tls);
int	 proxy_up_tls_parse(const char *, enum proxy_up_tls *);

#endif
