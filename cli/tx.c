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

#define SHOW_MAX	4096	/* bytes of one line shown in text form */

static void
stamp(struct tx *t, uint64_t now, char *out, size_t len)
{
	if (t->wall) {
		struct timeval tv;
		struct tm tm;
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		if (t->session)
			snprintf(out, len, "%02d:%02d:%02d.%03ld [%u]", tm.tm_hour, tm.tm_min,
			    tm.tm_sec, (long)tv.tv_usec / 1000, t->session);
		else
			snprintf(out, len, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min,
			    tm.tm_sec, (long)tv.tv_usec / 1000);
	} else
		snprintf(out, len, "%10.3f", now >= t->t0 ? (double)(now - t->t0) / 1000.0 : 0.0);
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

static void
emit(struct tx *t, struct buf *plain, struct buf *colored)
{
	if (t->save)
		buf_append(t->save, buf_ptr(plain), plain->len);
	if (t->text)
		out_puts((const char *)buf_ptr(colored));
}

void
tx_line(struct tx *t, uint64_t now, enum tx_dir dir, const unsigned char *raw, size_t n,
    unsigned flags, int64_t latency_us, int code, const char *enh, const char *state,
    size_t dropped)
{
	struct buf	 plain, col, body;
	char		 ts[48], lat[24];
	size_t		 bl, show, i;
	const char	*term = "";

	if (t->text || t->save) {
		/* Reused between lines: one transcript line, no allocation. */
		static struct buf plain_s, col_s, body_s;
		if (plain_s.max == 0) {
			buf_init(&plain_s, SIZE_MAX);
			buf_init(&col_s, SIZE_MAX);
			buf_init(&body_s, SIZE_MAX);
		}
		plain = plain_s;
		col = col_s;
		body = body_s;
		stamp(t, now, ts, sizeof(ts));
		if (latency_us >= 0)
			snprintf(lat, sizeof(lat), "%8.3f", (double)latency_us / 1000.0);
		else
			snprintf(lat, sizeof(lat), "%8s", "");
		bl = line_body_len(raw, n);
		if (flags & LINE_BARE_LF)
			term = "\\n";
		show = bl > SHOW_MAX ? SHOW_MAX : bl;
		esc_text(&body, raw, show, 1);
		if (show < bl || dropped)
			buf_printf(&body, "... [%zu more bytes]", bl - show + dropped);
		if (t->wall)
			buf_printf(&plain, "%s %c%c ", ts, dir, t->tls ? '~' : ':');
		else
			buf_printf(&plain, "%s %s %c%c ", ts, lat, dir, t->tls ? '~' : ':');
		buf_append(&plain, buf_ptr(&body), body.len);
		buf_printf(&plain, "%s\n", term);
		buf_printf(&col, "%s%s ", out_sgr(OC_DIM), ts);
		if (!t->wall)
			buf_printf(&col, "%s ", lat);
		buf_printf(&col, "%s%s%c%c%s ", out_reset(),
		    out_sgr(dir == TX_C ? OC_CLIENT : OC_SERVER), dir, t->tls ? '~' : ':', out_reset());
		buf_append(&col, buf_ptr(&body), body.len);
		if (*term)
			buf_printf(&col, "%s%s%s", out_sgr(OC_BAD), term, out_reset());
		buf_append(&col, "\n", 1);
		/* One '!' line per anomaly of this line. */
		for (i = 0; i < 8; i++) {
			unsigned bit = 1u << i;
			if (!(flags & bit) || bit == LINE_8BIT || bit == LINE_TRUNC)
				continue;
			if (bit == LINE_LONG && dir == TX_S && bl < 512)
				continue;
			buf_printf(&plain, "%*s ! %s (%zu octets)\n", t->wall ? 0 : 19, "",
			    line_flag_desc(bit), n + dropped);
			buf_printf(&col, "%*s %s! %s (%zu octets)%s\n", t->wall ? 0 : 19, "",
			    out_sgr(OC_BAD), line_flag_desc(bit), n + dropped, out_reset());
		}
		buf_append(&plain, "", 1);
		buf_append(&col, "", 1);
		plain.len--;
		emit(t, &plain, &col);
		buf_drain(&plain, plain.len);
		buf_drain(&col, col.len);
		buf_drain(&body, body.len);
		plain_s = plain;
		col_s = col;
		body_s = body;
	}
	if (t->json) {
		struct buf j;
		json_begin(t, now, &j, "line");
		buf_printf(&j, ",\"dir\":\"%c\",\"raw\":\"", dir);
		esc_json(&j, raw, n);
		buf_printf(&j, "\"");
		if (dropped)
			buf_printf(&j, ",\"dropped\":%zu", dropped);
		if (code > 0)
			buf_printf(&j, ",\"code\":%d", code);
		if (enh && *enh)
			buf_printf(&j, ",\"enh\":\"%s\"", enh);
		if (latency_us >= 0)
			buf_printf(&j, ",\"latency_ms\":%.3f", (double)latency_us / 1000.0);
		if (state)
			buf_printf(&j, ",\"state\":\"%s\"", state);
		if (t->tls)
			buf_printf(&j, ",\"tls\":true");
		if (flags) {
			static const char *const fn[8] = { "bare_lf", "bare_cr", "nul", "ctrl",
			    "8bit", "long", "no_eol", "truncated" };
			buf_printf(&j, ",\"flags\":[");
			for (i = 0; i < 8; i++)
				if (flags & (1u << i))
					buf_printf(&j, "%s\"%s\"", (flags & ((1u << i) - 1)) ? "," : "", fn[i]);
			buf_printf(&j, "]");
		}
		json_end(t, &j);
	}
}

void
tx_note(struct tx *t, uint64_t now, char kind, const char *fmt, ...)
{
	char		*msg, ts[48];
	va_list		 ap;
	struct buf	 plain, col, safe;
	enum out_color	 c = kind == '!' ? OC_BAD : kind == '#' ? OC_BOLD : OC_NOTE;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		va_end(ap);
		return;
	}
	va_end(ap);
	buf_init(&safe, SIZE_MAX);
	esc_text(&safe, msg, strlen(msg), 1);
	buf_append(&safe, "", 1);
	if (t->text || t->save) {
		buf_init(&plain, SIZE_MAX);
		buf_init(&col, SIZE_MAX);
		stamp(t, now, ts, sizeof(ts));
		buf_printf(&plain, "%s %s%c ", ts, t->wall ? "" : "         ", kind);
		buf_append(&plain, buf_ptr(&safe), safe.len - 1);
		buf_append(&plain, "\n", 2);
		plain.len--;
		buf_printf(&col, "%s%s %s%s%s%c ", out_sgr(OC_DIM), ts,
		    t->wall ? "" : "         ", out_reset(), out_sgr(c), kind);
		buf_append(&col, buf_ptr(&safe), safe.len - 1);
		buf_printf(&col, "%s\n", out_reset());
		buf_append(&col, "", 1);
		emit(t, &plain, &col);
		buf_free(&plain);
		buf_free(&col);
	}
	if (t->json) {
		struct buf j;
		json_begin(t, now, &j, kind == '!' ? "anomaly" : kind == '#' ? "summary" : "note");
		buf_printf(&j, ",\"text\":\"");
		esc_json(&j, msg, strlen(msg));
		buf_printf(&j, "\"");
		json_end(t, &j);
	}
	buf_free(&safe);
	free(msg);
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
