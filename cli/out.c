/*
 * out - prompt-aware printing and colours.  With readline active, the
 * visible input line is cleared, the text printed, and the prompt and the
 * half-typed line redrawn (readline callback interface).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <readline/readline.h>

#include "cli/out.h"

static int	 use_color;
static int	 rl_active;

/* Human output: stdout, or stderr when stdout carries JSON Lines. */
static FILE	*hout;
#define HOUT	(hout ? hout : stdout)

void
out_to_stderr(void)
{
	hout = stderr;
}

FILE *
out_file(void)
{
	return HOUT;
}

void
out_init(int color)
{
	if (color < 0)
		color = isatty(fileno(HOUT)) && getenv("NO_COLOR") == NULL;
	else if (color > 0 && getenv("NO_COLOR") != NULL && getenv("NO_COLOR")[0])
		color = 1;	/* an explicit --color wins */
	use_color = color;
}

int
out_color(void)
{
	return use_color;
}

void
out_readline(int on)
{
	rl_active = on;
}

static int	 handler_on;

void
out_handler_install(const char *prompt, void (*cb)(char *))
{
	rl_callback_handler_install(prompt, cb);
	handler_on = 1;
	out_readline(1);
}

void
out_handler_remove(int clear)
{
	if (!handler_on)
		return;
	if (clear) {
		rl_clear_visible_line();
		fflush(rl_outstream);
	}
	rl_callback_handler_remove();
	handler_on = 0;
	out_readline(0);
}

int
out_handler_installed(void)
{
	return handler_on;
}

const char *
out_sgr(enum out_color c)
{
	if (!use_color)
		return "";
	switch (c) {
	case OC_NONE: return "";
	case OC_DIM: return "\033[2m";
	case OC_CLIENT: return "\033[32m";
	case OC_SERVER: return "\033[36m";
	case OC_NOTE: return "\033[33m";
	case OC_BAD: return "\033[1;31m";
	case OC_BOLD: return "\033[1m";
	case OC_GOOD: return "\033[1;32m";
	}
	return "";
}

const char *
out_reset(void)
{
	return use_color ? "\033[0m" : "";
}

void
out_puts(const char *s)
{
	if (rl_active) {
		rl_clear_visible_line();
		fputs(s, HOUT);
		fflush(HOUT);
		rl_on_new_line();
		rl_redisplay();
		return;
	}
	fputs(s, HOUT);
}

void
out_write(const char *s, size_t n)
{
	if (rl_active) {
		rl_clear_visible_line();
		fwrite(s, 1, n, HOUT);
		fflush(HOUT);
		rl_on_new_line();
		rl_redisplay();
		return;
	}
	/* Only the loop thread writes it: no stdio lock per line. */
	if (n >= 16384 && fflush_unlocked(HOUT) == 0) {
		/* Big pieces (runs of message data) straight out: no copy
		 * through stdio's buffer.  Order is kept by the flush. */
		while (n > 0) {
			ssize_t w = write(fileno(HOUT), s, n);
			if (w > 0) {
				s += w;
				n -= (size_t)w;
			} else if (w == -1 && errno == EINTR)
				continue;
			else
				break;	/* what is left gets stdio's error handling */
		}
		if (n == 0)
			return;
	}
	fwrite_unlocked(s, 1, n, HOUT);
}

void
out_printf(const char *fmt, ...)
{
	char	*s;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_puts(s);
	free(s);
}

void
out_err(const char *fmt, ...)
{
	char	*s;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fflush(HOUT);
	if (rl_active)
		rl_clear_visible_line();
	fprintf(stderr, "smtpdbg: %s\n", s);
	if (rl_active) {
		rl_on_new_line();
		rl_redisplay();
	}
	free(s);
}

const char *
out_lib_version(void)
{
	static char v[48];

	snprintf(v, sizeof(v), "readline %s", rl_library_version ? rl_library_version : "?");
	return v;
}
