/*
 * tls_int - what tls.c and report.c share; GnuTLS types allowed here only.
 */
#ifndef TLS_TLS_INT_H
#define TLS_TLS_INT_H

#include <gnutls/gnutls.h>

struct tls_ctx {
	int				 server;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t		 prio;
	char				 fp[100];	/* server certificate SHA-256 */
	char				*pem;		/* server certificate, PEM */
	char				 trust_desc[300]; /* client: where trust comes from */
	char				*ca_file;	/* client: --ca-file, or NULL */
};

/* tls_trust_verify - verify a chain against the trust anchors of ctx:
 * status (GnuTLS bits) says whether it chains to them, whatever its
 * algorithms; pstatus whether it also meets GnuTLS's MEDIUM verification
 * profile (112-bit security: RSA/DSA 2048, EC 224 bits, no MD5 or SHA-1
 * signature); desc where trust came from */
int	 tls_trust_verify(struct tls_ctx *, const gnutls_x509_crt_t *, unsigned,
	    unsigned *status, unsigned *pstatus, char *desc, size_t);

struct tls_xp {
	gnutls_session_t	 s;
	struct tls_ctx		*ctx;
	int			 done, failed, no_close_notify;
	unsigned		 want;
	size_t			 send_pending;
	char			*sni;
	char			 err[256];
};

#endif
