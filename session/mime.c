/*
 * mime - see mime.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "session/b64.h"
#include "session/mime.h"

static const struct { const char *ext, *type; } types[] = {
	{ "txt", "text/plain" }, { "text", "text/plain" }, { "log", "text/plain" },
	{ "html", "text/html" }, { "htm", "text/html" }, { "csv", "text/csv" },
	{ "ics", "text/calendar" }, { "xml", "application/xml" },
	{ "json", "application/json" }, { "pdf", "application/pdf" },
	{ "zip", "application/zip" }, { "gz", "application/gzip" },
	{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "svg", "image/svg+xml" }, { "webp", "image/webp" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "mp3", "audio/mpeg" }, { "mp4", "video/mp4" },
};

const char *
mime_type(const char *name)
{
	const char	*dot = strrchr(name, '.');
	size_t		 i;

	if (dot && !strchr(dot, '/'))
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* word - one encoded word at p ("=?cs?E?text?="): decoded into out and its
 * length returned, or 0 when it is not one this can decode */
static size_t
word(const char *p, struct buf *out)
{
	const char *cs = p + 2, *q1 = strchr(cs, '?'), *q2, *end;
	size_t	 csl, i;
	int	 latin1, enc, hi, lo;
	struct buf raw;

	if (strncmp(p, "=?", 2) != 0 || q1 == NULL || !q1[1] || q1[2] != '?')
		return 0;
	csl = (size_t)(q1 - cs);
	enc = q1[1] | 0x20;
	q2 = q1 + 3;
	if ((end = strstr(q2, "?=")) == NULL || (enc != 'b' && enc != 'q'))
		return 0;
	if (memchr(cs, '*', csl))	/* RFC 2231 language: "UTF-8*en" */
		csl = (size_t)((const char *)memchr(cs, '*', csl) - cs);
	latin1 = (csl == 10 && strncasecmp(cs, "ISO-8859-1", 10) == 0);
	if (!latin1 && !(csl == 5 && strncasecmp(cs, "UTF-8", 5) == 0) &&
	    !(csl == 8 && strncasecmp(cs, "US-ASCII", 8) == 0))
		return 0;
	buf_init(&raw, 4096);
	if (enc == 'q') {
		for (i = 0; q2 + i < end; i++) {
			char c = q2[i];
			if (c == '_')
				c = ' ';
			else if (c == '=' && q2 + i + 2 < end + 1 && (hi = hexval(q2[i + 1])) >= 0 &&
			    (lo = hexval(q2[i + 2])) >= 0) {
				c = (char)(hi << 4 | lo);
				i += 2;
			}
			buf_append(&raw, &c, 1);
		}
	} else {
		unsigned acc = 0;
		int bits = 0;
		for (i = 0; q2 + i < end; i++) {
			const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
			const char *f = q2[i] ? strchr(t, q2[i]) : NULL;
			if (q2[i] == '=')
				break;
			if (f == NULL) {
				buf_free(&raw);
				return 0;
			}
			acc = acc << 6 | (unsigned)(f - t);
			bits += 6;
			if (bits >= 8) {
				char c = (char)(acc >> (bits - 8));
				bits -= 8;
				buf_append(&raw, &c, 1);
			}
		}
	}
	for (i = 0; i < raw.len; i++) {
		unsigned char c = buf_ptr(&raw)[i];
		if (latin1 && c >= 0x80) {
			char u[2] = { (char)(0xc0 | c >> 6), (char)(0x80 | (c & 0x3f)) };
			buf_append(out, u, 2);
		} else
			buf_append(out, &c, 1);
	}
	buf_free(&raw);
	return (size_t)(end + 2 - p);
}

void
mime_decode_words(const char *s, struct buf *out)
{
	const char *p = s, *q;
	size_t	 n;
	int	 after = 0;
	struct buf w;

	while (*p) {
		if (*p == '=' && p[1] == '?' && (n = word(p, out)) > 0) {
			p += n;
			after = 1;
			continue;
		}
		if (after) {
			/* whitespace between two encoded words is not text */
			for (q = p; *q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'; q++)
				;
			if (q > p && *q == '=' && q[1] == '?') {
				buf_init(&w, 4096);
				if ((n = word(q, &w)) > 0) {
					buf_append(out, buf_ptr(&w), w.len);
					buf_free(&w);
					p = q + n;
					continue;
				}
				buf_free(&w);
			}
		}
		after = 0;
		buf_append(out, p, 1);
		p++;
	}
}

int
mime_has_header(const struct mime_msg *m, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < m->nheaders; i++)
		if (strncasecmp(m->headers[i], name, n) == 0 && m->headers[i][n] == ':')
			return 1;
	return 0;
}

static int
eightbit(const unsigned char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] >= 0x80)
			return 1;
	return 0;
}

/* subject - RFC 2047 encoded words when it is not ASCII, split at
 * character boundaries so no word exceeds 75 octets */
static void
subject(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 n = strlen(s), i, take;
	char		 enc[80];

	buf_printf(b, "Subject:");
	if (!eightbit(p, n)) {
		buf_printf(b, " %s\r\n", s);
		return;
	}
	for (i = 0; i < n; i += take) {
		take = n - i > 45 ? 45 : n - i;
		while (take < n - i && take > 1 && (p[i + take] & 0xc0) == 0x80)
			take--;
		b64_encode(p + i, take, enc);
		buf_printf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : " ", enc);
	}
	buf_printf(b, "\r\n");
}

/* addr_list - "To: a, b" folded one address per line */
static void
addr_list(struct buf *b, const char *name, const char *const *v, size_t n)
{
	size_t	 i;

	if (n == 0)
		return;
	buf_printf(b, "%s: ", name);
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ",\r\n " : "", v[i]);
	buf_printf(b, "\r\n");
}

/* text - LF line ends become CRLF, CRLF stays */
static void
text(struct buf *b, const unsigned char *p, size_t n)
{
	size_t	 i, s = 0;

	for (i = 0; i < n; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
			buf_append(b, p + s, i - s);
			buf_append(b, "\r\n", 2);
			s = i + 1;
		}
	buf_append(b, p + s, n - s);
	if (n && p[n - 1] != '\n')
		buf_append(b, "\r\n", 2);
}

static void
b64_lines(struct buf *b, const unsigned char *p, size_t n)
{
	char	 line[80];
	size_t	 i, k;

	for (i = 0; i < n; i += 57) {
		k = n - i > 57 ? 57 : n - i;
		b64_encode(p + i, k, line);
		buf_printf(b, "%s\r\n", line);
	}
}

/* quoted - a filename as a quoted-string, controls and quotes made safe */
static void
quoted(struct buf *b, const char *s)
{
	const char *base = strrchr(s, '/');

	buf_append(b, "\"", 1);
	for (s = base ? base + 1 : s; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_append(b, "\\", 1);
		buf_append(b, (unsigned char)*s < 0x20 ? "_" : s, 1);
	}
	buf_append(b, "\"", 1);
}

void
mime_subject(struct buf *b, const char *s)
{
	subject(b, s);
	b->len -= 2;	/* the CRLF subject() ends with */
}

void
mime_set_header(struct buf *msg, const char *line)
{
	const char *p = (const char *)buf_ptr(msg), *e = p + msg->len, *l, *nl;
	size_t	 name = strcspn(line, ":");
	int	 crlf = memchr(p, '\r', msg->len) != NULL, skip = 0, added = 0;
	struct buf out;

	buf_init(&out, (size_t)-1);
	for (l = p; l < e; l = nl) {
		nl = memchr(l, '\n', (size_t)(e - l));
		nl = nl ? nl + 1 : e;
		if (*l == '\n' || (*l == '\r' && l + 1 < e && l[1] == '\n')) {
			/* the empty line that ends the header block */
			buf_printf(&out, "%s%s", line, crlf ? "\r\n" : "\n");
			buf_append(&out, l, (size_t)(e - l));
			added = 1;
			break;
		}
		if (*l == ' ' || *l == '\t') {
			if (!skip)
				buf_append(&out, l, (size_t)(nl - l));
			continue;	/* a continuation goes with its header */
		}
		skip = (size_t)(e - l) > name && strncasecmp(l, line, name) == 0 && l[name] == ':';
		if (!skip)
			buf_append(&out, l, (size_t)(nl - l));
	}
	if (!added)	/* headers only, no body */
		buf_printf(&out, "%s%s", line, crlf ? "\r\n" : "\n");
	buf_drain(msg, msg->len);
	buf_append(msg, buf_ptr(&out), out.len);
	buf_free(&out);
}

size_t
mime_body_line(const struct buf *msg, const char *boundary)
{
	const char *p = (const char *)buf_ptr(msg), *e = p + msg->len, *l, *nl;
	size_t	 bl = strlen(boundary), n = 0;
	int	 parts = 0, inhead = 0;

	for (l = p; l < e; l = nl, n++) {
		nl = memchr(l, '\n', (size_t)(e - l));
		nl = nl ? nl + 1 : e;
		if ((size_t)(e - l) > bl + 2 && l[0] == '-' && l[1] == '-' &&
		    strncmp(l + 2, boundary, bl) == 0) {
			if (++parts == 2)
				inhead = 1;	/* the first attachment's headers */
			continue;
		}
		if (inhead && (*l == '\r' || *l == '\n'))
			return n + 1;
	}
	return 0;
}

void
mime_build(const struct mime_msg *m, struct buf *b)
{
	size_t	 i;
	int	 body8 = eightbit(m->body, m->bodylen);

	if (!mime_has_header(m, "Date"))
		buf_printf(b, "Date: %s\r\n", m->date);
	if (!mime_has_header(m, "From"))
		buf_printf(b, "From: %s\r\n", m->from[0] ? m->from : "<>");
	if (!mime_has_header(m, "To"))
		addr_list(b, "To", m->to, m->nto);
	if (!mime_has_header(m, "Cc"))
		addr_list(b, "Cc", m->cc, m->ncc);
	if (m->subject && !mime_has_header(m, "Subject"))
		subject(b, m->subject);
	if (!mime_has_header(m, "Message-ID"))
		buf_printf(b, "Message-ID: %s\r\n", m->msgid);
	for (i = 0; i < m->nheaders; i++)
		buf_printf(b, "%s\r\n", m->headers[i]);
	if (m->nparts == 0 && !body8 && !mime_has_header(m, "MIME-Version")) {
		buf_printf(b, "\r\n");
		text(b, m->body, m->bodylen);
		return;
	}
	if (!mime_has_header(m, "MIME-Version"))
		buf_printf(b, "MIME-Version: 1.0\r\n");
	if (m->nparts == 0) {
		buf_printf(b, "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: %s\r\n\r\n", body8 ? "8bit" : "7bit");
		text(b, m->body, m->bodylen);
		return;
	}
	buf_printf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
	    "This is a message in MIME format.\r\n\r\n--%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", m->boundary, m->boundary,
	    body8 ? "8bit" : "7bit");
	text(b, m->body, m->bodylen);
	for (i = 0; i < m->nparts; i++) {
		buf_printf(b, "\r\n--%s\r\nContent-Type: %s; name=", m->boundary,
		    m->parts[i].type ? m->parts[i].type : mime_type(m->parts[i].filename));
		quoted(b, m->parts[i].filename);
		buf_printf(b, "\r\nContent-Disposition: attachment; filename=");
		quoted(b, m->parts[i].filename);
		buf_printf(b, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
		b64_lines(b, m->parts[i].data, m->parts[i].len);
	}
	buf_printf(b, "\r\n--%s--\r\n", m->boundary);
}
