/*
 * addr - see addr.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "session/addr.h"
#include "session/b64.h"

static const char *
trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* check - local@domain, in the forms RFC 5321 4.1.2 allows (SMTPUTF8's
 * 8-bit too); NULL when good, else what is wrong */
static const char *
check(const char *a)
{
	const char *at = strrchr(a, '@'), *p;
	int	 quoted = a[0] == '"';

	if (*a == '\0')
		return "an empty address";
	if (at == NULL)
		return "no @domain";
	if (at == a)
		return "nothing before the @";
	if (at[1] == '\0')
		return "no domain after the @";
	for (p = a; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x21 && !(quoted && c == ' '))
			return "a space or control character";
		if (!quoted && strchr("<>()[],;:\\\"", c))
			return "a character that needs quoting";
		if (!quoted && c == '.' && (p == a || p[1] == '.' || p + 1 == at))
			return "a dot at the start or end or two dots in a row";
	}
	if (quoted && (at - a < 2 || at[-1] != '"'))
		return "an unclosed quoted local part";
	if (at[1] == '[') {
		if (at[strlen(at) - 1] != ']')
			return "an unclosed address literal";
		return NULL;
	}
	for (p = at + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return "a character a domain cannot hold";
		if (c == '.' && (p == at + 1 || p[1] == '.' || p[1] == '\0'))
			return "a domain with an empty label";
	}
	return NULL;
}

/* display - the display name for a header: as is, quoted when it holds
 * specials, RFC 2047 encoded when it is not ASCII */
static void
display(char *out, size_t outlen, const char *d, size_t n)
{
	size_t	 i, o = 0;
	int	 special = 0, eight = 0;
	char	 enc[620];

	if (n >= 2 && d[0] == '"' && d[n - 1] == '"') {
		snprintf(out, outlen, "%.*s", (int)n, d);	/* quoted already */
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		eight |= c >= 0x80;
		special |= strchr("()<>[]:;@\\,.\"", c) != NULL && c != '\0';
	}
	if (eight && n <= 450 && outlen > 620) {
		b64_encode(d, n, enc);
		snprintf(out, outlen, "=?UTF-8?B?%s?=", enc);
		return;
	}
	if (!special) {
		snprintf(out, outlen, "%.*s", (int)n, d);
		return;
	}
	if (outlen < 3)
		return;
	out[o++] = '"';
	for (i = 0; i < n && o + 3 < outlen; i++) {
		if (d[i] == '"' || d[i] == '\\')
			out[o++] = '\\';
		out[o++] = d[i];
	}
	out[o++] = '"';
	out[o] = '\0';
}

int
addr_parse(const char *spec, struct addr *a, int null_ok, int force, char *err,
    size_t errlen)
{
	size_t	 n = strlen(spec), dl, al;
	const char *s = trim(spec, &n), *lt, *gt, *why;
	char	 name[700];

	memset(a, 0, sizeof(*a));
	if (memchr(s, '\r', n) || memchr(s, '\n', n)) {
		snprintf(err, errlen, "CR or LF would inject another command or header");
		return -1;
	}
	lt = memchr(s, '<', n);
	if (lt) {
		gt = memchr(lt, '>', n - (size_t)(lt - s));
		if (gt == NULL || gt != s + n - 1) {
			snprintf(err, errlen, "\"%s\": a < without its > at the end", spec);
			return -1;
		}
		al = (size_t)(gt - lt - 1);
		dl = (size_t)(lt - s);
		s = trim(s, &dl);
	} else {
		al = n;
		dl = 0;
	}
	if (al >= sizeof(a->env)) {
		snprintf(err, errlen, "the address is too long");
		return -1;
	}
	memcpy(a->env, lt ? lt + 1 : s, al);
	a->env[al] = '\0';
	if (al == 0 && lt && null_ok && dl == 0) {
		snprintf(a->hdr, sizeof(a->hdr), "<>");
		return 0;	/* the null reverse-path, asked for */
	}
	if ((why = check(a->env)) != NULL && !force) {
		snprintf(err, errlen, "\"%s\": %s (--force sends it anyway)", spec, why);
		return -1;
	}
	if (dl) {
		display(name, sizeof(name), s, dl);
		snprintf(a->hdr, sizeof(a->hdr), "%s <%s>", name, a->env);
	} else
		snprintf(a->hdr, sizeof(a->hdr), "%s", a->env);
	return 0;
}

void
addr_xtext(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t	 o = 0;

	for (; *p && o + 4 < outlen; p++)
		if (*p < 0x21 || *p > 0x7e || *p == '+' || *p == '=')
			o += (size_t)snprintf(out + o, outlen - o, "+%02X", *p);
		else
			out[o++] = (char)*p;
	out[o] = '\0';
}
