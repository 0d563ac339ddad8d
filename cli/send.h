/*
 * send - "smtpdbg send": one or more messages in one connection, built
 * from options (or a file), with the stages and extensions under control:
 * STARTTLS, AUTH, PIPELINING, CHUNKING, 8BITMIME, SMTPUTF8, SIZE, DSN,
 * REQUIRETLS, --quit-after and --drop-after.  Exit codes say which stage
 * failed (run.h).
 */
#ifndef CLI_SEND_H
#define CLI_SEND_H

#include <stddef.h>

#include "session/buf.h"

#include "cli/run.h"

enum send_stage {
	SEND_CONNECT, SEND_EHLO, SEND_TLS, SEND_AUTH, SEND_MAIL, SEND_RCPT, SEND_DATA, SEND_DOT,
	SEND_STAGE_COUNT
};

enum send_force {
	FORCE_PIPELINING = 1 << 0, FORCE_CHUNKING = 1 << 1, FORCE_8BITMIME = 1 << 2,
	FORCE_SMTPUTF8 = 1 << 3, FORCE_SIZE = 1 << 4, FORCE_DSN = 1 << 5,
	FORCE_REQUIRETLS = 1 << 6, FORCE_STARTTLS = 1 << 7,
};

struct send_opts {
	struct run_opts	*ro;		/* client, TLS and AUTH options */
	const char	*from;		/* envelope addresses */
	const char	*to[256], *cc[256], *bcc[256];
	const char	*from_hdr;	/* header forms ("Bob <b@x>") */
	const char	*to_hdr[256], *cc_hdr[256];
	int		 force_addr;	/* --force: malformed addresses pass */
	size_t		 nto, ncc, nbcc;
	const char	*headers[64];
	size_t		 nheaders;
	const char	*subject;
	const char	*body;		/* TEXT, @FILE or - */
	const char	*attach[64];	/* files; "-": standard input */
	const char	*attach_name[64];	/* --attach-name, or NULL */
	const char	*attach_type[64];	/* --attach-type, or NULL */
	size_t		 nattach;
	int		 data_lines_set;	/* --data-lines given: show attachments */
	const char	*data_file;	/* --data @FILE: a whole message */
	const char	*raw_data_file;	/* --raw-data @FILE: bytes exactly */
	int		 quit_after;	/* enum send_stage, or -1 */
	int		 drop_after;
	unsigned long	 count;
	int		 pipeline;	/* -1 when offered, 0 never, 1 forced */
	int		 bdat;		/* use CHUNKING when offered */
	size_t		 chunk;		/* BDAT chunk size */
	const char	*notify, *ret, *envid;
	int		 orcpt;		/* ORCPT=rfc822;ADDR on each RCPT */
	int		 requiretls;
	unsigned	 force;		/* enum send_force */
	/* many sessions (send --sessions, ping) */
	unsigned	 sessions;	/* at a time; 0: one session, the transcript */
	unsigned long	 per_conn;	/* messages per connection; 0: no limit */
	double		 rate;		/* messages started per second; 0: no limit */
	int		 json_messages;	/* one JSON event per message */
	int		 ping;		/* ping: a session every interval */
	uint64_t	 interval_us;
	int		 count_set;	/* --count given (ping: else no end) */
	size_t		 size;		/* --size: a generated body of this many bytes */
	const char	*resolver;	/* for the MX lookup: IP[:PORT] */
	const char	*mx_port;	/* port on the MX hosts (25) */
};

int	 send_stage_parse(const char *, int *);
/* send_rate_parse - "R/s", "R/m", "R/h" or "R" (per second): per second */
int	 send_rate_parse(const char *, double *);
/* send_force_parse - a keyword for --force-ext */
int	 send_force_parse(const char *, unsigned *);
/* send_read_file - a whole file ("-": standard input) appended to b */
int	 send_read_file(const char *path, struct buf *, char *err, size_t);
/* send_run - the whole job on the loop, trying the targets in order until
 * one connects; names[i] (MX hosts, or NULL) is the TLS name for target i;
 * returns the exit code */
int	 send_run(struct send_opts *, const char *const *targets, const char *const *names,
	    size_t);

#endif
