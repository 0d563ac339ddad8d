/*
 * smtp_cmdtab - the one table of SMTP verbs both sides use.
 *
 * The server looks a verb up and checks its state mask; the client uses
 * the same rows to name what it sent, pick a reply timeout, complete verbs
 * in the REPL and print help.
 */
#ifndef SESSION_SMTP_CMDTAB_H
#define SESSION_SMTP_CMDTAB_H

#include <stddef.h>

enum smtp_verb {
	SMTP_V_UNKNOWN = 0,
	SMTP_V_HELO, SMTP_V_EHLO, SMTP_V_LHLO, SMTP_V_MAIL, SMTP_V_RCPT,
	SMTP_V_DATA, SMTP_V_BDAT, SMTP_V_RSET, SMTP_V_NOOP, SMTP_V_VRFY,
	SMTP_V_EXPN, SMTP_V_HELP, SMTP_V_QUIT, SMTP_V_STARTTLS, SMTP_V_AUTH,
	SMTP_V_ETRN,
	/* pseudo verbs: what a reply can answer besides a command */
	SMTP_V_GREETING,	/* the 220 banner */
	SMTP_V_DOT,		/* end of message data */
	SMTP_V_RAW,		/* bytes sent with /raw */
	SMTP_V_COUNT
};

struct smtp_cmd_def {
	enum smtp_verb	 verb;
	const char	*name;		/* as written on the wire */
	const char	*synopsis;	/* for completion and help */
	const char	*help;		/* one line */
	int		 timeout;	/* RFC 5321 4.5.3.2 client timeout, s */
};

const struct smtp_cmd_def *smtp_cmd_def(enum smtp_verb);
/* smtp_cmd_lookup - the verb a command line starts with; *argoff: where
 * its arguments start (after one space), or len */
enum smtp_verb	 smtp_cmd_lookup(const void *line, size_t len, size_t *argoff);
const char	*smtp_cmd_name(enum smtp_verb);

#endif
