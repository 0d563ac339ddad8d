/*
 * tx - the transcript: every line in and out, with a timestamp, the
 * reply latency, anomalies in words, written as text (terminal, escaped)
 * and as JSON Lines from the same calls, so the two never diverge.
 */
#ifndef CLI_TX_H
#define CLI_TX_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "session/buf.h"

struct tx_open;

struct tx {
	uint64_t	 t0;		/* time zero (connect), monotonic us */
	int		 wall;		/* stamp with time of day (sink) */
	unsigned	 session;	/* sink session id, 0 for the client */
	int		 text;		/* print text to the terminal */
	FILE		*json;		/* JSON Lines output, or NULL */
	struct buf	*save;		/* plain text kept for /save, or NULL */
	int		 tls;		/* lines are encrypted: marked "C~"/"S~" */
	const char	*answers;	/* next S: line: the command it answers */
	const char	*route;		/* proxy: "C~>U:" instead of "C:" (text form) */
	const char	*leg;		/* proxy: "client" or "upstream" (JSON) */
	const char	*jroute;	/* proxy: "C>U" (JSON) */
	const char	*suffix;	/* proxy: after the line (text form), e.g. latencies */
	int64_t		 proxy_us;	/* proxy: time it held the command (JSON), -1 none */
	struct tx_open	*open;		/* lines arriving in pieces, or NULL */
};

enum tx_dir { TX_C = 'C', TX_S = 'S' };

/*
 * tx_line - one protocol line, or a piece of one (LINE_MORE in flags: more
 * of the line follows; the last piece carries the whole line's flags).
 * Pieces of a line come in order, but lines of another stream may come
 * between them: the other direction, or (LINE_DATA) message content whose
 * line goes on across BDAT commands.  The text form shows a line once,
 * when it ends: its first bytes and its true length; JSON records every
 * piece.  latency_us < 0: none; code 0: none.
 */
void	 tx_line(struct tx *, uint64_t now, enum tx_dir, const unsigned char *, size_t,
	    unsigned flags, int64_t latency_us, int code, const char *enh,
	    const char *state);
/* tx_flush - show now what has come of an unfinished line, marked as such
 * (its rest is shown later as its continuation); done by itself before
 * anything else is printed */
void	 tx_flush(struct tx *, uint64_t now);
/* tx_free - memory held for an unfinished line */
void	 tx_free(struct tx *);
/* tx_lines - whole plain lines (line_plain_run) with one prefix, fast */
void	 tx_lines(struct tx *, uint64_t now, enum tx_dir, const unsigned char *, size_t,
	    size_t nlines);
/* tx_note - '*' information, '!' anomaly, '#' summary; tx_text - the same
 * for a ready string */
void	 tx_text(struct tx *, uint64_t now, char kind, const char *);
void	 tx_vnote(struct tx *, uint64_t now, char kind, const char *, va_list)
	    __attribute__((format(printf, 4, 0)));
void	 tx_note(struct tx *, uint64_t now, char kind, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
/* tx_event - a JSON-only event with preformatted members (",\"k\":v...") */
void	 tx_event(struct tx *, uint64_t now, const char *name, const char *members);

#endif
