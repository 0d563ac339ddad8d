/*
 * test_dns - decoding record data (session/dns.c): names, MX, TXT, TLSA,
 * addresses, and every cut or corruption of them.
 */
#include "config.h"

#include <string.h>

#include "session/dns.h"
#include "tests/tap.h"

int
main(void)
{
	static const unsigned char mx[] = "\0\x0a\3mx1\7example\3org\0";
	static const unsigned char txt[] = "\x09v=STSv1; \x0a" "id=2026010";
	static const unsigned char tlsa[] = "\3\1\1\xde\xad\xbe\xef";
	static const unsigned char a4[] = "\x7f\0\0\2";
	unsigned char	 m[400];
	char		 out[600];
	unsigned	 pref = 0;
	size_t		 off, cut;
	int		 bad;

	ok(dns_mx(mx, sizeof(mx) - 1, &pref, out, sizeof(out)) == 0 && pref == 10 &&
	    strcmp(out, "mx1.example.org") == 0, "MX: preference and exchange (%s)", out);
	ok(dns_mx((const unsigned char *)"\0\0\0", 3, &pref, out, sizeof(out)) == 0 &&
	    pref == 0 && out[0] == '\0', "null MX (RFC 7505): the root as exchange");
	for (bad = 0, cut = 0; cut < sizeof(mx) - 1; cut++)
		if (dns_mx(mx, cut, &pref, out, sizeof(out)) == 0)
			bad = 1;
	ok(!bad, "no cut of an MX record decodes");
	memcpy(m, mx, sizeof(mx));
	m[2] = 0xc0;
	ok(dns_mx(m, sizeof(mx) - 1, &pref, out, sizeof(out)) == -1,
	    "a compression pointer is refused");
	memcpy(m, mx, sizeof(mx));
	m[4] = '.';
	ok(dns_mx(m, sizeof(mx) - 1, &pref, out, sizeof(out)) == -1,
	    "a dot inside a label is refused");
	ok(dns_mx(mx, sizeof(mx) - 1, &pref, out, 10) == -1, "no room: refused");
	ok(dns_mx(mx, sizeof(mx), &pref, out, sizeof(out)) == -1, "trailing bytes: refused");
	/* a name over 253 characters */
	for (off = 2, cut = 0; cut < 5; cut++) {
		m[off++] = 60;
		memset(m + off, 'a', 60);
		off += 60;
	}
	m[off++] = 0;
	ok(dns_mx(m, off, &pref, out, sizeof(out)) == -1, "a name over 253 characters");
	off = 2;
	ok(dns_name(mx, sizeof(mx) - 1, &off, out, sizeof(out)) == 0 &&
	    off == sizeof(mx) - 1, "dns_name moves past the name");

	ok(dns_txt(txt, sizeof(txt) - 1, out, sizeof(out)) == 0 &&
	    strcmp(out, "v=STSv1; id=2026010") == 0, "TXT: strings joined (%s)", out);
	ok(dns_txt(txt, sizeof(txt) - 2, out, sizeof(out)) == -1, "TXT: a cut string");
	ok(dns_txt((const unsigned char *)"\2a\0", 3, out, sizeof(out)) == -1,
	    "TXT: a NUL byte is refused");
	ok(dns_txt((const unsigned char *)"\0", 1, out, sizeof(out)) == 0 && out[0] == '\0',
	    "TXT: one empty string");
	ok(dns_txt(txt, sizeof(txt) - 1, out, 5) == -1, "TXT: no room: refused");

	ok(dns_tlsa(tlsa, sizeof(tlsa) - 1, out, sizeof(out)) == 0 &&
	    strcmp(out, "3 1 1 deadbeef") == 0, "TLSA as --tlsa text (%s)", out);
	ok(dns_tlsa(tlsa, 3, out, sizeof(out)) == -1, "TLSA without data: refused");
	ok(dns_tlsa(tlsa, sizeof(tlsa) - 1, out, 10) == -1, "TLSA: no room: refused");

	ok(dns_addr(DNS_A, a4, 4, out, sizeof(out)) == 0 && strcmp(out, "127.0.0.2") == 0,
	    "A as text");
	memset(m, 0, 16);
	m[15] = 1;
	ok(dns_addr(DNS_AAAA, m, 16, out, sizeof(out)) == 0 && strcmp(out, "::1") == 0,
	    "AAAA as text");
	ok(dns_addr(DNS_A, a4, 3, out, sizeof(out)) == -1 &&
	    dns_addr(DNS_AAAA, m, 4, out, sizeof(out)) == -1 &&
	    dns_addr(DNS_MX, a4, 4, out, sizeof(out)) == -1, "wrong lengths and types");
	return tap_done();
}
