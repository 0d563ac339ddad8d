/*
 * rules - the sink's misbehaviour on purpose: per-stage replies chosen by
 * selectors (the Nth time, every Nth, a seeded probability, an address
 * pattern), greylisting and a connection rate limit.
 *
 * Rule syntax (one --reply argument, or one line of a rules file):
 *
 *	STAGE[#N|%N|~P][:PATTERN]=ACTION
 *
 * ACTION is words: modifiers (delay SECONDS, drip MS, close, drop, stall,
 * cut BYTES, barelf, badmulti, extra, tls-abort, cert-expired,
 * cert-wrongname, tempfail) and/or a reply "CODE [TEXT]".  Counters are
 * shared by all sessions.  No I/O: the driver passes the time, and the
 * random numbers come from a seeded generator, so a run can be repeated.
 */
#ifndef SESSION_RULES_H
#define SESSION_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "session/smtp_server.h"

struct rules;

struct rules	*rules_new(uint64_t seed);
void		 rules_free(struct rules *);
/* rules_add - one rule; -1 with a reason in err */
int		 rules_add(struct rules *, const char *spec, char *err, size_t);
/* rules_greylist - 451 to the first try of each (client, sender,
 * recipient), accepted once seconds have passed */
void		 rules_greylist(struct rules *, unsigned seconds);
/* rules_rate - "N/s" or "N/m": connections above it get 421 */
int		 rules_rate(struct rules *, const char *spec, char *err, size_t);
/* rules_count - rules to describe (explicit ones, greylist, rate) */
size_t		 rules_count(const struct rules *);
void		 rules_describe(const struct rules *, size_t, char *, size_t);
/* rules_apply - the first rule that fires changes d; returns a short
 * description of it for the transcript, or NULL */
const char	*rules_apply(struct rules *, struct smtp_decision *, const char *client,
		    uint64_t now_ms);
/* rules_action - an ACTION (as after "=" in a rule) applied to d at once;
 * the operator's answer in sink --manual */
int		 rules_action(const char *action, struct smtp_decision *, char *err, size_t);
/* rules_effect_text - what a fired rule does, in words (", 451 instead
 * of 250, held 2.0 s") for the transcript */
void		 rules_effect_text(const struct smtp_decision *, char *, size_t);
/* rules_flags - every flag some rule may set (extra certificates are made
 * only when a rule needs them) */
unsigned	 rules_flags(const struct rules *);
/* rules_stage - whether some rule is for stage st */
int		 rules_stage(const struct rules *, enum smtp_stage);

#endif
