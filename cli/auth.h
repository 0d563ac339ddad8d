/*
 * auth - the client's side of SMTP AUTH over a client connection: picks
 * the mechanism from what the server offers (unless one is forced), runs
 * the SASL exchange (session/sasl.c) and shows every credential masked.
 */
#ifndef CLI_AUTH_H
#define CLI_AUTH_H

#include <stddef.h>

#include "cli/client.h"

struct auth_cfg {
	const char	*user;
	const char	*authzid;	/* or NULL */
	const char	*secret;
	const char	*mech;		/* NULL: the best the server offers */
	int		 show_secrets;
};

enum auth_step { AUTH_MORE, AUTH_DONE, AUTH_FAILED };

struct auth;

/* auth_begin - send AUTH; NULL and a reason in err when it cannot */
struct auth	*auth_begin(struct client *, const struct auth_cfg *, char *err, size_t);
/* auth_reply - the reply to our last line: a response was sent (MORE),
 * 235 (DONE), or not (FAILED, the reason in err) */
enum auth_step	 auth_reply(struct auth *, int code, char *err, size_t);
const char	*auth_mech(const struct auth *);
/* auth_read_secret - a line typed at the terminal without echo (malloc'd),
 * or NULL when there is no terminal */
char		*auth_read_secret(const char *prompt);
void		 auth_free(struct auth *);

#endif
