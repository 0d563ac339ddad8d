/*
 * caps - EHLO capability parsing and descriptions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/caps.h"

static const struct {
	const char	*kw;
	const char	*what;
} known[] = {
	{ "PIPELINING", "commands may be sent in batches without waiting (RFC 2920)" },
	{ "SIZE", "message size limit (RFC 1870)" },
	{ "8BITMIME", "accepts 8-bit message bodies with BODY=8BITMIME (RFC 6152)" },
	{ "BINARYMIME", "accepts binary bodies with BDAT (RFC 3030)" },
	{ "CHUNKING", "accepts BDAT chunks instead of DATA (RFC 3030)" },
	{ "SMTPUTF8", "accepts UTF-8 addresses and headers (RFC 6531)" },
	{ "ENHANCEDSTATUSCODES", "replies carry x.y.z status codes (RFC 2034)" },
	{ "STARTTLS", "can upgrade to TLS (RFC 3207)" },
	{ "AUTH", "authentication mechanisms (RFC 4954)" },
	{ "DSN", "delivery status notifications: NOTIFY, RET, ENVID, ORCPT (RFC 3461)" },
	{ "DELIVERBY", "deliver-by time limits (RFC 2852)" },
	{ "ETRN", "remote queue start (RFC 1985)" },
	{ "VRFY", "address verification allowed" },
	{ "EXPN", "mailing list expansion allowed" },
	{ "HELP", "HELP command available" },
	{ "REQUIRETLS", "honours REQUIRETLS for the whole path (RFC 8689)" },
	{ "MT-PRIORITY", "message priorities (RFC 6710)" },
	{ "FUTURERELEASE", "future release of messages (RFC 4865)" },
	{ "LIMITS", "announced limits such as RCPTMAX, MAILMAX (RFC 9422)" },
	{ "MTRK", "message tracking (RFC 3885)" },
	{ "NO-SOLICITING", "no-soliciting keywords (RFC 3865)" },
	{ "RRVS", "require-recipient-valid-since (RFC 7293)" },
	{ "BURL", "message assembly from IMAP URLs (RFC 4468)" },
	{ "ATRN", "authenticated turn (RFC 2645)" },
	{ "XCLIENT", "Postfix: client attributes may be overridden" },
	{ "XFORWARD", "Postfix: original client attributes may be forwarded" },
	{ "PRDR", "per-recipient data responses after the message (draft-hall-prdr; Exim)" },
	{ "PIPECONNECT", "the client may pipeline EHLO after connecting (Exim, RFC-less)" },
	{ "X-PIPE-CONNECT", "the client may pipeline EHLO after connecting (older Exim name)" },
	{ "BINARY", "binary message bodies with BDAT (RFC 3030)" },
	{ "CONNEG", "content negotiation (RFC 4141)" },
	{ "UTF8SMTP", "old name of SMTPUTF8 (RFC 5336, obsolete)" },
	{ "XEXCH50", "Microsoft Exchange: proprietary message properties" },
	{ "X-EXPS", "Microsoft Exchange: authentication between its servers" },
	{ "X-LINK2STATE", "Microsoft Exchange: link state routing" },
	{ "XRDST", "Microsoft Exchange: redirect server address" },
	{ "X-ANONYMOUSTLS", "Microsoft Exchange: anonymous TLS between its servers" },
	{ "TURN", "turn the connection around (RFC 821, obsolete)" },
	{ "SEND", "SEND, SOML, SAML to terminals (RFC 821, obsolete)" },
	{ "ONEX", "one message per transaction (obsolete)" },
	{ "XUSR", "user-submitted message marker (Sendmail)" },
	{ "VERB", "verbose mode (Sendmail)" },
	{ "SMTP-LATIN1", "Latin-1 in headers (non-standard)" },
};

void
caps_clear(struct caps *c)
{
	memset(c, 0, sizeof(*c));
}

static void
copy_clean(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t	 i, j = 0;

	for (i = 0; i < n && j + 1 < dstlen; i++)
		dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[j] = '\0';
}

void
caps_parse(struct caps *c, const struct smtp_reply *r)
{
	const char	*t, *sp;
	size_t		 i, len, kwlen;

	caps_clear(c);
	if (r->code != 250)
		return;
	c->valid = 1;
	for (i = 0; smtp_reply_line_text(r, i, &t, &len) == 0; i++) {
		if (i == 0) {
			sp = memchr(t, ' ', len);
			copy_clean(c->domain, sizeof(c->domain), t, sp ? (size_t)(sp - t) : len);
			continue;
		}
		if (c->n >= CAPS_MAX)
			break;
		while (len && *t == ' ') {
			t++;
			len--;
		}
		if (len == 0)
			continue;
		sp = memchr(t, ' ', len);
		kwlen = sp ? (size_t)(sp - t) : len;
		/* AUTH=LOGIN is the pre-RFC form of AUTH LOGIN; keep as is. */
		copy_clean(c->e[c->n].keyword, sizeof(c->e[c->n].keyword), t, kwlen);
		if (sp)
			copy_clean(c->e[c->n].params, sizeof(c->e[c->n].params), sp + 1,
			    len - kwlen - 1);
		c->n++;
	}
}

const struct caps_entry *
caps_find(const struct caps *c, const char *kw)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (strcasecmp(c->e[i].keyword, kw) == 0)
			return &c->e[i];
	return NULL;
}

void
caps_describe(const struct caps_entry *e, char *out, size_t outlen)
{
	size_t	 i;
	char	*end;
	unsigned long long sz;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcasecmp(known[i].kw, e->keyword) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0])) {
		if (strncasecmp(e->keyword, "AUTH=", 5) == 0)
			snprintf(out, outlen, "old-style AUTH announcement (pre RFC 4954 clients)");
		else if (e->keyword[0] == 'X' || e->keyword[0] == 'x')
			snprintf(out, outlen, "private extension");
		else
			snprintf(out, outlen, "unknown extension");
		return;
	}
	if (strcasecmp(e->keyword, "SIZE") == 0) {
		if (e->params[0] == '\0') {
			snprintf(out, outlen, "SIZE= may be declared; no fixed limit announced");
			return;
		}
		sz = strtoull(e->params, &end, 10);
		if (*end != '\0')
			snprintf(out, outlen, "message size limit (malformed value)");
		else if (sz == 0)
			snprintf(out, outlen, "no size limit (SIZE 0)");
		else
			snprintf(out, outlen, "messages up to %llu bytes (%.1f MiB)", sz,
			    (double)sz / (1024.0 * 1024.0));
		return;
	}
	if (strcasecmp(e->keyword, "AUTH") == 0 && e->params[0]) {
		snprintf(out, outlen, "authentication with %s (RFC 4954)", e->params);
		return;
	}
	snprintf(out, outlen, "%s", known[i].what);
}
