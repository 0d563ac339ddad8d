/*
 * smtp_cmdtab - SMTP verbs (RFC 5321, 3207, 4954, 3030, 2033).
 */
#include "config.h"

#include <strings.h>

#include "session/smtp_cmdtab.h"
#include "session/xalloc.h"

static const struct smtp_cmd_def cmdtab[SMTP_V_COUNT] = {
	{ SMTP_V_UNKNOWN, "?", "", "not a known SMTP verb", 300 },
	{ SMTP_V_HELO, "HELO", "HELO domain", "identify the client (plain SMTP)", 300 },
	{ SMTP_V_EHLO, "EHLO", "EHLO domain", "identify the client and ask for extensions", 300 },
	{ SMTP_V_LHLO, "LHLO", "LHLO domain", "LMTP greeting (RFC 2033)", 300 },
	{ SMTP_V_MAIL, "MAIL", "MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]", "start a transaction with the envelope sender", 300 },
	{ SMTP_V_RCPT, "RCPT", "RCPT TO:<address>", "add an envelope recipient", 300 },
	{ SMTP_V_DATA, "DATA", "DATA", "send the message; end it with a line holding one dot", 120 },
	{ SMTP_V_BDAT, "BDAT", "BDAT size [LAST]", "send a message chunk (RFC 3030)", 600 },
	{ SMTP_V_RSET, "RSET", "RSET", "abort the transaction", 300 },
	{ SMTP_V_NOOP, "NOOP", "NOOP", "do nothing; check the server is alive", 300 },
	{ SMTP_V_VRFY, "VRFY", "VRFY address", "ask whether an address exists", 300 },
	{ SMTP_V_EXPN, "EXPN", "EXPN list", "ask for a mailing list's members", 300 },
	{ SMTP_V_HELP, "HELP", "HELP [topic]", "ask the server for help", 300 },
	{ SMTP_V_QUIT, "QUIT", "QUIT", "end the session", 300 },
	{ SMTP_V_STARTTLS, "STARTTLS", "STARTTLS", "upgrade the connection to TLS (RFC 3207)", 300 },
	{ SMTP_V_AUTH, "AUTH", "AUTH mechanism [initial-response]", "authenticate (RFC 4954)", 300 },
	{ SMTP_V_ETRN, "ETRN", "ETRN domain", "ask the server to flush its queue (RFC 1985)", 300 },
	{ SMTP_V_GREETING, "greeting", "", "the server's banner", 300 },
	{ SMTP_V_DOT, ".", ".", "end of message data", 600 },
	{ SMTP_V_RAW, "raw", "", "bytes sent with /raw", 300 },
};
_Static_assert(sizeof(cmdtab) / sizeof(cmdtab[0]) == SMTP_V_COUNT, "cmdtab");

const struct smtp_cmd_def *
smtp_cmd_def(enum smtp_verb v)
{
	if ((unsigned)v >= SMTP_V_COUNT || cmdtab[v].verb != v)
		fatalx("%s: bad verb %d", __func__, (int)v);
	return &cmdtab[v];
}

const char *
smtp_cmd_name(enum smtp_verb v)
{
	return smtp_cmd_def(v)->name;
}

enum smtp_verb
smtp_cmd_lookup(const void *vline, size_t len, size_t *argoff)
{
	const char	*line = vline;
	size_t		 n, i;
	int		 v;

	for (n = 0; n < len && line[n] != ' ' && line[n] != '\r' && line[n] != '\n'; n++)
		;
	if (argoff)
		*argoff = n < len && line[n] == ' ' ? n + 1 : n;
	for (v = SMTP_V_HELO; v < SMTP_V_GREETING; v++) {
		const char *name = cmdtab[v].name;
		for (i = 0; i < n && name[i]; i++)
			if ((line[i] & ~0x20) != name[i])
				break;
		if (i == n && name[i] == '\0')
			return (enum smtp_verb)v;
	}
	return SMTP_V_UNKNOWN;
}
