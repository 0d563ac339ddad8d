/*
 * run - executes REPL and script lines: SMTP commands go to the server,
 * lines starting with '/' are helper commands (table in run.c).  In a
 * script each SMTP command waits for its reply before the next line runs;
 * a failed expectation, a timeout, a lost connection or a protocol
 * violation ends the script with the matching exit code.
 */
#ifndef CLI_RUN_H
#define CLI_RUN_H

#include <stdio.h>

#include "cli/auth.h"
#include "cli/client.h"

/* Exit codes (documented in the manual, EXIT STATUS). */
enum exit_code {
	EXIT_OK		= 0,
	EXIT_EXPECT	= 1,	/* a reply did not match /expect */
	EXIT_USAGE	= 2,	/* bad command line or script syntax */
	EXIT_CONNECT	= 3,	/* could not connect, or connection lost */
	EXIT_TIMEOUT	= 4,	/* no reply in time */
	EXIT_PROTOCOL	= 5,	/* the server broke the protocol */
	EXIT_TLS	= 6,	/* TLS missing, refused, failed or not trusted */
	EXIT_LOCAL	= 7,	/* local file or system error */
	EXIT_AUTH	= 8,	/* authentication failed or was refused */
	/* smtpdbg send: the stage that failed */
	EXIT_HELO	= 9,	/* EHLO and HELO refused */
	EXIT_MAIL	= 10,	/* MAIL refused (or could not be sent) */
	EXIT_RCPT	= 11,	/* a recipient refused */
	EXIT_DATA	= 12,	/* DATA or BDAT refused */
	EXIT_MESSAGE	= 13,	/* the message refused at its end */
	EXIT_MX		= 14,	/* no mail server found for the domain */
	EXIT_DOMAIN_WARN = 16,	/* probe --mx: warnings, nothing critical */
	/* the same stages refused with a 4xx: try again later */
	EXIT_AUTH_TEMP	= 18,
	EXIT_HELO_TEMP	= 19,
	EXIT_MAIL_TEMP	= 20,
	EXIT_RCPT_TEMP	= 21,
	EXIT_DATA_TEMP	= 22,
	EXIT_MESSAGE_TEMP = 23,
	EXIT_INTERNAL	= 70,	/* bug */
	EXIT_INTERRUPTED = 130,	/* send --sessions stopped by a signal */
};

struct run_opts {
	struct client_cfg ccfg;
	int		 keep_going;	/* violations do not end a script */
	int		 quiet;		/* -q: only the outcome */
	int		 auto_ehlo;	/* send EHLO after the greeting */
	int		 starttls;	/* --starttls: EHLO, then STARTTLS when offered */
	int		 tls_required;	/* never send MAIL/RCPT/DATA/AUTH in plaintext */
	int		 no_verify;	/* failed verdicts do not end a script */
	struct auth_cfg	 auth;		/* --auth-user (and the secret): AUTH after EHLO */
	int		 auth_plaintext_ok; /* credentials may go without TLS */
};

struct run;

struct run *run_new(struct run_opts *, int interactive);
void	 run_free(struct run *);
/* run_script_fd - read lines from fd (a script or stdin) */
void	 run_script_fd(struct run *, int fd, const char *name);
/* run_script_lines - built-in lines (the demo) */
void	 run_script_lines(struct run *, const char *const *lines, const char *name);
/* run_line - one line typed at the REPL */
void	 run_line(struct run *, const char *);
/* run_quit - leave: QUIT and its reply first when the session can take it */
void	 run_quit(struct run *);
/* run_interrupt - Ctrl-C: stop waiting; returns 1 if something was stopped */
int	 run_interrupt(struct run *);
int	 run_connect(struct run *, const char *target);
void	 run_set_prompt_hook(struct run *, void (*)(void *), void *);
/* run_prompt - the prompt text for the current state (borrowed) */
const char *run_prompt(struct run *);
struct client *run_client(struct run *);
int	 run_exit_code(const struct run *);
/* run_cmd_names - NULL-terminated helper command names (for completion) */
const char *const *run_cmd_names(void);
/* run_opt_apply - a session option (helo, timeout, ...) from the command
 * line or /set; -1 with words in err */
struct opt_def;
struct opt_val;
int	 run_opt_apply(struct run_opts *, const struct opt_def *, const struct opt_val *,
	    char *err, size_t);
/* run_set_names - NULL-terminated /set option names */
const char *const *run_set_names(void);

#endif
