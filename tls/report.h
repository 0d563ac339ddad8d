/*
 * report - what a TLS handshake established and whether a verifying
 * client would accept it, with a reason in words for each check.
 * Plain C types only; filled from a TLS transport after its handshake.
 */
#ifndef TLS_REPORT_H
#define TLS_REPORT_H

#include <stddef.h>
#include <time.h>

#include "session/buf.h"
#include "tls/xport.h"

#define TLS_CHAIN_MAX	10

enum tls_verdict { TLS_PASS, TLS_FAIL, TLS_NA };

struct tls_check {
	enum tls_verdict v;
	char		 why[300];
};

struct tls_cert_info {
	char		 subject[512];
	char		 issuer[512];
	char		 san[1024];
	char		 serial[80];
	time_t		 not_before, not_after;
	char		 key[96];	/* "ECDSA 256 bits (SECP256R1)" */
	char		 sigalg[64];
	char		 sha256[100];	/* certificate fingerprint */
	char		 pin[64];	/* base64 SHA-256 of the SPKI */
	int		 is_ca;
};

struct tls_report {
	char		 protocol[16];
	char		 cipher[48];
	char		 group[48];
	char		 sigalg[64];
	char		 mac[32];
	int		 resumed;
	char		 alpn[64];
	char		 sni[256];	/* sent (client) or received (server) */
	double		 handshake_ms;
	size_t		 ncerts;
	struct tls_cert_info certs[TLS_CHAIN_MAX];
	int		 order_ok;
	char		 order_why[200];
	struct tls_check trust, name, validity, ocsp, dane;
	struct tls_check strength;	/* keys and signatures: GnuTLS's MEDIUM profile */
	/* trust, name and validity as WebPKI sees them, before a DANE match
	 * changes them (MTA-STS needs these: RFC 8461 4.2) */
	struct tls_check pkix_trust, pkix_name, pkix_validity;
	int		 dane_usage;	/* usage of the matching TLSA record, or -1 */
	char		 verify_name[256];
	char		 trust_desc[300];
};

struct tls_report_opts {
	const char	*verify_name;	/* host name or IP literal; NULL: no check */
	const char	*sni;		/* what was sent, for the report */
	double		 handshake_ms;
	const char *const *tlsa;	/* "U S M hex" records; NULL/0: none */
	size_t		 ntlsa;
	int		 tlsa_dnssec;	/* they came from DNSSEC-secure DNS */
};

/* tls_tlsa_check - a --tlsa record is well formed; -1 with words in err */
int	 tls_tlsa_check(const char *, char *err, size_t);
/* tlsa_parse - a record's bytes (usage, selector, type, data); 0 if bad */
size_t	 tlsa_parse(const char *, unsigned char *, size_t, char *err, size_t);
/* tls_report_fill - after the handshake; -1 with err on failure */
int	 tls_report_fill(struct xport *, const struct tls_report_opts *, struct tls_report *,
	    char *err, size_t);
/* tls_report_failed - how many checks failed */
int	 tls_report_failed(const struct tls_report *);
void	 tls_report_text(const struct tls_report *, int color, struct buf *);
void	 tls_report_json(const struct tls_report *, struct buf *);
/* tls_peer_pem - the presented chain as PEM */
int	 tls_peer_pem(struct xport *, struct buf *);
const char *tls_verdict_name(enum tls_verdict);

#endif
