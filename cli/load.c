/*
 * load - see load.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/load.h"
#include "cli/loop.h"
#include "session/buf.h"
#include "session/esc.h"

static const char *const names[LP_COUNT] = {
	"connect", "greeting", "TLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "end of data",
	"QUIT",
};
static const char *const keys[LP_COUNT] = {
	"connect", "greeting", "tls", "ehlo", "auth", "mail", "rcpt", "data", "dot", "quit",
};

const char *
load_phase_name(enum load_phase p)
{
	return (unsigned)p < LP_COUNT ? names[p] : "?";
}

const char *
load_phase_key(enum load_phase p)
{
	return (unsigned)p < LP_COUNT ? keys[p] : "?";
}

static void	 tick(void *);

void
load_init(struct load *l, const char *target, unsigned long total, int ping, FILE *json,
    int progress)
{
	size_t	 i;

	memset(l, 0, sizeof(*l));
	l->target = target;
	l->total = total;
	l->ping = ping;
	l->t0 = loop_now();
	for (i = 0; i < LP_COUNT; i++)
		hist_init(&l->ph[i]);
	hist_init(&l->unit);
	l->tx.t0 = l->t0;
	l->tx.json = json;
	if (progress)
		l->ptimer = loop_add_timer(250, tick, l);
}

void
load_sample(struct load *l, enum load_phase p, uint64_t us)
{
	if ((unsigned)p < LP_COUNT)
		hist_add(&l->ph[p], us);
}

/* reason - how much of an error's words is the reason: up to the reply it
 * came after, which is context (as far as a row holds) */
static size_t
reason(const char *text)
{
	const char *ctx = strstr(text, " (after ");
	size_t	 n = ctx ? (size_t)(ctx - text) : strlen(text);

	return n < LOAD_TEXT - 1 ? n : LOAD_TEXT - 1;
}

void
load_error(struct load *l, enum load_phase p, int code, const char *text)
{
	size_t	 i, n = reason(text);

	l->errors++;
	/* one row per stage and code; without a code, per reason too */
	for (i = 0; i < l->nerr; i++)
		if (l->err[i].ph == p && l->err[i].code == code && (code != 0 ||
		    (reason(l->err[i].text) == n && strncmp(l->err[i].text, text, n) == 0))) {
			l->err[i].n++;
			return;
		}
	if (l->nerr == LOAD_ERRORS) {
		l->err_more++;
		return;
	}
	l->err[l->nerr].ph = p;
	l->err[l->nerr].code = code;
	l->err[l->nerr].n = 1;
	snprintf(l->err[l->nerr].text, sizeof(l->err[l->nerr].text), "%s", text);
	l->nerr++;
}

void
load_unit(struct load *l, int ok, uint64_t us)
{
	l->done++;
	if (ok) {
		l->ok++;
		hist_add(&l->unit, us);
	} else
		l->failed++;
}

/* rate - units that succeeded, per second so far */
static double
rate(const struct load *l, uint64_t now)
{
	return now > l->t0 ? (double)l->ok * 1e6 / (double)(now - l->t0) : 0;
}

static void
tick(void *arg)
{
	struct load	*l = arg;
	uint64_t	 now = loop_now();
	char		 tot[32] = "";

	l->ptimer = loop_add_timer(250, tick, l);
	if (l->total)
		snprintf(tot, sizeof(tot), "/%lu", l->total);
	fprintf(stderr, "\r\033[K%lu%s %s, %.1f/s accepted, %lu failed, %lu error%s, %.1f s",
	    l->done, tot, l->ping ? "sessions" : "messages", rate(l, now), l->failed, l->errors,
	    l->errors == 1 ? "" : "s", (double)(now - l->t0) / 1e6);
	fflush(stderr);
	l->shown = 1;
}

void
load_stop(struct load *l)
{
	loop_del_timer(l->ptimer);
	l->ptimer = NULL;
	if (l->shown)
		fprintf(stderr, "\r\033[K");
	l->shown = 0;
	if (!l->t1)
		l->t1 = loop_now();
}

static double
ms(uint64_t us)
{
	return (double)us / 1000.0;
}

/* row - one line of the table: a phase's count and latencies */
static void
row(FILE *f, const char *name, const struct hist *h, const char *after)
{
	fprintf(f, "  %-12s %9llu %9.3f %9.3f %9.3f %9.3f %9.3f%s\n", name,
	    (unsigned long long)h->n, ms(h->min), ms(hist_quantile(h, 0.5)),
	    ms(hist_quantile(h, 0.95)), ms(hist_quantile(h, 0.99)), ms(h->max), after);
}

static void
phases(const struct load *l, FILE *f)
{
	size_t	 i;

	for (i = 0; i < LP_COUNT && l->ph[i].n == 0; i++)
		;
	if (i == LP_COUNT)
		return;	/* nothing was timed */
	fprintf(f, "  %-12s %9s %9s %9s %9s %9s %9s  (ms)\n", "phase", "count", "min", "median",
	    "p95", "p99", "max");
	for (i = 0; i < LP_COUNT; i++)
		if (l->ph[i].n)
			row(f, names[i], &l->ph[i], "");
}

static void
errors(const struct load *l, FILE *f)
{
	size_t	 i;

	if (l->errors == 0) {
		fprintf(f, "  errors     none\n");
		return;
	}
	fprintf(f, "  errors     %lu, by stage and reply code:\n", l->errors);
	for (i = 0; i < l->nerr; i++) {
		char code[8] = "";
		if (l->err[i].code)
			snprintf(code, sizeof(code), "%d", l->err[i].code);
		fprintf(f, "    %-12s %3s %8lu  %s\n", names[l->err[i].ph], code, l->err[i].n,
		    l->err[i].text);
	}
	if (l->err_more)
		fprintf(f, "    %lu more of other kinds\n", l->err_more);
}

void
load_table(const struct load *l, FILE *f)
{
	uint64_t end = l->t1 ? l->t1 : loop_now();
	double	 secs = (double)(end - l->t0) / 1e6;

	fprintf(f, "smtpdbg: %lu message%s to %s in %.3f s: %.1f accepted per second\n",
	    l->done, l->done == 1 ? "" : "s", l->target, secs, rate(l, end));
	fprintf(f, "  messages   %lu accepted, %lu failed", l->ok, l->failed);
	if (l->total > l->done)
		fprintf(f, ", %lu not sent (interrupted)", l->total - l->done);
	fprintf(f, "\n  sessions   %lu\n", l->sessions);
	errors(l, f);
	phases(l, f);
	if (l->unit.n)
		row(f, "message", &l->unit, "  (MAIL to the reply to the end of data)");
}

void
load_ping_summary(const struct load *l, FILE *f)
{
	uint64_t end = l->t1 ? l->t1 : loop_now();

	fprintf(f, "--- %s smtpdbg ping statistics ---\n", l->target);
	fprintf(f, "%lu session%s, %lu succeeded, %lu failed (%.0f%% failed), time %.0f ms\n",
	    l->done, l->done == 1 ? "" : "s", l->ok, l->failed,
	    l->done ? 100.0 * (double)l->failed / (double)l->done : 0.0,
	    (double)(end - l->t0) / 1000.0);
	if (l->unit.n)
		fprintf(f, "session min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", ms(l->unit.min),
		    hist_mean(&l->unit) / 1000.0, ms(l->unit.max), hist_mdev(&l->unit) / 1000.0);
	errors(l, f);
	phases(l, f);
}

static void
json_hist(struct buf *j, const char *key, const struct hist *h)
{
	buf_printf(j, "\"%s\":{\"count\":%llu,\"min_ms\":%.3f,\"median_ms\":%.3f,"
	    "\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,\"mdev_ms\":%.3f}",
	    key, (unsigned long long)h->n, ms(h->min), ms(hist_quantile(h, 0.5)),
	    ms(hist_quantile(h, 0.95)), ms(hist_quantile(h, 0.99)), ms(h->max),
	    hist_mean(h) / 1000.0, hist_mdev(h) / 1000.0);
}

void
load_json(struct load *l)
{
	struct buf	 j;
	uint64_t	 end = l->t1 ? l->t1 : loop_now();
	size_t		 i;
	int		 first = 1;

	if (l->tx.json == NULL)
		return;
	buf_init(&j, 1 << 20);
	buf_puts(&j, ",\"mode\":\"");
	buf_puts(&j, l->ping ? "ping" : "send");
	buf_puts(&j, "\",\"target\":\"");
	esc_json(&j, l->target, strlen(l->target));
	buf_printf(&j, "\",\"units\":%lu,\"ok\":%lu,\"failed\":%lu,\"not_sent\":%lu,"
	    "\"sessions\":%lu,\"seconds\":%.3f,\"per_second\":%.1f,\"error_count\":%lu,"
	    "\"errors\":[", l->done, l->ok, l->failed, l->total > l->done ? l->total - l->done : 0,
	    l->sessions, (double)(end - l->t0) / 1e6, rate(l, end), l->errors);
	for (i = 0; i < l->nerr; i++) {
		buf_printf(&j, "%s{\"stage\":\"%s\",\"code\":%d,\"count\":%lu,\"text\":\"",
		    i ? "," : "", keys[l->err[i].ph], l->err[i].code, l->err[i].n);
		esc_json(&j, l->err[i].text, strlen(l->err[i].text));
		buf_puts(&j, "\"}");
	}
	buf_puts(&j, "],\"phases\":{");
	for (i = 0; i < LP_COUNT; i++) {
		if (l->ph[i].n == 0)
			continue;
		if (!first)
			buf_puts(&j, ",");
		first = 0;
		json_hist(&j, keys[i], &l->ph[i]);
	}
	buf_puts(&j, "},");
	json_hist(&j, l->ping ? "session" : "message", &l->unit);
	buf_append(&j, "", 1);
	tx_event(&l->tx, end, "load", (const char *)buf_ptr(&j));
	buf_free(&j);
}

void
load_unit_event(struct load *l, const char *name, const struct load_unit_info *u)
{
	struct buf	 j;
	size_t		 i;
	int		 first = 1;

	if (l->tx.json == NULL)
		return;
	buf_init(&j, 1 << 16);
	buf_printf(&j, ",\"seq\":%lu,\"session\":%lu,\"on_connection\":%lu,\"ok\":%s", u->seq,
	    u->session, u->on_conn, u->ok ? "true" : "false");
	if (!u->ok)
		buf_printf(&j, ",\"stage\":\"%s\",\"code\":%d", keys[u->ph], u->code);
	buf_puts(&j, ",\"text\":\"");
	esc_json(&j, u->text ? u->text : "", u->text ? strlen(u->text) : 0);
	buf_puts(&j, "\",\"phases\":{");
	for (i = 0; i < LP_COUNT; i++)
		if (u->have & (1u << i)) {
			buf_printf(&j, "%s\"%s\":%.3f", first ? "" : ",", keys[i], ms(u->us[i]));
			first = 0;
		}
	buf_printf(&j, "},\"total_ms\":%.3f", ms(u->total_us));
	buf_append(&j, "", 1);
	tx_event(&l->tx, loop_now(), name, (const char *)buf_ptr(&j));
	buf_free(&j);
}

void
load_ping_line(const struct load *l, const struct load_unit_info *u, FILE *f)
{
	size_t	 i;

	fprintf(f, "%s: seq=%lu", l->target, u->seq);
	for (i = 0; i < LP_COUNT; i++)
		if (u->have & (1u << i))
			fprintf(f, " %s=%.3f", keys[i], ms(u->us[i]));
	fprintf(f, " total=%.3f ms", ms(u->total_us));
	if (!u->ok)
		fprintf(f, "  FAILED at %s: %s", names[u->ph], u->text ? u->text : "");
	fputc('\n', f);
}
