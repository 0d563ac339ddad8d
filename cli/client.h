/*
 * client - one client connection: socket, transport, the client engine,
 * and its transcript.  The runner (run.c) drives it and hears back through
 * client_hooks.
 */
#ifndef CLI_CLIENT_H
#define CLI_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#include "cli/tx.h"
#include "session/caps.h"
#include "session/smtp_client.h"
#include "tls/report.h"
#include "tls/tls.h"

enum client_ev {
	CLIENT_CONNECTED,	/* TCP up (greeting not yet read) */
	CLIENT_CONNECT_FAILED,
	CLIENT_REPLY,		/* a complete reply; code in the call */
	CLIENT_CLOSED,		/* connection gone */
	CLIENT_TIMEOUT,		/* an awaited reply did not come in time */
	CLIENT_VIOLATION,	/* the server broke the protocol */
	CLIENT_STATE,		/* protocol state changed */
	CLIENT_DATA_DONE,	/* a /data file was sent completely */
	CLIENT_LOCAL_ERROR,	/* e.g. reading a /data file failed */
	CLIENT_TLS_UP,		/* handshake done; code: failed verdicts */
	CLIENT_TLS_FAILED,	/* handshake failed or upgrade aborted */
};

enum client_tls_mode { CLIENT_TLS_NONE, CLIENT_TLS_STARTTLS, CLIENT_TLS_IMPLICIT };

struct client_cfg {
	char		 helo[256];
	uint64_t	 timeout_ms;	/* reply timeout; 0: RFC 5321 values */
	uint64_t	 greeting_ms;	/* greeting timeout; 0: timeout_ms */
	uint64_t	 connect_timeout_ms; /* TCP connect and TLS handshake */
	int		 lmtp;		/* LMTP: port 24 by default */
	int		 data_lines;	/* data lines shown per message */
	FILE		*json;
	int		 text;		/* print the transcript */
	/* TLS */
	struct tls_client_cfg tcfg;
	enum client_tls_mode tls_mode;	/* --tls: implicit TLS */
	const char	*sni;		/* --sni NAME */
	int		 no_sni;	/* --no-sni */
	int		 allow_injection; /* go on after STARTTLS response injection */
	const char	*tlsa[16];	/* --tlsa records */
	size_t		 ntlsa;
	int		 tlsa_dnssec;	/* they came from DNSSEC-secure DNS */
	int		 report;	/* print the TLS report after a handshake */
	int		 show_secrets;	/* typed AUTH lines shown as sent */
	int		 no_save;	/* keep no transcript text for /save */
	struct tls_ctx	*shared_ctx;	/* TLS credentials shared by many clients
					 * (not freed by them), or NULL */
};

struct client_hooks {
	void	(*on_event)(void *arg, enum client_ev, int code);
	void	*arg;
};

struct client;

struct client *client_new(struct client_cfg *, const struct client_hooks *);
void	 client_free(struct client *);
int	 client_connect(struct client *, const char *target, char *err, size_t);
/* client_close - drop the connection without QUIT */
void	 client_close(struct client *, const char *why);
int	 client_is_connected(const struct client *);
int	 client_is_connecting(const struct client *);
int	 client_command(struct client *, const char *, char *err, size_t);
/* client_channel_binding - tls-exporter data of the TLS session, or -1 */
int	 client_channel_binding(struct client *, unsigned char *, size_t);
/* client_mask_next - show this instead of the next line sent (a credential) */
void	 client_mask_next(struct client *, const char *);
/* client_violation - the last fatal protocol violation, in words (see the
 * table in client.c and the manual's PROTOCOL VIOLATIONS) */
const char *client_violation(const struct client *);
/* client_violation_row - row i of that table (NULL past its end) */
const char *client_violation_row(size_t i, int *fatal);
/* client_answers - in CLIENT_REPLY: the verb of the command the reply
 * answers (SMTP_V_GREETING for the banner, SMTP_V_UNKNOWN when none) */
enum smtp_verb client_answers(const struct client *);
/* client_answers_sent - in CLIENT_REPLY: when that command was queued
 * (monotonic us; the connection for the greeting), or 0 */
uint64_t client_answers_sent(const struct client *);
/* client_awaiting - the verb the oldest awaited reply answers, or
 * SMTP_V_UNKNOWN */
enum smtp_verb client_awaiting(const struct client *);
/* client_tls_started - when the last TLS handshake began (monotonic us) */
uint64_t client_tls_started(const struct client *);
/* client_answers_text - in CLIENT_REPLY: the start of that command
 * (". for <rcpt>" for an LMTP reply to the end of data) */
const char *client_answers_text(const struct client *);
/* client_answers_part - in CLIENT_REPLY: LMTP's Nth reply to the end of
 * data (1..), or 0 */
unsigned client_answers_part(const struct client *);
/* client_last_greet - the last EHLO/HELO/LHLO line sent ("" if none) */
const char *client_last_greet(const struct client *);
/* client_target - "host:port" or "unix:/path" as given to client_connect */
const char *client_target(const struct client *);
/* client_connect_error - why the last connect failed, in words */
const char *client_connect_error(const struct client *);
/* client_tls_error - why the last TLS step failed, in words */
const char *client_tls_error(const struct client *);
/* client_timeout_words - the reply timeout in force, e.g. "300 s" */
const char *client_timeout_words(struct client *);
/* client_implicit_hint - after no greeting: a hint about implicit TLS */
const char *client_implicit_hint(const struct client *);
/* client_last_line - the last reply's first line of text (for messages) */
const char *client_last_line(struct client *);
/* client_last_text - the last reply's text, lines joined with '\n' */
const char *client_last_text(struct client *, size_t *);
int	 client_data_line(struct client *, const char *, size_t, char *err, size_t);
int	 client_raw(struct client *, const void *, size_t, char *err, size_t);
/* client_data_file - stream a file as message data, then "." */
int	 client_data_file(struct client *, const char *path, char *err, size_t);
/* client_data_fd - the message from fd (taken over), normalized and stuffed */
int	 client_data_fd(struct client *, int fd, char *err, size_t);
/* client_bdat - one BDAT chunk (see smtp_client_bdat) */
int	 client_bdat(struct client *, const void *, size_t, int last, char *err, size_t);
/* client_data_sent - raw bytes sent after 354 ended the data themselves */
int	 client_data_sent(struct client *, char *err, size_t);
enum smtp_client_state client_state(const struct client *);
size_t	 client_waiting(const struct client *);
int	 client_last_code(const struct client *);
const struct caps *client_caps(const struct client *);
const char *client_peer(const struct client *);
void	 client_note(struct client *, char kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
struct buf *client_transcript(struct client *);
/* client_tls - the session is encrypted */
int	 client_tls(const struct client *);
/* client_report - the last TLS report, or NULL */
const struct tls_report *client_report(const struct client *);
/* client_peer_pem - the presented chain as PEM; -1 if none */
int	 client_peer_pem(struct client *, struct buf *);
/* client_caps_before - capabilities before STARTTLS (valid after it) */
const struct caps *client_caps_before(const struct client *);
/* client_event - a JSON event of the front end's ("outcome"), timed like
 * the transcript's */
void	 client_event(struct client *, const char *name, const char *members);
/* client_print_report - show the last report again */
void	 client_print_report(struct client *);

#endif
