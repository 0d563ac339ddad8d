/*
 * sasl - SMTP AUTH mechanisms (RFC 4954) for both sides, without I/O:
 * PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), XOAUTH2, OAUTHBEARER (RFC
 * 7628) and SCRAM-SHA-256 (RFC 7677, 5802).  Messages in and out are the
 * decoded bytes; base64 is the caller's.  Hashes, HMACs, PBKDF2 and random
 * numbers come from the caller (struct sasl_crypto), so this file needs
 * libc only.  Every step can also describe what it sent or received with
 * the secret replaced by "****", for transcripts.
 */
#ifndef SESSION_SASL_H
#define SESSION_SASL_H

#include <stddef.h>

#include "session/buf.h"

enum sasl_mech {
	SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5, SASL_XOAUTH2, SASL_OAUTHBEARER,
	SASL_SCRAM_SHA256, SASL_SCRAM_SHA256_PLUS,
	SASL_MECH_COUNT
};

struct sasl_crypto {
	/* HMAC-MD5 (sha256 0, 16 bytes out) or HMAC-SHA-256 (32 bytes out) */
	void	(*hmac)(int sha256, const void *key, size_t, const void *msg, size_t,
		    unsigned char *out);
	void	(*sha256)(const void *, size_t, unsigned char out[32]);
	int	(*pbkdf2)(const void *pw, size_t, const void *salt, size_t, unsigned iter,
		    unsigned char out[32]);
	void	(*random)(void *, size_t);
};

const char	*sasl_mech_name(enum sasl_mech);
int		 sasl_mech_parse(const char *, size_t, enum sasl_mech *);
/* sasl_mech_crypto - the mechanism needs struct sasl_crypto */
int		 sasl_mech_crypto(enum sasl_mech);

enum sasl_result { SASL_CONTINUE, SASL_OK, SASL_FAIL, SASL_BAD };
/* sasl_offered - mechanism m is among an AUTH keyword's parameters */
int		 sasl_offered(const char *params, enum sasl_mech m);
/* sasl_pick - the strongest mechanism usable with a password that params
 * offers (-PLUS only with a channel binding); -1 when none */
int		 sasl_pick(const char *params, int channel_binding);

/* Client side. */
struct sasl_client;
/* tls: the session is encrypted (SCRAM says "y": it could bind); cb: the
 * tls-exporter channel binding for SCRAM-SHA-256-PLUS (else NULL) */
struct sasl_client *sasl_client_new(enum sasl_mech, const char *authzid, const char *user,
	    const char *secret, const struct sasl_crypto *, int tls, const unsigned char *cb,
	    size_t cblen);
void		 sasl_client_free(struct sasl_client *);
/* sasl_client_initial - the initial response into out; 0 if the
 * mechanism has none (LOGIN, CRAM-MD5: the server speaks first) */
int		 sasl_client_initial(struct sasl_client *, struct buf *out);
/* sasl_client_step - a challenge in, the response into out; SASL_OK when
 * the exchange is complete on our side, SASL_FAIL (see sasl_client_error)
 * when the server's message is wrong (a bad SCRAM signature, say) */
enum sasl_result sasl_client_step(struct sasl_client *, const unsigned char *, size_t,
	    struct buf *out);
/* sasl_client_shown - what the last response said, secret masked */
const char	*sasl_client_shown(const struct sasl_client *);
const char	*sasl_client_error(const struct sasl_client *);

/* Server side.  lookup: 1 and the user's secret in pw; 0 unknown user; 2
 * any credentials are accepted. */
typedef int	(*sasl_lookup)(void *arg, const char *user, char *pw, size_t pwlen);
struct sasl_server;
/* cb: the session's tls-exporter binding; with it, a SCRAM client saying
 * "y" (it could bind but thinks we cannot) is a downgrade and fails */
struct sasl_server *sasl_server_new(enum sasl_mech, const struct sasl_crypto *, sasl_lookup,
	    void *arg, const char *hostname, const unsigned char *cb, size_t cblen);
void		 sasl_server_free(struct sasl_server *);
/* sasl_server_step - the client's message (has: 0 when AUTH came without
 * an initial response); a challenge into out when SASL_CONTINUE.
 * SASL_BAD: the message is malformed (501). */
enum sasl_result sasl_server_step(struct sasl_server *, const unsigned char *, size_t, int has,
	    struct buf *out);
/* sasl_server_user - who authenticated (or tried), printable, or "" */
const char	*sasl_server_user(const struct sasl_server *);
/* sasl_server_shown - the client's last message, secret masked */
const char	*sasl_server_shown(const struct sasl_server *);

#endif
