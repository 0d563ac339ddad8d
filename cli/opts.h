/*
 * opts - the one table of command-line options; getopt_long, --help and
 * the manual test all read it.
 */
#ifndef CLI_OPTS_H
#define CLI_OPTS_H

/* OPT_CLIENT options also serve "smtpdbg send" (OPT_CS); OPT_SEND are its own */
enum opt_mode { OPT_CLIENT = 1, OPT_SINK = 2, OPT_SEND = 4, OPT_CS = 5, OPT_BOTH = 7 };

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
	O_NOTIFY, O_RET, O_ENVID, O_REQUIRETLS, O_FORCE_EXT, O_RESOLVER, O_MX_PORT, O_ORCPT,
};

struct opt_def {
	const char	*name;
	int		 shortopt;	/* 0: none */
	int		 has_arg;	/* 0 none, 1 required, 2 optional */
	const char	*argname;
	enum opt_id	 id;
	enum opt_mode	 mode;
	const char	*help;
};

extern const struct opt_def opt_table[];
extern const unsigned opt_count;

#endif
