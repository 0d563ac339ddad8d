/*
 * sinktx - how the sink writes a client's lines into a session's
 * transcript: message lines shown up to --data-lines per message (a line
 * counted when it ends, its pieces shown or not together), credentials
 * masked (never a piece of one), plain message lines in one fast run.
 * Shared by the sink and the front-end fuzzer (fuzz/fuzz_front.c).
 */
#ifndef CLI_SINKTX_H
#define CLI_SINKTX_H

#include <stddef.h>
#include <stdint.h>

#include "cli/tx.h"

struct sinktx_cfg {
	int	 text;		/* print the transcript */
	int	 data_lines;	/* message lines shown per message; -1: all */
	int	 show_secrets;	/* AUTH lines as sent, not masked */
	int	 save_data;	/* message lines go to tx->save too (the sidecar: no,
				 * the message file has them) */
};

/* per message: lines shown and not shown */
struct sinktx {
	size_t	 shown, hidden;
};

/* sinktx_input - one line from the client, or a piece of one (see
 * smtp_server_events.on_input); state: the engine's state name */
void	 sinktx_input(struct tx *, struct sinktx *, const struct sinktx_cfg *, uint64_t now,
	    const unsigned char *, size_t, unsigned flags, int in_data, const char *state);
/* sinktx_lines - whole plain message lines (on_data_lines) */
void	 sinktx_lines(struct tx *, struct sinktx *, const struct sinktx_cfg *, uint64_t now,
	    const unsigned char *, size_t, size_t nlines, const char *state);

#endif
