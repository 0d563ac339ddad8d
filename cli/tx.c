/*
 * tx - transcript writer.
 *
 * Text form:  "   12.345   0.480 S: 250 Ok"  (ms since connect, reply
 * latency on the line that completes a reply), or for the sink
 * "12:00:01.123 [3] C: MAIL FROM:<a@b>".  Peer bytes are escaped; CRLF
 * is implied, any other line end is shown ("\n" for a bare LF) and
 * explained on a '!' line below.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli/out.h"
#include "cli/tx.h"
#include "session/esc.h"
#include "session/line.h"
#include "session/xalloc.h"

#define SHOW_MAX	4096	/* bytes of one line shown in text form */

/* put_u - decimal digits of v, at least w of them */
static size_t
put_u(char *out, unsigned long v, int w)
{
	char	 d[24];
	size_t	 n = 0, i;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || (int)n < w);
	for (i = 0; i < n; i++)
		out[i] = d[n - 1 - i];
	return n;
}

/*
 * stamp - "12:00:01.123 [3]" (sink) or "    12.345" (ms since connect);
 * returns its length.  Wall time is the loop's monotonic clock plus an
 * offset taken from the system clock once a second, so a busy sink
 * formats the hours, minutes and seconds once a second, not per line.
 */
static size_t
stamp(struct tx *t, uint64_t now, char *out, size_t len)
{
	static int64_t	 off;		/* wall minus monotonic, us */
	static int64_t	 sec = -1;	/* the second hms[] shows */
	static char	 hms[16];
	int64_t		 w;
	size_t		 n;

	static uint64_t	 last_now;
	static unsigned	 last_session;
	static char	 last[48];
	static size_t	 last_len;

	if (!t->wall)
		return (size_t)snprintf(out, len, "%10.3f",
		    now >= t->t0 ? (double)(now - t->t0) / 1000.0 : 0.0);
	if (now == last_now && t->session == last_session && len > last_len) {
		memcpy(out, last, last_len + 1);	/* lines of one read */
		return last_len;
	}
	w = (int64_t)now + off;
	if (off == 0 || w / 1000000 != sec) {
		struct timeval	 tv;
		struct tm	 tm;
		time_t		 ts;
		gettimeofday(&tv, NULL);
		off = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec - (int64_t)now;
		w = (int64_t)now + off;
		sec = w / 1000000;
		ts = (time_t)sec;
		localtime_r(&ts, &tm);
		snprintf(hms, sizeof(hms), "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	if (len < 40)
		return 0;
	memcpy(out, hms, 9);
	n = 9 + put_u(out + 9, (unsigned long)(w / 1000 % 1000), 3);
	if (t->session) {
		out[n++] = ' ';
		out[n++] = '[';
		n += put_u(out + n, t->session, 1);
		out[n++] = ']';
	}
	out[n] = '\0';
	last_now = now;
	last_session = t->session;
	memcpy(last, out, n + 1);
	last_len = n;
	return n;
}

static double
json_time(struct tx *t, uint64_t now)
{
	if (t->wall) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	}
	return now >= t->t0 ? (double)(now - t->t0) / 1000.0 : 0.0;
}

/* json_begin - '{"t":..,"session":..,"event":"name"' into j */
static void
json_begin(struct tx *t, uint64_t now, struct buf *j, const char *name)
{
	buf_init(j, SIZE_MAX);
	buf_printf(j, "{\"t\":%.3f,", json_time(t, now));
	if (t->session)
		buf_printf(j, "\"session\":%u,", t->session);
	buf_printf(j, "\"event\":\"%s\"", name);
}

/* json_end - close the object, write it as one line, free j */
static void
json_end(struct tx *t, struct buf *j)
{
	buf_printf(j, "}\n");
	fwrite(buf_ptr(j), 1, j->len, t->json);	/* flushed before the loop waits */
	buf_free(j);
}

#define PUTS(b, s) buf_append((b), (s), strlen(s))

/* put_prefix - "TIME [LATENCY] C: " (coloured or not) into b */
static void
put_prefix(struct tx *t, struct buf *b, int color, const char *ts, size_t tl, const char *lat,
    enum tx_dir dir)
{
	char	 mark[3] = { (char)dir, t->tls ? '~' : ':', ' ' };

	if (t->route) {
		/* the proxy: where the line came from and went, each leg marked */
		if (color)
			PUTS(b, out_sgr(OC_DIM));
		buf_append(b, ts, tl);
		buf_append(b, " ", 1);
		if (color) {
			PUTS(b, out_reset());
			PUTS(b, out_sgr(t->route[0] == 'C' || t->route[3] == 'C' ? OC_CLIENT :
			    OC_SERVER));
		}
		PUTS(b, t->route);
		if (color)
			PUTS(b, out_reset());
		buf_append(b, " ", 1);
		return;
	}
	if (!color && t->wall && tl <= 48) {
		/* the common case, in one append: "TIME C: " */
		char	 pre[52];
		memcpy(pre, ts, tl);
		pre[tl] = ' ';
		memcpy(pre + tl + 1, mark, 3);
		buf_append(b, pre, tl + 4);
		return;
	}
	if (color)
		PUTS(b, out_sgr(OC_DIM));
	buf_append(b, ts, tl);
	buf_append(b, " ", 1);
	if (!t->wall) {
		PUTS(b, lat);
		buf_append(b, " ", 1);
	}
	if (color) {
		PUTS(b, out_reset());
		PUTS(b, out_sgr(dir == TX_C ? OC_CLIENT : OC_SERVER));
		buf_append(b, mark, 2);
		PUTS(b, out_reset());
		buf_append(b, " ", 1);
	} else
		buf_append(b, mark, 3);
}

/* How a shown segment of a line relates to the rest of it. */
#define SEG_CONT	1	/* continues a segment shown earlier */
#define SEG_OPEN	2	/* the line goes on after it */

/* A line arriving in pieces, per stream (client lines, client message
 * content, server lines): for the text form the first bytes of the
 * segment not shown yet and the counts; for JSON its octets so far. */
struct tx_piece {
	struct buf	 shown;		/* at most SHOW_MAX + 2 bytes */
	size_t		 seg;		/* octets of this segment */
	size_t		 line;		/* octets of the whole line so far */
	size_t		 jline;		/* the same, as written to JSON */
	int		 cont;		/* a segment of it was shown already */
};
#define TX_STREAMS	3

struct tx_open {
	struct tx_piece	 s[TX_STREAMS];
};

static int
stream(enum tx_dir dir, unsigned flags)
{
	return dir == TX_S ? 2 : (flags & LINE_DATA) ? 1 : 0;
}

static enum tx_dir
stream_dir(int k)
{
	return k == 2 ? TX_S : TX_C;
}

/*
 * put_line - one transcript line (and its '!' lines) into b: shown[0..sn)
 * are its first bytes, body its length without the line end, total the
 * whole line's octets (for the '!' lines), seg the SEG_* marks.
 */
static void
put_line(struct tx *t, struct buf *b, int color, const char *ts, size_t tl, const char *lat,
    enum tx_dir dir, const unsigned char *shown, size_t sn, size_t body, size_t total,
    unsigned flags, int seg)
{
	size_t	 show = body > SHOW_MAX ? SHOW_MAX : body, i;
	char	 tmp[160];

	if (show > sn)
		show = sn;
	put_prefix(t, b, color, ts, tl, lat, dir);
	if (seg & SEG_CONT) {
		if (color)
			PUTS(b, out_sgr(OC_DIM));
		PUTS(b, "[continued] ");
		if (color)
			PUTS(b, out_reset());
	}
	esc_text(b, shown, show, 1);
	if (show < body)
		buf_printf(b, "... [%zu more bytes]", body - show);
	if (seg & SEG_OPEN) {
		if (color)
			PUTS(b, out_sgr(OC_DIM));
		PUTS(b, " [line continues]");
		if (color)
			PUTS(b, out_reset());
	} else if (flags & LINE_BARE_LF) {
		if (color)
			PUTS(b, out_sgr(OC_BAD));
		PUTS(b, "\\n");
		if (color)
			PUTS(b, out_reset());
	}
	if (t->suffix && !(seg & SEG_OPEN)) {
		if (color)
			PUTS(b, out_sgr(OC_DIM));
		PUTS(b, "   ");
		PUTS(b, t->suffix);
		if (color)
			PUTS(b, out_reset());
	}
	if (t->answers && dir == TX_S && !(seg & SEG_OPEN)) {
		/* pipelined: which command this reply answers */
		if (color)
			PUTS(b, out_sgr(OC_DIM));
		PUTS(b, "   <- ");
		PUTS(b, t->answers);
		if (color)
			PUTS(b, out_reset());
	}
	buf_append(b, "\n", 1);
	if (seg & SEG_OPEN)
		return;	/* judged when the line ends */
	/* One '!' line per anomaly of the whole line. */
	for (i = 0; i < LINE_FLAG_COUNT; i++) {
		unsigned bit = 1u << i;
		if (!(flags & bit) || (bit == LINE_8BIT && dir != TX_S))
			continue;	/* 8-bit is news only in a reply */
		if (bit == LINE_LONG && dir == TX_S && body < 512)
			continue;
		/* The sink's lines of many sessions interleave: its '!' lines
		 * carry the time and session of the line they explain. */
		if (t->wall)
			buf_append(b, ts, tl);
		snprintf(tmp, sizeof(tmp), "%*s %s! %s (%zu octets)%s\n", t->wall ? 2 : 19, "",
		    color ? out_sgr(OC_BAD) : "", line_flag_desc(bit), total,
		    color ? out_reset() : "");
		PUTS(b, tmp);
	}
}

/* text_line - put_line to the terminal and /save, with the time stamp */
static void
text_line(struct tx *t, uint64_t now, enum tx_dir dir, const unsigned char *shown, size_t sn,
    size_t body, size_t total, unsigned flags, int seg, int64_t latency_us)
{
	/* Reused between lines: one transcript line, no allocation. */
	static struct buf plain_s, col_s;
	char		 ts[48], lat[24];
	size_t		 tl;
	int		 color = out_color();

	if (plain_s.max == 0) {
		buf_init(&plain_s, SIZE_MAX);
		buf_init(&col_s, SIZE_MAX);
	}
	tl = stamp(t, now, ts, sizeof(ts));
	lat[0] = '\0';
	if (!t->wall && latency_us >= 0 && !(seg & SEG_OPEN))
		snprintf(lat, sizeof(lat), "%8.3f", (double)latency_us / 1000.0);
	else if (!t->wall)
		snprintf(lat, sizeof(lat), "%8s", "");
	/* Without colour the coloured line is the plain one: build it once. */
	if (t->text)
		put_line(t, &col_s, color, ts, tl, lat, dir, shown, sn, body, total, flags, seg);
	if (t->save && (color || !t->text))
		put_line(t, &plain_s, 0, ts, tl, lat, dir, shown, sn, body, total, flags, seg);
	if (t->save)
		buf_append(t->save, buf_ptr(color || !t->text ? &plain_s : &col_s),
		    color || !t->text ? plain_s.len : col_s.len);
	if (t->text)
		out_write((const char *)buf_ptr(&col_s), col_s.len);
	buf_clear(&plain_s);
	buf_clear(&col_s);
}

/* seg_body - a final segment's length without the line end it carries */
static size_t
seg_body(size_t seg, unsigned flags)
{
	size_t	 end = flags & LINE_NOEOL ? 0 : flags & LINE_BARE_LF ? 1 : 2;

	return seg > end ? seg - end : 0;
}

/* flush_stream - before a line of another stream is shown, what came of
 * line k so far is shown (as unfinished): the text keeps arrival order */
static void
flush_stream(struct tx *t, uint64_t now, int k)
{
	struct tx_piece	*o = &t->open->s[k];

	if (o->seg == 0)
		return;
	text_line(t, now, stream_dir(k), buf_ptr(&o->shown), o->shown.len, o->seg, o->line, 0,
	    (o->cont ? SEG_CONT : 0) | SEG_OPEN, -1);
	o->cont = 1;
	o->seg = 0;
	buf_clear(&o->shown);
}

void
tx_flush(struct tx *t, uint64_t now)
{
	int	 k;

	if (t->open == NULL || !(t->text || t->save))
		return;
	for (k = 0; k < TX_STREAMS; k++)
		flush_stream(t, now, k);
}

void
tx_free(struct tx *t)
{
	int	 k;

	if (t->open == NULL)
		return;
	for (k = 0; k < TX_STREAMS; k++)
		buf_free(&t->open->s[k].shown);
	free(t->open);
	t->open = NULL;
}

/* open_done - forget the pieces' state once no line is open */
static void
open_done(struct tx *t)
{
	int	 k;

	for (k = 0; k < TX_STREAMS; k++)
		if (t->open->s[k].line || t->open->s[k].jline)
			return;
	tx_free(t);
}

void
tx_line(struct tx *t, uint64_t now, enum tx_dir dir, const unsigned char *raw, size_t n,
    unsigned flags, int64_t latency_us, int code, const char *enh, const char *state)
{
	int		 more = (flags & LINE_MORE) != 0, k = stream(dir, flags), i;
	unsigned	 anom = flags & ((1u << LINE_FLAG_COUNT) - 1);
	struct tx_piece	*o = NULL;
	size_t		 octets = n;

	if (more && t->open == NULL) {
		t->open = xcalloc(1, sizeof(*t->open));
		for (i = 0; i < TX_STREAMS; i++)
			buf_init(&t->open->s[i].shown, SHOW_MAX + 2);
	}
	if (t->open) {
		o = &t->open->s[k];
		if (o->line == 0 && o->jline == 0 && !more)
			o = NULL;	/* a whole line: nothing of it is held */
	}
	if (t->text || t->save) {
		if (t->open)
			for (i = 0; i < TX_STREAMS; i++)
				if (i != k)
					flush_stream(t, now, i);
		if (o) {
			buf_append(&o->shown, raw, n < buf_space(&o->shown) ? n : buf_space(&o->shown));
			o->seg += n;
			o->line += n;
			if (!more)
				text_line(t, now, dir, buf_ptr(&o->shown), o->shown.len,
				    seg_body(o->seg, anom), o->line, anom, o->cont ? SEG_CONT : 0,
				    latency_us);
		} else
			text_line(t, now, dir, raw, n, line_body_len(raw, n), n, anom, 0, latency_us);
	}
	if (o) {
		o->jline += n;
		octets = o->jline;
		if (!more) {
			buf_clear(&o->shown);
			o->seg = o->line = o->jline = 0;
			o->cont = 0;
			open_done(t);
		}
	}
	if (t->json) {
		struct buf j;
		json_begin(t, now, &j, "line");
		buf_printf(&j, ",\"dir\":\"%c\",\"raw\":\"", dir);
		esc_json(&j, raw, n);
		buf_printf(&j, "\"");
		if (more)
			buf_printf(&j, ",\"more\":true");
		else if (octets > n)
			buf_printf(&j, ",\"octets\":%zu", octets);
		if (flags & LINE_DATA)
			buf_printf(&j, ",\"data\":true");
		if (code > 0)
			buf_printf(&j, ",\"code\":%d", code);
		if (enh && *enh)
			buf_printf(&j, ",\"enh\":\"%s\"", enh);
		if (latency_us >= 0)
			buf_printf(&j, ",\"latency_ms\":%.3f", (double)latency_us / 1000.0);
		if (state)
			buf_printf(&j, ",\"state\":\"%s\"", state);
		if (t->leg) {
			buf_printf(&j, ",\"leg\":\"%s\",\"route\":\"%s\"", t->leg, t->jroute);
			if (t->proxy_us >= 0 && latency_us >= 0)
				buf_printf(&j, ",\"proxy_ms\":%.3f", (double)t->proxy_us / 1000.0);
		}
		if (t->tls)
			buf_printf(&j, ",\"tls\":true");
		if (flags & LINE_AHEAD)
			buf_printf(&j, ",\"ahead\":true");
		if (anom && !more) {
			static const char *const fn[LINE_FLAG_COUNT] = { "bare_lf", "bare_cr",
			    "nul", "ctrl", "8bit", "long", "no_eol" };
			buf_printf(&j, ",\"flags\":[");
			for (i = 0; i < LINE_FLAG_COUNT; i++)
				if (anom & (1u << i))
					buf_printf(&j, "%s\"%s\"", (anom & ((1u << i) - 1)) ? "," : "", fn[i]);
			buf_printf(&j, "]");
		}
		json_end(t, &j);
	}
}

void
tx_lines(struct tx *t, uint64_t now, enum tx_dir dir, const unsigned char *p, size_t n,
    size_t nlines)
{
	static struct buf b, pre;
	char		 ts[48];
	size_t		 tl, len;
	int		 color = out_color();
	const unsigned char *lf;
	unsigned char	*o;

	tx_flush(t, now);
	if (!t->text || t->json || (t->save && color)) {
		/* JSON wants one event per line, /save plain text: the general path */
		for (; n && (lf = memchr(p, '\n', n)) != NULL; n -= len, p += len) {
			len = (size_t)(lf - p) + 1;
			tx_line(t, now, dir, p, len, 0, -1, 0, NULL, NULL);
		}
		return;
	}
	if (b.max == 0) {
		buf_init(&b, SIZE_MAX);
		buf_init(&pre, 4096);
	}
	tl = stamp(t, now, ts, sizeof(ts));
	buf_clear(&pre);
	put_prefix(t, &pre, color, ts, tl, "        ", dir);
	/* Each line: the prefix, its body, "\n" for its CRLF: the size is
	 * known, so one reservation and plain copies. */
	if (nlines == 0 || (o = buf_extend(&b, n + nlines * (pre.len + 1) - nlines * 2)) == NULL)
		return;
	for (; nlines && (lf = memchr(p, '\n', n)) != NULL; n -= len, p += len, nlines--) {
		len = (size_t)(lf - p) + 1;
		memcpy(o, buf_ptr(&pre), pre.len);
		o += pre.len;
		memcpy(o, p, len - 2);	/* plain: no escapes, CRLF implied */
		o += len - 2;
		*o++ = '\n';
	}
	b.len = (size_t)(o - (b.data + b.off));	/* what was filled, whatever nlines said */
	if (t->save)
		buf_append(t->save, buf_ptr(&b), b.len);
	out_write((const char *)buf_ptr(&b), b.len);
	buf_clear(&b);
}

void
tx_text(struct tx *t, uint64_t now, char kind, const char *msg)
{
	static struct buf safe, plain, col;	/* reused: no allocation per note */
	char		 ts[48];
	size_t		 tl;
	int		 color;
	enum out_color	 c = kind == '!' ? OC_BAD : kind == '#' ? OC_BOLD : OC_NOTE;
	char		 mark[2] = { kind, ' ' };

	tx_flush(t, now);
	if (t->text || t->save) {
		if (safe.max == 0) {
			buf_init(&safe, SIZE_MAX);
			buf_init(&plain, SIZE_MAX);
			buf_init(&col, SIZE_MAX);
		}
		color = out_color();
		esc_text(&safe, msg, strlen(msg), 1);
		tl = stamp(t, now, ts, sizeof(ts));
		/* "TIME [         ]K TEXT": plain, and coloured when colour is on */
		buf_append(&plain, ts, tl);
		PUTS(&plain, t->wall ? " " : "          ");
		buf_append(&plain, mark, 2);
		buf_append(&plain, buf_ptr(&safe), safe.len);
		buf_append(&plain, "\n", 1);
		if (color) {
			PUTS(&col, out_sgr(OC_DIM));
			buf_append(&col, ts, tl);
			PUTS(&col, t->wall ? " " : "          ");
			PUTS(&col, out_reset());
			PUTS(&col, out_sgr(c));
			buf_append(&col, mark, 2);
			buf_append(&col, buf_ptr(&safe), safe.len);
			PUTS(&col, out_reset());
			buf_append(&col, "\n", 1);
		}
		if (t->save)
			buf_append(t->save, buf_ptr(&plain), plain.len);
		if (t->text) {
			struct buf *o = color ? &col : &plain;
			out_write((const char *)buf_ptr(o), o->len);
		}
		buf_clear(&safe);
		buf_clear(&plain);
		buf_clear(&col);
	}
	if (t->json) {
		struct buf j;
		json_begin(t, now, &j, kind == '!' ? "anomaly" : kind == '#' ? "summary" : "note");
		PUTS(&j, ",\"text\":\"");
		esc_json(&j, msg, strlen(msg));
		PUTS(&j, "\"");
		json_end(t, &j);
	}
}

void
tx_vnote(struct tx *t, uint64_t now, char kind, const char *fmt, va_list ap)
{
	char	*msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	tx_text(t, now, kind, msg);
	free(msg);
}

void
tx_note(struct tx *t, uint64_t now, char kind, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tx_vnote(t, now, kind, fmt, ap);
	va_end(ap);
}

void
tx_event(struct tx *t, uint64_t now, const char *name, const char *members)
{
	struct buf j;

	if (t->json == NULL)
		return;
	json_begin(t, now, &j, name);
	buf_append(&j, members, strlen(members));
	json_end(t, &j);
}
