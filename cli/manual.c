/*
 * manual - see manual.h.  Questions from all sessions wait in one queue
 * and are asked in order; the answer is a rule ACTION (a reply "CODE
 * TEXT", and/or drop, close, delay SECONDS, stall, badmulti, ...), with
 * "\n" for the line breaks of a multi-line reply.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/readline.h>

#include "cli/loop.h"
#include "cli/manual.h"
#include "cli/out.h"
#include "session/rules.h"
#include "session/xalloc.h"

struct question {
	void			*owner;
	unsigned		 session;
	struct smtp_decision	 d;
	char			 def[1200];	/* the default answer, one line */
	struct question		*next;
};

static struct question	*head, **tail = &head;
static manual_cb	 answer;
static int		 started;
static char		 prompt[64];
static char		*retry;		/* a refused answer, offered again */

static void	 on_line(char *);

/* install - the prompt for the first question, or the idle prompt */
static void
install(void)
{
	if (out_handler_installed())
		return;
	if (head == NULL)
		snprintf(prompt, sizeof(prompt), "sink> ");
	else
		snprintf(prompt, sizeof(prompt), "[%u] %s> ", head->session,
		    smtp_stage_name(head->d.stage));
	out_handler_install(prompt, on_line);
	if (head) {
		rl_insert_text(retry ? retry : head->def);
		rl_redisplay();
	}
	free(retry);
	retry = NULL;
}

/* reinstall - the question changed: a new prompt */
static void
reinstall(void)
{
	out_handler_remove(1);
	install();
}

/* unescape - "\n" (two characters) becomes a line break */
static void
unescape(char *s)
{
	char	*w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

static void
on_line(char *line)
{
	struct question	*q = head;
	char		 err[300];
	const char	*l;

	if (line == NULL) {
		/* Ctrl-D: stop the sink as on SIGTERM (transactions may finish). */
		fputs("\n", stdout);
		out_handler_remove(0);
		kill(getpid(), SIGTERM);
		return;
	}
	out_handler_remove(0);
	l = line + strspn(line, " \t");
	if (q == NULL) {
		if (*l)
			out_err("no reply is waiting for an answer; Ctrl-D stops the sink");
		free(line);
		install();
		return;
	}
	if (*l == '\0')
		l = q->def;
	if (rules_action(l, &q->d, err, sizeof(err)) == -1) {
		out_err("%s: %s", l, err);
		retry = xstrdup(line);
		free(line);
		install();
		return;
	}
	free(line);
	unescape(q->d.text);
	head = q->next;
	if (head == NULL)
		tail = &head;
	answer(q->owner, &q->d);
	free(q);
	install();
}

static void
on_stdin(int fd, unsigned ev, void *arg)
{
	rl_callback_read_char();
}

int
manual_start(manual_cb cb)
{
	answer = cb;
	rl_readline_name = "smtpdbg-sink";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	if (loop_add_fd(STDIN_FILENO, LOOP_IN, on_stdin, NULL) == -1)
		return -1;
	started = 1;
	out_puts("manual mode: each reply waits for you. Enter sends the default shown; or type "
	    "a reply (CODE TEXT, \\n between lines) and/or actions: drop, close, delay SECONDS, "
	    "drip MS, stall, cut BYTES, barelf, badmulti, extra, tls-abort, cert-expired, "
	    "cert-wrongname. Ctrl-D stops the sink.\n");
	install();
	return 0;
}

void
manual_ask(void *owner, unsigned session, const struct smtp_decision *d, int enh)
{
	struct question	*q = xcalloc(1, sizeof(*q));
	size_t		 i, o;

	q->owner = owner;
	q->session = session;
	q->d = *d;
	q->d.flags &= ~(unsigned)SMTP_F_WAIT;
	o = (size_t)snprintf(q->def, sizeof(q->def), "%d %s%s", d->code,
	    enh && d->enh[0] ? d->enh : "", enh && d->enh[0] ? " " : "");
	for (i = 0; d->text[i] && o + 3 < sizeof(q->def); i++) {
		if (d->text[i] == '\n') {
			q->def[o++] = '\\';
			q->def[o++] = 'n';
		} else
			q->def[o++] = d->text[i];
	}
	q->def[o] = '\0';
	*tail = q;
	tail = &q->next;
	if (started && head == q)
		reinstall();	/* from the idle prompt to this question */
}

void
manual_forget(void *owner)
{
	struct question **pp = &head, *q;
	int	 first = head && head->owner == owner;

	while ((q = *pp) != NULL) {
		if (q->owner == owner) {
			*pp = q->next;
			free(q);
		} else
			pp = &q->next;
	}
	for (tail = &head; *tail; tail = &(*tail)->next)
		;
	if (first && started) {
		free(retry);
		retry = NULL;
		reinstall();
	}
}

void
manual_stop(void)
{
	struct question *q;

	out_handler_remove(1);
	while ((q = head) != NULL) {
		head = q->next;
		free(q);
	}
	tail = &head;
	free(retry);
	retry = NULL;
	if (started)
		loop_del_fd(STDIN_FILENO);
	started = 0;
}
