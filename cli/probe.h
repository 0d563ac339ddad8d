/*
 * probe - "smtpdbg probe HOST[:PORT]": a one-shot TLS check (probe.c).
 */
#ifndef CLI_PROBE_H
#define CLI_PROBE_H

#include "cli/run.h"

/* probe_run - the whole probe on the loop; returns the exit code */
int	 probe_run(struct run_opts *, const char *target);

#endif
