/*
 * manual - sink --manual: every reply waits for the operator, who sees
 * the client's command in the transcript and answers at a readline
 * prompt pre-filled with the sink's default reply (Enter sends it).
 */
#ifndef CLI_MANUAL_H
#define CLI_MANUAL_H

#include "session/smtp_server.h"

/* manual_cb - the operator's answer for owner's pending reply */
typedef void (*manual_cb)(void *owner, struct smtp_decision *);

int	 manual_start(manual_cb);
/* manual_ask - queue a decision; enh: show the enhanced code */
void	 manual_ask(void *owner, unsigned session, const struct smtp_decision *, int enh);
/* manual_forget - owner went away: drop its questions */
void	 manual_forget(void *owner);
void	 manual_stop(void);

#endif
