/*
 * store - storage workers (see store.h).
 *
 * Threads: the loop thread creates jobs and queues tasks; worker threads
 * run them; finished jobs go on a done list and the loop is woken through
 * an eventfd, where the callbacks run.  One mutex guards the queues and
 * the job fields marked "locked"; the rest of a job is touched by one
 * side at a time (the loop until store_end/store_abort hands it over).
 *
 * Durability (RELIABILITY.md 6.2): Maildir and .eml: write the temporary
 * file, fsync it, close, rename it into place, fsync the folder, and only
 * then report success.  mbox: append under a lock, fsync, and truncate
 * back to the old size on any failure, so no half message stays.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli/loop.h"
#include "cli/store.h"
#include "session/buf.h"
#include "session/xalloc.h"

enum task_kind { T_WRITE, T_END, T_ABORT };

#define STAGE_MAX	65536	/* bytes gathered before a hand-over */

struct task {
	enum task_kind	 kind;
	unsigned char	*data;
	size_t		 len;
	struct task	*next;
};

struct store_job {
	/* locked */
	struct task	*head, *tail;
	int		 running, queued, finished, forgotten;
	size_t		 backlog;
	struct store_job *next;		/* ready or done list */
	/* worker side */
	int		 fd;
	int		 failed, enospc;
	char		 err[256];
	struct buf	 mem;		/* mbox: the message, quoted at the end */
	/* loop side: small writes gathered into one task */
	struct buf	 stage;
	/* set at creation */
	char		 name[128];
	char		 tmpname[160];
	char		 from[300];
	time_t		 when;
	/* set by store_end */
	char		*sidecar;
	store_done_cb	 cb;
	void		*arg;
	struct store_result res;
};

static struct store_cfg	 cfg;
static char		*path;
static char		 host[64];
static int		 dfd = -1, dfd_tmp = -1, dfd_new = -1, mbox_fd = -1;
static int		 evfd = -1;
static pthread_t	 workers[16];
static int		 nworkers;
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t	 mbox_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store_job	*ready_head, *ready_tail, *done_head;
static int		 stopping;
static size_t		 pending;
static unsigned long	 seq;

static void	*worker(void *);
static void	 on_done(int, unsigned, void *);

int
store_enabled(void)
{
	return cfg.kind != STORE_NONE;
}

int
store_fsync(void)
{
	return !cfg.no_fsync;
}

int
store_sidecar(void)
{
	return cfg.sidecar;
}

static int
open_dir(const char *p, int create, char *err, size_t errlen)
{
	int	 fd;

	if (create && mkdir(p, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
	return fd;
}

int
store_open(const struct store_cfg *c, const char *hostname, char *err, size_t errlen)
{
	char	 p[4096];
	size_t	 i, j;
	int	 t;

	cfg = *c;
	if (cfg.kind == STORE_NONE)
		return 0;
	path = xstrdup(cfg.path);
	/* The host part of file names: letters, digits, '-' and '.' only. */
	for (i = j = 0; hostname && hostname[i] && j < sizeof(host) - 1; i++)
		if ((hostname[i] >= 'a' && hostname[i] <= 'z') || (hostname[i] >= 'A' &&
		    hostname[i] <= 'Z') || (hostname[i] >= '0' && hostname[i] <= '9') ||
		    hostname[i] == '-' || hostname[i] == '.')
			host[j++] = hostname[i];
	host[j] = '\0';
	if (j == 0)
		snprintf(host, sizeof(host), "localhost");
	switch (cfg.kind) {
	case STORE_MAILDIR:
		if ((dfd = open_dir(path, 1, err, errlen)) == -1)
			return -1;
		snprintf(p, sizeof(p), "%s/tmp", path);
		if ((dfd_tmp = open_dir(p, 1, err, errlen)) == -1)
			return -1;
		snprintf(p, sizeof(p), "%s/new", path);
		if ((dfd_new = open_dir(p, 1, err, errlen)) == -1)
			return -1;
		snprintf(p, sizeof(p), "%s/cur", path);
		if ((t = open_dir(p, 1, err, errlen)) == -1)
			return -1;
		fsync(t);
		close(t);
		fsync(dfd);
		break;
	case STORE_EML:
		if ((dfd = open_dir(path, 1, err, errlen)) == -1)
			return -1;
		dfd_tmp = dfd_new = dfd;
		fsync(dfd);
		break;
	case STORE_MBOX:
		mbox_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (mbox_fd == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		break;
	case STORE_NONE:
		break;
	}
	if ((evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    loop_add_fd(evfd, LOOP_IN, on_done, NULL) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	nworkers = cfg.threads > 0 && cfg.threads <= 16 ? cfg.threads : 4;
	/*
	 * Workers never take signals: a SIGINT delivered to one of them
	 * would kill the process instead of reaching the loop's signalfd.
	 */
	{
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (i = 0; i < (size_t)nworkers; i++)
			if (pthread_create(&workers[i], NULL, worker, NULL) != 0)
				break;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (i < (size_t)nworkers) {
			snprintf(err, errlen, "cannot start storage threads");
			nworkers = (int)i;
			return -1;
		}
	}
	return 0;
}

void
store_close(void)
{
	int	 i;

	if (cfg.kind == STORE_NONE)
		return;
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	on_done(evfd, LOOP_IN, NULL);	/* answer what finished last */
	loop_del_fd(evfd);
	close(evfd);
	if (dfd_tmp != -1 && dfd_tmp != dfd)
		close(dfd_tmp);
	if (dfd_new != -1 && dfd_new != dfd)
		close(dfd_new);
	if (dfd != -1)
		close(dfd);
	if (mbox_fd != -1)
		close(mbox_fd);
	dfd = dfd_tmp = dfd_new = mbox_fd = evfd = -1;
	free(path);
	cfg.kind = STORE_NONE;
}

size_t
store_pending(void)
{
	size_t	 n;

	pthread_mutex_lock(&mu);
	n = pending;
	pthread_mutex_unlock(&mu);
	return n;
}

/* make_ready - put a job at the end of the ready queue (lock held) */
static void
make_ready(struct store_job *j)
{
	j->queued = 1;
	j->next = NULL;
	if (ready_tail)
		ready_tail->next = j;
	else
		ready_head = j;
	ready_tail = j;
}

/* push - queue a task on a job and make the job ready (lock held) */
static void
push(struct store_job *j, struct task *t)
{
	t->next = NULL;
	if (j->tail)
		j->tail->next = t;
	else
		j->head = t;
	j->tail = t;
	if (t->kind == T_WRITE)
		j->backlog += t->len;
	if (!j->running && !j->queued) {
		make_ready(j);
		pthread_cond_signal(&cv);
	}
}

struct store_job *
store_begin(const char *mbox_from)
{
	struct store_job *j = xcalloc(1, sizeof(*j));
	struct timeval	 tv;
	unsigned char	 rnd[8];
	size_t		 i, k;

	buf_init(&j->stage, STAGE_MAX);

	gettimeofday(&tv, NULL);
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(random() >> 8);
	/* Generated only: time, pid, sequence, random; never client bytes. */
	k = (size_t)snprintf(j->name, sizeof(j->name), "%lld.M%06ldP%ldQ%luR",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), ++seq);
	for (i = 0; i < sizeof(rnd) && k + 3 < sizeof(j->name); i++)
		k += (size_t)snprintf(j->name + k, sizeof(j->name) - k, "%02x", rnd[i]);
	snprintf(j->name + k, sizeof(j->name) - k, ".%s%s", host,
	    cfg.kind == STORE_EML ? ".eml" : "");
	snprintf(j->tmpname, sizeof(j->tmpname), "%s%s", j->name,
	    cfg.kind == STORE_EML ? ".tmp" : "");
	j->when = tv.tv_sec;
	j->fd = -1;
	buf_init(&j->mem, (size_t)1 << 40);
	/* mbox "From " line: the sender without spaces or controls. */
	for (i = k = 0; mbox_from && mbox_from[i] && k < sizeof(j->from) - 1; i++)
		if ((unsigned char)mbox_from[i] > 0x20 && (unsigned char)mbox_from[i] < 0x7f)
			j->from[k++] = mbox_from[i];
	j->from[k] = '\0';
	if (k == 0)
		snprintf(j->from, sizeof(j->from), "MAILER-DAEMON");
	pthread_mutex_lock(&mu);
	pending++;
	pthread_mutex_unlock(&mu);
	return j;
}

const char *
store_name(const struct store_job *j)
{
	return j->name;
}

/* stage_task - the gathered bytes as a task (NULL if none); the loop's */
static struct task *
stage_task(struct store_job *j)
{
	struct task *t;

	if (j->stage.len == 0)
		return NULL;
	t = xmalloc(sizeof(*t));
	t->kind = T_WRITE;
	t->data = j->stage.data;	/* handed over: appended only, so off is 0 */
	t->len = j->stage.len;
	buf_init(&j->stage, STAGE_MAX);
	return t;
}

/* push_locked - queue a task (NULL: none) under the lock */
static void
push_locked(struct store_job *j, struct task *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&mu);
	push(j, t);
	pthread_mutex_unlock(&mu);
}

/*
 * store_write - bytes for the job.  Small pieces (a line, a run of lines)
 * are gathered up to STAGE_MAX on the loop side and handed to a worker in
 * one task: one lock and at most one wake-up per 64 KiB, not per piece
 * (a 300-byte message is one hand-over with its end).  Order is kept:
 * what is gathered goes before anything that does not fit beside it.
 */
void
store_write(struct store_job *j, const void *p, size_t n)
{
	struct task *t;

	if (n == 0)
		return;
	if (j->stage.len + n > STAGE_MAX)
		push_locked(j, stage_task(j));
	if (n >= STAGE_MAX) {
		/* a stage's worth or more: a task of its own (the stage is empty) */
		t = xmalloc(sizeof(*t));
		t->kind = T_WRITE;
		t->data = xmalloc(n);
		memcpy(t->data, p, n);
		t->len = n;
		push_locked(j, t);
		return;
	}
	if (buf_append(&j->stage, p, n) == -1)
		fatalx("%s: %zu bytes do not fit a stage of %zu", __func__, n, j->stage.len);
	if (j->stage.len == STAGE_MAX)
		push_locked(j, stage_task(j));
}

size_t
store_backlog(const struct store_job *j)
{
	size_t	 n;

	pthread_mutex_lock(&mu);
	n = j->backlog;
	pthread_mutex_unlock(&mu);
	return n;
}

void
store_end(struct store_job *j, const char *sidecar, store_done_cb cb, void *arg)
{
	struct task *t = xcalloc(1, sizeof(*t)), *w = stage_task(j);

	t->kind = T_END;
	j->sidecar = sidecar ? xstrdup(sidecar) : NULL;
	j->cb = cb;
	j->arg = arg;
	pthread_mutex_lock(&mu);
	if (w)
		push(j, w);	/* the last bytes and the end: one wake-up */
	push(j, t);
	pthread_mutex_unlock(&mu);
}

void
store_abort(struct store_job *j)
{
	struct task *t = xcalloc(1, sizeof(*t));

	t->kind = T_ABORT;
	buf_free(&j->stage);	/* never written: nothing to keep */
	pthread_mutex_lock(&mu);
	j->forgotten = 1;
	push(j, t);
	pthread_mutex_unlock(&mu);
}

void
store_forget(struct store_job *j)
{
	pthread_mutex_lock(&mu);
	j->forgotten = 1;
	pthread_mutex_unlock(&mu);
}

/* Worker side. */

static void
fail(struct store_job *j, const char *what, int e)
{
	if (j->failed)
		return;
	j->failed = 1;
	j->enospc = e == ENOSPC || e == EDQUOT;
	snprintf(j->err, sizeof(j->err), "%s: %s", what, strerror(e));
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
do_write(struct store_job *j, const unsigned char *p, size_t n)
{
	if (j->failed)
		return;
	if (cfg.kind == STORE_MBOX) {
		buf_append(&j->mem, p, n);
		return;
	}
	if (j->fd == -1) {
		j->fd = openat(dfd_tmp, j->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (j->fd == -1) {
			fail(j, "creating the file", errno);
			return;
		}
	}
	if (write_all(j->fd, p, n) == -1)
		fail(j, "writing", errno);
}

/* mbox_quote - mboxrd: a line that is ">*From " gets one more '>' */
static void
mbox_quote(struct buf *out, const unsigned char *p, size_t n)
{
	size_t	 i = 0, e, k;

	while (i < n) {
		for (e = i; e < n && p[e] != '\n'; e++)
			;
		if (e < n)
			e++;
		for (k = i; k < e && p[k] == '>'; k++)
			;
		if (e - k >= 5 && memcmp(p + k, "From ", 5) == 0)
			buf_append(out, ">", 1);
		buf_append(out, p + i, e - i);
		i = e;
	}
}

static void
do_end_mbox(struct store_job *j)
{
	struct buf	 out;
	struct stat	 st;
	char		 date[64];
	struct tm	 tm;
	off_t		 start;

	buf_init(&out, (size_t)1 << 40);
	gmtime_r(&j->when, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	buf_printf(&out, "From %s %s\n", j->from, date);
	mbox_quote(&out, buf_ptr(&j->mem), j->mem.len);
	if (j->mem.len == 0 || buf_ptr(&j->mem)[j->mem.len - 1] != '\n')
		buf_append(&out, "\n", 1);
	buf_append(&out, "\n", 1);
	pthread_mutex_lock(&mbox_mu);
	if (flock(mbox_fd, LOCK_EX) == -1) {
		fail(j, "locking the mbox", errno);
		goto out;
	}
	start = fstat(mbox_fd, &st) == 0 ? st.st_size : -1;
	if (write_all(mbox_fd, buf_ptr(&out), out.len) == -1)
		fail(j, "appending to the mbox", errno);
	else if (!cfg.no_fsync && fsync(mbox_fd) == -1)
		fail(j, "fsync of the mbox", errno);
	if (j->failed && start >= 0 && ftruncate(mbox_fd, start) == -1)
		snprintf(j->err + strlen(j->err), sizeof(j->err) - strlen(j->err),
		    "; and the partial message could not be removed");
	flock(mbox_fd, LOCK_UN);
out:
	pthread_mutex_unlock(&mbox_mu);
	buf_free(&out);
}

static void
do_end(struct store_job *j)
{
	if (cfg.kind == STORE_MBOX) {
		if (!j->failed)
			do_end_mbox(j);
	} else {
		if (j->fd == -1 && !j->failed)
			do_write(j, (const unsigned char *)"", 0);
		/* tmp -> write -> fsync -> close -> rename -> fsync(folder) */
		if (!j->failed && !cfg.no_fsync && fsync(j->fd) == -1)
			fail(j, "fsync", errno);	/* never retried (fsyncgate) */
		if (j->fd != -1 && close(j->fd) == -1)
			fail(j, "close", errno);
		j->fd = -1;
		if (!j->failed && renameat(dfd_tmp, j->tmpname, dfd_new, j->name) == -1)
			fail(j, "rename into place", errno);
		if (!j->failed && !cfg.no_fsync && fsync(dfd_new) == -1)
			fail(j, "fsync of the folder", errno);
		if (j->failed)
			unlinkat(dfd_tmp, j->tmpname, 0);
	}
	/* The sidecar is not part of the 250 promise: written after. */
	if (!j->failed && j->sidecar && cfg.kind != STORE_MBOX) {
		char sc[200];
		int fd;
		snprintf(sc, sizeof(sc), "%s.json", j->name);
		fd = openat(dfd_new, sc, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1) {
			if (write_all(fd, (const unsigned char *)j->sidecar, strlen(j->sidecar)) == -1)
				unlinkat(dfd_new, sc, 0);
			close(fd);
		}
	}
	j->res.ok = !j->failed;
	j->res.enospc = j->enospc;
	snprintf(j->res.name, sizeof(j->res.name), "%s", j->name);
	if (cfg.kind == STORE_MBOX)
		snprintf(j->res.path, sizeof(j->res.path), "%s", path);
	else
		snprintf(j->res.path, sizeof(j->res.path), "%s%s/%s", path,
		    cfg.kind == STORE_MAILDIR ? "/new" : "", j->name);
	snprintf(j->res.err, sizeof(j->res.err), "%s", j->err);
}

static void
do_abort(struct store_job *j)
{
	if (j->fd != -1) {
		close(j->fd);
		j->fd = -1;
		unlinkat(dfd_tmp, j->tmpname, 0);
	}
}

static void *
worker(void *arg)
{
	struct store_job *j;
	struct task	*t;
	uint64_t	 one = 1;
	int		 end;

	pthread_mutex_lock(&mu);
	for (;;) {
		while (ready_head == NULL && !stopping)
			pthread_cond_wait(&cv, &mu);
		if (ready_head == NULL && stopping)
			break;
		j = ready_head;
		ready_head = j->next;
		if (ready_head == NULL)
			ready_tail = NULL;
		j->queued = 0;
		j->running = 1;
		end = 0;
		while ((t = j->head) != NULL) {
			j->head = t->next;
			if (j->head == NULL)
				j->tail = NULL;
			if (t->kind == T_WRITE)
				j->backlog -= t->len;
			pthread_mutex_unlock(&mu);
			switch (t->kind) {
			case T_WRITE:
				do_write(j, t->data, t->len);
				break;
			case T_END:
				do_end(j);
				end = 1;
				break;
			case T_ABORT:
				do_abort(j);
				end = 2;
				break;
			}
			free(t->data);
			free(t);
			pthread_mutex_lock(&mu);
			if (end)
				break;
		}
		j->running = 0;
		if (end) {
			/* Finished: hand it to the loop (answer or free there). */
			/* The loop is woken once per batch: a list that is not
			 * empty has its wake-up on the way (on_done reads the
			 * eventfd before it takes the list). */
			int wake = done_head == NULL;
			j->finished = 1;
			j->next = done_head;
			done_head = j;
			if (wake && write(evfd, &one, sizeof(one)) < 0)
				(void)0;
		} else if (j->head && !j->queued)
			make_ready(j);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* on_done - on the loop: answer each finished message */
static void
on_done(int fd, unsigned ev, void *arg)
{
	struct store_job *list, *j, *next;
	uint64_t	 n;

	if (read(fd, &n, sizeof(n)) < 0)
		(void)0;
	pthread_mutex_lock(&mu);
	list = done_head;
	done_head = NULL;
	pthread_mutex_unlock(&mu);
	for (j = list; j; j = next) {
		int forgotten;
		next = j->next;
		pthread_mutex_lock(&mu);
		forgotten = j->forgotten;
		pending--;
		pthread_mutex_unlock(&mu);
		if (!forgotten && j->cb)
			j->cb(j->arg, &j->res);
		free(j->sidecar);
		buf_free(&j->mem);
		buf_free(&j->stage);
		free(j);
	}
}
