/*
 * sinktx - the sink's client lines into a transcript (see sinktx.h).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "cli/sinktx.h"
#include "session/line.h"

void
sinktx_input(struct tx *t, struct sinktx *st, const struct sinktx_cfg *cfg, uint64_t now,
    const unsigned char *p, size_t n, unsigned flags, int in_data, const char *state)
{
	struct buf	*save = t->save;
	int		 show = cfg->text, end = !(flags & LINE_MORE);

	if (in_data && cfg->data_lines >= 0) {
		/* a line is counted when it ends: its pieces are shown or not together */
		if (st->shown >= (size_t)cfg->data_lines) {
			show = 0;
			st->hidden += end;
		} else
			st->shown += end;
	}
	if (in_data && !cfg->save_data)
		t->save = NULL;
	if (!show && !t->json && !t->save)
		goto out;
	t->text = show;
	if ((flags & LINE_SECRET) && !cfg->show_secrets) {
		/* "AUTH MECH ****" or "****": the credential never reaches a
		 * transcript, not even a piece of it */
		unsigned char	 m[80];
		size_t		 k = 0;

		if (!end)
			goto out;
		if (n > 5 && strncasecmp((const char *)p, "AUTH ", 5) == 0)
			for (k = 5; k < n && k < 40 && p[k] != ' '; k++)
				;
		if (k) {
			memcpy(m, p, k);
			m[k++] = ' ';
		}
		memcpy(m + k, "****\r\n", 6);
		tx_line(t, now, TX_C, m, k + 6, flags & ~(unsigned)(LINE_SECRET | LINE_BARE_LF |
		    LINE_BARE_CR | LINE_LONG | LINE_NOEOL), -1, 0, NULL, state);
		goto out;
	}
	flags &= ~(unsigned)LINE_SECRET;
	tx_line(t, now, TX_C, p, n, in_data ? (flags & ~(unsigned)LINE_8BIT) | LINE_DATA : flags,
	    -1, 0, NULL, state);
out:
	t->text = cfg->text;
	t->save = save;
}

void
sinktx_lines(struct tx *t, struct sinktx *st, const struct sinktx_cfg *cfg, uint64_t now,
    const unsigned char *p, size_t n, size_t nlines, const char *state)
{
	const unsigned char	*lf;
	size_t			 len;
	struct buf		*save = t->save;

	if (cfg->data_lines >= 0 || t->json || !cfg->text) {
		/* --data-lines counts, JSON events: one line at a time */
		for (; n && (lf = memchr(p, '\n', n)) != NULL; n -= len, p += len) {
			len = (size_t)(lf - p) + 1;
			sinktx_input(t, st, cfg, now, p, len, 0, 1, state);
		}
		return;
	}
	if (!cfg->save_data)
		t->save = NULL;
	tx_lines(t, now, TX_C, p, n, nlines);
	t->save = save;
}
