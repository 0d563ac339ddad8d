/*
 * store - durable message storage off the event loop.
 *
 * A message is a job: store_begin() opens it, store_write() queues
 * content, store_end() asks for the durable finish (write, fsync, rename,
 * fsync the folder).  Jobs run on a small pool of worker threads, each
 * job's steps in order, different jobs in parallel; the verdict comes
 * back on the loop through the callback given to store_end(), never
 * before the message is on disk.  Nothing here blocks the loop.
 *
 * File names are generated (time, pid, sequence, random); no string a
 * client sent ever becomes part of a path.
 */
#ifndef CLI_STORE_H
#define CLI_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_kind { STORE_NONE, STORE_MAILDIR, STORE_MBOX, STORE_EML };

struct store_cfg {
	enum store_kind	 kind;
	const char	*path;		/* folder (maildir, eml) or file (mbox) */
	int		 no_fsync;	/* speed runs: 250 does not mean on disk */
	int		 sidecar;	/* write NAME.json beside each message */
	int		 threads;	/* worker threads (default 4) */
};

struct store_result {
	int		 ok;		/* stored durably */
	int		 enospc;	/* the failure was lack of space */
	char		 name[128];	/* generated file name (no path) */
	char		 path[4096];	/* where it is: the file, or the mbox */
	char		 err[256];	/* what failed, for the transcript */
};

struct store_job;
typedef void (*store_done_cb)(void *arg, const struct store_result *);

/* store_open - create the folders / check the file; -1 with err */
int	 store_open(const struct store_cfg *, const char *hostname, char *err, size_t);
void	 store_close(void);
int	 store_enabled(void);
/* store_begin - a new message; mbox_from: envelope sender for mbox's
 * "From " line (escaped here) */
struct store_job *store_begin(const char *mbox_from);
/* store_name - the generated name of the message (borrowed) */
const char *store_name(const struct store_job *);
/* store_write - queue content (copied); never blocks */
void	 store_write(struct store_job *, const void *, size_t);
/* store_backlog - bytes queued and not yet written, for back-pressure */
size_t	 store_backlog(const struct store_job *);
/* store_end - finish durably, then cb(arg, result) on the loop; sidecar
 * (JSON text, may be NULL) is written beside the message */
void	 store_end(struct store_job *, const char *sidecar, store_done_cb, void *arg);
/* store_abort - the transaction failed: discard, remove the temp file */
void	 store_abort(struct store_job *);
/* store_forget - the session is gone: still finish, but call nobody */
void	 store_forget(struct store_job *);
/* store_pending - jobs not yet answered (for a graceful stop) */
size_t	 store_pending(void);
int	 store_fsync(void);
int	 store_sidecar(void);

#endif
