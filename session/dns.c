/*
 * dns - see dns.h.  Names are read with compression pointers followed at
 * most 32 times and never outside the message.
 */
#include "config.h"

#include <string.h>

#include "session/dns.h"

int
dns_query(uint16_t id, const char *name, enum dns_type t, unsigned char *out, size_t len)
{
	size_t	 o = 12, l;
	const char *p = name, *dot;

	if (len < 12 + strlen(name) + 6 + 11 || strlen(name) > 253)
		return -1;
	memset(out, 0, 12);
	out[0] = (unsigned char)(id >> 8);
	out[1] = (unsigned char)id;
	out[2] = 0x01;		/* RD */
	out[5] = 1;		/* QDCOUNT */
	out[11] = 1;		/* ARCOUNT: the OPT record */
	while (*p) {
		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63)
			return -1;
		out[o++] = (unsigned char)l;
		memcpy(out + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = (unsigned char)t;
	out[o++] = 0;
	out[o++] = 1;		/* IN */
	/* OPT: root name, type 41, class = UDP payload size, TTL 0, no data */
	memcpy(out + o, "\0\0\x29", 3);
	out[o + 3] = DNS_UDP_SIZE >> 8;
	out[o + 4] = DNS_UDP_SIZE & 0xff;
	memset(out + o + 5, 0, 6);
	return (int)(o + 11);
}

int
dns_strip_edns(unsigned char *q, int len)
{
	if (len < 12 + 11 || q[11] != 1)
		return len;
	q[11] = 0;		/* ARCOUNT: the OPT record is the last 11 octets */
	return len - 11;
}

/* name - a possibly compressed name at *off into out; -1 if malformed */
static int
name(const unsigned char *m, size_t n, size_t *off, char *out, size_t olen)
{
	size_t	 p = *off, o = 0, l;
	int	 jumps = 0, jumped = 0;

	for (;;) {
		if (p >= n)
			return -1;
		l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= n || ++jumps > 32)
				return -1;
			if (!jumped)
				*off = p + 2;
			jumped = 1;
			p = ((l & 0x3f) << 8) | m[p + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;
		p++;
		if (l == 0)
			break;
		if (p + l > n || o + l + 2 > olen)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, m + p, l);
		o += l;
		p += l;
	}
	out[o] = '\0';
	if (!jumped)
		*off = p;
	return 0;
}

int
dns_parse(const unsigned char *m, size_t n, uint16_t id, enum dns_type t, struct dns_rr *rr,
    size_t max)
{
	size_t	 off = 12, i, qd, an, k = 0, rdlen;
	unsigned type;
	char	 tmp[256];

	if (n < 12 || ((m[0] << 8) | m[1]) != id || !(m[2] & 0x80))
		return -1;
	if (m[2] & 0x02)
		return -4;	/* TC: what follows may be cut anywhere */
	switch (m[3] & 0x0f) {
	case 0:
		break;
	case 1:
		return -5;	/* FORMERR */
	case 3:
		return -2;	/* NXDOMAIN */
	default:
		return -3;
	}
	qd = (size_t)((m[4] << 8) | m[5]);
	an = (size_t)((m[6] << 8) | m[7]);
	for (i = 0; i < qd; i++) {
		if (name(m, n, &off, tmp, sizeof(tmp)) == -1 || off + 4 > n)
			return -1;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		if (name(m, n, &off, tmp, sizeof(tmp)) == -1 || off + 10 > n)
			return -1;
		type = (unsigned)((m[off] << 8) | m[off + 1]);
		rdlen = (size_t)((m[off + 8] << 8) | m[off + 9]);
		off += 10;
		if (off + rdlen > n)
			return -1;
		if (type == (unsigned)t && k < max) {
			memset(&rr[k], 0, sizeof(rr[k]));
			rr[k].type = t;
			if (t == DNS_MX) {
				size_t x = off + 2;
				if (rdlen < 3)
					return -1;
				rr[k].pref = (unsigned)((m[off] << 8) | m[off + 1]);
				if (name(m, n, &x, rr[k].name, sizeof(rr[k].name)) == -1)
					return -1;
				k++;
			} else if ((t == DNS_A && rdlen == 4) || (t == DNS_AAAA && rdlen == 16)) {
				memcpy(rr[k].addr, m + off, rdlen);
				k++;
			}
		}
		off += rdlen;
	}
	return (int)k;
}
