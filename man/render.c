/*
 * render - Markdown manual to terminal text with libcmark's iterator.
 *
 * Headings bold, body indented like man(1), inline code cyan, lists with
 * hanging indents, words wrapped to $COLUMNS.  Colour only when asked.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "man/render.h"
#include "session/buf.h"

#include "man/manual.inc"

struct wr {
	struct buf	 out;
	int		 color;
	int		 width;
	int		 col;		/* visible column */
	int		 indent;	/* left margin of the block */
	int		 hang;		/* first-line prefix already written */
	int		 space;		/* a space is owed before the next word */
};

const char *
man_source(void)
{
	return manual_md;
}

static void
w_esc(struct wr *w, const char *seq)
{
	if (w->color)
		buf_append(&w->out, seq, strlen(seq));
}

static void
w_newline(struct wr *w)
{
	buf_append(&w->out, "\n", 1);
	w->col = 0;
	w->space = 0;
	w->hang = 0;
}

static void
w_margin(struct wr *w)
{
	while (w->col < w->indent) {
		buf_append(&w->out, " ", 1);
		w->col++;
	}
}

/* w_text - words, wrapped */
static void
w_text(struct wr *w, const char *s)
{
	size_t	 n;

	while (*s) {
		if (*s == ' ') {
			w->space = 1;
			s++;
			continue;
		}
		n = strcspn(s, " ");
		if (w->col > w->indent && w->col + (int)n + w->space > w->width)
			w_newline(w);
		w_margin(w);
		if (w->space && w->col > w->indent) {
			buf_append(&w->out, " ", 1);
			w->col++;
		}
		w->space = 0;
		buf_append(&w->out, s, n);
		w->col += (int)n;
		s += n;
	}
}

static int
heading_level(cmark_node *n)
{
	return cmark_node_get_type(n) == CMARK_NODE_HEADING ? cmark_node_get_heading_level(n) : 0;
}

/* heading_text - the plain text of a heading; allocated */
static char *
heading_text(cmark_node *h)
{
	struct buf	 b;
	cmark_iter	*it = cmark_iter_new(h);
	cmark_event_type ev;
	char		*s;

	buf_init(&b, 4096);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && (cmark_node_get_type(n) == CMARK_NODE_TEXT ||
		    cmark_node_get_type(n) == CMARK_NODE_CODE))
			buf_append(&b, cmark_node_get_literal(n), strlen(cmark_node_get_literal(n)));
	}
	cmark_iter_free(it);
	s = buf_strdup(&b);
	buf_free(&b);
	return s;
}

/*
 * topic_matches - "/raw", "raw", "--timeout", "timeout", "exit" against a
 * heading: 3 for an exact command or option name ("-t, --timeout SECONDS"
 * names both -t and --timeout), 2 for the heading's first word, 1 for a
 * prefix of the heading, 0 for none; 4 when the topic's own - or / matches too.
 */
static int
topic_matches(const char *topic, const char *heading)
{
	const char *t = topic, *h = heading, *w;
	size_t	 tl, wl;

	while (*t == '/' || *t == '-')
		t++;
	tl = strlen(t);
	if (tl == 0)
		return 0;
	for (w = h; *w; w += wl) {
		w += strspn(w, " ,");
		wl = strcspn(w, " ,=[");
		if (wl == 0)
			break;
		if (*w == '/' || *w == '-') {
			const char *n = w + strspn(w, "/-");
			size_t nl = wl - (size_t)(n - w);
			if (nl == tl && strncasecmp(n, t, tl) == 0)
				return *w == *topic ? 4 : 3;	/* --x finds an option, /x a command */
		}
	}
	w = h + strspn(h, "/-");
	wl = strcspn(w, " ,=[");
	if (wl == tl && strncasecmp(w, t, tl) == 0)
		return 2;
	if (strncasecmp(w, t, tl) == 0)
		return 1;
	return 0;
}

static void
render_node(struct wr *w, cmark_node *n, cmark_event_type ev)
{
	cmark_node_type t = cmark_node_get_type(n);
	const char *lit;

	switch (t) {
	case CMARK_NODE_HEADING:
		if (ev == CMARK_EVENT_ENTER) {
			if (w->col)
				w_newline(w);
			w->indent = cmark_node_get_heading_level(n) == 1 ? 0 : 3;
			w_esc(w, "\033[1m");
		} else {
			w_esc(w, "\033[0m");
			w_newline(w);
			w->indent = 7;
		}
		break;
	case CMARK_NODE_PARAGRAPH:
		if (ev == CMARK_EVENT_EXIT) {
			if (w->col)
				w_newline(w);
			if (cmark_node_get_type(cmark_node_parent(n)) != CMARK_NODE_ITEM ||
			    cmark_node_next(n) != NULL)
				w_newline(w);
		}
		break;
	case CMARK_NODE_ITEM:
		if (ev == CMARK_EVENT_ENTER) {
			char mark[16];
			cmark_node *list = cmark_node_parent(n);
			if (w->col)
				w_newline(w);
			if (cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
				int i = cmark_node_get_list_start(list);
				cmark_node *p;
				for (p = cmark_node_first_child(list); p && p != n; p = cmark_node_next(p))
					i++;
				snprintf(mark, sizeof(mark), "%d. ", i);
			} else
				snprintf(mark, sizeof(mark), "- ");
			w_margin(w);
			buf_append(&w->out, mark, strlen(mark));
			w->col += (int)strlen(mark);
			w->indent += 2;
		} else {
			w->indent -= 2;
			if (cmark_node_next(n) == NULL)
				w_newline(w);
		}
		break;
	case CMARK_NODE_CODE_BLOCK:
		lit = cmark_node_get_literal(n);
		if (w->col)
			w_newline(w);
		while (*lit) {
			size_t l = strcspn(lit, "\n");
			w->col = 0;
			buf_append(&w->out, "    ", 4);
			w->col = 4;
			{
				int k;
				for (k = 0; k < w->indent; k++)
					buf_append(&w->out, " ", 1);
			}
			w_esc(w, "\033[36m");
			buf_append(&w->out, lit, l);
			w_esc(w, "\033[0m");
			buf_append(&w->out, "\n", 1);
			lit += l + (lit[l] == '\n');
		}
		w->col = 0;
		w_newline(w);
		break;
	case CMARK_NODE_TEXT:
		w_text(w, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_CODE:
		w_esc(w, "\033[36m");
		w_text(w, cmark_node_get_literal(n));
		w_esc(w, "\033[0m");
		break;
	case CMARK_NODE_STRONG:
		w_esc(w, ev == CMARK_EVENT_ENTER ? "\033[1m" : "\033[22m");
		break;
	case CMARK_NODE_EMPH:
		w_esc(w, ev == CMARK_EVENT_ENTER ? "\033[4m" : "\033[24m");
		break;
	case CMARK_NODE_SOFTBREAK:
		w->space = 1;
		break;
	case CMARK_NODE_LINEBREAK:
		w_newline(w);
		break;
	default:
		break;
	}
}

int
man_help(const char *topic, int color, char **out)
{
	cmark_node	*doc, *h, *best = NULL, *n;
	int		 score, bestscore = 0, level;
	struct wr	 w;
	const char	*cols = getenv("COLUMNS");
	cmark_iter	*it;
	cmark_event_type ev;

	doc = cmark_parse_document(manual_md, strlen(manual_md), CMARK_OPT_DEFAULT);
	for (h = cmark_node_first_child(doc); h; h = cmark_node_next(h)) {
		char *txt;
		if (!heading_level(h))
			continue;
		txt = heading_text(h);
		score = txt ? topic_matches(topic, txt) : 0;
		/* Prefer an exact word, then a command/option over a section. */
		if (score && (score > bestscore)) {
			best = h;
			bestscore = score;
		}
		free(txt);
	}
	*out = NULL;
	if (best == NULL) {
		cmark_node_free(doc);
		return -1;
	}
	memset(&w, 0, sizeof(w));
	buf_init(&w.out, 1 << 20);
	w.color = color;
	w.width = cols && atoi(cols) > 30 ? atoi(cols) - 1 : 79;
	level = heading_level(best);
	for (n = best; n; n = cmark_node_next(n)) {
		if (n != best && heading_level(n) && heading_level(n) <= level)
			break;
		it = cmark_iter_new(n);
		while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
			render_node(&w, cmark_iter_get_node(it), ev);
		cmark_iter_free(it);
	}
	*out = buf_strdup(&w.out);
	buf_free(&w.out);
	cmark_node_free(doc);
	return 0;
}

char *
man_headings(void)
{
	return man_headings_at(2);
}

char *
man_headings_at(int level)
{
	cmark_node	*doc, *h;
	struct buf	 b;
	char		*s;

	doc = cmark_parse_document(manual_md, strlen(manual_md), CMARK_OPT_DEFAULT);
	buf_init(&b, 1 << 20);
	for (h = cmark_node_first_child(doc); h; h = cmark_node_next(h)) {
		if (heading_level(h) != level)
			continue;
		s = heading_text(h);
		if (s) {
			buf_append(&b, s, strlen(s));
			buf_append(&b, "\n", 1);
			free(s);
		}
	}
	cmark_node_free(doc);
	s = buf_strdup(&b);
	buf_free(&b);
	return s;
}

const char *
man_lib_version(void)
{
	static char v[48];

	snprintf(v, sizeof(v), "libcmark %s", cmark_version_string());
	return v;
}
