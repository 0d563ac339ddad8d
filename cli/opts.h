/*
 * opts - the one table of command-line options; getopt_long, --help and
 * the manual test all read it.
 */
#ifndef CLI_OPTS_H
#define CLI_OPTS_H

#include <stdint.h>
#include <stdio.h>

/* Which subcommands take an option: the client (REPL and scripts), sink,
 * send, probe, demo, proxy, ping.  OPT_CS: every client front end. */
enum opt_mode {
	OPT_CLIENT = 1, OPT_SINK = 2, OPT_SEND = 4, OPT_PROBE = 8, OPT_DEMO = 16, OPT_PROXY = 32, OPT_PING = 64,
	OPT_CS = OPT_CLIENT | OPT_SEND | OPT_PROBE,
	OPT_CSS = OPT_CLIENT | OPT_SEND,
	OPT_BOTH = OPT_CS | OPT_SINK,
	OPT_ALL = OPT_BOTH | OPT_DEMO,
};

/* What an option's argument is: parsing, /set, --help, the manual and
 * completion all follow it. */
enum opt_type {
	OT_FLAG,	/* no argument */
	OT_STR,		/* text */
	OT_INT,		/* an integer from lo to hi */
	OT_SECONDS,	/* seconds with fractions, lo to hi (0: see the manual) */
	OT_ENUM,	/* one of choices, "a|b|c" (case-insensitive) */
	OT_FILE,	/* a file name */
	OT_DIR,		/* a directory name */
};

enum opt_id {
	O_FILE = 256, O_HELO, O_EHLO, O_TIMEOUT, O_CONNECT_TIMEOUT, O_DATA_LINES,
	O_KEEP_GOING, O_JSON, O_QUIET, O_COLOR, O_NO_HISTORY, O_HELP, O_VERSION,
	O_HOSTNAME, O_MAX_SIZE, O_MAX_RCPT, O_MAX_LINE, O_MAX_ERRORS, O_MAX_CONNECTIONS,
	O_IDLE_TIMEOUT, O_BARE_LF, O_NO_EXT,
	O_STARTTLS, O_TLS, O_SNI, O_NO_SNI, O_CA_FILE, O_NO_VERIFY, O_TLS_PRIORITY,
	O_TLS_MIN, O_TLS_MAX, O_CERT, O_KEY, O_TLS_REQUIRED, O_TLSA, O_ALLOW_INJECTION,
	O_TLS_LISTEN, O_REQUIRE_TLS, O_OCSP_RESPONSE,
	O_MAILDIR, O_MBOX, O_EML_DIR, O_NO_FSYNC, O_JSON_SIDECAR, O_GRACE,
	O_EXIT_AFTER, O_EXIT_AFTER_TIME, O_EXPECT_MESSAGES, O_EXPECT_RCPT,
	O_REPLY, O_RULES, O_SEED, O_GREYLIST, O_RATE_LIMIT, O_LMTP, O_LINT_STRICT, O_MANUAL, O_COMMAND_TIMEOUT, O_DATA_TIMEOUT,
	O_AUTH, O_AUTH_USERS, O_AUTH_ANY_TIME, O_REQUIRE_AUTH, O_SHOW_SECRETS,
	O_AUTH_USER, O_AUTH_MECH, O_AUTH_AUTHZID, O_AUTH_PASSWORD_ENV, O_AUTH_PASSWORD_FILE,
	O_AUTH_PLAINTEXT_OK,
	O_FROM, O_TO, O_CC, O_BCC, O_HEADER, O_SUBJECT, O_BODY, O_ATTACH, O_DATA, O_RAW_DATA,
	O_QUIT_AFTER, O_DROP_AFTER, O_COUNT, O_PIPELINE, O_NO_PIPELINE, O_BDAT, O_CHUNK_SIZE,
	O_NOTIFY, O_RET, O_ENVID, O_REQUIRETLS, O_FORCE_EXT, O_RESOLVER, O_TRUST_ANCHOR, O_MX_PORT, O_MX, O_WARN_DAYS, O_CRIT_DAYS, O_NAGIOS,
	O_MTA_STS_PORT, O_CHECKS, O_RCPT, O_BASELINE, O_FAST, O_ORCPT,
	O_COMPLETION, O_FORCE, O_ATTACH_NAME, O_ATTACH_TYPE, O_UPSTREAM_TLS, O_CLIENT_RULE,
	O_SESSIONS, O_PER_CONNECTION, O_RATE, O_SIZE, O_JSON_MESSAGES, O_INTERVAL,
};

struct opt_def {
	const char	*name;
	int		 shortopt;	/* 0: none */
	int		 has_arg;	/* 0 none, 1 required, 2 optional */
	const char	*argname;
	enum opt_id	 id;
	enum opt_mode	 mode;
	enum opt_type	 type;
	long long	 lo, hi;	/* OT_INT, OT_SECONDS */
	const char	*dflt;		/* the default, as given on the command line */
	const char	*choices;	/* OT_ENUM */
	const char	*help;
};

/* A checked argument. */
struct opt_val {
	long long	 i;		/* OT_INT; OT_ENUM: the index in choices */
	uint64_t	 ms;		/* OT_SECONDS */
	const char	*s;		/* the argument itself */
};

extern const struct opt_def opt_table[];
extern const unsigned opt_count;

/* opt_aliases - old option names in argv rewritten to today's */
void	 opt_aliases(int argc, char **argv);
/* opt_find - the row of --NAME (or of -C when name is one letter) */
const struct opt_def *opt_find(const char *name);
/* opt_value - arg checked against the row's type and range: 0, or -1 with
 * one line in err (without the option name) */
int	 opt_value(const struct opt_def *, const char *arg, struct opt_val *, char *err, size_t);
/* opt_suggest - the nearest option name for a wrong one (mode bits), or NULL */
const char *opt_suggest(const char *wrong, unsigned mode);
/* opt_mode_name - "client", "sink", ... for one mode bit */
const char *opt_mode_name(unsigned bit);
/* opt_usage - the options of one mode, one per line, with defaults */
void	 opt_usage(FILE *, unsigned bit);
/* opt_completion - a bash or zsh completion script from the table;
 * -1 for another shell */
int	 opt_completion(FILE *, const char *shell);

#endif
