/*
 * rules - see rules.h.  First matching rule wins; a rule only looks at
 * replies that would have been successes, so "the 2nd RCPT" means the
 * second valid one.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/rules.h"
#include "session/xalloc.h"

enum sel { SEL_ALL, SEL_NTH, SEL_EVERY, SEL_PROB };

struct rule {
	char		*src;		/* as written */
	enum smtp_stage	 stage;
	enum sel	 sel;
	unsigned long	 n;
	double		 p;
	char		*pattern;	/* NULL: any */
	int		 code;		/* 0: keep the engine's reply */
	char		 enh[16];
	char		*text;
	unsigned	 flags;
	unsigned	 delay_ms, drip_ms;
	uint64_t	 cut;
	unsigned long	 seen;		/* replies this rule matched */
	int		 hit;		/* it matches the reply being decided */
	char		 desc[96];	/* "rule N (...)" for the transcript */
};

#define GREY_SLOTS	65536		/* bounded: oldest entries are overwritten */

struct grey {
	uint64_t	 key;
	uint64_t	 first_ms;
};

struct rules {
	struct rule	*v;
	size_t		 n;
	uint64_t	 rng;
	unsigned	 grey_s;
	struct grey	*grey;
	unsigned	 rate;		/* connections per rate_ms; 0: none */
	uint64_t	 rate_ms;
	double		 tokens;
	uint64_t	 rate_last;
	char		 rate_spec[32];
	char		 note[160];
};

struct rules *
rules_new(uint64_t seed)
{
	struct rules *r = xcalloc(1, sizeof(*r));

	r->rng = seed ? seed : 1;
	return r;
}

void
rules_free(struct rules *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].src);
		free(r->v[i].pattern);
		free(r->v[i].text);
	}
	free(r->v);
	free(r->grey);
	free(r);
}

/* rnd - splitmix64: a uniform number in [0, 1) */
static double
rnd(struct rules *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static const struct {
	const char	*word;
	unsigned	 flag;
	int		 arg;		/* 1: a number follows */
} words[] = {
	{ "close", SMTP_F_CLOSE, 0 }, { "drop", SMTP_F_DROP, 0 },
	{ "stall", SMTP_F_STALL, 0 }, { "barelf", SMTP_F_BARELF, 0 },
	{ "badmulti", SMTP_F_BADMULTI, 0 }, { "extra", SMTP_F_EXTRA, 0 },
	{ "tls-abort", SMTP_F_TLS_ABORT, 0 }, { "cert-expired", SMTP_F_CERT_EXPIRED, 0 },
	{ "cert-wrongname", SMTP_F_CERT_NAME, 0 },
	{ "delay", SMTP_F_DELAY, 1 }, { "drip", SMTP_F_DRIP, 1 }, { "cut", SMTP_F_CUT, 1 },
	{ "tempfail", 0, 0 },
};

/* parse_action - modifiers, then an optional reply */
static int
parse_action(struct rule *ru, const char *a, char *err, size_t errlen)
{
	const char	*w, *e;
	size_t		 wl, i;
	char		*end;
	double		 v;

	for (w = a; *w; w = e) {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		if (isdigit((unsigned char)w[0])) {
			if (!isdigit((unsigned char)w[1]) || !isdigit((unsigned char)w[2]) ||
			    (w[3] != '\0' && w[3] != ' ') || w[0] < '2' || w[0] > '5') {
				snprintf(err, errlen, "\"%s\": a reply code is 200 to 599", w);
				return -1;
			}
			ru->code = atoi(w);
			ru->enh[0] = '\0';
			free(ru->text);
			ru->text = xstrdup(w[3] ? w + 4 : "");
			return 0;	/* the rest of the line is the text */
		}
		for (e = w; *e && *e != ' '; e++)
			;
		wl = (size_t)(e - w);
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].word) == wl && strncasecmp(w, words[i].word, wl) == 0)
				break;
		if (i == sizeof(words) / sizeof(words[0])) {
			snprintf(err, errlen, "unknown action \"%.*s\" (a reply code, delay, drip, "
			    "close, drop, stall, cut, barelf, badmulti, extra, tempfail, tls-abort, "
			    "cert-expired, cert-wrongname)", (int)wl, w);
			return -1;
		}
		ru->flags |= words[i].flag;
		if (strcmp(words[i].word, "tempfail") == 0) {
			ru->code = 451;
			snprintf(ru->enh, sizeof(ru->enh), "4.3.0");
			free(ru->text);
			ru->text = xstrdup("Error: temporary failure (smtpdbg rule)");
		}
		if (!words[i].arg)
			continue;
		while (*e == ' ')
			e++;
		v = strtod(e, &end);
		if (end == e || v < 0 || v > 86400000.0) {
			snprintf(err, errlen, "%s needs a number", words[i].word);
			return -1;
		}
		if (words[i].flag == SMTP_F_DELAY)
			ru->delay_ms = (unsigned)(v * 1000.0 + 0.5);
		else if (words[i].flag == SMTP_F_DRIP)
			ru->drip_ms = (unsigned)v;
		else
			ru->cut = (uint64_t)v;
		e = end;
	}
	if (ru->code == 0 && ru->flags == 0) {
		snprintf(err, errlen, "no action");
		return -1;
	}
	return 0;
}

static int
check_stage(const struct rule *ru, char *err, size_t errlen)
{
	const char *st = smtp_stage_name(ru->stage);

	if ((ru->flags & SMTP_F_CUT) && ru->stage != SMTP_ST_DATA) {
		snprintf(err, errlen, "cut is for DATA, not %s", st);
		return -1;
	}
	if ((ru->flags & (SMTP_F_TLS_ABORT | SMTP_F_CERT_EXPIRED | SMTP_F_CERT_NAME)) &&
	    ru->stage != SMTP_ST_STARTTLS && ru->stage != SMTP_ST_TLS) {
		snprintf(err, errlen, "TLS faults are for STARTTLS or TLS (implicit TLS), not %s", st);
		return -1;
	}
	if (ru->stage == SMTP_ST_TLS && (ru->code || (ru->flags & ~(unsigned)(SMTP_F_TLS_ABORT |
	    SMTP_F_CERT_EXPIRED | SMTP_F_CERT_NAME | SMTP_F_DROP)))) {
		snprintf(err, errlen, "at TLS (before any reply) only tls-abort, cert-expired, "
		    "cert-wrongname or drop");
		return -1;
	}
	if (ru->pattern && ru->stage != SMTP_ST_MAIL && ru->stage != SMTP_ST_RCPT &&
	    ru->stage != SMTP_ST_HELO) {
		snprintf(err, errlen, "an address pattern is for MAIL, RCPT or EHLO, not %s", st);
		return -1;
	}
	if (ru->code && ru->stage == SMTP_ST_CONNECT && ru->code != 220 && ru->code != 421 &&
	    ru->code != 554) {
		snprintf(err, errlen, "a greeting is 220, 421 or 554 (RFC 5321 3.1)");
		return -1;
	}
	return 0;
}

int
rules_add(struct rules *r, const char *spec, char *err, size_t errlen)
{
	struct rule	 ru;
	const char	*p = spec, *eq;
	size_t		 sl;
	char		*end;

	memset(&ru, 0, sizeof(ru));
	while (*p == ' ' || *p == '\t')
		p++;
	for (sl = 0; isalpha((unsigned char)p[sl]); sl++)
		;
	if (smtp_stage_parse(p, sl, &ru.stage) == -1) {
		snprintf(err, errlen, "\"%.*s\" is not a stage (CONNECT, EHLO, STARTTLS, AUTH, MAIL, "
		    "RCPT, DATA, DOT, BDAT, RSET, NOOP, VRFY, QUIT, OTHER, TLS)", (int)sl, p);
		return -1;
	}
	p += sl;
	if (*p == '#' || *p == '%') {
		ru.sel = *p == '#' ? SEL_NTH : SEL_EVERY;
		ru.n = strtoul(p + 1, &end, 10);
		if (end == p + 1 || ru.n == 0) {
			snprintf(err, errlen, "%c needs a count from 1", *p);
			return -1;
		}
		p = end;
	} else if (*p == '~') {
		ru.sel = SEL_PROB;
		ru.p = strtod(p + 1, &end);
		if (end == p + 1 || ru.p < 0 || ru.p > 1) {
			snprintf(err, errlen, "~ needs a probability from 0 to 1");
			return -1;
		}
		p = end;
	}
	if ((eq = strchr(p, '=')) == NULL) {
		snprintf(err, errlen, "missing \"=\" (STAGE[#N|%%N|~P][:PATTERN]=ACTION)");
		return -1;
	}
	if (*p == ':') {
		if (eq == p + 1) {
			snprintf(err, errlen, "empty pattern");
			return -1;
		}
		ru.pattern = xstrndup(p + 1, (size_t)(eq - p - 1));
	} else if (p != eq) {
		snprintf(err, errlen, "unexpected \"%.*s\" before \"=\"", (int)(eq - p), p);
		return -1;
	}
	if (parse_action(&ru, eq + 1, err, errlen) == -1 || check_stage(&ru, err, errlen) == -1) {
		free(ru.pattern);
		free(ru.text);
		return -1;
	}
	ru.src = xstrdup(spec);
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n] = ru;
	snprintf(r->v[r->n].desc, sizeof(ru.desc), "rule %zu (%.70s)", r->n + 1, ru.src);
	r->n++;
	return 0;
}

void
rules_greylist(struct rules *r, unsigned seconds)
{
	r->grey_s = seconds;
	if (r->grey == NULL)
		r->grey = xcalloc(GREY_SLOTS, sizeof(*r->grey));
}

int
rules_rate(struct rules *r, const char *spec, char *err, size_t errlen)
{
	char		*end;
	unsigned long	 n = strtoul(spec, &end, 10);

	if (end == spec || n == 0 || n > 1000000 || (strcmp(end, "/s") != 0 &&
	    strcmp(end, "/m") != 0 && *end != '\0')) {
		snprintf(err, errlen, "\"%s\": use N/s or N/m", spec);
		return -1;
	}
	r->rate = (unsigned)n;
	r->rate_ms = strcmp(end, "/m") == 0 ? 60000 : 1000;
	r->tokens = (double)n;
	r->rate_last = 0;
	snprintf(r->rate_spec, sizeof(r->rate_spec), "%lu/%s", n, r->rate_ms == 1000 ? "s" : "m");
	return 0;
}

size_t
rules_count(const struct rules *r)
{
	return r->n + (r->grey != NULL) + (r->rate != 0);
}

unsigned
rules_flags(const struct rules *r)
{
	size_t	 i;
	unsigned f = 0;

	for (i = 0; i < r->n; i++)
		f |= r->v[i].flags;
	return f;
}

int
rules_stage(const struct rules *r, enum smtp_stage st)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].stage == st)
			return 1;
	return 0;
}

static const char *
ordinal(unsigned long n)
{
	return n % 100 >= 11 && n % 100 <= 13 ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ?
	    "nd" : n % 10 == 3 ? "rd" : "th";
}

void
rules_describe(const struct rules *r, size_t i, char *out, size_t len)
{
	const struct rule *ru;
	char		 sel[64];

	if (i >= r->n) {
		if (i == r->n && r->grey)
			snprintf(out, len, "greylist: the first RCPT of each (client, sender, "
			    "recipient) gets 451 4.7.1; accepted after %u s", r->grey_s);
		else
			snprintf(out, len, "rate limit: connections over %s get 421 4.7.0",
			    r->rate_spec);
		return;
	}
	ru = &r->v[i];
	switch (ru->sel) {
	case SEL_ALL:
		snprintf(sel, sizeof(sel), "every time");
		break;
	case SEL_NTH:
		snprintf(sel, sizeof(sel), "the %lu%s time only", ru->n, ordinal(ru->n));
		break;
	case SEL_EVERY:
		snprintf(sel, sizeof(sel), "every %lu%s time", ru->n, ordinal(ru->n));
		break;
	case SEL_PROB:
		snprintf(sel, sizeof(sel), "with probability %g", ru->p);
		break;
	}
	snprintf(out, len, "rule %zu: %s%s%s, %s: %s", i + 1, smtp_stage_name(ru->stage),
	    ru->pattern ? " matching " : "", ru->pattern ? ru->pattern : "", sel, ru->src);
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff;	/* field separator */
	return h * 0x100000001b3ULL;
}

/* greylist - RFC 6647: the first try of a triple is deferred */
static const char *
greylist(struct rules *r, struct smtp_decision *d, const char *client, uint64_t now)
{
	uint64_t	 key = fnv(fnv(fnv(0xcbf29ce484222325ULL, client), d->from), d->arg);
	struct grey	*g = &r->grey[key % GREY_SLOTS];

	if (g->key == key && now - g->first_ms >= (uint64_t)r->grey_s * 1000)
		return NULL;	/* waited long enough */
	if (g->key != key) {
		g->key = key;
		g->first_ms = now;
	}
	d->code = 451;
	snprintf(d->enh, sizeof(d->enh), "4.7.1");
	snprintf(d->text, sizeof(d->text), "Greylisted, try again in %llu seconds",
	    (unsigned long long)(((uint64_t)r->grey_s * 1000 - (now - g->first_ms) + 999) / 1000));
	snprintf(r->note, sizeof(r->note), "greylist (%u s)", r->grey_s);
	return r->note;
}

/* rate - a token bucket of rate connections per rate_ms */
static const char *
rate(struct rules *r, struct smtp_decision *d, uint64_t now)
{
	if (r->rate_last)
		r->tokens += (double)(now - r->rate_last) * r->rate / (double)r->rate_ms;
	r->rate_last = now ? now : 1;
	if (r->tokens > r->rate)
		r->tokens = r->rate;
	if (r->tokens >= 1.0) {
		r->tokens -= 1.0;
		return NULL;
	}
	d->code = 421;
	snprintf(d->enh, sizeof(d->enh), "4.7.0");
	snprintf(d->text, sizeof(d->text), "Error: too many connections (over %s), try later",
	    r->rate_spec);
	snprintf(r->note, sizeof(r->note), "rate limit (%s)", r->rate_spec);
	return r->note;
}

/* put - a rule's action onto a decision */
static void
put(const struct rule *ru, struct smtp_decision *d)
{
	if (ru->code) {
		d->code = ru->code;
		memcpy(d->enh, ru->enh, sizeof(d->enh));
		snprintf(d->text, sizeof(d->text), "%s", ru->text);
	}
	d->flags |= ru->flags;
	d->delay_ms = ru->delay_ms;
	d->drip_ms = ru->drip_ms;
	d->cut = ru->cut;
}

int
rules_action(const char *action, struct smtp_decision *d, char *err, size_t errlen)
{
	struct rule	 ru;
	int		 r = -1;

	memset(&ru, 0, sizeof(ru));
	ru.stage = d->stage;
	if (parse_action(&ru, action, err, errlen) == 0 && check_stage(&ru, err, errlen) == 0) {
		put(&ru, d);
		r = 0;
	}
	free(ru.text);
	return r;
}

static int
matches(const struct rule *ru, const struct smtp_decision *d)
{
	if (ru->stage != d->stage)
		return 0;
	return ru->pattern == NULL || (d->arg && fnmatch(ru->pattern, d->arg, FNM_CASEFOLD) == 0);
}

const char *
rules_apply(struct rules *r, struct smtp_decision *d, const char *client, uint64_t now_ms)
{
	struct rule	*ru;
	size_t		 i;
	int		 fire;

	if (d->dflt >= 400)
		return NULL;
	/* Every rule counts the replies it matches, fired or not, so "#2"
	 * is the second such reply whatever other rules did. */
	for (i = 0; i < r->n; i++)
		r->v[i].hit = matches(&r->v[i], d) && ++r->v[i].seen;
	for (i = 0; i < r->n; i++) {
		ru = &r->v[i];
		if (!ru->hit)
			continue;
		switch (ru->sel) {
		case SEL_ALL:
			fire = 1;
			break;
		case SEL_NTH:
			fire = ru->seen == ru->n;
			break;
		case SEL_EVERY:
			fire = ru->seen % ru->n == 0;
			break;
		default:
			fire = rnd(r) < ru->p;
			break;
		}
		if (!fire)
			continue;
		put(ru, d);
		d->rule = (int)i + 1;
		return ru->desc;
	}
	if (d->stage == SMTP_ST_RCPT && r->grey && d->arg)
		return greylist(r, d, client, now_ms);
	if (d->stage == SMTP_ST_CONNECT && r->rate)
		return rate(r, d, now_ms);
	return NULL;
}

void
rules_effect_text(const struct smtp_decision *d, char *what, size_t len)
{
	size_t	 l = 0;

	what[0] = '\0';
#define W(...) l += (size_t)snprintf(what + l, l < len ? len - l : 0, __VA_ARGS__)
	if (d->flags & SMTP_F_DROP)
		W(", drop without a reply");
	else if (d->code != d->dflt)
		W(", %d instead of %d", d->code, d->dflt);
	if (d->flags & SMTP_F_DELAY)
		W(", held %.1f s", d->delay_ms / 1000.0);
	if (d->flags & SMTP_F_DRIP)
		W(", sent a byte per %u ms", d->drip_ms);
	if (d->flags & SMTP_F_STALL)
		W(", then nothing more is read");
	if (d->flags & SMTP_F_CUT)
		W(", cut after %llu data bytes", (unsigned long long)d->cut);
	if (d->flags & SMTP_F_CLOSE)
		W(", then close");
	if (d->flags & (SMTP_F_BARELF | SMTP_F_BADMULTI | SMTP_F_EXTRA))
		W(", malformed on purpose");
	if (d->flags & SMTP_F_TLS_ABORT)
		W(", the TLS handshake will be aborted");
	if (d->flags & SMTP_F_CERT_EXPIRED)
		W(", an expired certificate will be served");
	if (d->flags & SMTP_F_CERT_NAME)
		W(", a certificate for another name will be served");
#undef W
}
