/*
 * sts - see sts.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/sts.h"

const char *
sts_mode_name(enum sts_mode m)
{
	return m == STS_ENFORCE ? "enforce" : m == STS_TESTING ? "testing" : "none";
}

/* field - the next "key=value" of a TXT record split at ';' with optional
 * blanks around (RFC 8461 3.1, RFC 8460 3); 0 at the end, -1 if malformed */
static int
field(const char **pp, char *k, size_t kn, char *v, size_t vn)
{
	const char	*p = *pp, *eq, *end;
	size_t		 kl, vl;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	end = strchr(p, ';');
	if (end == NULL)
		end = p + strlen(p);
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
		return -1;
	kl = (size_t)(eq - p);
	vl = (size_t)(end - eq - 1);
	while (vl && (eq[vl] == ' ' || eq[vl] == '\t'))
		vl--;
	if (kl == 0 || kl >= kn || vl >= vn)
		return -1;
	memcpy(k, p, kl);
	k[kl] = '\0';
	memcpy(v, eq + 1, vl);
	v[vl] = '\0';
	*pp = *end ? end + 1 : end;
	return 1;
}

int
sts_txt(const char *txt, char *id, size_t idn, char *err, size_t errlen)
{
	const char	*p = txt;
	char		 k[64], v[256];
	int		 r, first = 1;

	id[0] = '\0';
	while ((r = field(&p, k, sizeof(k), v, sizeof(v))) == 1) {
		if (first && (strcmp(k, "v") != 0 || strcmp(v, "STSv1") != 0)) {
			snprintf(err, errlen, "it does not start with v=STSv1");
			return -1;
		}
		if (strcmp(k, "id") == 0) {
			if (v[0] == '\0' || strlen(v) > 32 || strspn(v,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
			    strlen(v)) {
				snprintf(err, errlen, "id=%s is not 1 to 32 letters and digits", v);
				return -1;
			}
			snprintf(id, idn, "%s", v);
		}
		first = 0;
	}
	if (r == -1 || first) {
		snprintf(err, errlen, "not a list of key=value fields split by ';'");
		return -1;
	}
	if (id[0] == '\0') {
		snprintf(err, errlen, "it has no id= field");
		return -1;
	}
	return 0;
}

int
sts_policy(const char *body, size_t len, struct sts_policy *po, char *err, size_t errlen)
{
	const char	*p = body, *e = body + len, *nl, *colon;
	char		 key[64], val[256];
	int		 have_v = 0, have_mode = 0, have_age = 0, line = 0;

	memset(po, 0, sizeof(*po));
	po->max_age = -1;
	if (len > STS_POLICY_MAX) {
		snprintf(err, errlen, "the policy is %zu bytes, over the 64 KB limit", len);
		return -1;
	}
	if (memchr(body, '\0', len)) {
		snprintf(err, errlen, "the policy holds a NUL byte");
		return -1;
	}
	while (p < e) {
		size_t kl, vl;
		line++;
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		vl = (size_t)(nl - p);
		if (vl && p[vl - 1] == '\r')
			vl--;
		if (vl == 0) {
			p = nl + 1;
			continue;
		}
		if ((colon = memchr(p, ':', vl)) == NULL) {
			snprintf(err, errlen, "line %d is not \"key: value\"", line);
			return -1;
		}
		kl = (size_t)(colon - p);
		if (kl == 0 || kl >= sizeof(key)) {
			snprintf(err, errlen, "line %d has no key", line);
			return -1;
		}
		memcpy(key, p, kl);
		key[kl] = '\0';
		colon++;
		vl -= kl + 1;
		while (vl && (*colon == ' ' || *colon == '\t')) {
			colon++;
			vl--;
		}
		while (vl && (colon[vl - 1] == ' ' || colon[vl - 1] == '\t'))
			vl--;
		if (vl >= sizeof(val)) {
			snprintf(err, errlen, "line %d: the value is too long", line);
			return -1;
		}
		memcpy(val, colon, vl);
		val[vl] = '\0';
		if (strcmp(key, "version") == 0) {
			if (strcmp(val, "STSv1") != 0) {
				snprintf(err, errlen, "version is \"%s\", not STSv1", val);
				return -1;
			}
			have_v = 1;
		} else if (strcmp(key, "mode") == 0) {
			if (strcmp(val, "enforce") == 0)
				po->mode = STS_ENFORCE;
			else if (strcmp(val, "testing") == 0)
				po->mode = STS_TESTING;
			else if (strcmp(val, "none") == 0)
				po->mode = STS_NONE;
			else {
				snprintf(err, errlen, "mode is \"%s\": not enforce, testing or none",
				    val);
				return -1;
			}
			have_mode = 1;
		} else if (strcmp(key, "max_age") == 0) {
			char *end;
			long a = strtol(val, &end, 10);
			if (val[0] == '\0' || *end || a < 0 || a > 31557600 || strlen(val) > 10) {
				snprintf(err, errlen, "max_age \"%s\" is not 0 to 31557600 seconds",
				    val);
				return -1;
			}
			po->max_age = a;
			have_age = 1;
		} else if (strcmp(key, "mx") == 0) {
			const char *q = val[0] == '*' && val[1] == '.' ? val + 2 : val;
			if (*q == '\0' || strspn(q, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(q) ||
			    strstr(q, "..") || q[0] == '.') {
				snprintf(err, errlen, "mx \"%s\" is not a host name or *.name", val);
				return -1;
			}
			if (po->nmx < STS_MX_MAX)
				snprintf(po->mx[po->nmx++], sizeof(po->mx[0]), "%s", val);
		}
		/* other keys: ignored (RFC 8461 3.2: extensions) */
		p = nl + 1;
	}
	if (!have_v || !have_mode || !have_age) {
		snprintf(err, errlen, "the policy lacks %s", !have_v ? "version: STSv1" :
		    !have_mode ? "mode:" : "max_age:");
		return -1;
	}
	if (po->mode != STS_NONE && po->nmx == 0) {
		snprintf(err, errlen, "mode %s without any mx: line", sts_mode_name(po->mode));
		return -1;
	}
	return 0;
}

int
sts_mx_match(const char *pat, const char *host)
{
	size_t	 hl = strlen(host), pl;
	const char *dot;

	if (hl && host[hl - 1] == '.')
		hl--;
	if (pat[0] == '*' && pat[1] == '.') {
		/* exactly one label in place of the '*' */
		if ((dot = memchr(host, '.', hl)) == NULL || dot == host)
			return 0;
		pl = strlen(pat + 1);
		return (size_t)(host + hl - dot) == pl && strncasecmp(dot, pat + 1, pl) == 0;
	}
	pl = strlen(pat);
	return pl == hl && strncasecmp(pat, host, hl) == 0;
}

int
tlsrpt_txt(const char *txt, char *rua, size_t ruan, char *err, size_t errlen)
{
	const char	*p = txt;
	char		 k[64], v[1024];
	int		 r, first = 1, have_rua = 0;

	rua[0] = '\0';
	while ((r = field(&p, k, sizeof(k), v, sizeof(v))) == 1) {
		if (first && (strcmp(k, "v") != 0 || strcmp(v, "TLSRPTv1") != 0)) {
			snprintf(err, errlen, "it does not start with v=TLSRPTv1");
			return -1;
		}
		first = 0;
		if (strcmp(k, "rua") == 0) {
			char *u, *save = NULL;
			if (have_rua) {
				snprintf(err, errlen, "rua= is given twice");
				return -1;
			}
			have_rua = 1;
			snprintf(rua, ruan, "%s", v);
			for (u = strtok_r(v, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
				while (*u == ' ')
					u++;
				if (strncasecmp(u, "mailto:", 7) != 0 &&
				    strncasecmp(u, "https://", 8) != 0) {
					snprintf(err, errlen, "rua %s is not a mailto: or https: URI",
					    u);
					return -1;
				}
				if ((strncasecmp(u, "mailto:", 7) == 0 && strchr(u + 7, '@') == NULL) ||
				    u[strncasecmp(u, "mailto:", 7) == 0 ? 7 : 8] == '\0') {
					snprintf(err, errlen, "rua %s has no address", u);
					return -1;
				}
			}
		}
	}
	if (r == -1 || first) {
		snprintf(err, errlen, "not a list of key=value fields split by ';'");
		return -1;
	}
	if (!have_rua) {
		snprintf(err, errlen, "it has no rua= field: reports go nowhere");
		return -1;
	}
	return 0;
}
