/*
 * mx - see mx.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/loop.h"
#include "cli/mx.h"

struct mx_run {
	struct mx_set	*set;
	mx_cb		 cb;
	void		*arg;
	int		 pending;
};

/* A lookup in flight: the run and which host and family an answer is for. */
struct mx_q {
	struct mx_run	*run;
	struct mx_host	*host;
};

static void
host_done(struct mx_run *r)
{
	if (--r->pending == 0) {
		struct mx_run	 copy = *r;
		free(r);
		copy.cb(copy.arg, copy.set);
	}
}

static void
on_addr(void *arg, const struct dns_answer *a)
{
	struct mx_q	*mq = arg;
	struct mx_host	*h = mq->host;
	size_t		 i;

	if (!a->ok && h->why[0] == '\0')
		snprintf(h->why, sizeof(h->why), "%s", a->why);
	if (a->type == DNS_A) {
		h->sec4 = a->sec;
		for (i = 0; i < a->n && h->n4 < MX_ADDRS; i++)
			if (dns_addr(DNS_A, (const unsigned char *)a->data[i], (size_t)a->len[i],
			    h->a4[h->n4], sizeof(h->a4[0])) == 0)
				h->n4++;
	} else {
		h->sec6 = a->sec;
		for (i = 0; i < a->n && h->n6 < MX_ADDRS; i++)
			if (dns_addr(DNS_AAAA, (const unsigned char *)a->data[i],
			    (size_t)a->len[i], h->a6[h->n6], sizeof(h->a6[0])) == 0)
				h->n6++;
	}
	if (--h->pending == 0 && h->n4 + h->n6 == 0 && h->why[0] == '\0')
		snprintf(h->why, sizeof(h->why), "%s has no address (no A or AAAA record%s)",
		    h->name, a->nxdomain ? ": the name does not exist" : "");
	host_done(mq->run);
	free(mq);
}

static int
ask_addr(struct mx_run *r, struct mx_host *h, enum dns_type t)
{
	struct mx_q	*mq = malloc(sizeof(*mq));
	char		 err[300];

	if (mq == NULL)
		return -1;
	mq->run = r;
	mq->host = h;
	if (resolve_ask(h->name, t, on_addr, mq, err, sizeof(err)) == -1) {
		free(mq);
		snprintf(h->why, sizeof(h->why), "%s", err);
		return -1;
	}
	h->pending++;
	r->pending++;
	return 0;
}

static int
by_pref(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

static void
on_mx(void *arg, const struct dns_answer *a)
{
	struct mx_run	*r = arg;
	struct mx_set	*s = r->set;
	size_t		 i;
	unsigned	 pref;

	s->sec = a->sec;
	r->pending = 1;		/* this answer, until every address query is out */
	if (!a->ok)
		snprintf(s->why, sizeof(s->why), "%s", a->why);
	else if (a->nxdomain)
		snprintf(s->why, sizeof(s->why), "%s does not exist (NXDOMAIN)", s->domain);
	else if (a->n == 0) {
		/* RFC 5321 5.1: no MX: the domain itself (pref -1 says so) */
		s->implicit = 1;
		s->nhosts = 1;
		snprintf(s->host[0].name, sizeof(s->host[0].name), "%s", s->domain);
		s->host[0].pref = -1;
	}
	for (i = 0; a->ok && i < a->n && s->nhosts < MX_HOSTS; i++) {
		struct mx_host *h = &s->host[s->nhosts];
		if (dns_mx((const unsigned char *)a->data[i], (size_t)a->len[i], &pref, h->name,
		    sizeof(h->name)) == -1)
			continue;	/* malformed: not a host to try */
		h->pref = (int)pref;
		if (h->name[0] == '\0') {
			/* RFC 7505: a null MX must be the only one */
			s->null_mx = 1;
			continue;
		}
		s->nhosts++;
	}
	if (s->null_mx) {
		snprintf(s->why, sizeof(s->why), "%s publishes a null MX (RFC 7505): it takes "
		    "no mail%s", s->domain, s->nhosts ? "; other MX records beside it are "
		    "ignored, as RFC 7505 3 says" : "");
		s->nhosts = 0;
	} else if (a->ok && !a->nxdomain && s->nhosts == 0 && !s->implicit)
		snprintf(s->why, sizeof(s->why), "%s: no MX record could be read", s->domain);
	qsort(s->host, s->nhosts, sizeof(s->host[0]), by_pref);
	for (i = 0; i < s->nhosts; i++) {
		ask_addr(r, &s->host[i], DNS_A);
		ask_addr(r, &s->host[i], DNS_AAAA);
	}
	host_done(r);
}

int
mx_lookup(const char *domain, struct mx_set *s, mx_cb cb, void *arg, char *err, size_t errlen)
{
	struct mx_run	*r;

	memset(s, 0, sizeof(*s));
	snprintf(s->domain, sizeof(s->domain), "%s", domain);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->set = s;
	r->cb = cb;
	r->arg = arg;
	if (resolve_ask(domain, DNS_MX, on_mx, r, err, errlen) == -1) {
		free(r);
		return -1;
	}
	return 0;
}

static void
sync_done(void *arg, struct mx_set *s)
{
	loop_quit(0);
}

int
mx_targets(const char *domain, const char *port, struct mx_target *out, size_t n, char *err,
    size_t errlen)
{
	static struct mx_set s;
	size_t		 i, j, k = 0;

	if (mx_lookup(domain, &s, sync_done, NULL, err, errlen) == -1)
		return -1;
	loop_run();
	if (s.nhosts == 0) {	/* bogus DNSSEC leaves none too */
		snprintf(err, errlen, "%s", s.why);
		return -1;
	}
	for (i = 0; i < s.nhosts; i++) {
		struct mx_host *h = &s.host[i];
		for (j = 0; j < h->n4 + h->n6 && k < n; j++, k++) {
			if (j < h->n4)
				snprintf(out[k].addr, sizeof(out[k].addr), "%s:%s", h->a4[j], port);
			else
				snprintf(out[k].addr, sizeof(out[k].addr), "[%s]:%s",
				    h->a6[j - h->n4], port);
			snprintf(out[k].host, sizeof(out[k].host), "%s", h->name);
			out[k].pref = h->pref;
		}
	}
	if (k == 0) {
		snprintf(err, errlen, "no address for any mail server of %s%s%s", domain,
		    s.host[0].why[0] ? ": " : "", s.host[0].why);
		return -1;
	}
	return (int)k;
}
