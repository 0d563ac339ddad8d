/*
 * json - see json.h.  Recursive descent, bounded by JSON_DEPTH.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "session/json.h"

struct jr {
	const char	*p, *e;
	json_cb		 cb;
	void		*arg;
	char		 path[JSON_PATH];
	char		 val[JSON_VALUE];
};

static int	 value(struct jr *, size_t plen, int depth);

static void
blanks(struct jr *r)
{
	while (r->p < r->e && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
hex4(const char *p, unsigned *u)
{
	int	 i;

	*u = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		*u <<= 4;
		if (c >= '0' && c <= '9')
			*u |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*u |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*u |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* string - the string at p (after its quote) into out, unescaped */
static int
string(struct jr *r, char *out, size_t n)
{
	size_t	 o = 0;
	unsigned u, lo;

	if (r->p >= r->e || *r->p != '"')
		return -1;
	r->p++;
	while (r->p < r->e && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		if (o + 5 > n || c < 0x20)
			return -1;
		if (c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		if (r->p >= r->e)
			return -1;
		switch (*r->p++) {
		case '"': out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; break;
		case '/': out[o++] = '/'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			if (r->e - r->p < 4 || hex4(r->p, &u) == -1)
				return -1;
			r->p += 4;
			if (u >= 0xd800 && u < 0xdc00 && r->e - r->p >= 6 && r->p[0] == '\\' &&
			    r->p[1] == 'u' && hex4(r->p + 2, &lo) == 0 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				r->p += 6;
			}
			if (u < 0x80)
				out[o++] = (char)u;
			else if (u < 0x800) {
				out[o++] = (char)(0xc0 | u >> 6);
				out[o++] = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				out[o++] = (char)(0xe0 | u >> 12);
				out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (u & 0x3f));
			} else {
				out[o++] = (char)(0xf0 | u >> 18);
				out[o++] = (char)(0x80 | ((u >> 12) & 0x3f));
				out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
				out[o++] = (char)(0x80 | (u & 0x3f));
			}
			break;
		default:
			return -1;
		}
	}
	if (r->p >= r->e)
		return -1;
	r->p++;
	out[o] = '\0';
	return 0;
}

/* push - path + "." + name (or "name" at the top); the old length back */
static int
push(struct jr *r, size_t plen, const char *name)
{
	int	 k = snprintf(r->path + plen, sizeof(r->path) - plen, "%s%s", plen ? "." : "",
	    name);

	return k < 0 || (size_t)k >= sizeof(r->path) - plen ? -1 : (int)(plen + (size_t)k);
}

static int
container(struct jr *r, size_t plen, int depth, int obj)
{
	char	 key[JSON_PATH];
	size_t	 i = 0;
	int	 nl;

	r->p++;
	blanks(r);
	if (r->p < r->e && *r->p == (obj ? '}' : ']')) {
		r->p++;
		return 0;
	}
	for (;; i++) {
		blanks(r);
		if (obj) {
			if (string(r, key, sizeof(key)) == -1)
				return -1;
			blanks(r);
			if (r->p >= r->e || *r->p++ != ':')
				return -1;
		} else
			snprintf(key, sizeof(key), "%zu", i);
		if ((nl = push(r, plen, key)) == -1 || value(r, (size_t)nl, depth + 1) == -1)
			return -1;
		r->path[plen] = '\0';
		blanks(r);
		if (r->p >= r->e)
			return -1;
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p++ != (obj ? '}' : ']'))
			return -1;
		return 0;
	}
}

static int
value(struct jr *r, size_t plen, int depth)
{
	const char *s;
	size_t	 l;

	if (depth > JSON_DEPTH)
		return -1;
	blanks(r);
	if (r->p >= r->e)
		return -1;
	if (*r->p == '{' || *r->p == '[')
		return container(r, plen, depth, *r->p == '{');
	if (*r->p == '"') {
		if (string(r, r->val, sizeof(r->val)) == -1)
			return -1;
		r->cb(r->arg, r->path, r->val, 1);
		return 0;
	}
	/* a number or a literal: as written */
	s = r->p;
	while (r->p < r->e && strchr("+-.0123456789eEtruefalsn", *r->p))
		r->p++;
	l = (size_t)(r->p - s);
	if (l == 0 || l >= sizeof(r->val))
		return -1;
	memcpy(r->val, s, l);
	r->val[l] = '\0';
	if (!((r->val[0] >= '0' && r->val[0] <= '9') || r->val[0] == '-' ||
	    strcmp(r->val, "true") == 0 || strcmp(r->val, "false") == 0 ||
	    strcmp(r->val, "null") == 0))
		return -1;
	r->cb(r->arg, r->path, r->val, 0);
	return 0;
}

int
json_flatten(const char *s, size_t n, json_cb cb, void *arg)
{
	struct jr	 r;

	memset(&r, 0, sizeof(r));
	r.p = s;
	r.e = s + n;
	r.cb = cb;
	r.arg = arg;
	if (value(&r, 0, 0) == -1)
		return -1;
	blanks(&r);
	return r.p == r.e ? 0 : -1;
}
