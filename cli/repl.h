/*
 * repl - GNU readline's callback interface on the event loop: prompt,
 * history, completion, Ctrl-C/Ctrl-D/Ctrl-Z and window resizes.
 */
#ifndef CLI_REPL_H
#define CLI_REPL_H

#include "cli/run.h"

/* repl_start - take over the terminal on stdin; history: file or NULL */
int	 repl_start(struct run *, const char *history);
/* repl_stop - save history and give the terminal back */
void	 repl_stop(void);

#endif
