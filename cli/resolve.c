/*
 * resolve - see resolve.h.  libunbound works in a thread of its own
 * (ub_ctx_async); its pipe is one more fd in the loop.  Each query also
 * has a timer of ours, so a resolver that never answers is said in words
 * after RESOLVE_MS rather than after libunbound's own long retries.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <unbound.h>

#include "cli/loop.h"
#include "cli/net.h"
#include "cli/resolve.h"
#include "tls/lazy.h"
#include "session/xalloc.h"

#define RESOLVE_MS	10000
#define SYSTEM_ANCHOR	"/usr/share/dns/root.key"
#define QMAX		256

struct query {
	int		 used;
	int		 ub_id;
	char		 name[256];
	enum dns_type	 type;
	resolve_cb	 cb;
	void		*arg;
	struct loop_timer *timer;
};

static struct ub_ctx	*ctx;
static int		 ub_fd_added;

/* libunbound, loaded when the first DNS question is asked (tls/lazy.h) */
#define UNBOUND_SONAME	"libunbound.so.8"
static const char *const ub_names[] = {
	"ub_ctx_create",
	"ub_ctx_delete",
	"ub_ctx_set_option",
	"ub_ctx_set_fwd",
	"ub_ctx_resolvconf",
	"ub_ctx_add_ta_file",
	"ub_ctx_zone_remove",
	"ub_ctx_async",
	"ub_fd",
	"ub_process",
	"ub_resolve_async",
	"ub_resolve_free",
	"ub_cancel",
	"ub_strerror",
	"ub_version",
};
static void	*ub_lib;
static union {
	void	*p[15];
	struct {
		struct ub_ctx *(*ctx_create)(void);
		void (*ctx_delete)(struct ub_ctx *);
		int (*ctx_set_option)(struct ub_ctx *, const char *, const char *);
		int (*ctx_set_fwd)(struct ub_ctx *, const char *);
		int (*ctx_resolvconf)(struct ub_ctx *, const char *);
		int (*ctx_add_ta_file)(struct ub_ctx *, const char *);
		int (*ctx_zone_remove)(struct ub_ctx *, const char *);
		int (*ctx_async)(struct ub_ctx *, int);
		int (*fd)(struct ub_ctx *);
		int (*process)(struct ub_ctx *);
		int (*resolve_async)(struct ub_ctx *, const char *, int, int, void *, ub_callback_type, int *);
		void (*resolve_free)(struct ub_result *);
		int (*cancel)(struct ub_ctx *, int);
		const char *(*strerror)(int);
		const char *(*version)(void);
	};
} ubf;
LAZY_FNS(ub_names, ubf);

/* ub_load - libunbound's functions, the first time; -1 with words in err */
static int
ub_load(char *err, size_t errlen)
{
	return lazy_load(&ub_lib, UNBOUND_SONAME, ub_names, ubf.p, sizeof(ub_names) /
	    sizeof(ub_names[0]), err, errlen);
}

static int		 validating;
static char		 where[600];
static struct query	 q[QMAX];

const char *
resolve_sec_name(enum dns_sec s)
{
	switch (s) {
	case DNS_SEC_SECURE:	return "secure";
	case DNS_SEC_INSECURE:	return "insecure";
	case DNS_SEC_BOGUS:	return "bogus";
	case DNS_SEC_UNCHECKED:	break;
	}
	return "unchecked";
}

const char *
resolve_where(void)
{
	return where;
}

int
resolve_init(const char *resolver, const char *anchor, char *err, size_t errlen)
{
	char	 fwd[300];
	int	 r;

	if (ctx)
		return 0;
	if (ub_load(err, errlen) == -1)
		return -1;
	if ((ctx = ubf.ctx_create()) == NULL) {
		snprintf(err, errlen, "libunbound: cannot create a resolver context");
		return -1;
	}
	if ((r = ubf.ctx_async(ctx, 1)) != 0)
		goto fail;
	if (resolver) {
		struct net_target t;
		char e[100];
		/* libunbound takes "IP@PORT" */
		if (net_parse(resolver, "53", &t, e, sizeof(e)) == -1 || !net_is_ip(t.host) ||
		    atoi(t.port) == 0) {
			snprintf(err, errlen, "--resolver %s: not IP[:PORT] or [IPv6]:PORT",
			    resolver);
			goto out;
		}
		snprintf(fwd, sizeof(fwd), "%s@%s", t.host, t.port);
		if ((r = ubf.ctx_set_fwd(ctx, fwd)) != 0) {
			snprintf(err, errlen, "--resolver %s: %s", resolver, ubf.strerror(r));
			goto out;
		}
		snprintf(where, sizeof(where), "resolver %s", fwd);
	} else {
		/* The system's resolvers; with none configured, libunbound
		 * would recurse from the root itself, which is right too. */
		if (access("/etc/resolv.conf", R_OK) == 0 &&
		    (r = ubf.ctx_resolvconf(ctx, NULL)) != 0)
			goto fail;
		snprintf(where, sizeof(where), "the resolvers of /etc/resolv.conf");
	}
	/* Answers bigger than a datagram come over TCP (libunbound does the
	 * fallback); EDNS0 buffer as DNS Flag Day 2020 advises. */
	ubf.ctx_set_option(ctx, "edns-buffer-size:", "1232");
	if (anchor && strcmp(anchor, "none") == 0)
		anchor = NULL;
	else if (anchor == NULL)
		anchor = access(SYSTEM_ANCHOR, R_OK) == 0 ? SYSTEM_ANCHOR : NULL;
	else if (access(anchor, R_OK) != 0) {
		snprintf(err, errlen, "--trust-anchor %s: cannot be read", anchor);
		goto out;
	}
	if (anchor) {
		if ((r = ubf.ctx_add_ta_file(ctx, anchor)) != 0) {
			snprintf(err, errlen, "--trust-anchor %s: %s", anchor, ubf.strerror(r));
			goto out;
		}
		validating = 1;
		snprintf(where + strlen(where), sizeof(where) - strlen(where),
		    ", DNSSEC validated from %s", anchor);
	} else
		snprintf(where + strlen(where), sizeof(where) - strlen(where),
		    ", DNSSEC not validated (no trust anchor)");
	/* libunbound answers NXDOMAIN itself for RFC 6761's test. (as a
	 * caching resolver should); a test zone behind --resolver must reach
	 * its server.  This ends the configuration: it comes last. */
	ubf.ctx_zone_remove(ctx, "test.");
	return 0;
fail:
	snprintf(err, errlen, "libunbound: %s", ubf.strerror(r));
out:
	ubf.ctx_delete(ctx);
	ctx = NULL;
	return -1;
}

static void
finish(struct query *qr, struct dns_answer *a)
{
	resolve_cb cb = qr->cb;
	void	*arg = qr->arg;

	if (qr->timer)
		loop_del_timer(qr->timer);
	qr->used = 0;
	qr->timer = NULL;
	cb(arg, a);
}

static void
answered(void *arg, int e, struct ub_result *r)
{
	struct query	*qr = arg;
	struct dns_answer a;

	memset(&a, 0, sizeof(a));
	a.name = qr->name;
	a.type = qr->type;
	if (e != 0 || r == NULL) {
		snprintf(a.why, sizeof(a.why), "%s: the lookup failed: %s", qr->name,
		    ubf.strerror(e));
	} else {
		a.sec = !validating ? DNS_SEC_UNCHECKED : r->secure ? DNS_SEC_SECURE :
		    r->bogus ? DNS_SEC_BOGUS : DNS_SEC_INSECURE;
		a.nxdomain = r->nxdomain;
		a.ttl = r->ttl > 0 ? (unsigned)r->ttl : 0;
		if (a.sec == DNS_SEC_BOGUS)
			snprintf(a.why, sizeof(a.why), "%s: DNSSEC validation failed: %s",
			    qr->name, r->why_bogus ? r->why_bogus : "bogus");
		else if (r->rcode == 0 || r->rcode == 3) {
			a.ok = 1;
			if (r->havedata)
				for (; r->data[a.n]; a.n++)
					;
			a.data = r->data;
			a.len = r->len;
		} else
			snprintf(a.why, sizeof(a.why), "%s: the resolver answered %s", qr->name,
			    r->rcode == 2 ? "SERVFAIL" : r->rcode == 5 ? "REFUSED" :
			    r->rcode == 1 ? "FORMERR" : "an error");
	}
	finish(qr, &a);
	if (r)
		ubf.resolve_free(r);
}

static void
on_fd(int fd, unsigned ev, void *arg)
{
	ubf.process(ctx);
}

static void
on_timeout(void *arg)
{
	struct query	*qr = arg;
	struct dns_answer a;

	qr->timer = NULL;
	ubf.cancel(ctx, qr->ub_id);
	memset(&a, 0, sizeof(a));
	a.name = qr->name;
	a.type = qr->type;
	snprintf(a.why, sizeof(a.why), "%s: no answer from %.200s within %d s", qr->name,
	    where, RESOLVE_MS / 1000);
	finish(qr, &a);
}

int
resolve_ask(const char *name, enum dns_type t, resolve_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct query	*qr = NULL;
	size_t		 i;
	int		 r;

	if (ctx == NULL && resolve_init(NULL, NULL, err, errlen) == -1)
		return -1;
	if (strlen(name) > 253 || name[0] == '\0' || strstr(name, "..")) {
		snprintf(err, errlen, "%s: not a valid domain name", name);
		return -1;
	}
	for (i = 0; i < QMAX && qr == NULL; i++)
		if (!q[i].used)
			qr = &q[i];
	if (qr == NULL) {
		snprintf(err, errlen, "too many DNS queries at once");
		return -1;
	}
	if (!ub_fd_added) {
		if (loop_add_fd(ubf.fd(ctx), LOOP_IN, on_fd, NULL) == -1) {
			snprintf(err, errlen, "libunbound: its descriptor cannot be polled");
			return -1;
		}
		ub_fd_added = 1;
	}
	memset(qr, 0, sizeof(*qr));
	snprintf(qr->name, sizeof(qr->name), "%s", name);
	qr->type = t;
	qr->cb = cb;
	qr->arg = arg;
	if ((r = ubf.resolve_async(ctx, name, (int)t, 1, qr, answered, &qr->ub_id)) != 0) {
		snprintf(err, errlen, "%s: %s", name, ubf.strerror(r));
		return -1;
	}
	qr->used = 1;
	qr->timer = loop_add_timer(RESOLVE_MS, on_timeout, qr);
	return 0;
}

const char *
resolve_lib_version(void)
{
	static char v[160];
	char	 err[128];

	if (ub_load(err, sizeof(err)) == -1)
		snprintf(v, sizeof(v), "libunbound not loaded (%s)", err);
	else
		snprintf(v, sizeof(v), "libunbound %s", ubf.version());
	return v;
}
