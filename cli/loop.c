/*
 * loop - epoll event loop with a binary heap of timers and a signalfd.
 *
 * fd handlers live in a table indexed by fd.  Timers live in a heap keyed
 * by due time; each knows its heap index so deletion is O(log n).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli/loop.h"
#include "session/xalloc.h"

struct fdh {
	loop_fd_cb	 cb;
	void		*arg;
	unsigned	 events;
	int		 used;
};

struct loop_timer {
	uint64_t	 due;
	loop_timer_cb	 cb;
	void		*arg;
	size_t		 idx;
};

static int		 epfd = -1;
static struct fdh	*fds;
static size_t		 nfds;
static struct loop_timer **heap;
static size_t		 nheap, heapcap;
static int		 quitting, quitcode;
static int		 sigfd = -1;
static sigset_t		 sigmask;
static loop_signal_cb	 sigcbs[65];
static void		*sigargs[65];
static void		(*prepoll)(void *);
static void		*prepoll_arg;

uint64_t
loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
loop_init(void)
{
	if (epfd != -1)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&sigmask);
	return epfd == -1 ? -1 : 0;
}

static uint32_t
to_epoll(unsigned ev)
{
	return (ev & LOOP_IN ? EPOLLIN : 0) | (ev & LOOP_OUT ? EPOLLOUT : 0);
}

int
loop_add_fd(int fd, unsigned events, loop_fd_cb cb, void *arg)
{
	struct epoll_event e;

	if ((size_t)fd >= nfds) {
		size_t n = nfds ? nfds : 64;
		while (n <= (size_t)fd)
			n *= 2;
		fds = xrealloc(fds, n * sizeof(*fds));
		memset(fds + nfds, 0, (n - nfds) * sizeof(*fds));
		nfds = n;
	}
	memset(&e, 0, sizeof(e));
	e.events = to_epoll(events);
	e.data.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) == -1)
		return -1;
	fds[fd].cb = cb;
	fds[fd].arg = arg;
	fds[fd].events = events;
	fds[fd].used = 1;
	return 0;
}

int
loop_mod_fd(int fd, unsigned events)
{
	struct epoll_event e;

	if ((size_t)fd >= nfds || !fds[fd].used)
		fatalx("%s: fd %d not watched", __func__, fd);
	if (fds[fd].events == events)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = to_epoll(events);
	e.data.fd = fd;
	fds[fd].events = events;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e);
}

void
loop_del_fd(int fd)
{
	if ((size_t)fd >= nfds || !fds[fd].used)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	fds[fd].used = 0;
	fds[fd].cb = NULL;
}

void
loop_forget_fd(int fd)
{
	/* The caller closes fd now, which takes it out of epoll: no syscall. */
	if ((size_t)fd < nfds && fds[fd].used) {
		fds[fd].used = 0;
		fds[fd].cb = NULL;
	}
}

static void
heap_swap(size_t a, size_t b)
{
	struct loop_timer *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->idx = a;
	heap[b]->idx = b;
}

static void
heap_up(size_t i)
{
	while (i > 0 && heap[(i - 1) / 2]->due > heap[i]->due) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(size_t i)
{
	size_t	 l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < nheap && heap[l]->due < heap[m]->due)
			m = l;
		if (r < nheap && heap[r]->due < heap[m]->due)
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

struct loop_timer *
loop_timer_at(uint64_t at, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = xmalloc(sizeof(*t));

	t->due = at;
	t->cb = cb;
	t->arg = arg;
	if (nheap == heapcap) {
		heapcap = heapcap ? heapcap * 2 : 64;
		heap = xrealloc(heap, heapcap * sizeof(*heap));
	}
	t->idx = nheap;
	heap[nheap++] = t;
	heap_up(t->idx);
	return t;
}

struct loop_timer *
loop_add_timer(uint64_t ms, loop_timer_cb cb, void *arg)
{
	return loop_timer_at(loop_now() + ms * 1000u, cb, arg);
}

void
loop_del_timer(struct loop_timer *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	i = t->idx;
	if (i >= nheap || heap[i] != t)
		fatalx("%s: timer not in heap", __func__);
	nheap--;
	if (i != nheap) {
		heap[i] = heap[nheap];
		heap[i]->idx = i;
		heap_down(i);
		heap_up(i);
	}
	free(t);
}

static void
on_signalfd(int fd, unsigned ev, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo < 65 && sigcbs[si.ssi_signo])
			sigcbs[si.ssi_signo]((int)si.ssi_signo, sigargs[si.ssi_signo]);
}

int
loop_signal(int signo, loop_signal_cb cb, void *arg)
{
	sigaddset(&sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &sigmask, NULL) == -1)
		return -1;
	sigcbs[signo] = cb;
	sigargs[signo] = arg;
	if (sigfd == -1) {
		sigfd = signalfd(-1, &sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
		if (sigfd == -1)
			return -1;
		return loop_add_fd(sigfd, LOOP_IN, on_signalfd, NULL);
	}
	return signalfd(sigfd, &sigmask, 0) == -1 ? -1 : 0;
}

void
loop_set_prepoll(void (*cb)(void *), void *arg)
{
	prepoll = cb;
	prepoll_arg = arg;
}

void
loop_quit(int code)
{
	quitting = 1;
	quitcode = code;
}

int
loop_running(void)
{
	return !quitting;
}

int
loop_run(void)
{
	struct epoll_event	 ev[256];
	int			 n, i, timeout;
	uint64_t		 now;
	struct loop_timer	*t;

	quitting = 0;
	while (!quitting) {
		if (prepoll)
			prepoll(prepoll_arg);
		if (quitting)
			break;
		timeout = -1;
		if (nheap > 0) {
			now = loop_now();
			if (heap[0]->due <= now)
				timeout = 0;
			else {
				uint64_t ms = (heap[0]->due - now + 999) / 1000;
				timeout = ms > 60000 ? 60000 : (int)ms;
			}
		}
		n = epoll_wait(epfd, ev, 256, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatalx("epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n && !quitting; i++) {
			int fd = ev[i].data.fd;
			unsigned e = 0;
			if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
				e |= LOOP_IN;
			if (ev[i].events & EPOLLOUT)
				e |= LOOP_OUT;
			if (ev[i].events & EPOLLERR)
				e |= LOOP_ERR | LOOP_IN;
			if ((size_t)fd < nfds && fds[fd].used && fds[fd].cb)
				fds[fd].cb(fd, e, fds[fd].arg);
		}
		now = loop_now();
		while (!quitting && nheap > 0 && heap[0]->due <= now) {
			t = heap[0];
			nheap--;
			if (nheap) {
				heap[0] = heap[nheap];
				heap[0]->idx = 0;
				heap_down(0);
			}
			t->cb(t->arg);
			free(t);
		}
	}
	return quitcode;
}
