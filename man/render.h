/*
 * render - the manual (man/smtpdbg.md, embedded at build time) rendered
 * for a terminal, whole or one section, for the REPL's /help.
 */
#ifndef MAN_RENDER_H
#define MAN_RENDER_H

#include <stddef.h>

/* man_help - the section matching topic ("raw", "/raw", "--timeout",
 * "exit", ...) as terminal text; *out allocated.  -1: no match */
int	 man_help(const char *topic, int color, char **out);
/* man_headings - level-2 headings, one per line ("## " stripped); allocated */
char	*man_headings(void);
/* man_headings_at - the headings of one level ("TLS", "SCRIPTS" at 1) */
char	*man_headings_at(int level);
/* man_source - the embedded Markdown (borrowed) */
const char *man_source(void);

/* man_lib_version - "libcmark 0.30.3" */
const char *man_lib_version(void);

#endif
