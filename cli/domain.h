/*
 * domain - "smtpdbg probe --mx DOMAIN": a domain's whole inbound mail
 * security in one run.  Every MX host and every address of it is probed in
 * parallel on the loop (STARTTLS, SNI and the name checked as the MX name),
 * beside the DNS facts with their DNSSEC status: DANE (RFC 7672) from the
 * TLSA records, MTA-STS (RFC 8461) from the TXT record and the policy
 * fetched over HTTPS, TLS-RPT (RFC 8460), and the expiry of every
 * certificate of every chain.  One table, one verdict: OK, WARNING,
 * CRITICAL or UNKNOWN (--nagios: the plugin conventions).
 */
#ifndef CLI_DOMAIN_H
#define CLI_DOMAIN_H

#include "cli/run.h"

/* --checks */
#define CHECK_INJECTION	0x01
#define CHECK_SMUGGLING	0x02
#define CHECK_RELAY	0x04
#define CHECK_PLAINAUTH	0x08
#define CHECK_VRFY	0x10
#define CHECK_EXPN	0x20

struct domain_opts {
	const char	*port;		/* --mx-port (default 25) */
	int		 sts_port;	/* --mta-sts-port (default 443) */
	int		 warn_days;	/* --warn-days */
	int		 crit_days;	/* --crit-days */
	int		 nagios;	/* --nagios */
	int		 fast;		/* --fast: one session per address */
	unsigned	 checks;	/* --checks: CHECK_* */
	const char	*rcpt;		/* --rcpt: the smuggling check's recipient */
	const char	*baseline;	/* --baseline: an earlier --json run */
};

/* The levels, as Nagios plugins return them. */
enum dom_level { DL_OK, DL_WARNING, DL_CRITICAL, DL_UNKNOWN };

/* domain_checks_parse - "injection,smuggling,..." (or "all") into bits; -1 */
int	 domain_checks_parse(const char *, unsigned *, char *err, size_t);
/* domain_checks_host - --checks against one HOST[:PORT] (probe without
 * --mx); returns 0, 16 (warnings) or 6 (critical) */
int	 domain_checks_host(struct run_opts *, const struct domain_opts *, const char *target);
/* domain_run - the whole check; returns the exit code */
int	 domain_run(struct run_opts *, const struct domain_opts *, const char *domain);

#endif
