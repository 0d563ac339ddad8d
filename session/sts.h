/*
 * sts - the texts of a domain's inbound TLS policy: the MTA-STS TXT record
 * and policy file (RFC 8461) and the TLS-RPT TXT record (RFC 8460).  Pure
 * parsing, no I/O; each problem said in words.
 */
#ifndef SESSION_STS_H
#define SESSION_STS_H

#include <stddef.h>

#define STS_MX_MAX	16
#define STS_POLICY_MAX	65536	/* RFC 8461 3.3: a larger body is refused */

enum sts_mode { STS_NONE, STS_TESTING, STS_ENFORCE };

struct sts_policy {
	enum sts_mode	 mode;
	long		 max_age;
	size_t		 nmx;
	char		 mx[STS_MX_MAX][256];
};

/* sts_txt - "v=STSv1; id=...;": the id into id; -1 with words in err */
int	 sts_txt(const char *, char *id, size_t, char *err, size_t);
/* sts_policy - the policy file (CRLF or LF lines); -1 with words in err */
int	 sts_policy(const char *, size_t, struct sts_policy *, char *err, size_t);
/* sts_mx_match - host matches a policy's mx pattern ("*.example.org"
 * matches exactly one more label on the left) */
int	 sts_mx_match(const char *pattern, const char *host);
/* sts_mode_name - "none", "testing", "enforce" */
const char *sts_mode_name(enum sts_mode);
/* tlsrpt_txt - "v=TLSRPTv1; rua=mailto:...,https://...": -1 with words;
 * the URIs, comma-separated, into rua */
int	 tlsrpt_txt(const char *, char *rua, size_t, char *err, size_t);

#endif
