/*
 * opening - the one opening sequence every client front end starts from
 * (the REPL and scripts in run.c, send.c, probe.c):
 *
 *   greeting -> EHLO (LHLO with --lmtp; HELO when EHLO gets a 5xx)
 *            -> STARTTLS (off, try or required) -> verification
 *            -> EHLO again -> AUTH -> ready
 *
 * It sends those commands itself through the client and reads the replies
 * the client hands it, each with the command it answers (client_answers),
 * so nothing is guessed.  After STARTTLS, whoever typed it, it says EHLO
 * again (RFC 3207 4.2).  Every way the opening can fail is a row of one
 * table: the exit code and the words (opening.c, the manual's EXIT STATUS).
 */
#ifndef CLI_OPENING_H
#define CLI_OPENING_H

#include "cli/auth.h"
#include "cli/client.h"

enum open_tls { OPEN_TLS_OFF, OPEN_TLS_TRY, OPEN_TLS_REQUIRED };

/* The stages --quit-after and --drop-after can name (send.h adds the rest). */
enum open_stage { OPEN_ST_CONNECT, OPEN_ST_EHLO, OPEN_ST_TLS, OPEN_ST_AUTH };

enum open_fail {
	OF_NONE,
	OF_CONNECT,		/* no TCP connection */
	OF_GREETING,		/* the greeting is not 220 */
	OF_NO_GREETING,		/* no greeting in time */
	OF_EHLO,		/* EHLO (and HELO) refused */
	OF_NO_STARTTLS,		/* TLS required, STARTTLS not offered */
	OF_STARTTLS,		/* TLS required, STARTTLS refused */
	OF_HANDSHAKE,		/* the TLS handshake failed */
	OF_VERIFY,		/* verdicts failed (not --no-verify) */
	OF_EHLO_TLS,		/* EHLO after TLS refused */
	OF_PLAINTEXT,		/* credentials would go in plaintext */
	OF_NO_SECRET,		/* --auth-user without a secret */
	OF_AUTH,		/* AUTH refused or impossible */
	OF_CLOSED,		/* the server closed during the opening */
	OF_TIMEOUT,		/* no reply in time */
	OF_COUNT
};

enum open_result {
	OPEN_PASS,		/* not the opening's: the front end handles it */
	OPEN_TAKEN,		/* handled; nothing to do */
	OPEN_READY,		/* the opening just finished: go on */
	OPEN_FAILED,		/* it just failed: opening_exit, opening_why */
	OPEN_STOPPED,		/* the stage hook asked to stop there */
};

struct opening_cfg {
	const char	*helo;		/* the name for EHLO, HELO, LHLO */
	int		 greet;		/* say EHLO after the greeting */
	int		 lmtp;		/* LHLO; no HELO fallback */
	enum open_tls	 starttls;
	int		 force_starttls; /* STARTTLS even when not offered */
	int		 no_verify;	/* failed verdicts are noted, not fatal */
	int		 interactive;	/* the REPL: failures are reported, it goes on */
	const struct auth_cfg *auth;	/* auth->user NULL: no AUTH */
	int		 auth_plaintext_ok;
	int		 ask_secret;	/* a missing secret may be asked on the terminal */
	/* a stage passed: return 1 to stop there (the hook did what stops) */
	int		(*stage)(void *arg, enum open_stage);
	void		*arg;
};

struct opening;

struct opening	*opening_new(struct client *, const struct opening_cfg *);
void		 opening_free(struct opening *);
/* opening_event - every client event goes here first */
enum open_result opening_event(struct opening *, enum client_ev, int code);
/* opening_busy - the opening is sending or waiting (also the EHLO after a
 * typed STARTTLS): a script's next line waits */
int		 opening_busy(const struct opening *);
int		 opening_ready(const struct opening *);
enum open_fail	 opening_failure(const struct opening *);
/* opening_exit - the exit code of the failure (0: none) */
int		 opening_exit(const struct opening *);
/* opening_why - the failure in words, with the reply when there was one */
const char	*opening_why(const struct opening *);
/* opening_fail_exit - the table: a failure's exit code (code: the reply) */
int		 opening_fail_exit(enum open_fail, int code);
/* opening_ev_failure - after the opening: what a lost connection, a
 * timeout, a protocol violation or a local error means, the same for every
 * front end: the exit code (0: the event is no failure) and words in why */
int		 opening_ev_failure(struct client *, enum client_ev, char *why, size_t);
/* opening_may_quit - after a failure, QUIT can still be said and heard */
int		 opening_may_quit(const struct opening *);
/* opening_plaintext - credentials would go without TLS: words in err */
int		 opening_plaintext(struct client *, int plaintext_ok, char *err, size_t);

#endif
