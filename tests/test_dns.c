/*
 * test_dns - the DNS query builder and the answer parser (session/dns.c).
 */
#include "config.h"

#include <string.h>

#include "session/dns.h"
#include "tests/tap.h"

static size_t
put_name(unsigned char *m, const char *n)
{
	size_t	 o = 0, l;

	while (*n) {
		l = strcspn(n, ".");
		m[o++] = (unsigned char)l;
		memcpy(m + o, n, l);
		o += l;
		n += l;
		if (*n == '.')
			n++;
	}
	m[o++] = 0;
	return o;
}

/* answer - a response to id for name/type with the given header flags and
 * nrr MX records (pref 10*i, exchange "mxI.example.org", compressed) */
static size_t
answer(unsigned char *m, unsigned id, unsigned flags, const char *name, unsigned type,
    unsigned nrr)
{
	size_t	 o = 12, i;

	memset(m, 0, 12);
	m[0] = (unsigned char)(id >> 8);
	m[1] = (unsigned char)id;
	m[2] = (unsigned char)(flags >> 8);
	m[3] = (unsigned char)flags;
	m[5] = 1;
	m[7] = (unsigned char)nrr;
	o += put_name(m + o, name);
	m[o++] = 0;
	m[o++] = (unsigned char)type;
	m[o++] = 0;
	m[o++] = 1;
	for (i = 0; i < nrr; i++) {
		char	 ex[16];
		size_t	 rd;
		memcpy(m + o, "\xc0\x0c", 2);	/* the question's name */
		m[o + 2] = 0;
		m[o + 3] = (unsigned char)type;
		memcpy(m + o + 4, "\0\1\0\0\0\x3c", 6);
		ex[0] = 'm';
		ex[1] = 'x';
		ex[2] = (char)('0' + i);
		ex[3] = '\0';
		m[o + 12] = 0;
		m[o + 13] = (unsigned char)(10 * (nrr - i));
		rd = 2 + put_name(m + o + 14, ex);
		/* ".example.org" by pointer: overwrite the terminating 0 */
		rd--;
		/* "example.org" ends the question's name, which starts at 12 */
		m[o + 12 + rd] = 0xc0;
		m[o + 12 + rd + 1] = (unsigned char)(12 + strlen(name) - strlen("example.org"));
		rd += 2;
		m[o + 10] = 0;
		m[o + 11] = (unsigned char)rd;
		o += 12 + rd;
	}
	return o;
}

int
main(void)
{
	unsigned char	 q[600], m[2048];
	struct dns_rr	 rr[8];
	int		 n;
	size_t		 len;

	/* The query: header, question, and the EDNS0 OPT record. */
	n = dns_query(0x1234, "mail.example.org", DNS_MX, q, sizeof(q));
	ok(n == 12 + 18 + 4 + 11, "query length with the OPT record (%d)", n);
	ok(q[0] == 0x12 && q[1] == 0x34 && q[2] == 0x01 && q[5] == 1 && q[11] == 1,
	    "id, RD, one question, one additional record");
	ok(memcmp(q + 12, "\4mail\7example\3org\0\0\x0f\0\1", 22) == 0, "the question");
	ok(memcmp(q + 34, "\0\0\x29", 3) == 0 && (q[37] << 8 | q[38]) == DNS_UDP_SIZE &&
	    memcmp(q + 39, "\0\0\0\0\0\0", 6) == 0, "OPT: root, type 41, payload size, no data");
	ok(dns_query(1, "a..b", DNS_A, q, sizeof(q)) == -1, "an empty label is refused");
	memset(m, 'a', 70);
	m[70] = '\0';
	ok(dns_query(1, (const char *)m, DNS_A, q, sizeof(q)) == -1, "a label over 63 octets");
	ok(dns_query(1, "example.org", DNS_A, q, 30) == -1, "no room: refused");

	/* Answers. */
	len = answer(m, 7, 0x8180, "example.org", DNS_MX, 3);
	n = dns_parse(m, len, 7, DNS_MX, rr, 8);
	ok(n == 3, "three MX records (%d)", n);
	ok(n == 3 && rr[0].pref == 30 && strcmp(rr[0].name, "mx0.example.org") == 0 &&
	    rr[2].pref == 10 && strcmp(rr[2].name, "mx2.example.org") == 0,
	    "preferences and compressed exchange names (%s)", rr[0].name);
	ok(dns_parse(m, len, 8, DNS_MX, rr, 8) == -1, "another id: not ours");
	ok(dns_parse(m, len, 7, DNS_MX, rr, 2) == 2, "at most n records");
	ok(dns_parse(m, len, 7, DNS_A, rr, 8) == 0, "records of another type are skipped");
	len = answer(m, 7, 0x8183, "nx.example.org", DNS_MX, 0);
	ok(dns_parse(m, len, 7, DNS_MX, rr, 8) == -2, "NXDOMAIN");
	len = answer(m, 7, 0x8182, "example.org", DNS_MX, 0);
	ok(dns_parse(m, len, 7, DNS_MX, rr, 8) == -3, "SERVFAIL");
	len = answer(m, 7, 0x8181, "example.org", DNS_MX, 0);
	ok(dns_parse(m, len, 7, DNS_MX, rr, 8) == -5, "FORMERR");
	n = dns_query(9, "example.org", DNS_MX, q, sizeof(q));
	ok(dns_strip_edns(q, n) == n - 11 && q[11] == 0, "strip EDNS: no OPT record left");
	ok(dns_strip_edns(q, n - 11) == n - 11, "strip EDNS again: nothing to strip");
	len = answer(m, 7, 0x8380, "example.org", DNS_MX, 1);
	ok(dns_parse(m, len - 5, 7, DNS_MX, rr, 8) == -4, "TC: truncated, ask over TCP");
	len = answer(m, 7, 0x0180, "example.org", DNS_MX, 1);
	ok(dns_parse(m, len, 7, DNS_MX, rr, 8) == -1, "a query (QR clear) is not an answer");

	/* Malformed: every cut of a good answer, and a pointer loop. */
	len = answer(m, 7, 0x8180, "example.org", DNS_MX, 2);
	{
		size_t	 cut;
		int	 bad = 0;
		for (cut = 0; cut < len; cut++)
			if (dns_parse(m, cut, 7, DNS_MX, rr, 8) >= 2)
				bad = 1;
		ok(!bad, "no cut of the answer yields both records");
	}
	memcpy(m + 12, "\xc0\x0c", 2);	/* the question's name points at itself */
	ok(dns_parse(m, len, 7, DNS_MX, rr, 8) == -1, "a compression loop is refused");
	return tap_done();
}
