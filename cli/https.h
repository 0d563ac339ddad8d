/*
 * https - one HTTPS GET through libcurl (built on GnuTLS) on the loop: for
 * the MTA-STS policy (RFC 8461 3.3).  The certificate is verified against
 * the system store or ca_file, redirects are refused, the body is capped
 * at max bytes, and the whole transfer at timeout_ms.  The host's address
 * comes from the caller (its own DNS), so nothing here resolves names.
 */
#ifndef CLI_HTTPS_H
#define CLI_HTTPS_H

#include <stddef.h>

struct https_result {
	int		 ok;		/* a 200 with a body within the limits */
	long		 status;	/* HTTP status, 0 if none */
	char		 content_type[128];
	const char	*body;
	size_t		 len;
	char		 why[600];	/* when !ok: in words */
};

typedef void (*https_cb)(void *arg, const struct https_result *);

/* https_get - url "https://HOST[:PORT]/path", HOST reached at addr (an IP);
 * cb once, from the loop; -1 with err */
int	 https_get(const char *url, const char *host, int port, const char *addr,
	    const char *ca_file, size_t max, unsigned timeout_ms, https_cb, void *arg,
	    char *err, size_t);

/* https_lib_version - "libcurl 7.88.1 (GnuTLS/3.7.9)" */
const char *https_lib_version(void);

#endif
