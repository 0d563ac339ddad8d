/*
 * out - all terminal output goes through here, so lines printed while the
 * user types never garble the readline prompt (STYLE.md 15).
 */
#ifndef CLI_OUT_H
#define CLI_OUT_H

#include <stdio.h>

enum out_color { OC_NONE, OC_DIM, OC_CLIENT, OC_SERVER, OC_NOTE, OC_BAD, OC_BOLD, OC_GOOD };

void	 out_init(int color);	/* color: -1 auto, 0 off, 1 on */
int	 out_color(void);
/* out_readline - readline's prompt is on screen (1) or not (0) */
void	 out_readline(int);
/* out_handler_install - readline's callback handler (there is one) with
 * this prompt; out_handler_remove - remove it, first clearing the line
 * from the screen when clear; out_handler_installed - whether it is */
void	 out_handler_install(const char *prompt, void (*)(char *));
void	 out_handler_remove(int clear);
int	 out_handler_installed(void);
/* out_to_stderr - human output goes to stderr (stdout is JSON Lines);
 * call before out_init */
void	 out_to_stderr(void);
/* out_file - where human output goes */
FILE	*out_file(void);
/* out_puts - one or more complete lines (with '\n') to the human output */
void	 out_puts(const char *);
/* out_write - n bytes of complete lines */
void	 out_write(const char *, size_t);
void	 out_printf(const char *, ...) __attribute__((format(printf, 1, 2)));
/* out_err - "smtpdbg: message" on stderr, prompt-aware */
void	 out_err(const char *, ...) __attribute__((format(printf, 1, 2)));
const char *out_sgr(enum out_color);
const char *out_reset(void);

/* out_lib_version - "readline 8.2" */
const char *out_lib_version(void);

#endif
