/*
 * tls - GnuTLS behind smtpdbg's own types: credentials (contexts) and TLS
 * transports over an already connected fd.  Nothing here blocks: the
 * handshake and records advance as the loop reports the fd ready.
 * GnuTLS types never appear outside tls/.
 *
 * Errors: NULL or -1 with words in the caller's err buffer.
 */
#ifndef TLS_TLS_H
#define TLS_TLS_H

#include <stddef.h>

#include "tls/xport.h"

struct tls_ctx;

struct tls_client_cfg {
	const char	*ca_file;	/* trust only these (PEM); NULL: system store */
	const char	*priority;	/* GnuTLS priority string; NULL: defaults */
	const char	*tls_min;	/* "1.0" .. "1.3", or NULL */
	const char	*tls_max;
	const char	*cert_file;	/* client certificate chain (PEM) */
	const char	*key_file;
};

struct tls_ctx *tls_ctx_client(const struct tls_client_cfg *, char *err, size_t);
/* tls_ctx_server_generate - an ECDSA P-256 self-signed certificate made
 * now, in memory, for the given DNS names and IP literals, valid from
 * now + from_s until now + until_s (seconds, may be negative) */
struct tls_ctx *tls_ctx_server_generate(const char *const *names, size_t n,
	    long from_s, long until_s, char *err, size_t);
/* tls_ctx_server_files - a PEM certificate chain and its key */
struct tls_ctx *tls_ctx_server_files(const char *cert, const char *key, char *err, size_t);
/* tls_ctx_staple - staple this DER OCSP response (served as is, even
 * stale or revoked: it is for testing clients) */
int		 tls_ctx_staple(struct tls_ctx *, const char *file, char *err, size_t);
/* tls_ctx_fingerprint - SHA-256 of the server certificate, "AB:CD:.." */
const char	*tls_ctx_fingerprint(const struct tls_ctx *);
/* tls_ctx_pem - the server certificate as PEM (borrowed), or NULL */
const char	*tls_ctx_pem(const struct tls_ctx *);
/* tls_ctx_versions - only TLS versions min..max ("1.0".."1.3", NULL: no
 * bound); -1 with err */
int		 tls_ctx_versions(struct tls_ctx *, const char *min, const char *max, char *err,
		    size_t);
void		 tls_ctx_free(struct tls_ctx *);

/* xport_tls_client - TLS over fd (owned from now on); sni NULL: none */
struct xport	*xport_tls_client(int fd, struct tls_ctx *, const char *sni,
		    char *err, size_t);
struct xport	*xport_tls_server(int fd, struct tls_ctx *, char *err, size_t);

/* tls_session_desc - "TLS1.3 AES-256-GCM (X25519, ECDSA-SECP256R1-SHA256)" */
void		 tls_session_desc(struct xport *, char *, size_t);
/* tls_channel_binding - the tls-exporter channel binding (RFC 9266) into
 * out; its length, or -1 when the session has none */
int		 tls_channel_binding(struct xport *, unsigned char *out, size_t);
/* tls_peer_sni - the SNI the client sent (server side), escaped, or "" */
void		 tls_peer_sni(struct xport *, char *, size_t);
/* tls_peer_cert_subject - the client certificate's subject (server side) */
int		 tls_peer_cert_subject(struct xport *, char *, size_t);
/* tls_version_ok - "1.0".."1.3" */
int		 tls_version_ok(const char *);

#endif
