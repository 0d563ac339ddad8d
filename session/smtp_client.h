/*
 * smtp_client - the client side of the SMTP protocol engine, without I/O.
 *
 * The driver tells it what the user wants sent (a command line, message
 * data, raw bytes) and feeds it what the server sent; it queues the exact
 * wire bytes in an output buffer the driver drains, pairs each reply with
 * the command it answers (in order, so pipelining works), follows the
 * protocol state and reports everything as events.  Time comes in as
 * microseconds from the driver; the engine never reads a clock.
 *
 * Errors from user input return -1 and leave a message in
 * smtp_client_error() (valid until the next call).  Events get borrowed
 * pointers valid for the call only.
 */
#ifndef SESSION_SMTP_CLIENT_H
#define SESSION_SMTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "session/buf.h"
#include "session/caps.h"
#include "session/smtp_cmdtab.h"
#include "session/smtp_reply.h"

enum smtp_client_state {
	SMTP_C_CLOSED,		/* no connection */
	SMTP_C_GREETING,	/* connected, waiting for the 220 */
	SMTP_C_READY,		/* greeted; no transaction */
	SMTP_C_MAIL,		/* MAIL accepted */
	SMTP_C_RCPT,		/* at least one RCPT accepted */
	SMTP_C_DATA,		/* 354 received: typed lines are message data */
	SMTP_C_TLS,		/* 220 to STARTTLS: the TLS handshake is due */
	SMTP_C_QUIT,		/* QUIT answered or server closing */
	SMTP_C_STATE_COUNT
};

/* What a reply answered. */
struct smtp_client_cmd {
	enum smtp_verb	 verb;
	uint64_t	 sent_us;	/* when its last byte was queued */
	unsigned long long rx_mark;	/* server bytes received before it was
					 * queued: no reply starting earlier answers it */
	char		 text[80];	/* start of the command, for messages */
	int		 pipelined;	/* queued while another reply was awaited */
	unsigned	 part;		/* LMTP: the Nth reply to the end of data */
};

enum smtp_client_sent {
	SMTP_SENT_COMMAND,	/* a command line */
	SMTP_SENT_DATA,		/* one line of message data as sent */
	SMTP_SENT_RAW,		/* /raw bytes */
};

struct smtp_client_events {
	/* every line the server sent, as it arrives */
	void	(*on_line)(void *arg, const struct smtp_line *);
	/* a complete reply; cmd is NULL when nothing was waiting for it */
	void	(*on_reply)(void *arg, const struct smtp_reply *,
		    const struct smtp_client_cmd *cmd);
	/* bytes just queued for sending, one line (or raw piece) at a time */
	void	(*on_sent)(void *arg, enum smtp_client_sent, const unsigned char *, size_t);
	void	(*on_state)(void *arg, enum smtp_client_state old,
		    enum smtp_client_state new);
	/* a protocol violation or oddity by the server, in words */
	void	(*on_anomaly)(void *arg, const char *);
	/* information about what the client itself did, in words */
	void	(*on_note)(void *arg, const char *);
	/* the server accepted STARTTLS: start the handshake (nothing more
	 * is parsed until smtp_client_tls_up) */
	void	(*on_need_tls)(void *arg);
};

struct smtp_client_cfg {
	uint64_t	 timeout_ms;	/* for every reply; 0: RFC 5321 values */
	uint64_t	 greeting_ms;	/* for the greeting; 0: timeout_ms */
	size_t		 max_line;	/* reply parser limits (0: defaults) */
	size_t		 max_lines;
	size_t		 max_bytes;
	size_t		 out_max;	/* output buffer bound (0: 1 MiB) */
};

struct smtp_client;

struct smtp_client *smtp_client_new(const struct smtp_client_cfg *,
	    const struct smtp_client_events *, void *arg);
void	 smtp_client_free(struct smtp_client *);
/* smtp_client_set_timeouts - change the timeouts (ms; 0: RFC 5321 values) */
void	 smtp_client_set_timeouts(struct smtp_client *, uint64_t timeout_ms, uint64_t greeting_ms);
/* smtp_client_connected - a new connection; the greeting is awaited */
void	 smtp_client_connected(struct smtp_client *, uint64_t now);
/* smtp_client_feed - bytes from the server */
void	 smtp_client_feed(struct smtp_client *, const void *, size_t, uint64_t now);
/* smtp_client_eof - the server closed its side */
void	 smtp_client_eof(struct smtp_client *, uint64_t now);
/* smtp_client_close - we closed the connection: forget what was awaited */
void	 smtp_client_close(struct smtp_client *);
/* smtp_client_tls_up - the handshake succeeded: forget the capabilities
 * (RFC 3207 4.2); greeted stays true, EHLO is due again */
void	 smtp_client_tls_up(struct smtp_client *, uint64_t now);
/* smtp_client_injected - plaintext bytes that followed the 220 to
 * STARTTLS (response injection, CVE-2021-22947 class); dropped */
size_t	 smtp_client_injected(const struct smtp_client *);

/* smtp_client_command - queue one command line (no CR, LF or NUL) + CRLF */
int	 smtp_client_command(struct smtp_client *, const char *, size_t, uint64_t now);
/* smtp_client_data_line - in DATA: one typed line; "." alone ends data */
int	 smtp_client_data_line(struct smtp_client *, const char *, size_t, uint64_t now);
/* smtp_client_data - in DATA: stream content (file); normalized and
 * dot-stuffed; needs buf_space(out) >= 2*n+2 */
int	 smtp_client_data(struct smtp_client *, const void *, size_t, uint64_t now);
/* smtp_client_data_end - close the last line, send "." and await the reply */
int	 smtp_client_data_end(struct smtp_client *, uint64_t now);
/* smtp_client_data_sent - raw bytes already ended the data (they held
 * CRLF.CRLF themselves): await the reply to it */
int	 smtp_client_data_sent(struct smtp_client *, uint64_t now);
/* smtp_client_bdat - "BDAT n [LAST]" and the n bytes as they are (RFC 3030);
 * one reply awaited; the LAST one answers for the message */
int	 smtp_client_bdat(struct smtp_client *, const void *, size_t, int last, uint64_t now);
/* smtp_client_raw - exact bytes; each LF in them counts as one command */
int	 smtp_client_raw(struct smtp_client *, const void *, size_t, uint64_t now);

struct buf *smtp_client_output(struct smtp_client *);
enum smtp_client_state smtp_client_state(const struct smtp_client *);
const char *smtp_client_state_name(enum smtp_client_state);
/* smtp_client_waiting - replies still expected */
size_t	 smtp_client_waiting(const struct smtp_client *);
/* smtp_client_awaiting - what the oldest awaited reply answers
 * (SMTP_V_GREETING, a verb, or SMTP_V_UNKNOWN when none is awaited) */
enum smtp_verb smtp_client_awaiting(const struct smtp_client *);
/* smtp_client_deadline - when the oldest awaited reply times out (us), or 0 */
uint64_t smtp_client_deadline(const struct smtp_client *);
const struct caps *smtp_client_caps(const struct smtp_client *);
const char *smtp_client_error(const struct smtp_client *);
/* smtp_client_lmtp - LHLO was answered 250: the end of data gets one
 * reply per accepted recipient (RFC 2033 4.2), each labelled with it */
int	 smtp_client_lmtp(const struct smtp_client *);
/* smtp_client_last - the last complete reply's code (0: none yet) */
int	 smtp_client_last_code(const struct smtp_client *);

#endif
