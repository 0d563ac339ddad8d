/*
 * load - what many sessions measured: per-phase latency statistics (fixed
 * memory whatever the count), errors by stage and reply code, the live
 * progress line, the final table, and the same as JSON.  send.c runs the
 * sessions (send --sessions, ping) and reports here.
 */
#ifndef CLI_LOAD_H
#define CLI_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/tx.h"
#include "session/hist.h"

enum load_phase {
	LP_CONNECT, LP_GREETING, LP_TLS, LP_EHLO, LP_AUTH, LP_MAIL, LP_RCPT, LP_DATA,
	LP_DOT, LP_QUIT, LP_COUNT
};

#define LOAD_ERRORS	32	/* distinct (stage, code, first text) kept */
#define LOAD_TEXT	160	/* the words kept of each */

struct load_error {
	enum load_phase	 ph;
	int		 code;		/* the reply code, 0: no reply */
	unsigned long	 n;
	char		 text[LOAD_TEXT];	/* the first one's words */
};

struct load {
	const char	*target;
	int		 ping;		/* units are sessions (ping) */
	unsigned long	 total;		/* units asked for; 0: until stopped */
	uint64_t	 t0, t1;	/* monotonic us: start, end */
	unsigned long	 done, ok, failed;	/* units finished: succeeded, failed */
	unsigned long	 sessions;	/* connections opened */
	unsigned long	 errors;	/* error events (a unit may have several) */
	struct hist	 ph[LP_COUNT];
	struct hist	 unit;		/* a unit's whole time */
	struct load_error err[LOAD_ERRORS];
	size_t		 nerr;
	unsigned long	 err_more;	/* errors not fitting the table */
	struct tx	 tx;		/* JSON events (tx.json), or none */
	int		 shown;		/* the progress line is on screen */
	struct loop_timer *ptimer;
};

/* load_phase_name - "end of data"; load_phase_key - "dot" (JSON) */
const char *load_phase_name(enum load_phase);
const char *load_phase_key(enum load_phase);
void	 load_init(struct load *, const char *target, unsigned long total, int ping,
	    FILE *json, int progress);
void	 load_sample(struct load *, enum load_phase, uint64_t us);
void	 load_error(struct load *, enum load_phase, int code, const char *text);
/* load_unit - a unit (message, or ping session) finished */
void	 load_unit(struct load *, int ok, uint64_t us);
/* load_stop - the run is over: its end time; the live line cleared */
void	 load_stop(struct load *);
/* load_table - the final table as text */
void	 load_table(const struct load *, FILE *);
/* load_json - the "load" summary event */
void	 load_json(struct load *);
/* load_ping_summary - ping(8)'s closing lines, then the table */
void	 load_ping_summary(const struct load *, FILE *);

/* What one unit did, for its line (ping) or event (--json-messages). */
struct load_unit_info {
	unsigned long	 seq;		/* 1.. */
	unsigned long	 session;	/* 1.. */
	unsigned long	 on_conn;	/* its place on its connection, 1.. */
	int		 ok;
	enum load_phase	 ph;		/* failed: the stage */
	int		 code;		/* failed: the reply code, or 0 */
	const char	*text;		/* failed: the reason; ok: the last reply */
	uint64_t	 us[LP_COUNT];	/* the time in each phase (sums) */
	unsigned	 have;		/* bit per phase with a time */
	uint64_t	 total_us;
};

/* load_unit_event - one JSON event ("load_message" or "ping") */
void	 load_unit_event(struct load *, const char *name, const struct load_unit_info *);
/* load_ping_line - one ping's line of text */
void	 load_ping_line(const struct load *, const struct load_unit_info *, FILE *);

#endif
