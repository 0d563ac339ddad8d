/*
 * smtp_server - the server side of the SMTP protocol engine, without I/O.
 *
 * The driver feeds received bytes (never more than
 * smtp_server_input_space() at a time), drains replies from
 * smtp_server_output(), and learns everything else through events.  At
 * the end of message data the engine hands the envelope to on_message and
 * waits: the driver answers with smtp_server_message_done(), at once or
 * later (after an fsync elsewhere), and only then does the engine reply
 * and read the next command.  Bytes after a limit are consumed, never
 * interpreted as commands.
 *
 * Pointers passed to events are borrowed and live for the call only.
 */
#ifndef SESSION_SMTP_SERVER_H
#define SESSION_SMTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "session/buf.h"
#include "session/sasl.h"

enum smtp_server_state {
	SMTP_S_INIT,		/* greeting not sent yet */
	SMTP_S_GREETED,		/* waiting for HELO/EHLO */
	SMTP_S_READY,		/* no transaction */
	SMTP_S_MAIL,		/* MAIL accepted */
	SMTP_S_RCPT,		/* RCPT accepted */
	SMTP_S_DATA,		/* reading message data */
	SMTP_S_BDAT,		/* reading a BDAT chunk */
	SMTP_S_WAIT,		/* message handed over; reply pending */
	SMTP_S_TLS,		/* 220 to STARTTLS sent; handshake due */
	SMTP_S_AUTH,		/* 334 sent: the next line is a SASL response */
	SMTP_S_CLOSING,		/* QUIT or 421 sent; input ignored */
	SMTP_S_STATE_COUNT
};

enum smtp_bare_lf {
	SMTP_BARE_REJECT,	/* refuse the command or message (default) */
	SMTP_BARE_ACCEPT,	/* keep the bytes as they came */
	SMTP_BARE_NORMALIZE,	/* store bare LF/CR as CRLF */
	SMTP_BARE_COUNT
};

enum smtp_ext {
	SMTP_EXT_PIPELINING	= 1 << 0,
	SMTP_EXT_SIZE		= 1 << 1,
	SMTP_EXT_8BITMIME	= 1 << 2,
	SMTP_EXT_SMTPUTF8	= 1 << 3,
	SMTP_EXT_ENHANCED	= 1 << 4,
	SMTP_EXT_DSN		= 1 << 5,
	SMTP_EXT_HELP		= 1 << 6,
	SMTP_EXT_CHUNKING	= 1 << 7,
	SMTP_EXT_ALL		= (1 << 8) - 1
};

/* The moments a reply is given: rules and the operator decide there. */
enum smtp_stage {
	SMTP_ST_CONNECT, SMTP_ST_HELO, SMTP_ST_STARTTLS, SMTP_ST_AUTH, SMTP_ST_MAIL,
	SMTP_ST_RCPT, SMTP_ST_DATA, SMTP_ST_DOT, SMTP_ST_BDAT, SMTP_ST_RSET,
	SMTP_ST_NOOP, SMTP_ST_VRFY, SMTP_ST_QUIT, SMTP_ST_OTHER,
	SMTP_ST_TLS,		/* an implicit-TLS handshake: the driver's, never the engine's */
	SMTP_ST_COUNT
};

/* How a reply is given (smtp_decision.flags). */
enum smtp_fault {
	SMTP_F_DROP	= 1 << 0,	/* close without a reply */
	SMTP_F_CLOSE	= 1 << 1,	/* close after the reply */
	SMTP_F_BARELF	= 1 << 2,	/* reply lines end in a bare LF */
	SMTP_F_BADMULTI	= 1 << 3,	/* a multi-line reply whose codes differ */
	SMTP_F_EXTRA	= 1 << 4,	/* an unsolicited reply line follows */
	SMTP_F_STALL	= 1 << 5,	/* no reply (DATA: after the 354), read nothing */
	SMTP_F_CUT	= 1 << 6,	/* DATA/BDAT: close after cut bytes of data */
	SMTP_F_WAIT	= 1 << 7,	/* the driver answers later: smtp_server_decide() */
	/* for the driver only */
	SMTP_F_DELAY	= 1 << 8,	/* hold the reply delay_ms */
	SMTP_F_DRIP	= 1 << 9,	/* send the reply a byte per drip_ms */
	SMTP_F_TLS_ABORT = 1 << 10,	/* abort the TLS handshake */
	SMTP_F_CERT_EXPIRED = 1 << 11,	/* serve an expired certificate */
	SMTP_F_CERT_NAME = 1 << 12,	/* serve a certificate for another name */
};

/*
 * smtp_decision - one reply about to be given.  on_decide may change
 * code, enh, text and flags.  A reply turned into an error never commits
 * the command (a MAIL answered 451 starts no transaction); an error turned
 * into a success is sent but commits nothing either.
 */
struct smtp_decision {
	enum smtp_stage	 stage;
	const char	*arg;		/* HELO name, MAIL/RCPT address, or NULL */
	const char	*from;		/* the transaction's sender, or NULL */
	int		 dflt;		/* the engine's own code */
	int		 code;
	char		 enh[16];	/* "" for none */
	char		 text[1024];	/* '\n' separates the lines */
	unsigned	 flags;		/* SMTP_F_* */
	uint64_t	 cut;		/* SMTP_F_CUT: data bytes before the cut */
	unsigned	 delay_ms, drip_ms;
	int		 rule;		/* for the driver: which rule applied, 0 none */
};

/* Client behaviour worth a remark (RFC 5321/2920/3207/6152/6531). */
struct smtp_lint {
	unsigned	 bare_lf, bare_cr;	/* lines, commands and data */
	unsigned	 long_lines;		/* data lines over 998 octets */
	unsigned	 eightbit_undeclared;	/* messages with 8-bit data, no BODY=8BITMIME */
	unsigned	 utf8_undeclared;	/* UTF-8 addresses without SMTPUTF8 */
	unsigned	 pipelined_unoffered;	/* commands sent ahead without PIPELINING */
	unsigned	 pipelined_after_last;	/* commands sent after DATA/EHLO/STARTTLS/QUIT... */
	unsigned	 before_greeting;	/* bytes before the greeting */
	unsigned	 auth_plain_text;	/* AUTH without TLS */
	unsigned	 no_quit;		/* closed without QUIT */
	unsigned	 space_after_colon;	/* "MAIL FROM: <a>" */
};

struct smtp_server_cfg {
	const char	*hostname;	/* in the greeting and EHLO reply */
	const char	*banner;	/* greeting text after the hostname */
	size_t		 max_line;	/* command line bytes incl. CRLF (2048) */
	size_t		 max_rcpt;	/* recipients per message (1000) */
	uint64_t	 max_size;	/* message bytes (36700160) */
	unsigned	 max_errors;	/* bad commands before 421 (20) */
	enum smtp_bare_lf bare_lf;
	unsigned	 ext;		/* advertised extensions (SMTP_EXT_*) */
	size_t		 in_max;	/* input buffer bound (65536) */
	int		 starttls;	/* offer STARTTLS */
	int		 require_tls;	/* 530 to MAIL before STARTTLS */
	int		 tls_active;	/* implicit TLS: the session starts encrypted */
	int		 lmtp;		/* RFC 2033: LHLO, one reply per recipient */
	unsigned	 auth_mechs;	/* AUTH offered: 1 << enum sasl_mech; 0 none */
	int		 auth_any_time;	/* offer AUTH before TLS too */
	int		 require_auth;	/* 530 to MAIL before AUTH */
	const struct sasl_crypto *crypto; /* for CRAM-MD5 and SCRAM */
};

struct smtp_message {
	const char	*helo;
	const char	*from;		/* reverse path without <> */
	const char	*mail_params;	/* as given, or "" */
	const char *const *rcpt;
	size_t		 nrcpt;
	uint64_t	 size;		/* content bytes after unstuffing */
	const char	*subject;	/* first 200 bytes, raw, or NULL */
	const char	*msgid;
	size_t		 bare_lf;	/* lines ending in bare LF */
	size_t		 bare_cr;	/* lines holding bare CR */
	size_t		 long_lines;	/* over 1000 octets */
	size_t		 smuggle;	/* "." lines not preceded by CRLF */
	int		 eightbit;	/* 8-bit content */
	int		 body8;		/* BODY=8BITMIME declared */
	int		 smtputf8;	/* SMTPUTF8 declared */
	int		 esmtp;		/* the client said EHLO, not HELO */
	unsigned	 seq;		/* messages in this session, from 1 */
	const char	*auth_mech;	/* AUTH used, or NULL */
	const char	*auth_user;
};

struct smtp_server_events {
	/* one received line (in_data: message data), flags: enum line_flag */
	void	(*on_input)(void *arg, const unsigned char *, size_t, unsigned flags,
		    int in_data);
	/* one reply line queued */
	void	(*on_output)(void *arg, const unsigned char *, size_t);
	/* an explanation for the transcript */
	void	(*on_note)(void *arg, const char *);
	/* message content after unstuffing (store it) */
	void	(*on_data)(void *arg, const unsigned char *, size_t);
	/* end of data: call smtp_server_message_done() now or later */
	void	(*on_message)(void *arg, const struct smtp_message *);
	/* a transaction was abandoned (RSET, EHLO, error, close) */
	void	(*on_abort)(void *arg);
	/* the session should close once output is flushed */
	void	(*on_close)(void *arg);
	/* 220 to STARTTLS queued: flush it, then start the TLS handshake */
	void	(*on_starttls)(void *arg);
	/* 354 sent: message data follows for this envelope (size 0 yet) */
	void	(*on_data_start)(void *arg, const struct smtp_message *);
	/* a reply is about to be given: change it, or set SMTP_F_WAIT */
	void	(*on_decide)(void *arg, struct smtp_decision *);
	/* AUTH: the user's secret (see sasl_lookup) */
	int	(*on_auth_lookup)(void *arg, const char *user, char *pw, size_t);
	/* AUTH ended: mechanism, user (printable), accepted or not, and what
	 * the client said with the secret masked */
	void	(*on_auth)(void *arg, const char *mech, const char *user, int ok,
		    const char *shown);
	/* message data: nlines whole plain lines at once (see line_plain_run)
	 * instead of one on_input each; on_data still gets the content */
	void	(*on_data_lines)(void *arg, const unsigned char *, size_t, size_t nlines);
};

struct smtp_server;

struct smtp_server *smtp_server_new(const struct smtp_server_cfg *,
	    const struct smtp_server_events *, void *arg);
void	 smtp_server_free(struct smtp_server *);
/* smtp_server_start - queue the greeting */
void	 smtp_server_start(struct smtp_server *);
size_t	 smtp_server_input_space(const struct smtp_server *);
/* smtp_server_feed - received bytes; n <= smtp_server_input_space() */
void	 smtp_server_feed(struct smtp_server *, const void *, size_t);
/* smtp_server_eof - the client sent all it will (a half-close, or the end
 * of the connection): every command already received is still carried
 * out and answered, an unfinished line is reported, then on_close */
void	 smtp_server_eof(struct smtp_server *);
/* smtp_server_message_done - the driver's verdict on the message */
void	 smtp_server_message_done(struct smtp_server *, int code, const char *enh,
	    const char *text);
/* smtp_server_timeout - the client was idle too long: 421 and close */
void	 smtp_server_timeout(struct smtp_server *);
/* smtp_server_shutdown - the server stops: 421 4.3.2 and close */
void	 smtp_server_shutdown(struct smtp_server *);
/* smtp_server_decide - the driver's answer after SMTP_F_WAIT (never from
 * inside on_decide); arg and from in d are not read */
void	 smtp_server_decide(struct smtp_server *, const struct smtp_decision *);
/* smtp_server_channel_binding - the TLS session's tls-exporter data:
 * SCRAM-SHA-256-PLUS is offered with it */
void	 smtp_server_channel_binding(struct smtp_server *, const unsigned char *, size_t);
/* smtp_server_partial - bytes of a command line received but not yet
 * complete (a slow client, or one that never sends the LF) */
size_t	 smtp_server_partial(const struct smtp_server *);
/* smtp_server_waiting - a decision is pending */
int	 smtp_server_waiting(const struct smtp_server *);
/* smtp_server_lint - what the client did worth a remark so far */
const struct smtp_lint *smtp_server_lint(const struct smtp_server *);
/* smtp_lint_text - the findings in words ("" for none); returns the count */
unsigned smtp_lint_text(const struct smtp_lint *, char *, size_t);
/* smtp_compose_reply - a reply as the engine gives it: text lines split
 * at '\n', enh (NULL or "": none) on each line, shaped by SMTP_F_BARELF,
 * SMTP_F_BADMULTI and SMTP_F_EXTRA; appended to out */
void	 smtp_compose_reply(struct buf *out, int code, const char *enh, const char *text,
	    unsigned flags);
const char *smtp_stage_name(enum smtp_stage);
int	 smtp_stage_parse(const char *, size_t, enum smtp_stage *);
/* smtp_server_process - continue after output was drained */
void	 smtp_server_process(struct smtp_server *);
/* smtp_server_tls_up - the handshake succeeded: forget EHLO (RFC 3207) */
void	 smtp_server_tls_up(struct smtp_server *);
int	 smtp_server_tls(const struct smtp_server *);
struct buf *smtp_server_output(struct smtp_server *);
enum smtp_server_state smtp_server_state(const struct smtp_server *);
const char *smtp_server_state_name(enum smtp_server_state);
const char *smtp_bare_lf_name(enum smtp_bare_lf);
int	 smtp_bare_lf_parse(const char *, enum smtp_bare_lf *);

#endif
