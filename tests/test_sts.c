/*
 * test_sts - MTA-STS records and policies (RFC 8461) and TLS-RPT records
 * (RFC 8460): session/sts.c.
 */
#include "config.h"

#include <string.h>

#include "session/sts.h"
#include "tests/tap.h"

static int
pol(const char *s, struct sts_policy *p, char *err, size_t n)
{
	return sts_policy(s, strlen(s), p, err, n);
}

int
main(void)
{
	struct sts_policy p;
	char	 id[64], err[300], rua[300];
	static char big[STS_POLICY_MAX + 2];

	ok(sts_txt("v=STSv1; id=20260101T1;", id, sizeof(id), err, sizeof(err)) == 0 &&
	    strcmp(id, "20260101T1") == 0, "TXT: version and id (%s)", id);
	ok(sts_txt("v=STSv1;id=abc", id, sizeof(id), err, sizeof(err)) == 0, "TXT: no blanks");
	ok(sts_txt("id=abc; v=STSv1", id, sizeof(id), err, sizeof(err)) == -1 &&
	    strstr(err, "v=STSv1"), "TXT: the version must come first (%s)", err);
	ok(sts_txt("v=STSv1; id=a-b", id, sizeof(id), err, sizeof(err)) == -1,
	    "TXT: id of letters and digits only");
	ok(sts_txt("v=STSv1; id=123456789012345678901234567890123", id, sizeof(id), err,
	    sizeof(err)) == -1, "TXT: id of at most 32");
	ok(sts_txt("v=STSv1;", id, sizeof(id), err, sizeof(err)) == -1 && strstr(err, "no id"),
	    "TXT: no id");
	ok(sts_txt("v=spf1 -all", id, sizeof(id), err, sizeof(err)) == -1, "TXT: another record");

	ok(pol("version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.example.net\r\n"
	    "max_age: 604800\r\n", &p, err, sizeof(err)) == 0 && p.mode == STS_ENFORCE &&
	    p.max_age == 604800 && p.nmx == 2 && strcmp(p.mx[1], "*.example.net") == 0,
	    "policy: CRLF lines");
	ok(pol("version: STSv1\nmode: testing\nmx: a.b\nmax_age: 0\nfuture: x\n", &p, err,
	    sizeof(err)) == 0 && p.mode == STS_TESTING && p.max_age == 0,
	    "policy: LF lines, an unknown key ignored");
	ok(pol("version: STSv1\nmode: none\nmax_age: 86400", &p, err, sizeof(err)) == 0,
	    "policy: mode none needs no mx, no final newline");
	ok(pol("version: STSv1\nmode: enforce\nmax_age: 86400\n", &p, err, sizeof(err)) == -1 &&
	    strstr(err, "without any mx"), "policy: enforce without mx (%s)", err);
	ok(pol("version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n", &p, err, sizeof(err)) == -1,
	    "policy: another version");
	ok(pol("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n", &p, err, sizeof(err)) == -1 &&
	    strstr(err, "strict"), "policy: an unknown mode");
	ok(pol("version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n", &p, err,
	    sizeof(err)) == -1, "policy: max_age over a year");
	ok(pol("version: STSv1\nmode: enforce\nmx: a\nmax_age: -1\n", &p, err, sizeof(err)) == -1,
	    "policy: negative max_age");
	ok(pol("version: STSv1\nmode: enforce\nmx: a\n", &p, err, sizeof(err)) == -1 &&
	    strstr(err, "max_age"), "policy: no max_age");
	ok(pol("version: STSv1\nmode enforce\n", &p, err, sizeof(err)) == -1 &&
	    strstr(err, "line 2"), "policy: a line without a colon");
	ok(pol("version: STSv1\nmode: enforce\nmx: a b\nmax_age: 1\n", &p, err, sizeof(err)) == -1,
	    "policy: an mx with a blank");
	ok(sts_policy("version: STSv1\0", 15, &p, err, sizeof(err)) == -1, "policy: a NUL byte");
	memset(big, '\n', sizeof(big));
	ok(sts_policy(big, sizeof(big), &p, err, sizeof(err)) == -1 && strstr(err, "64 KB"),
	    "policy: over 64 KB");

	ok(sts_mx_match("mail.example.org", "MAIL.example.org"), "match: exact, any case");
	ok(sts_mx_match("mail.example.org", "mail.example.org."), "match: a final dot");
	ok(sts_mx_match("*.example.org", "mx1.example.org"), "match: wildcard, one label");
	ok(!sts_mx_match("*.example.org", "a.mx1.example.org"), "match: not two labels");
	ok(!sts_mx_match("*.example.org", "example.org"), "match: not zero labels");
	ok(!sts_mx_match("mail.example.org", "mail.example.org.evil"), "match: no suffix");
	ok(!sts_mx_match("*.example.org", "mxexample.org"), "match: the dot counts");

	ok(tlsrpt_txt("v=TLSRPTv1; rua=mailto:tls@example.org,https://r.example.org/x", rua,
	    sizeof(rua), err, sizeof(err)) == 0 && strstr(rua, "https://r.example.org/x"),
	    "TLS-RPT: two URIs");
	ok(tlsrpt_txt("v=TLSRPTv1;", rua, sizeof(rua), err, sizeof(err)) == -1 &&
	    strstr(err, "no rua"), "TLS-RPT: no rua");
	ok(tlsrpt_txt("v=TLSRPTv1; rua=http://x.example", rua, sizeof(rua), err,
	    sizeof(err)) == -1, "TLS-RPT: http is not allowed");
	ok(tlsrpt_txt("v=TLSRPTv1; rua=mailto:nobody", rua, sizeof(rua), err,
	    sizeof(err)) == -1, "TLS-RPT: mailto without @");
	ok(tlsrpt_txt("rua=mailto:a@b; v=TLSRPTv1", rua, sizeof(rua), err, sizeof(err)) == -1,
	    "TLS-RPT: the version first");
	ok(tlsrpt_txt("v=TLSRPTv1; rua=mailto:a@b; rua=mailto:c@d", rua, sizeof(rua), err,
	    sizeof(err)) == -1, "TLS-RPT: rua twice");
	return tap_done();
}
