/*
 * repl - the interactive shell.
 *
 * readline's own signal handlers are off: SIGINT, SIGWINCH, SIGTSTP and
 * SIGCONT come through the loop's signalfd and are handled here, so the
 * terminal is always restored.  Lines go to the runner; a bracketed paste
 * holding several lines is split.  Lines that may carry credentials (AUTH,
 * answers to 334) and message data never enter the history.
 */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli/loop.h"
#include "cli/out.h"
#include "cli/repl.h"
#include "man/render.h"
#include "session/caps.h"
#include "session/smtp_cmdtab.h"
#include "session/xalloc.h"

static struct run	*R;
static char		*histfile;
static char		 prompt[512];
static uint64_t		 last_sigint;

static void	 on_line(char *);

static void
install(void)
{
	out_handler_install(prompt, on_line);
}

static void
prompt_changed(void *arg)
{
	snprintf(prompt, sizeof(prompt), "%s", run_prompt(R));
	if (out_handler_installed()) {
		rl_set_prompt(prompt);
		rl_redisplay();
	}
}

static int
secret_line(const char *l)
{
	while (*l == ' ')
		l++;
	return strncasecmp(l, "AUTH", 4) == 0 ||
	    client_last_code(run_client(R)) == 334;
}

static void
on_line(char *line)
{
	char	*p, *nl;
	int	 data;

	if (line == NULL) {
		/* Ctrl-D on an empty line: QUIT, its reply, then out. */
		fputs("\n", stdout);
		out_handler_remove(0);
		run_quit(R);
		if (loop_running())
			install();
		return;
	}
	data = client_is_connected(run_client(R)) &&
	    client_state(run_client(R)) == SMTP_C_DATA;
	if (*line && !data && !secret_line(line)) {
		HIST_ENTRY *h = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
		if (h == NULL || strcmp(h->line, line) != 0)
			add_history(line);
	}
	/*
	 * Inside the handler readline has finished the line and will draw a
	 * new prompt afterwards: print plainly, no redraw dance.  A
	 * bracketed paste may hold several lines.
	 */
	out_readline(0);
	for (p = line; p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		run_line(R, p);
		if (!loop_running())
			break;
	}
	if (out_handler_installed())
		out_readline(1);
	free(line);
}

static void
on_stdin(int fd, unsigned ev, void *arg)
{
	rl_callback_read_char();
}

static void
on_signal(int signo, void *arg)
{
	switch (signo) {
	case SIGINT: {
		uint64_t now = loop_now();
		int empty = rl_end == 0;
		rl_point = rl_end;
		rl_redisplay();
		fputs("^C", rl_outstream);
		rl_crlf();
		rl_free_line_state();
		rl_callback_sigcleanup();
		out_handler_remove(0);
		if (!empty) {
			/* a typed line: Ctrl-C only clears it */
			last_sigint = 0;
			install();
			break;
		}
		if (run_interrupt(R))
			last_sigint = 0;	/* it stopped a wait; that was all */
		else if (last_sigint && now - last_sigint < 2000000) {
			run_quit(R);
			if (!loop_running())
				return;
		} else {
			out_puts("(Ctrl-C again or Ctrl-D to quit; QUIT is sent first)\n");
			last_sigint = now;
		}
		install();
		break;
	}
	case SIGWINCH:
		rl_resize_terminal();
		break;
	case SIGTSTP:
		out_handler_remove(0);
		signal(SIGTSTP, SIG_DFL);
		{
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGTSTP);
			sigprocmask(SIG_UNBLOCK, &s, NULL);
			raise(SIGTSTP);
			sigprocmask(SIG_BLOCK, &s, NULL);
		}
		install();
		break;
	case SIGTERM:
	case SIGHUP:
		loop_quit(run_exit_code(R));
		break;
	default:
		break;
	}
}

/* Completion. */

static char **gen_list;
static size_t gen_idx;

static char *
gen(const char *text, int state)
{
	size_t	 tl = strlen(text);

	if (state == 0)
		gen_idx = 0;
	while (gen_list && gen_list[gen_idx]) {
		const char *c = gen_list[gen_idx++];
		if (strncasecmp(c, text, tl) == 0)
			return xstrdup(c);
	}
	return NULL;
}

static void
gen_reset(void)
{
	size_t	 i;

	for (i = 0; gen_list && gen_list[i]; i++)
		free(gen_list[i]);
	free(gen_list);
	gen_list = NULL;
}

static void
gen_add(const char *s)
{
	size_t	 n = 0;

	while (gen_list && gen_list[n])
		n++;
	gen_list = xrealloc(gen_list, (n + 2) * sizeof(*gen_list));
	gen_list[n] = xstrdup(s);
	gen_list[n + 1] = NULL;
}

static char **
complete(const char *text, int start, int end)
{
	const struct caps *c = client_caps(run_client(R));
	const char *const *names;
	const char	*line = rl_line_buffer;
	char		 tmp[128];
	int		 v;

	rl_attempted_completion_over = 1;
	gen_reset();
	if (client_is_connected(run_client(R)) && client_state(run_client(R)) == SMTP_C_DATA)
		return NULL;
	if (start == 0) {
		rl_completion_append_character = ' ';
		for (v = SMTP_V_HELO; v < SMTP_V_GREETING; v++) {
			const char *name = smtp_cmd_name((enum smtp_verb)v);
			if (v == SMTP_V_MAIL)
				name = "MAIL FROM:<";
			else if (v == SMTP_V_RCPT)
				name = "RCPT TO:<";
			gen_add(name);
		}
		for (names = run_cmd_names(); *names; names++) {
			snprintf(tmp, sizeof(tmp), "/%s", *names);
			gen_add(tmp);
		}
		if (strncasecmp(text, "MAIL", 4) == 0 || strncasecmp(text, "RCPT", 4) == 0)
			rl_completion_append_character = '\0';
		return rl_completion_matches(text, gen);
	}
	if (strncasecmp(line, "/help ", 6) == 0) {
		/* the manual's sections: commands, options, headings */
		int level;
		rl_completion_append_character = '\0';
		for (level = 1; level <= 2; level++) {
			char *heads = man_headings_at(level), *h, *save = NULL;
			for (h = heads ? strtok_r(heads, "\n", &save) : NULL; h;
			    h = strtok_r(NULL, "\n", &save)) {
				const char *w = strstr(h, "--") ? strstr(h, "--") : h;
				size_t n = strcspn(w, " ,[=");
				snprintf(tmp, sizeof(tmp), "%.*s", (int)n, w);
				if (w == h && *w != '/')	/* a section: "tls", "scripts" */
					for (n = 0; tmp[n]; n++)
						tmp[n] = (char)tolower((unsigned char)tmp[n]);
				gen_add(tmp);
			}
			free(heads);
		}
		return rl_completion_matches(text, gen);
	}
	if (strncasecmp(line, "/set ", 5) == 0 || strncasecmp(line, "/show ", 6) == 0) {
		rl_completion_append_character = ' ';
		for (names = run_set_names(); *names; names++)
			gen_add(*names);
		return rl_completion_matches(text, gen);
	}
	if (strncasecmp(line, "/data ", 6) == 0 || strncasecmp(line, "/save ", 6) == 0 ||
	    strncasecmp(line, "/bdat ", 6) == 0 || strncasecmp(line, "/cert pem ", 10) == 0) {
		/* file names, with no space after them: the name is the rest */
		rl_completion_append_character = '\0';
		rl_attempted_completion_over = 0;
		return NULL;
	}
	/* ESMTP parameters, only those this server advertised. */
	rl_completion_append_character = '\0';
	if (strncasecmp(line, "MAIL FROM:", 10) == 0 && strchr(line, '>')) {
		if (caps_find(c, "SIZE"))
			gen_add("SIZE=");
		if (caps_find(c, "8BITMIME")) {
			gen_add("BODY=8BITMIME");
			gen_add("BODY=7BIT");
		}
		if (caps_find(c, "BINARYMIME"))
			gen_add("BODY=BINARYMIME");
		if (caps_find(c, "SMTPUTF8"))
			gen_add("SMTPUTF8");
		if (caps_find(c, "DSN")) {
			gen_add("RET=FULL");
			gen_add("RET=HDRS");
			gen_add("ENVID=");
		}
		if (caps_find(c, "AUTH"))
			gen_add("AUTH=<>");
		if (caps_find(c, "REQUIRETLS"))
			gen_add("REQUIRETLS");
		return rl_completion_matches(text, gen);
	}
	if (strncasecmp(line, "RCPT TO:", 8) == 0 && strchr(line, '>')) {
		if (caps_find(c, "DSN")) {
			gen_add("NOTIFY=");
			gen_add("NOTIFY=NEVER");
			gen_add("NOTIFY=SUCCESS,FAILURE,DELAY");
			gen_add("ORCPT=rfc822;");
		}
		return rl_completion_matches(text, gen);
	}
	return NULL;
}

int
repl_start(struct run *r, const char *history)
{
	R = r;
	rl_readline_name = "smtpdbg";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_attempted_completion_function = complete;
	rl_variable_bind("completion-ignore-case", "on");
	using_history();
	stifle_history(1000);
	if (history) {
		histfile = xstrdup(history);
		read_history(histfile);
	}
	run_set_prompt_hook(r, prompt_changed, NULL);
	snprintf(prompt, sizeof(prompt), "%s", run_prompt(r));
	if (loop_add_fd(STDIN_FILENO, LOOP_IN, on_stdin, NULL) == -1)
		return -1;
	loop_signal(SIGINT, on_signal, NULL);
	loop_signal(SIGWINCH, on_signal, NULL);
	loop_signal(SIGTSTP, on_signal, NULL);
	loop_signal(SIGTERM, on_signal, NULL);
	loop_signal(SIGHUP, on_signal, NULL);
	install();
	return 0;
}

void
repl_stop(void)
{
	/* Leave no prompt behind for the shell to write over. */
	out_handler_remove(1);
	loop_del_fd(STDIN_FILENO);
	gen_reset();
	if (histfile) {
		char *dir = xstrdup(histfile), *slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			mkdir(dir, 0700);
		}
		free(dir);
		if (write_history(histfile) == 0) {
			history_truncate_file(histfile, 1000);
			chmod(histfile, 0600);
		}
		free(histfile);
		histfile = NULL;
	}
}
